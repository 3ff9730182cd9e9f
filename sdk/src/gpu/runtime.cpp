// The process-wide runtime: lazily created instance and default device, under one mutex.

#include "oi/gpu/runtime.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>
#include <optional>

#include "device_query.hpp"
#include "device_state.hpp"
#include "instance.hpp"
#include "oi/gpu/device.hpp"

namespace oi::gpu {
namespace {

struct Runtime {
  std::mutex mutex;
  std::optional<ExternalVulkan> external;
  bool instance_tried = false;
  std::shared_ptr<detail::Instance> instance;
  std::string instance_error;
  bool device_tried = false;
  std::shared_ptr<Device> device;
  std::string device_error;
};

// Destroyed at exit: the default device goes first (saving its pipeline cache), then the
// instance it holds.
Runtime& runtime() {
  static Runtime r;
  return r;
}

std::string device_override() {
  const char* value = std::getenv("OI_VK_DEVICE");
  return value == nullptr ? std::string() : std::string(value);
}

// Caller holds the mutex. Throws GpuUnavailableError (remembered) when there is no instance.
detail::Instance& instance_locked(Runtime& r) {
  if (!r.instance_tried) {
    r.instance_tried = true;
    try {
      r.instance = r.external ? detail::Instance::borrow(r.external->instance) : detail::Instance::create();
    } catch (const std::exception& e) {
      r.instance_error = e.what();
    }
  }
  if (!r.instance) throw GpuUnavailableError(r.instance_error);
  return *r.instance;
}

std::vector<DeviceInfo> query_all(const detail::Instance& instance, std::vector<VkPhysicalDevice>* handles) {
  std::vector<VkPhysicalDevice> physical = instance.physical_devices();
  std::vector<DeviceInfo> infos;
  for (std::size_t i = 0; i < physical.size(); ++i) {
    infos.push_back(detail::query_device_info(physical[i], static_cast<int>(i), instance.api_version()));
  }
  if (handles != nullptr) *handles = std::move(physical);
  return infos;
}

// Caller holds the mutex. Opens the default device once; remembers and logs a failure once.
std::shared_ptr<Device> device_locked(Runtime& r) {
  if (!r.device_tried) {
    r.device_tried = true;
    try {
      detail::Instance& instance = instance_locked(r);
      std::vector<VkPhysicalDevice> handles;
      std::vector<DeviceInfo> infos = query_all(instance, &handles);
      if (r.external) {
        int index = -1;
        for (std::size_t i = 0; i < handles.size(); ++i) {
          if (handles[i] == r.external->physical_device) index = static_cast<int>(i);
        }
        if (index < 0) {
          throw GpuUnavailableError(
              "the physical device handed to use_external_vulkan() is not "
              "one of its instance's devices");
        }
        r.device =
            detail::wrap_vulkan_device(r.instance, *r.external, infos[static_cast<std::size_t>(index)]);
      } else {
        DeviceSelection selection = select_device(infos, device_override());
        if (!selection.index) throw GpuUnavailableError(selection.reason);
        const auto index = static_cast<std::size_t>(*selection.index);
        spdlog::debug("Vulkan device {} ({}) selected: {}", index, infos[index].name, selection.reason);
        r.device = detail::open_vulkan_device(r.instance, handles[index], infos[index]);
      }
    } catch (const std::exception& e) {
      r.device_error = std::string("no Vulkan device: ") + e.what();
      spdlog::warn("{}; GPU stages fall back to their CPU implementation where they have one",
                   r.device_error);
    }
  }
  if (!r.device) throw GpuUnavailableError(r.device_error);
  return r.device;
}

}  // namespace

bool available() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  try {
    device_locked(r);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string unavailable_reason() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  try {
    device_locked(r);
    return {};
  } catch (const std::exception&) {
    return r.device_error;
  }
}

std::shared_ptr<Device> default_device() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  return device_locked(r);
}

std::shared_ptr<Device> opened_default_device() noexcept {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  return r.device;
}

std::shared_ptr<Device> open_device(int index) {
  Runtime& r = runtime();
  std::unique_lock lock(r.mutex);
  detail::Instance& instance = instance_locked(r);
  std::shared_ptr<detail::Instance> keep = r.instance;
  lock.unlock();
  std::vector<VkPhysicalDevice> handles;
  std::vector<DeviceInfo> infos = query_all(instance, &handles);
  if (index < 0 || index >= static_cast<int>(infos.size())) {
    throw GpuError("open_device(" + std::to_string(index) + "): there are " + std::to_string(infos.size()) +
                   " Vulkan devices; see list_devices()");
  }
  const auto i = static_cast<std::size_t>(index);
  return detail::open_vulkan_device(keep, handles[i], infos[i]);
}

DeviceListing list_devices() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  DeviceListing listing;
  try {
    detail::Instance& instance = instance_locked(r);
    listing.devices = query_all(instance, nullptr);
  } catch (const std::exception& e) {
    listing.reason = std::string("no Vulkan device: ") + e.what();
    return listing;
  }
  if (r.device && r.external) {
    listing.selected = r.device->info().index;
    listing.reason = "the application handed in its own device (use_external_vulkan)";
    return listing;
  }
  try {
    DeviceSelection selection = select_device(listing.devices, device_override());
    listing.selected = selection.index;
    listing.reason = std::move(selection.reason);
  } catch (const std::exception& e) {
    listing.reason = e.what();
  }
  return listing;
}

void use_external_vulkan(const ExternalVulkan& handles) {
  if (handles.instance == VK_NULL_HANDLE || handles.physical_device == VK_NULL_HANDLE ||
      handles.device == VK_NULL_HANDLE || handles.queue == VK_NULL_HANDLE) {
    throw GpuError(
        "use_external_vulkan(): instance, physical_device, device and queue must all "
        "be set");
  }
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  if (r.instance_tried) {
    throw GpuError(
        "use_external_vulkan() called after the runtime created its own Vulkan "
        "instance; call it first, before any other oi::gpu function");
  }
  r.external = handles;
}

bool validation_enabled() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  try {
    return instance_locked(r).validation_enabled();
  } catch (const std::exception&) {
    return false;
  }
}

std::string validation_problem() {
  Runtime& r = runtime();
  std::lock_guard lock(r.mutex);
  try {
    return instance_locked(r).validation_problem();
  } catch (const std::exception&) {
    return r.instance_error;
  }
}

std::size_t validation_message_count() { return detail::ValidationLog::instance().count(); }

std::vector<ValidationMessage> validation_messages() { return detail::ValidationLog::instance().messages(); }

void clear_validation_messages() { detail::ValidationLog::instance().clear(); }

}  // namespace oi::gpu
