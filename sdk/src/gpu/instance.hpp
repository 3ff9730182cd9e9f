#pragma once
// The VkInstance (owned or borrowed) and the validation-message log. Internal.

#include <vulkan/vulkan.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "oi/gpu/runtime.hpp"

namespace oi::gpu::detail {

/// Validation messages of the process. Never destroyed (the debug callback may fire while
/// static objects are being destroyed at exit).
class ValidationLog {
 public:
  static ValidationLog& instance();
  void add(ValidationMessage message);
  std::size_t count() const;
  std::vector<ValidationMessage> messages() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<ValidationMessage> messages_;
};

/// A VkInstance with its debug messenger. Shared by every Device made from it, so it is
/// destroyed only after the last one.
class Instance {
 public:
  /// Creates the runtime's own instance (validation per OI_VK_VALIDATION).
  /// @throws GpuUnavailableError with the reason and what to install.
  static std::shared_ptr<Instance> create();
  /// Borrows an application's instance; never destroyed by us.
  static std::shared_ptr<Instance> borrow(VkInstance instance);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  VkInstance handle() const { return instance_; }
  /// Vulkan version the instance was created for.
  std::uint32_t api_version() const { return api_version_; }
  bool validation_enabled() const { return validation_enabled_; }
  const std::string& validation_problem() const { return validation_problem_; }
  /// The physical devices, in enumeration order.
  std::vector<VkPhysicalDevice> physical_devices() const;

 private:
  Instance() = default;
  VkInstance instance_ = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger_ = VK_NULL_HANDLE;
  bool owned_ = true;
  std::uint32_t api_version_ = VK_API_VERSION_1_1;
  bool validation_enabled_ = false;
  std::string validation_problem_;
};

}  // namespace oi::gpu::detail
