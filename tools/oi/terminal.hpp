#pragma once
// Small helpers for talking to a person at a terminal.

#include <nlohmann/json.hpp>
#include <string>

#include "oi/plugin_registry.hpp"

namespace oi::cli {

/// True when stderr is a terminal (progress lines go there, never into pipes or files).
bool stderr_is_terminal();
/// Prints a warning on stderr for every plugin that failed to load, once per process.
void warn_about_failed_plugins(const PluginRegistry& registry);
/// JSON text that never throws: strings from plugins and file names may be invalid UTF-8.
std::string json_text(const nlohmann::json& value, int indent = -1);
/// "12.3 s", "1.2 ms", ...
std::string format_duration(double seconds);

}  // namespace oi::cli
