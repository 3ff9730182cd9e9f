#include "vk_util.hpp"

#include <string>

#include "oi/gpu/runtime.hpp"

namespace oi::gpu::detail {

std::string vk_result_name(VkResult result) {
  switch (result) {
#define OI_VK_RESULT_CASE(name) \
  case name:                    \
    return #name;
    OI_VK_RESULT_CASE(VK_SUCCESS)
    OI_VK_RESULT_CASE(VK_NOT_READY)
    OI_VK_RESULT_CASE(VK_TIMEOUT)
    OI_VK_RESULT_CASE(VK_INCOMPLETE)
    OI_VK_RESULT_CASE(VK_ERROR_OUT_OF_HOST_MEMORY)
    OI_VK_RESULT_CASE(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    OI_VK_RESULT_CASE(VK_ERROR_INITIALIZATION_FAILED)
    OI_VK_RESULT_CASE(VK_ERROR_DEVICE_LOST)
    OI_VK_RESULT_CASE(VK_ERROR_MEMORY_MAP_FAILED)
    OI_VK_RESULT_CASE(VK_ERROR_LAYER_NOT_PRESENT)
    OI_VK_RESULT_CASE(VK_ERROR_EXTENSION_NOT_PRESENT)
    OI_VK_RESULT_CASE(VK_ERROR_FEATURE_NOT_PRESENT)
    OI_VK_RESULT_CASE(VK_ERROR_INCOMPATIBLE_DRIVER)
    OI_VK_RESULT_CASE(VK_ERROR_TOO_MANY_OBJECTS)
    OI_VK_RESULT_CASE(VK_ERROR_FORMAT_NOT_SUPPORTED)
    OI_VK_RESULT_CASE(VK_ERROR_FRAGMENTED_POOL)
    OI_VK_RESULT_CASE(VK_ERROR_UNKNOWN)
    OI_VK_RESULT_CASE(VK_ERROR_OUT_OF_POOL_MEMORY)
    OI_VK_RESULT_CASE(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    OI_VK_RESULT_CASE(VK_ERROR_FRAGMENTATION)
    OI_VK_RESULT_CASE(VK_PIPELINE_COMPILE_REQUIRED)
#undef OI_VK_RESULT_CASE
    default:
      return "VkResult(" + std::to_string(static_cast<int>(result)) + ")";
  }
}

void vk_check(VkResult result, std::string_view what, std::string_view hint) {
  if (result == VK_SUCCESS) return;
  std::string message = std::string(what) + " failed: " + vk_result_name(result);
  if (!hint.empty()) {
    message += "; ";
    message += hint;
  } else if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY) {
    message +=
        "; free GPU memory (fewer frames in flight, smaller planes) or pick another "
        "device with OI_VK_DEVICE";
  } else if (result == VK_ERROR_DEVICE_LOST) {
    message += "; the GPU driver reset the device; restart the pipeline";
  }
  throw GpuError(message);
}

std::string api_version_string(std::uint32_t version) {
  return std::to_string(VK_API_VERSION_MAJOR(version)) + "." + std::to_string(VK_API_VERSION_MINOR(version)) +
         "." + std::to_string(VK_API_VERSION_PATCH(version));
}

}  // namespace oi::gpu::detail
