#pragma once
/// @file
/// Zero-copy OpenCV views of host planes.

#include <opencv2/core/mat.hpp>

#include "oi/frame.hpp"

namespace oi {

/// A `cv::Mat` header over the plane's host memory: no copy. The view is valid while the
/// plane's storage is alive; writing through it writes the plane. A device-resident plane is
/// transferred to the host once first.
cv::Mat as_mat(Plane& plane);
/// Read-only overload of as_mat(); the caller must not write through the result.
cv::Mat as_mat(const Plane& plane);
/// OpenCV type (CV_16UC1, CV_8UC3, ...) of a pixel format.
int cv_type(PixelFormat format);

}  // namespace oi
