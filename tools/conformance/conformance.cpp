#include "conformance.hpp"

#include "oi/hal/device_registry.hpp"

namespace oi::conformance {

Target& target() {
  static Target t;
  return t;
}

PluginRegistry& registry() {
  static PluginRegistry r;
  return r;
}

std::unique_ptr<hal::Device> make_device() { return hal::DeviceRegistry::instance().create(target().driver); }

Status configure(hal::Device& device) { return device.configure(target().uri, target().params); }

FramePtr read_frame(hal::Device& device, Status* status) {
  const auto until = std::chrono::steady_clock::now() + kBound;
  FramePtr frame;
  Status s;
  // A device may answer "nothing yet" many times before the frame arrives.
  while (!frame && std::chrono::steady_clock::now() < until) {
    s = device.read(frame, std::chrono::milliseconds(200));
    if (!s.is_ok()) break;
  }
  if (status != nullptr) *status = s;
  return frame;
}

}  // namespace oi::conformance
