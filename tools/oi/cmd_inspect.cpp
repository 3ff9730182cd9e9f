#include <fmt/format.h>

#include <cstdio>

#include "commands.hpp"
#include "oi/plugin_registry.hpp"
#include "suggest.hpp"
#include "terminal.hpp"
#include "type_json.hpp"

namespace oi::cli {

nlohmann::json type_to_json(const TypeInfo& info) {
  auto ports = [](const std::vector<PortSpec>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const PortSpec& p : list) {
      out.push_back({{"name", p.name},
                     {"type", p.type.str()},
                     {"required", p.required},
                     {"multi_source", p.multi_source},
                     {"kind_follows",
                      p.kind_follows.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.kind_follows)},
                     {"description", p.description}});
    }
    return out;
  };
  nlohmann::json params = nlohmann::json::array();
  for (const ParamSpec& p : info.spec.params()) params.push_back(p.to_json());
  return {{"type", info.type_name},
          {"kind", to_string(info.kind)},
          {"summary", info.summary},
          {"description", info.spec.description()},
          {"plugin", info.plugin_name},
          {"plugin_path", info.plugin_path.string()},
          {"inputs", ports(info.spec.inputs())},
          {"outputs", ports(info.spec.outputs())},
          {"params", params}};
}

namespace {

void print_ports(const char* title, const std::vector<PortSpec>& ports) {
  fmt::print("{}:\n", title);
  if (ports.empty()) fmt::print("  (none)\n");
  for (const PortSpec& p : ports) {
    fmt::print("  {:<12} {:<28} {}{}{}{}\n", p.name, p.type.str(), p.description,
               p.required ? "" : " (optional)",
               p.multi_source ? " (several sources: one connection each)" : "",
               p.kind_follows.empty() ? "" : " (of the kind that reaches '" + p.kind_follows + "')");
  }
}

}  // namespace

int inspect_type(const std::string& type, bool json) {
  PluginRegistry registry;
  registry.load_default_locations();
  const TypeInfo* info = registry.find(type);
  if (info == nullptr) {
    std::vector<std::string> names = registry.type_names(FactoryKind::kStage);
    for (auto& n : registry.type_names(FactoryKind::kDriver)) names.push_back(n);
    const auto guess = closest_match(type, names);
    const auto failed = registry.failed_provider(type);
    fmt::print(stderr, "error: unknown type '{}'{}{}\n", type,
               guess ? fmt::format(" (did you mean '{}'?)", *guess) : "",
               failed ? ". " + *failed : std::string("; run `oi plugins` to list the loaded types"));
    warn_about_failed_plugins(registry);
    return kExitInvalid;
  }
  if (json) {
    fmt::print("{}\n", json_text(type_to_json(*info), 2));
    return kExitOk;
  }
  fmt::print("{} ({}, from {} {})\n", info->type_name, to_string(info->kind), info->plugin_name,
             info->plugin_path.empty() ? "" : info->plugin_path.string());
  fmt::print("  {}\n", info->summary);
  if (!info->spec.description().empty()) fmt::print("\n{}\n", info->spec.description());
  fmt::print("\n");
  print_ports("inputs", info->spec.inputs());
  print_ports("outputs", info->spec.outputs());
  fmt::print("parameters:\n");
  if (info->spec.params().empty()) fmt::print("  (none)\n");
  for (const ParamSpec& p : info->spec.params()) {
    const std::string def = p.required() ? "required" : "default " + json_text(*p.default_value());
    fmt::print("  {:<16} {:<32} {}\n", p.name(), p.type_description(), def);
    if (!p.description().empty()) fmt::print("  {:<16} {}\n", "", p.description());
  }
  return kExitOk;
}

}  // namespace oi::cli
