#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "oi/plugin_registry.hpp"
#include "terminal.hpp"

namespace oi::cli {

int list_plugins(bool json) {
  PluginRegistry registry;
  registry.load_default_locations();
  const auto& plugins = registry.plugins();
  bool any_failed = false;
  for (const PluginRecord& p : plugins) any_failed = any_failed || p.error.has_value();

  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const PluginRecord& p : plugins) {
      list.push_back({{"path", p.path.string()},
                      {"name", p.name},
                      {"version", p.version},
                      {"abi", p.abi},
                      {"types", p.types},
                      {"error", p.error ? nlohmann::json(*p.error) : nlohmann::json(nullptr)}});
    }
    fmt::print("{}\n", json_text(list, 2));
    return any_failed ? kExitInvalid : kExitOk;
  }

  for (const PluginRecord& p : plugins) {
    fmt::print("{}\n", p.path.string());
    if (p.error) {
      fmt::print("  NOT LOADED: {}\n", *p.error);
      continue;
    }
    fmt::print("  {} {} ({}, plugin ABI {})\n", p.name, p.version, p.license, p.abi);
    for (const std::string& type : p.types) {
      const TypeInfo* info = registry.find(type);
      fmt::print("  {:<22} {:<7} {}\n", type, info ? to_string(info->kind) : "?", info ? info->summary : "");
    }
  }
  if (plugins.empty()) fmt::print("no plugins found\n");
  fmt::print("searched:");
  for (const auto& dir : registry.searched_directories()) fmt::print(" {}", dir.string());
  fmt::print("\n");
  if (any_failed) fmt::print(stderr, "some plugins failed to load; see NOT LOADED above\n");
  return any_failed ? kExitInvalid : kExitOk;
}

}  // namespace oi::cli
