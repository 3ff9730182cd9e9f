#include "loading.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "terminal.hpp"

namespace oi::cli {

void print_config_error(const ConfigError& error) {
  for (const Diagnostic& d : error.diagnostics()) fmt::print(stderr, "{}\n", d.str());
}

std::optional<PipelineSpec> load_pipeline_or_report(const std::string& file,
                                                    const std::vector<std::string>& sets,
                                                    PluginRegistry& registry) {
  registry.load_default_locations();
  try {
    std::vector<ParamOverride> overrides;
    std::vector<Diagnostic> problems;
    for (const std::string& text : sets) {
      try {
        overrides.push_back(parse_override(text));
      } catch (const ConfigError& e) {
        problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
      }
    }
    // A malformed --set must not hide the file's own problems: check the file too and report
    // everything at once.
    try {
      PipelineSpec spec = load_pipeline(file, registry, overrides);
      if (problems.empty()) {
        warn_about_failed_plugins(registry);
        return spec;
      }
    } catch (const ConfigError& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
    throw ConfigError(std::move(problems));
  } catch (const ConfigError& e) {
    warn_about_failed_plugins(registry);
    print_config_error(e);
    fmt::print(stderr, "{}: invalid pipeline ({} problem{})\n", file, e.diagnostics().size(),
               e.diagnostics().size() == 1 ? "" : "s");
    return std::nullopt;
  }
}

}  // namespace oi::cli
