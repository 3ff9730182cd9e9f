#include <fmt/format.h>

#include "commands.hpp"
#include "loading.hpp"

namespace oi::cli {

int validate_pipeline(const std::string& pipeline, const std::vector<std::string>& sets) {
  PluginRegistry registry;
  std::optional<PipelineSpec> spec = load_pipeline_or_report(pipeline, sets, registry);
  if (!spec) return kExitInvalid;
  std::size_t devices = 0;
  for (const NodeSpec& node : spec->nodes) devices += node.is_device ? 1 : 0;
  fmt::print("{}: valid ({} device{}, {} stage{}, {} connection{})\n", pipeline, devices,
             devices == 1 ? "" : "s", spec->nodes.size() - devices,
             spec->nodes.size() - devices == 1 ? "" : "s", spec->connections.size(),
             spec->connections.size() == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace oi::cli
