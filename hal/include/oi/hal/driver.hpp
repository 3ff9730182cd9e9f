#pragma once
/// @file
/// What a driver author writes: one Device subclass and one macro line.
///
/// @code
/// class MyScanner final : public oi::hal::XrayScanner { ... };
/// OI_REGISTER_DEVICE_DRIVER(MyScanner, "acme.xray", "ACME line-scan X-ray scanners over GigE.");
/// OI_PLUGIN("acme-drivers", "1.0.0", "Apache-2.0");   // once per plugin
/// @endcode
///
/// The macro registers the device as a pipeline driver type (a source stage with the
/// supervisor, see DeviceStage) and as a device factory for oi-conformance.

#include <memory>
#include <type_traits>

#include "oi/hal/device_registry.hpp"
#include "oi/hal/device_stage.hpp"
#include "oi/plugin.hpp"

namespace oi::hal {

/// The source stage for device class `DeviceT` (default-constructible).
template <class DeviceT>
class DeviceDriver final : public DeviceStage {
  static_assert(std::is_base_of_v<Device, DeviceT>,
                "OI_REGISTER_DEVICE_DRIVER registers oi::hal::Device classes (XrayScanner, Camera, Device). "
                "For a stage (a class derived from oi::Stage) use OI_REGISTER_STAGE from <oi/plugin.hpp>");

 public:
  DeviceDriver() : DeviceStage([] { return std::unique_ptr<Device>(new DeviceT()); }) {}
};

}  // namespace oi::hal

/// Registers device class `CLASS` as driver type `TYPE_NAME`.
#define OI_REGISTER_DEVICE_DRIVER(CLASS, TYPE_NAME, SUMMARY)                                       \
  OI_DETAIL_REGISTER_SOURCE(::oi::hal::DeviceDriver<CLASS>, TYPE_NAME, SUMMARY);                   \
  static const ::oi::hal::DeviceFactoryRegistrar OI_DETAIL_CONCAT(oi_device_registrar_, __LINE__)( \
      TYPE_NAME, [] { return std::unique_ptr<::oi::hal::Device>(new CLASS()); })
