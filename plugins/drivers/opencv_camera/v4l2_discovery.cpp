#include "v4l2_discovery.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace oi::drivers::opencv_camera {
namespace {

namespace fs = std::filesystem;

// The number N of /dev/videoN, or -1.
int node_number(const fs::path& path) {
  const std::string name = path.filename().string();
  if (name.rfind("video", 0) != 0 || name.size() == 5) return -1;
  const std::string digits = name.substr(5);
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) return -1;
  return std::stoi(digits);
}

std::string text(const __u8* bytes, std::size_t size) {
  const auto* begin = reinterpret_cast<const char*>(bytes);
  return std::string(begin, std::find(begin, begin + size, '\0'));
}

}  // namespace

std::string v4l2_card_name(const std::string& node) {
  std::ifstream in("/sys/class/video4linux/" + fs::path(node).filename().string() + "/name");
  std::string name;
  std::getline(in, name);
  return name;
}

std::vector<hal::DeviceInfo> list_v4l2_capture_devices() {
  std::vector<std::pair<int, fs::path>> nodes;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/dev", ec)) {
    if (const int n = node_number(entry.path()); n >= 0) nodes.emplace_back(n, entry.path());
  }
  std::sort(nodes.begin(), nodes.end());
  std::vector<hal::DeviceInfo> found;
  for (const auto& [number, path] : nodes) {
    // O_NONBLOCK: a node another process is streaming from still answers QUERYCAP at once.
    const int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;  // no permission or gone: not a device this user can open either
    v4l2_capability caps{};
    const bool queried = ::ioctl(fd, VIDIOC_QUERYCAP, &caps) == 0;
    ::close(fd);
    if (!queried) continue;
    const __u32 device_caps =
        (caps.capabilities & V4L2_CAP_DEVICE_CAPS) ? caps.device_caps : caps.capabilities;
    if ((device_caps & (V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_VIDEO_CAPTURE_MPLANE)) == 0) continue;
    hal::DeviceInfo info;
    info.uri = "v4l2://" + path.string();
    info.vendor = text(caps.driver, sizeof(caps.driver));
    info.model = text(caps.card, sizeof(caps.card));
    info.serial = text(caps.bus_info, sizeof(caps.bus_info));
    info.description = "V4L2 capture device " + path.string();
    found.push_back(std::move(info));
  }
  return found;
}

}  // namespace oi::drivers::opencv_camera
