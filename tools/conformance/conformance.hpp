#pragma once
// Shared state of the conformance suite: which driver and URI are under test, the plugin
// registry that loaded it, and helpers the tests share.

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "oi/hal/device.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::conformance {

/// What the command line asked for.
struct Target {
  std::string driver;                        ///< driver type, e.g. "mock.xray"
  std::string uri;                           ///< device URI
  std::map<std::string, ParamValue> params;  ///< --param NAME=VALUE overrides
};

/// The target under test (set by main()).
Target& target();
/// The registry that loaded the driver plugins (set by main()).
PluginRegistry& registry();

/// A bound generous enough for any real device on a loaded CI machine; it catches hangs,
/// it does not measure speed.
inline constexpr std::chrono::milliseconds kBound{10000};

/// A new, Unconfigured device of the target type; nullptr when the factory fails.
std::unique_ptr<hal::Device> make_device();
/// Configures `device` with the target URI and params; returns the status.
Status configure(hal::Device& device);
/// Reads one frame, waiting at most kBound; nullptr (with `status` set) when none came.
FramePtr read_frame(hal::Device& device, Status* status = nullptr);

}  // namespace oi::conformance
