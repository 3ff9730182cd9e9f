#pragma once
/// @file
/// Process-wide table of device factories by driver type. OI_REGISTER_DEVICE_DRIVER fills it
/// when a driver plugin is loaded (and empties it when the plugin is unloaded), so tools such
/// as oi-conformance can create a bare Device of a type that a PluginRegistry loaded.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "oi/hal/device.hpp"

namespace oi::hal {

/// Makes one device.
using DeviceFactory = std::function<std::unique_ptr<Device>()>;

/// The table. Thread-safe.
class DeviceRegistry {
 public:
  /// The one instance in the process (it lives in libopeninspect_hal).
  static DeviceRegistry& instance();

  /// Adds a factory; returns a token for remove(). A type registered twice keeps the first.
  std::uint64_t add(std::string type_name, DeviceFactory factory);
  /// Removes the factory added with `token`.
  void remove(std::uint64_t token);
  /// Creates a device of `type_name`, labelled with the type; nullptr when unknown.
  std::unique_ptr<Device> create(std::string_view type_name) const;
  /// Registered type names, sorted.
  std::vector<std::string> types() const;

  /// What enumerate() found across every registered driver type.
  struct Discovery {
    std::vector<DeviceInfo> devices;    ///< sorted by driver, then URI; `driver` filled in
    std::vector<std::string> problems;  ///< "TYPE: why its discovery failed", one per driver
  };
  /// Asks every registered driver type for the devices it can see (see Device::enumerate()).
  /// A driver whose discovery fails or throws is reported in `problems`; the others still run.
  Discovery enumerate() const;

 private:
  DeviceRegistry() = default;
  struct Entry;
  struct Impl;
  Impl& impl() const;
};

/// Registers a factory for the lifetime of the object (a static in the driver plugin).
class DeviceFactoryRegistrar {
 public:
  /// Adds `factory` under `type_name`.
  DeviceFactoryRegistrar(const char* type_name, DeviceFactory factory)
      : token_(DeviceRegistry::instance().add(type_name, std::move(factory))) {}
  ~DeviceFactoryRegistrar() { DeviceRegistry::instance().remove(token_); }
  DeviceFactoryRegistrar(const DeviceFactoryRegistrar&) = delete;
  DeviceFactoryRegistrar& operator=(const DeviceFactoryRegistrar&) = delete;

 private:
  std::uint64_t token_;
};

}  // namespace oi::hal
