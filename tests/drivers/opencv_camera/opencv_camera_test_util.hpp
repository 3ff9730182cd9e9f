#pragma once
// Helpers shared by the opencv.camera tests: loading the driver plugin once, scratch
// folders, and reading with a bound (waits by condition, never a fixed sleep).

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "oi/hal/device.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::test {

/// The plugin registry of this test binary; it keeps the driver library loaded for as long
/// as any device made by it may exist (the whole process).
inline PluginRegistry& driver_plugins() {
  static PluginRegistry* registry = [] {
    auto* r = new PluginRegistry();  // never destroyed: devices may outlive any scope
    r->load_default_locations();
    return r;
  }();
  return *registry;
}
inline void load_driver_plugins() { driver_plugins(); }

/// A fresh, empty folder for one test (parallel ctest processes do not share it).
inline std::filesystem::path scratch_dir(const std::string& name) {
  const char* tmp = std::getenv("TMPDIR");
  const auto dir =
      std::filesystem::path(tmp ? tmp : "/tmp") / ("oi-opencv-camera-" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// The next frame, waiting at most `bound`; nullptr when none came or the read failed.
inline FramePtr read_one(hal::Device& device, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  FramePtr frame;
  while (!frame && std::chrono::steady_clock::now() < until) {
    if (!device.read(frame, std::chrono::milliseconds(100)).is_ok()) return nullptr;
  }
  return frame;
}

/// Reads until the device says anything but "ok"; returns that status (end_of_stream for a
/// finite source) or an error when `bound` passes first.
inline Status read_until_end(hal::Device& device, std::vector<FramePtr>& frames,
                             std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    FramePtr frame;
    Status s = device.read(frame, std::chrono::milliseconds(100));
    if (!s.is_ok()) return s;
    if (frame) frames.push_back(std::move(frame));
  }
  return Status::error("the source did not end within the bound");
}

}  // namespace oi::test
