#include "terminal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace oi::cli {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void warn_about_failed_plugins(const PluginRegistry& registry) {
  for (const PluginRecord& plugin : registry.plugins()) {
    if (plugin.error) {
      // The error starts with the file name; the folder says which search location it came from.
      fmt::print(stderr, "warning: plugin not loaded: {} (in {})\n", *plugin.error,
                 plugin.path.parent_path().string());
    }
  }
}

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string format_duration(double seconds) {
  if (seconds >= 1.0) return fmt::format("{:.1f} s", seconds);
  if (seconds >= 1e-3) return fmt::format("{:.1f} ms", seconds * 1e3);
  return fmt::format("{:.1f} us", seconds * 1e6);
}

}  // namespace oi::cli
