#pragma once
// Small Vulkan helpers shared by the runtime's translation units. Internal.

#include <vulkan/vulkan.h>

#include <string>
#include <string_view>

namespace oi::gpu::detail {

/// "VK_ERROR_OUT_OF_DEVICE_MEMORY" and friends; the number for unknown codes.
std::string vk_result_name(VkResult result);

/// Throws GpuError "`what` failed: VK_...; `hint`" unless `result` is VK_SUCCESS.
void vk_check(VkResult result, std::string_view what, std::string_view hint = {});

/// "1.3.230" from a VK_MAKE_API_VERSION value.
std::string api_version_string(std::uint32_t version);

}  // namespace oi::gpu::detail
