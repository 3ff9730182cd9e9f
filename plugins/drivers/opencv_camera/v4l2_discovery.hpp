#pragma once
// Lists V4L2 capture nodes (/dev/video*) for Device::enumerate(). Internal to the driver.

#include <string>
#include <vector>

#include "oi/hal/device.hpp"

namespace oi::drivers::opencv_camera {

/// V4L2 nodes that can capture video, in /dev/videoN order, each with the URI
/// `v4l2:///dev/videoN`; metadata-only and output nodes are left out. Empty when there are
/// none. Each node is opened only long enough to ask VIDIOC_QUERYCAP (nothing streams).
std::vector<hal::DeviceInfo> list_v4l2_capture_devices();

/// The card name the kernel reports for a V4L2 node (sysfs), or "" when unknown.
std::string v4l2_card_name(const std::string& node);

}  // namespace oi::drivers::opencv_camera
