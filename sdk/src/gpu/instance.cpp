#include "instance.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "vk_util.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <link.h>
#endif

namespace oi::gpu::detail {
namespace {

#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer builds only: the Vulkan driver and layer libraries stay loaded after the
// instance is destroyed, so that LeakSanitizer, which checks at exit, can name the code that
// allocated what they keep (tests/sanitizers/lsan.supp) instead of "<unknown module>".
void keep_vulkan_libraries_loaded() {
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void*) -> int {
        const std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
        if (name.find("libvulkan_") != std::string_view::npos ||
            name.find("VkLayer_") != std::string_view::npos)
          dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
        return 0;
      },
      nullptr);
}
#endif

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";

bool validation_requested() {
  const char* value = std::getenv("OI_VK_VALIDATION");
  return value != nullptr && value[0] != '\0' && std::string_view(value) != "0";
}

VKAPI_ATTR VkBool32 VKAPI_CALL on_debug_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                                const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                void* /*user*/) {
  const char* text = data != nullptr && data->pMessage != nullptr ? data->pMessage : "";
  const char* id = data != nullptr && data->pMessageIdName != nullptr ? data->pMessageIdName : "";
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
    const bool error = severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    if (error) {
      spdlog::error("Vulkan: {}", text);
    } else {
      spdlog::warn("Vulkan: {}", text);
    }
    ValidationLog::instance().add({error, id, text});
  } else {
    spdlog::trace("Vulkan: {}", text);
  }
  return VK_FALSE;  // the spec requires VK_FALSE: never abort the call
}

