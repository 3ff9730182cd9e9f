#pragma once
// Loads and runs a pipeline file with a registry the test filled, for tests of sinks and
// drivers: the run's result and every stage's summary by node name. A configuration error
// (a bad parameter, a key others may read) comes back as a failed result, not an exception.
#include <filesystem>
#include <nlohmann/json.hpp>

#include "oi/pipeline.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::test {

struct PipelineRun {
  RunResult result;
  nlohmann::json summaries = nlohmann::json::object();  ///< {"<node>": summary()}
};

PipelineRun run_pipeline_file(const std::filesystem::path& file, PluginRegistry& registry,
                              const RunOptions& options = {});

}  // namespace oi::test
