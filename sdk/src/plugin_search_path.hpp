#pragma once
// Where plugins are looked for by default. Internal to the SDK.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oi {

/// `<folder of the running libopeninspect_sdk.so>/openinspect/plugins`. The build tree
/// mirrors the install layout (lib/libopeninspect_sdk.so next to lib/openinspect/plugins/),
/// so this one rule finds the installed plugins and, when run from a build tree, the ones
/// built there. nullopt when the SDK cannot tell where it was loaded from.
std::optional<std::filesystem::path> sdk_plugin_directory();

/// The entries of an OI_PLUGIN_PATH value, in order: split at ':', empty entries dropped
/// (unlike PATH, an empty entry never means the current directory).
std::vector<std::string> split_plugin_path(std::string_view value);

}  // namespace oi
