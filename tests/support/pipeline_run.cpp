#include "pipeline_run.hpp"

#include "oi/error.hpp"
#include "oi/pipeline_spec.hpp"

namespace oi::test {

PipelineRun run_pipeline_file(const std::filesystem::path& file, PluginRegistry& registry,
                              const RunOptions& options) {
  PipelineRun run;
  try {
    PipelineSpec spec = load_pipeline(file, registry);
    Pipeline pipeline(spec, registry);
    run.result = pipeline.run(options);
    for (const auto& [name, summary] : pipeline.stage_summaries()) run.summaries[name] = summary;
  } catch (const Error& e) {
    run.result.ok = false;
    run.result.error = e.what();
  }
  return run;
}

}  // namespace oi::test
