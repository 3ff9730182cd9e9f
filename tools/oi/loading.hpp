#pragma once
// Loading plugins and pipelines the way every `oi` command does, with errors printed for a
// person: every problem on its own "FILE:LINE:COL: message" line.

#include <optional>
#include <string>
#include <vector>

#include "oi/error.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::cli {

/// Prints a ConfigError: one diagnostic per line on stderr.
void print_config_error(const ConfigError& error);

/// Loads plugins from the default locations, then the pipeline with its overrides. Prints
/// every problem and returns nullopt when the pipeline is invalid.
std::optional<PipelineSpec> load_pipeline_or_report(const std::string& file,
                                                    const std::vector<std::string>& sets,
                                                    PluginRegistry& registry);

}  // namespace oi::cli
