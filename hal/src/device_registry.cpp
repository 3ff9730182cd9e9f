#include "oi/hal/device_registry.hpp"

#include <algorithm>
#include <mutex>
#include <tuple>

namespace oi::hal {

struct DeviceRegistry::Entry {
  std::uint64_t token = 0;
  std::string type_name;
  DeviceFactory factory;
};

struct DeviceRegistry::Impl {
  mutable std::mutex mutex;
  std::vector<Entry> entries;
  std::uint64_t next_token = 1;
};

DeviceRegistry& DeviceRegistry::instance() {
  static DeviceRegistry registry;
  return registry;
}

DeviceRegistry::Impl& DeviceRegistry::impl() const {
  // Never destroyed: plugins may unregister from their static destructors after this
  // library's statics are gone.
  static Impl* impl = new Impl();
  return *impl;
}

std::uint64_t DeviceRegistry::add(std::string type_name, DeviceFactory factory) {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  const std::uint64_t token = i.next_token++;
  i.entries.push_back(Entry{token, std::move(type_name), std::move(factory)});
  return token;
}

void DeviceRegistry::remove(std::uint64_t token) {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  std::erase_if(i.entries, [&](const Entry& e) { return e.token == token; });
}

std::unique_ptr<Device> DeviceRegistry::create(std::string_view type_name) const {
  DeviceFactory factory;
  {
    Impl& i = impl();
    std::lock_guard lock(i.mutex);
    auto it = std::find_if(i.entries.begin(), i.entries.end(),
                           [&](const Entry& e) { return e.type_name == type_name; });
    if (it == i.entries.end()) return nullptr;
    factory = it->factory;
  }
  std::unique_ptr<Device> device = factory();
  if (device) device->set_label(std::string(type_name));
  return device;
}

std::vector<std::string> DeviceRegistry::types() const {
  Impl& i = impl();
  std::lock_guard lock(i.mutex);
  std::vector<std::string> names;
  for (const auto& e : i.entries) names.push_back(e.type_name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

DeviceRegistry::Discovery DeviceRegistry::enumerate() const {
  Discovery d;
  for (const std::string& type : types()) {
    std::unique_ptr<Device> device;
    try {
      device = create(type);
    } catch (const std::exception& e) {
      d.problems.push_back(type + ": creating the device failed: " + e.what());
      continue;
    }
    if (!device) continue;  // unloaded meanwhile
    Result<std::vector<DeviceInfo>> found = device->enumerate();
    if (!found.ok()) {
      d.problems.push_back(found.status().message());
      continue;
    }
    for (DeviceInfo& info : found.value()) {
      info.driver = type;
      d.devices.push_back(std::move(info));
    }
  }
  std::sort(d.devices.begin(), d.devices.end(), [](const DeviceInfo& a, const DeviceInfo& b) {
    return std::tie(a.driver, a.uri) < std::tie(b.driver, b.uri);
  });
  return d;
}

}  // namespace oi::hal
