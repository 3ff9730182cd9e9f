#pragma once
/// @file
/// Entry point of the Vulkan compute runtime: the process-wide instance, the default device,
/// device listing, validation-layer messages, and handing in an application's own Vulkan
/// objects.
///
/// The VkInstance is created lazily, on the first call that needs it, under a mutex. When no
/// usable device exists (no Vulkan driver, no compute queue, a bad OI_VK_DEVICE) the runtime
/// logs the reason once and `available()` answers false from then on: stages with a CPU
/// implementation check it and fall back. Nothing here crashes for lack of a GPU.
///
/// Environment:
/// - `OI_VK_DEVICE=<index | name substring>` picks a device instead of the ranking.
/// - `OI_VK_VALIDATION=1` enables VK_LAYER_KHRONOS_validation and counts its messages.
/// - `OI_CACHE_DIR` moves the on-disk caches (see disk_cache.hpp).
///
/// @code
/// if (!oi::gpu::available()) return run_on_cpu(frame);   // reason: oi::gpu::unavailable_reason()
/// std::shared_ptr<oi::gpu::Device> device = oi::gpu::default_device();
/// @endcode

#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "oi/error.hpp"
#include "oi/gpu/device_info.hpp"

namespace oi::gpu {

class Device;

/// A Vulkan call or GPU resource request failed at configuration time (creating a device,
/// kernel or buffer). The message names the call, the VkResult and what to do.
class GpuError : public Error {
 public:
  using Error::Error;
};

/// No usable Vulkan device; the message is `unavailable_reason()`.
class GpuUnavailableError : public GpuError {
 public:
  using GpuError::GpuError;
};

/// True when a usable Vulkan device exists and was opened (creates it on first call).
/// Never throws.
bool available();

/// Why `available()` is false, e.g. "no Vulkan device: vkCreateInstance failed:
/// VK_ERROR_INCOMPATIBLE_DRIVER; install mesa-vulkan-drivers for a CPU device". Empty when
/// available.
std::string unavailable_reason();

/// The device the runtime selected (see select_device()), opened on first use and shared by
/// every stage. @throws GpuUnavailableError with the reason when there is none.
std::shared_ptr<Device> default_device();

/// The default device when something has already opened it (default_device()), else null.
/// Never opens a device, never throws: for monitoring (`oi run --resources`).
std::shared_ptr<Device> opened_default_device() noexcept;

/// Opens another, independent VkDevice on physical device `index` of list_devices(): its own
/// queue, memory pools and pipeline cache (loaded from disk). Benchmarks use it to measure a
/// cold start; most code wants default_device().
/// @throws GpuUnavailableError without Vulkan; GpuError when the device cannot be opened.
std::shared_ptr<Device> open_device(int index);

/// Every physical device with its properties, and which one default_device() uses (or would
/// use, judging by OI_VK_DEVICE now) and why. Never throws: without Vulkan, `devices` is
/// empty and `reason` says why.
DeviceListing list_devices();

/// Vulkan objects owned by a host application, shared with the runtime. The runtime never
/// destroys them; they must outlive every oi::gpu object.
struct ExternalVulkan {
  VkInstance instance = VK_NULL_HANDLE;               ///< created with Vulkan >= 1.1
  VkPhysicalDevice physical_device = VK_NULL_HANDLE;  ///< the device behind `device`
  VkDevice device = VK_NULL_HANDLE;                   ///< the application's logical device
  std::uint32_t queue_family = 0;                     ///< a family with VK_QUEUE_COMPUTE_BIT
  VkQueue queue = VK_NULL_HANDLE;                     ///< a queue of that family; the runtime locks its own
                                                      ///< mutex around submissions, the application must not
                                                      ///< submit to it concurrently
};

/// Makes the runtime use an application's instance and device instead of creating its own.
/// Call before anything else in oi::gpu. Validation messages are not collected on an
/// external instance (the application owns its debug messenger).
/// @throws GpuError when the runtime already created its instance, or a handle is null.
void use_external_vulkan(const ExternalVulkan& handles);

/// One message from the validation layer (or the loader) at warning or error severity.
struct ValidationMessage {
  bool error = false;   ///< VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT, else warning
  std::string id_name;  ///< e.g. "VUID-vkCmdDispatch-None-02697"
  std::string text;     ///< the full message
};

/// Whether OI_VK_VALIDATION=1 asked for the validation layer and it is active. When it was
/// asked for but could not be enabled, `validation_problem()` says why.
bool validation_enabled();
/// Why validation was requested but is not active (layer missing, ...); empty otherwise.
std::string validation_problem();
/// Number of warning and error messages received since start or the last clear.
std::size_t validation_message_count();
/// The messages counted by validation_message_count().
std::vector<ValidationMessage> validation_messages();
/// Forgets the messages collected so far (tests call it between cases).
void clear_validation_messages();

}  // namespace oi::gpu