bool has_layer(const char* name) {
  std::uint32_t count = 0;
  if (vkEnumerateInstanceLayerProperties(&count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkLayerProperties> layers(count);
  if (vkEnumerateInstanceLayerProperties(&count, layers.data()) != VK_SUCCESS) return false;
  return std::any_of(layers.begin(), layers.end(),
                     [&](const VkLayerProperties& l) { return std::strcmp(l.layerName, name) == 0; });
}

bool has_extension(const char* layer, const char* name) {
  std::uint32_t count = 0;
  if (vkEnumerateInstanceExtensionProperties(layer, &count, nullptr) != VK_SUCCESS) return false;
  std::vector<VkExtensionProperties> extensions(count);
  if (vkEnumerateInstanceExtensionProperties(layer, &count, extensions.data()) != VK_SUCCESS) {
    return false;
  }
  return std::any_of(extensions.begin(), extensions.end(),
                     [&](const VkExtensionProperties& e) { return std::strcmp(e.extensionName, name) == 0; });
}

}  // namespace

ValidationLog& ValidationLog::instance() {
  static ValidationLog* log = new ValidationLog();  // intentionally never destroyed
  return *log;
}

void ValidationLog::add(ValidationMessage message) {
  std::lock_guard lock(mutex_);
  messages_.push_back(std::move(message));
}

std::size_t ValidationLog::count() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

std::vector<ValidationMessage> ValidationLog::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

void ValidationLog::clear() {
  std::lock_guard lock(mutex_);
  messages_.clear();
}

std::shared_ptr<Instance> Instance::create() {
  std::shared_ptr<Instance> self(new Instance());
  std::uint32_t loader_version = VK_API_VERSION_1_0;
  if (vkEnumerateInstanceVersion(&loader_version) != VK_SUCCESS || loader_version < VK_API_VERSION_1_1) {
    throw GpuUnavailableError("the Vulkan loader supports only Vulkan " + api_version_string(loader_version) +
                              "; the runtime needs 1.1 or newer: update libvulkan1");
  }
  self->api_version_ = std::min<std::uint32_t>(loader_version, VK_API_VERSION_1_3);

  std::vector<const char*> layers;
  std::vector<const char*> extensions;
  VkDebugUtilsMessengerCreateInfoEXT messenger_info{};
  messenger_info.sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT;
  messenger_info.messageSeverity =
      VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                               VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  messenger_info.pfnUserCallback = &on_debug_message;
  if (validation_requested()) {
    if (!has_layer(kValidationLayer)) {
      self->validation_problem_ =
          "OI_VK_VALIDATION=1 but the Vulkan layer VK_LAYER_KHRONOS_validation is not installed; "
          "install vulkan-validationlayers (scripts/install-deps.sh)";
    } else if (!has_extension(nullptr, VK_EXT_DEBUG_UTILS_EXTENSION_NAME) &&
               !has_extension(kValidationLayer, VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
      self->validation_problem_ =
          "OI_VK_VALIDATION=1 but VK_EXT_debug_utils is unavailable, so validation messages "
          "cannot be collected; update the Vulkan loader and vulkan-validationlayers";
    } else {
      layers.push_back(kValidationLayer);
      extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      self->validation_enabled_ = true;
    }
    if (!self->validation_problem_.empty()) spdlog::error("{}", self->validation_problem_);
  }

  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "OpenInspect";
  app.pEngineName = "OpenInspect";
  app.apiVersion = self->api_version_;
  VkInstanceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  // Chained so that messages from vkCreateInstance/vkDestroyInstance are caught too.
  info.pNext = self->validation_enabled_ ? &messenger_info : nullptr;
  info.pApplicationInfo = &app;
  info.enabledLayerCount = static_cast<std::uint32_t>(layers.size());
  info.ppEnabledLayerNames = layers.data();
  info.enabledExtensionCount = static_cast<std::uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  const VkResult result = vkCreateInstance(&info, nullptr, &self->instance_);
  if (result != VK_SUCCESS) {
    self->instance_ = VK_NULL_HANDLE;
    throw GpuUnavailableError("vkCreateInstance failed: " + vk_result_name(result) +
                              (result == VK_ERROR_INCOMPATIBLE_DRIVER
                                   ? "; no Vulkan driver is installed or found (check VK_ICD_FILENAMES / "
                                     "VK_DRIVER_FILES); install mesa-vulkan-drivers for a CPU device"
                                   : "; check the Vulkan installation with vulkaninfo"));
  }
  if (self->validation_enabled_) {
    auto create_messenger = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(self->instance_, "vkCreateDebugUtilsMessengerEXT"));
    if (create_messenger == nullptr ||
        create_messenger(self->instance_, &messenger_info, nullptr, &self->messenger_) != VK_SUCCESS) {
      self->messenger_ = VK_NULL_HANDLE;
      self->validation_enabled_ = false;
      self->validation_problem_ =
          "vkCreateDebugUtilsMessengerEXT failed; validation messages "
          "cannot be collected";
      spdlog::error("{}", self->validation_problem_);
    }
  }
  return self;
}

std::shared_ptr<Instance> Instance::borrow(VkInstance instance) {
  std::shared_ptr<Instance> self(new Instance());
  self->instance_ = instance;
  self->owned_ = false;
  if (validation_requested()) {
    self->validation_problem_ =
        "OI_VK_VALIDATION=1 has no effect on an instance handed in with "
        "use_external_vulkan(); enable the layer in the application";
  }
  return self;
}

Instance::~Instance() {
  if (!owned_ || instance_ == VK_NULL_HANDLE) return;
  if (messenger_ != VK_NULL_HANDLE) {
    auto destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
        vkGetInstanceProcAddr(instance_, "vkDestroyDebugUtilsMessengerEXT"));
    if (destroy_messenger != nullptr) destroy_messenger(instance_, messenger_, nullptr);
  }
#if defined(__SANITIZE_ADDRESS__)
  keep_vulkan_libraries_loaded();
#endif
  vkDestroyInstance(instance_, nullptr);
}

std::vector<VkPhysicalDevice> Instance::physical_devices() const {
  std::uint32_t count = 0;
  vk_check(vkEnumeratePhysicalDevices(instance_, &count, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> devices(count);
  VkResult result = vkEnumeratePhysicalDevices(instance_, &count, devices.data());
  if (result != VK_SUCCESS && result != VK_INCOMPLETE) {
    vk_check(result, "vkEnumeratePhysicalDevices");
  }
  devices.resize(count);
  return devices;
}

}  // namespace oi::gpu::detail
