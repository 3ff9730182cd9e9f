#pragma once
/// @file
/// What a plugin author writes: one `OI_PLUGIN(...)` line per plugin and one registration
/// line per type: `OI_REGISTER_STAGE(...)` for a stage (this header), and
/// `OI_REGISTER_DEVICE_DRIVER(...)` for a device driver (<oi/hal/driver.hpp>).
///
/// @code
/// class Gain final : public oi::Stage { ... };
/// OI_REGISTER_STAGE(Gain, "image.gain", "Multiplies every pixel by a constant.");
/// OI_PLUGIN("my-stages", "1.0.0", "Apache-2.0");   // in exactly one .cpp of the plugin
/// @endcode

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <type_traits>
#include <vector>

#include "oi/plugin_abi.h"
#include "oi/stage.hpp"
#include "oi/version.hpp"

/// Identifies the C++ ABI a plugin was built with; the host refuses a mismatch because the
/// objects that cross the boundary are C++ objects.
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define OI_CXX_ABI_ID "libstdc++-cxx11"
#elif defined(_LIBCPP_VERSION)
#define OI_CXX_ABI_ID "libc++"
#else
#define OI_CXX_ABI_ID "libstdc++-old"
#endif

namespace oi::plugin_detail {

// Each plugin library keeps its own list; hidden visibility stops the dynamic linker from
// merging the lists of different plugins into one.
__attribute__((visibility("hidden"))) inline std::vector<oi_factory_info>& local_factories() {
  static std::vector<oi_factory_info> factories;
  return factories;
}

template <class T>
void* create(char* error, std::size_t capacity) noexcept {
  static_assert(std::is_base_of_v<Stage, T>,
                "OI_REGISTER_STAGE registers oi::Stage classes. For a HAL device "
                "(a class derived from oi::hal::Device, XrayScanner or Camera) use "
                "OI_REGISTER_DEVICE_DRIVER(Class, \"type.name\", \"summary\") from <oi/hal/driver.hpp>");
  try {
    Stage* stage = new T();
    return stage;
  } catch (const std::exception& e) {
    std::snprintf(error, capacity, "%s", e.what());
  } catch (...) {
    std::snprintf(error, capacity, "unknown exception");
  }
  return nullptr;
}

template <class T>
void destroy(void* object) noexcept {
  delete static_cast<Stage*>(object);
}

struct Registrar {
  Registrar(const char* type_name, oi_factory_kind kind, const char* summary, oi_create_fn create,
            oi_destroy_fn destroy) {
    local_factories().push_back(
        oi_factory_info{type_name, static_cast<uint32_t>(kind), summary, create, destroy});
  }
};

}  // namespace oi::plugin_detail

#define OI_DETAIL_CONCAT2(a, b) a##b
#define OI_DETAIL_CONCAT(a, b) OI_DETAIL_CONCAT2(a, b)

/// Registers `CLASS` (an oi::Stage with a default constructor) as stage type `TYPE_NAME`.
#define OI_REGISTER_STAGE(CLASS, TYPE_NAME, SUMMARY)                                     \
  static const ::oi::plugin_detail::Registrar OI_DETAIL_CONCAT(oi_registrar_, __LINE__)( \
      TYPE_NAME, OI_FACTORY_STAGE, SUMMARY, &::oi::plugin_detail::create<CLASS>,         \
      &::oi::plugin_detail::destroy<CLASS>)

/// Internal: registers a source stage as driver type `TYPE_NAME`. Device drivers use
/// OI_REGISTER_DEVICE_DRIVER (<oi/hal/driver.hpp>), which wraps the device in the supervisor.
#define OI_DETAIL_REGISTER_SOURCE(CLASS, TYPE_NAME, SUMMARY)                             \
  static const ::oi::plugin_detail::Registrar OI_DETAIL_CONCAT(oi_registrar_, __LINE__)( \
      TYPE_NAME, OI_FACTORY_DRIVER, SUMMARY, &::oi::plugin_detail::create<CLASS>,        \
      &::oi::plugin_detail::destroy<CLASS>)

/// Removed: it registered a bare source without supervisor, `oi devices` entry or
/// conformance. A device driver is a class derived from oi::hal::Device (XrayScanner,
/// Camera) registered with OI_REGISTER_DEVICE_DRIVER from <oi/hal/driver.hpp>.
#define OI_REGISTER_DRIVER(CLASS, TYPE_NAME, SUMMARY)                                                  \
  static_assert(sizeof(CLASS) == 0,                                                                    \
                "OI_REGISTER_DRIVER was removed: derive the driver from oi::hal::XrayScanner, Camera " \
                "or Device and register it with OI_REGISTER_DEVICE_DRIVER from <oi/hal/driver.hpp>")

/// Defines the plugin's exported entry point. Use once per plugin library.
#define OI_PLUGIN(NAME, VERSION, LICENSE)                                                     \
  extern "C" __attribute__((visibility("default"))) const oi_plugin_info* oi_plugin_entry() { \
    static oi_plugin_info info{};                                                             \
    const auto& factories = ::oi::plugin_detail::local_factories();                           \
    info.abi_version = OI_PLUGIN_ABI_VERSION;                                                 \
    info.struct_size = sizeof(oi_plugin_info);                                                \
    info.name = NAME;                                                                         \
    info.version = VERSION;                                                                   \
    info.license = LICENSE;                                                                   \
    info.sdk_version = ::oi::kSdkVersion;                                                     \
    info.cxx_abi = OI_CXX_ABI_ID;                                                             \
    info.factory_count = factories.size();                                                    \
    info.factories = factories.data();                                                        \
    return &info;                                                                             \
  }
