#include "oi/gpu/backend.hpp"

#include <spdlog/spdlog.h>

#include "oi/error.hpp"
#include "oi/gpu/runtime.hpp"

namespace oi::gpu {

BackendChoice choose_backend(const std::string& choice, const std::string& stage, const std::string& type) {
  if (choice == "cpu") return {nullptr, "backend: cpu"};
  if (choice != "auto" && choice != "gpu")
    throw ConfigError("stage '" + stage + "' (" + type + "): backend '" + choice +
                      "' is none of auto, gpu, cpu");
  if (!available()) {
    if (choice == "gpu")
      throw ConfigError("stage '" + stage + "' (" + type + "): backend: gpu, but " + unavailable_reason() +
                        "; set backend: auto to fall back to the CPU implementation");
    spdlog::warn("stage '{}' ({}) runs its CPU implementation: {}", stage, type, unavailable_reason());
    return {nullptr, "backend: auto, " + unavailable_reason()};
  }
  return {default_device(), "backend: " + choice + ", Vulkan device available"};
}

}  // namespace oi::gpu
