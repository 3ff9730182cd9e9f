#pragma once
/// @file
/// The pipeline graph described in YAML, and its loader. Loading validates everything before
/// anything runs and reports every problem at once as "FILE:LINE:COL: message".

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "oi/error.hpp"
#include "oi/params.hpp"

namespace oi {

class PluginRegistry;

/// What a connection does when its queue is full.
enum class QueuePolicy {
  kBlock,       ///< the producer waits: lossless (default)
  kDropOldest,  ///< the oldest queued frame is dropped and counted
  kLatest,      ///< only the newest frame is kept; every replaced frame is counted as dropped
};

/// "block", "drop_oldest", "latest".
std::string_view to_string(QueuePolicy policy);

/// A device or stage in the graph.
struct NodeSpec {
  std::string name;        ///< unique across devices and stages
  std::string type;        ///< registered type name (driver type for devices)
  bool is_device = false;  ///< declared under `devices:`
  std::string uri;         ///< devices: which device to open
  ParamSet params;         ///< validated, defaults filled in
  SourceLocation where;    ///< where the node is declared
};

/// A connection between an output port and an input port.
struct ConnectionSpec {
  std::string from_node;     ///< producing node
  std::string from_port;     ///< its output port
  std::string to_node;       ///< consuming node
  std::string to_port;       ///< its input port
  std::size_t capacity = 4;  ///< queue capacity in frames (>= 1)
  QueuePolicy policy = QueuePolicy::kBlock;
  SourceLocation where;  ///< where the connection is declared

  /// "node.port".
  std::string from() const { return from_node + "." + from_port; }
  /// "node.port".
  std::string to() const { return to_node + "." + to_port; }
};

/// A loaded, validated pipeline.
struct PipelineSpec {
  std::filesystem::path file;                      ///< the YAML file ("<string>" for text)
  std::vector<std::filesystem::path> plugin_dirs;  ///< `plugins:` entries, resolved
  std::vector<NodeSpec> nodes;                     ///< devices first, then stages, file order
  std::vector<ConnectionSpec> connections;         ///< file order

  /// Node by name, or nullptr.
  const NodeSpec* find_node(std::string_view name) const;
};

/// A `--set NODE.PARAM=VALUE` override. VALUE is read as a YAML scalar or flow sequence.
struct ParamOverride {
  std::string node;   ///< node name
  std::string param;  ///< parameter name
  std::string value;  ///< the text after '='
};

/// Parses "NODE.PARAM=VALUE"; throws oi::ConfigError explaining the expected form.
ParamOverride parse_override(std::string_view text);

/// Loads and validates a pipeline file. First loads the plugin directories named under
/// `plugins:` (relative to the file) into `registry`, then checks types, parameters, ports,
/// connections and cycles, then applies `overrides`. Throws oi::ConfigError carrying every
/// problem found.
PipelineSpec load_pipeline(const std::filesystem::path& file, PluginRegistry& registry,
                           const std::vector<ParamOverride>& overrides = {});

/// Same as load_pipeline() for YAML text; `file_name` is used in messages and relative
/// paths resolve against `base_dir`.
PipelineSpec load_pipeline_text(std::string_view yaml, std::string_view file_name,
                                const std::filesystem::path& base_dir, PluginRegistry& registry,
                                const std::vector<ParamOverride>& overrides = {});

}  // namespace oi
