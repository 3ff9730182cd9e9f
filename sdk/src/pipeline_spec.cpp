#include "oi/pipeline_spec.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "oi/files.hpp"
#include "pipeline_loader.hpp"

namespace oi {

std::string_view to_string(QueuePolicy policy) {
  switch (policy) {
    case QueuePolicy::kBlock:
      return "block";
    case QueuePolicy::kDropOldest:
      return "drop_oldest";
    case QueuePolicy::kLatest:
      return "latest";
  }
  return "?";
}

const NodeSpec* PipelineSpec::find_node(std::string_view name) const {
  for (const NodeSpec& node : nodes) {
    if (node.name == name) return &node;
  }
  return nullptr;
}

ParamOverride parse_override(std::string_view text) {
  const std::size_t equals = text.find('=');
  const std::string_view target = text.substr(0, equals);
  const std::size_t dot = target.find('.');
  if (equals == std::string_view::npos || dot == std::string_view::npos ||
      !is_valid_node_name(target.substr(0, dot)) || dot + 1 == target.size()) {
    throw ConfigError("--set " + std::string(text) +
                      ": expected NODE.PARAM=VALUE, e.g. --set scanner.source_kv=140 or "
                      "--set detect.sizes=[1,2]");
  }
  return ParamOverride{std::string(target.substr(0, dot)), std::string(target.substr(dot + 1)),
                       std::string(text.substr(equals + 1))};
}

PipelineSpec load_pipeline(const std::filesystem::path& file, PluginRegistry& registry,
                           const std::vector<ParamOverride>& overrides) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    throw ConfigError({Diagnostic{{file.string(), 0, 0},
                                  "cannot read the pipeline file: it is a folder; name the "
                                  "YAML file inside it"}});
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ConfigError({Diagnostic{{file.string(), 0, 0},
                                  "cannot read the pipeline file: " + std::string(std::strerror(error)) +
                                      ": " + read_error_advice(error)}});
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError({Diagnostic{{file.string(), 0, 0}, "cannot read the pipeline file: read error"}});
  }
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  PipelineSpec spec = PipelineLoader(file.string(), dir, registry).load(text.str(), overrides);
  spec.file = file;
  return spec;
}

PipelineSpec load_pipeline_text(std::string_view yaml, std::string_view file_name,
                                const std::filesystem::path& base_dir, PluginRegistry& registry,
                                const std::vector<ParamOverride>& overrides) {
  return PipelineLoader(std::string(file_name), base_dir, registry).load(std::string(yaml), overrides);
}

}  // namespace oi
