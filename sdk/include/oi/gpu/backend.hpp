#pragma once
/// @file
/// Where a stage with both a Vulkan kernel and a CPU implementation runs: the one rule behind
/// every `backend: auto | gpu | cpu` parameter (docs/gpu-runtime.md).

#include <memory>
#include <string>

namespace oi::gpu {

class Device;

/// The outcome of choose_backend().
struct BackendChoice {
  /// The device to run on; null when the stage runs its CPU implementation.
  std::shared_ptr<Device> device;
  /// Why, for the stage's summary(): "backend: cpu", "backend: auto, <unavailable_reason()>",
  /// "backend: gpu, Vulkan device available", ...
  std::string reason;
};

/// `cpu` never touches Vulkan. `gpu` and `auto` take default_device() when available();
/// without one, `auto` falls back to the CPU with one warning naming `stage` (its node name)
/// and `type`, and `gpu` throws oi::ConfigError saying to set `backend: auto`.
/// @throws oi::ConfigError as above, or for a `choice` that is none of the three.
BackendChoice choose_backend(const std::string& choice, const std::string& stage, const std::string& type);

}  // namespace oi::gpu
