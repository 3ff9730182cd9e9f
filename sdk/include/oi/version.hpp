#pragma once
/// @file
/// SDK version and the plugin ABI version that the host and plugins must agree on.

#include <cstdint>

#include "oi/plugin_abi.h"

namespace oi {

/// Semantic version of the SDK, e.g. "0.1.0".
inline constexpr const char* kSdkVersion = "0.1.0";

/// ABI version of the plugin boundary. Bumped on any change to `oi_plugin_info`, `Stage`,
/// `StageContext`, `Frame` or any other type whose layout crosses the boundary.
inline constexpr std::uint32_t kPluginAbiVersion = OI_PLUGIN_ABI_VERSION;

}  // namespace oi
