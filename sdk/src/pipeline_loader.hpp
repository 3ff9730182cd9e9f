#pragma once
// The pipeline YAML loader behind oi::load_pipeline(). It reads the whole document, records
// every problem with its position and only then throws, so a user fixes all of them in one
// pass. Split over pipeline_loader.cpp (document, plugins, nodes, parameters, overrides) and
// pipeline_connections.cpp (connections, ports, cycles). Internal to the SDK.

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "yaml_diagnostics.hpp"

namespace oi {

/// Node names: a letter or '_', then letters, digits, '_' and '-'.
bool is_valid_node_name(std::string_view name);

/// Loads one pipeline document. Use once.
class PipelineLoader {
 public:
  /// `file_label` names the document in messages; relative paths resolve against `base_dir`.
  PipelineLoader(std::string file_label, std::filesystem::path base_dir, PluginRegistry& registry);

  /// Parses, validates and applies `overrides`; throws oi::ConfigError with every problem.
  PipelineSpec load(const std::string& yaml_text, const std::vector<ParamOverride>& overrides);

 private:
  // A device or stage as declared, with what validation learned about it.
  struct DeclaredNode {
    NodeSpec spec;
    const TypeInfo* type = nullptr;            // nullptr when unknown (already reported)
    YAML::Mark name_mark;                      // the node's key: where node-level problems point
    std::map<std::string, ParamValue> values;  // file values, then overrides
    // Parameters given a value, valid or not, and whether `params:` could be read at all:
    // a wrong value must not also be reported as a missing one.
    std::set<std::string> given;
    bool params_unreadable = false;
  };
  // A connection whose endpoints have been parsed; ports are null when unresolved.
  struct DeclaredConnection {
    ConnectionSpec spec;
    YAML::Mark mark;                     // the list item
    YAML::Mark from_mark, to_mark;       // the endpoint values
    const DeclaredNode* from = nullptr;  // null when the endpoint is unusable
    const DeclaredNode* to = nullptr;
    const PortSpec* from_port = nullptr;  // null when the port is unknown or unchecked
    const PortSpec* to_port = nullptr;
  };

  // pipeline_loader.cpp
  void check_tags(const YAML::Node& root);
  void read_document(const YAML::Node& root);
  void load_plugins(const MapEntry& entry);
  void read_nodes(const MapEntry& section, bool devices);
  void read_node(const MapEntry& entry, bool devices);
  void resolve_type(DeclaredNode& node, const MapEntry& type_entry);
  void read_params(DeclaredNode& node, const MapEntry& params);
  void apply_override(const ParamOverride& override_);
  void finish_params(DeclaredNode& node);
  void validate_node(const DeclaredNode& node);
  std::string describe(const DeclaredNode& node) const;
  DeclaredNode* find_declared(std::string_view name);

  // pipeline_connections.cpp
  void read_connections(const MapEntry& section);
  void read_connection(const YAML::Node& item);
  bool read_endpoint(const MapEntry& entry, bool output, DeclaredConnection& connection);
  void check_inputs();
  // False when it reported a cycle.
  bool check_cycles();
  // Connections after outputs whose kind follows an input (PortSpec::kind_follows): checked
  // against the kinds that really reach them. Only on an acyclic graph.
  void check_followed_kinds();
  PortType kinds_leaving(const DeclaredNode* node, const PortSpec& output, std::size_t depth) const;

  std::filesystem::path base_dir_;
  PluginRegistry& registry_;
  DiagnosticList diagnostics_;
  std::vector<std::filesystem::path> plugin_dirs_;
  // Declaration order; devices come first in the result because the document's `devices:`
  // section is read before `stages:` whatever their order in the file.
  std::vector<DeclaredNode> devices_;
  std::vector<DeclaredNode> stages_;
  std::vector<DeclaredConnection> connections_;
};

}  // namespace oi
