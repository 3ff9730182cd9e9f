#include "pipeline_loader.hpp"

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <utility>

#include "suggest.hpp"
#include "yaml_param.hpp"

namespace oi {
namespace {

// Parameter lists longer than this are not spelled out in "has no parameter" messages;
// `oi inspect TYPE` shows them.
constexpr std::size_t kListParamsUpTo = 10;

const std::vector<std::string> kTopLevelKeys = {"name",    "description", "plugins",
                                                "devices", "stages",      "connections"};
const std::vector<std::string> kDeviceKeys = {"driver", "uri", "params"};
const std::vector<std::string> kStageKeys = {"type", "params"};

bool is_name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }

std::vector<std::string> param_names(const StageSpec& spec) {
  std::vector<std::string> names;
  for (const ParamSpec& p : spec.params()) names.push_back(p.name());
  return names;
}

std::string no_such_param(const std::string& who, const std::string& param, const StageSpec& spec) {
  if (const std::string* new_name = spec.new_name_of(param)) {
    return who + " has no parameter '" + param + "': it was renamed '" + *new_name +
           "' (the standard name every driver of this kind uses); write `" + *new_name + ":` instead";
  }
  const std::vector<std::string> names = param_names(spec);
  std::string text = who + " has no parameter '" + param + "'" + did_you_mean(param, names);
  if (names.empty()) {
    text += "; it declares no parameters";
  } else if (names.size() <= kListParamsUpTo) {
    text += "; its parameters are " + quoted_list(names);
  } else {
    text += "; `oi inspect` lists its parameters";
  }
  return text;
}

// "parameter 'x' of stage 'y' expects ..." reads as a sentence; other problems ("value 9 is
// out of range", "element 2: ...") follow a colon.
std::string param_problem(const std::string& param, const std::string& who, const std::string& problem) {
  const std::string subject = "parameter '" + param + "' of " + who;
  return subject + (problem.rfind("expects", 0) == 0 ? " " : ": ") + problem;
}

// Where the first node of a document is, when the document holds anything.
class FirstNode final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> content;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { note(mark, false); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { note(mark, true); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t, const std::string&) override {
    note(mark, true);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    note(mark, true);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    note(mark, true);
  }
  void OnMapEnd() override {}

 private:
  void note(const YAML::Mark& mark, bool holds_something) {
    if (seen_) return;
    seen_ = true;
    if (holds_something) content = mark;
  }
  bool seen_ = false;
};

// The position of a second document that holds something (an empty one, a '---' at the end,
// holds nothing). Parses at most two documents: yaml-cpp's LoadAll() can loop forever on
// some malformed input. A second document that does not parse is reported where it fails.
std::optional<YAML::Mark> second_document(const std::string& yaml_text) {
  std::istringstream in(yaml_text);
  YAML::Parser parser(in);
  FirstNode first, second;
  try {
    if (!parser.HandleNextDocument(first) || !parser.HandleNextDocument(second)) return std::nullopt;
  } catch (const YAML::ParserException& e) {
    return e.mark;
  }
  return second.content;
}

}  // namespace

bool is_valid_node_name(std::string_view name) {
  if (name.empty() || !is_name_start(name[0])) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [](char c) { return is_name_start(c) || (c >= '0' && c <= '9') || c == '-'; });
}

PipelineLoader::PipelineLoader(std::string file_label, std::filesystem::path base_dir,
                               PluginRegistry& registry)
    : base_dir_(std::move(base_dir)), registry_(registry), diagnostics_(std::move(file_label)) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(base_dir_, ec);
  if (!ec) base_dir_ = absolute.lexically_normal();
}

PipelineSpec PipelineLoader::load(const std::string& yaml_text, const std::vector<ParamOverride>& overrides) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
    // Whatever follows the first document would be ignored without a word.
    if (const std::optional<YAML::Mark> second = second_document(yaml_text)) {
      diagnostics_.add(*second,
                       "a second YAML document (after '---'); a pipeline file holds exactly one: merge it "
                       "into the first or move it to a file of its own");
    }
  } catch (const YAML::ParserException& e) {
    // Nothing after a syntax error can be trusted; report it alone. yaml-cpp stops nesting at
    // a fixed depth and then says only "bad file" (text is parsed here, never a file).
    if (e.msg == YAML::ErrorMsg::BAD_FILE) {
      diagnostics_.add(Diagnostic{diagnostics_.location(YAML::Mark::null_mark()),
                                  "invalid YAML: nested too deeply (yaml-cpp stops at about 2000 levels of "
                                  "lists or maps inside each other); a pipeline needs a handful, is the file "
                                  "damaged?"});
    } else {
      diagnostics_.add(e.mark, "invalid YAML: " + e.msg);
    }
    diagnostics_.throw_if_any();
  }
  check_tags(root);
  read_document(root);
  for (const ParamOverride& override_ : overrides) apply_override(override_);
  for (DeclaredNode& node : devices_) finish_params(node);
  for (DeclaredNode& node : stages_) finish_params(node);
  check_inputs();
  if (check_cycles()) check_followed_kinds();
  // Stages check combinations of values themselves; only once every value is valid, since
  // they may rely on any of them.
  diagnostics_.throw_if_any();
  for (const DeclaredNode& node : devices_) validate_node(node);
  for (const DeclaredNode& node : stages_) validate_node(node);
  diagnostics_.throw_if_any();

  PipelineSpec spec;
  spec.file = diagnostics_.file();
  spec.plugin_dirs = plugin_dirs_;
  for (const DeclaredNode& node : devices_) spec.nodes.push_back(node.spec);
  for (const DeclaredNode& node : stages_) spec.nodes.push_back(node.spec);
  for (const DeclaredConnection& connection : connections_) {
    spec.connections.push_back(connection.spec);
  }
  return spec;
}

// Standard YAML tags (!!str, !!int, ...) and the non-specific '!' of a quoted value are read
// as the declarations say; any other tag (!custom, !<tag:...>) would be dropped silently.
void PipelineLoader::check_tags(const YAML::Node& root) {
  std::set<std::pair<int, int>> visited;  // an aliased node is checked once, however often it is used
  std::vector<YAML::Node> pending{root};
  while (!pending.empty()) {
    const YAML::Node node = pending.back();
    pending.pop_back();
    if (!node.IsDefined()) continue;
    const std::string& tag = node.Tag();
    const bool standard = tag.empty() || tag == "?" || tag == "!" || tag.rfind("tag:yaml.org,2002:", 0) == 0;
    if (!standard) {
      diagnostics_.add(node.Mark(), "the tag '" + tag +
                                        "' is not supported in a pipeline file: values are read as their "
                                        "parameter declares, so remove the tag");
    }
    if (!node.IsMap() && !node.IsSequence()) continue;
    if (!visited.insert({node.Mark().line, node.Mark().column}).second) continue;
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (node.IsMap()) {
        pending.push_back(it->first);
        pending.push_back(it->second);
      } else {
        pending.push_back(*it);
      }
    }
  }
}

void PipelineLoader::read_document(const YAML::Node& root) {
  if (root.IsNull()) {
    diagnostics_.add(Diagnostic{diagnostics_.location(YAML::Mark::null_mark()),
                                "the pipeline is empty: expected 'devices', 'stages' and "
                                "'connections' (see docs/pipeline-yaml.md)"});
    return;
  }
  if (!root.IsMap()) {
    diagnostics_.add(root.Mark(),
                     "expected a map with 'devices', 'stages' and 'connections' "
                     "at the top level, got " +
                         std::string(shape_name(root)));
    return;
  }
  const std::vector<MapEntry> entries =
      read_map(root, MapRules{"the pipeline", "key", kTopLevelKeys, ""}, diagnostics_);
  for (const char* key : {"name", "description"}) {
    const MapEntry* entry = find_entry(entries, key);
    if (entry && !entry->value.IsScalar() && !entry->value.IsNull()) {
      diagnostics_.add(entry->value_mark(), "'" + std::string(key) + "' must be text, got " +
                                                std::string(shape_name(entry->value)));
    }
  }
  // Plugins first: the types they provide are needed to check the nodes.
  if (const MapEntry* plugins = find_entry(entries, "plugins")) load_plugins(*plugins);
  if (const MapEntry* devices = find_entry(entries, "devices")) read_nodes(*devices, true);
  if (const MapEntry* stages = find_entry(entries, "stages")) read_nodes(*stages, false);
  if (devices_.empty() && stages_.empty() && diagnostics_.empty()) {
    diagnostics_.add(root.Mark(), "the pipeline declares no devices and no stages");
  }
  if (const MapEntry* connections = find_entry(entries, "connections")) {
    read_connections(*connections);
  }
}

void PipelineLoader::load_plugins(const MapEntry& entry) {
  if (entry.value.IsNull()) return;
  if (!entry.value.IsSequence()) {
    diagnostics_.add(entry.value_mark(),
                     "'plugins' must be a list of folders, e.g. "
                     "plugins: [../my_plugins], got " +
                         std::string(shape_name(entry.value)));
    return;
  }
  for (auto it = entry.value.begin(); it != entry.value.end(); ++it) {
    const YAML::Node& item = *it;
    if (!item.IsScalar() || item.Scalar().empty()) {
      diagnostics_.add(item.Mark(), "expected a plugin folder, got " + std::string(shape_name(item)));
      continue;
    }
    std::filesystem::path dir(item.Scalar());
    if (dir.is_relative()) dir = base_dir_ / dir;
    dir = dir.lexically_normal();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      diagnostics_.add(item.Mark(),
                       "plugin folder '" + item.Scalar() + "' (" + dir.string() + ") " +
                           (std::filesystem::exists(dir, ec) ? "is not a folder" : "does not exist"));
      continue;
    }
    try {
      registry_.load_directory(dir);
      plugin_dirs_.push_back(dir);
    } catch (const Error& e) {
      diagnostics_.add(item.Mark(), "cannot load plugins from '" + dir.string() + "': " + e.what());
    }
  }
}

void PipelineLoader::read_nodes(const MapEntry& section, bool devices) {
  if (section.value.IsNull()) return;
  if (!section.value.IsMap()) {
    diagnostics_.add(section.value_mark(), "'" + section.key + "' must be a map of node name -> " +
                                               (devices ? "device" : "stage") + ", got " +
                                               std::string(shape_name(section.value)));
    return;
  }
  const MapRules rules{"'" + section.key + "'", devices ? "device" : "stage", {}, ""};
  for (const MapEntry& entry : read_map(section.value, rules, diagnostics_)) {
    DiagnosticList::AliasUse alias(diagnostics_, entry);
    read_node(entry, devices);
  }
}

void PipelineLoader::read_node(const MapEntry& entry, bool devices) {
  DeclaredNode node;
  node.spec.name = entry.key;
  node.spec.is_device = devices;
  node.name_mark = entry.key_node.Mark();
  node.spec.where = diagnostics_.location(node.name_mark);
  if (!is_valid_node_name(entry.key)) {
    diagnostics_.add(node.name_mark, "invalid node name '" + entry.key +
                                         "': a name starts "
                                         "with a letter or '_' and continues with letters, digits, "
                                         "'_' or '-'");
  }
  if (const DeclaredNode* other = find_declared(entry.key)) {
    // Within a section read_map() already caught it; this is a device and a stage.
    diagnostics_.add(node.name_mark, "node name '" + entry.key + "' is already used by the " +
                                         (other->spec.is_device ? "device" : "stage") + " at " +
                                         describe_position(other->name_mark) +
                                         "; names must be unique across devices and stages");
    return;
  }
  const std::string who = describe(node);
  const char* type_key = devices ? "driver" : "type";
  if (!entry.value.IsMap()) {
    diagnostics_.add(entry.value_mark(), who + " must be a map with '" + type_key + "'" +
                                             (devices ? ", 'uri'" : "") + " and 'params', got " +
                                             std::string(shape_name(entry.value)));
  } else {
    const std::vector<MapEntry> keys =
        read_map(entry.value, MapRules{who, "key", devices ? kDeviceKeys : kStageKeys, ""}, diagnostics_);
    if (const MapEntry* type = find_entry(keys, type_key)) {
      DiagnosticList::AliasUse alias(diagnostics_, *type);
      resolve_type(node, *type);
    } else {
      diagnostics_.add(node.name_mark, who + " has no '" + type_key + "': name its " +
                                           (devices ? "driver type, e.g. driver: sim.xray"
                                                    : "stage type, e.g. type: xray.detect"));
    }
    if (const MapEntry* uri = find_entry(keys, "uri")) {
      if (uri->value.IsScalar()) {
        node.spec.uri = uri->value.Scalar();
      } else if (!uri->value.IsNull()) {
        diagnostics_.add(uri->value_mark(),
                         "the uri of " + who + " must be text, got " + std::string(shape_name(uri->value)));
      }
    }
    if (const MapEntry* params = find_entry(keys, "params")) {
      DiagnosticList::AliasUse alias(diagnostics_, *params);
      read_params(node, *params);
    }
  }
  (devices ? devices_ : stages_).push_back(std::move(node));
}

void PipelineLoader::resolve_type(DeclaredNode& node, const MapEntry& type_entry) {
  const bool device = node.spec.is_device;
  const std::string kind_word = device ? "driver" : "stage";
  if (!type_entry.value.IsScalar() || type_entry.value.Scalar().empty()) {
    diagnostics_.add(type_entry.value_mark(), "expected a " + kind_word + " type name, got " +
                                                  std::string(shape_name(type_entry.value)));
    return;
  }
  const std::string& name = type_entry.value.Scalar();
  node.spec.type = name;
  const TypeInfo* info = registry_.find(name);
  const FactoryKind wanted = device ? FactoryKind::kDriver : FactoryKind::kStage;
  if (info && info->kind == wanted) {
    node.type = info;
    return;
  }
  if (info) {
    diagnostics_.add(type_entry.value.Mark(),
                     "'" + name + "' is a " + std::string(to_string(info->kind)) + " type, not a " +
                         kind_word + " type; declare '" + node.spec.name + "' under " +
                         (device ? "stages: with type: " : "devices: with driver: ") + name);
    return;
  }
  const std::optional<std::string> failed = registry_.failed_provider(name);
  diagnostics_.add(type_entry.value.Mark(),
                   "unknown " + kind_word + " type '" + name + "'" +
                       did_you_mean(name, registry_.type_names(wanted)) +
                       (failed ? ". " + *failed : std::string("; run `oi plugins` to see what is loaded")));
}

void PipelineLoader::read_params(DeclaredNode& node, const MapEntry& params) {
  const std::string who = describe(node);
  if (params.value.IsNull()) return;
  if (!params.value.IsMap()) {
    node.params_unreadable = true;
    diagnostics_.add(params.value_mark(), "params of " + who +
                                              " must be a map of name: value, "
                                              "got " +
                                              std::string(shape_name(params.value)));
    return;
  }
  const std::vector<MapEntry> entries =
      read_map(params.value, MapRules{"params of " + who, "parameter", {}, ""}, diagnostics_);
  // Without a known type there is nothing to check the values against.
  if (!node.type) return;
  for (const MapEntry& entry : entries) {
    DiagnosticList::AliasUse alias(diagnostics_, entry);
    node.given.insert(entry.key);
    const ParamSpec* spec = node.type->spec.find_param(entry.key);
    if (!spec) {
      diagnostics_.add(entry.key_node.Mark(),
                       no_such_param(who + " (" + node.spec.type + ")", entry.key, node.type->spec));
      continue;
    }
    ParamConversion converted = convert_param(entry.value, *spec, base_dir_);
    if (!converted.value) {
      diagnostics_.add(converted.where.value_or(entry.value_mark()),
                       param_problem(entry.key, who, converted.problem));
      continue;
    }
    node.values[entry.key] = std::move(*converted.value);
  }
}

void PipelineLoader::apply_override(const ParamOverride& override_) {
  Diagnostic problem;
  problem.where.file = "--set " + override_.node + "." + override_.param + "=" + override_.value;
  DeclaredNode* node = find_declared(override_.node);
  if (!node) {
    std::vector<std::string> names;
    for (const auto* list : {&devices_, &stages_}) {
      for (const DeclaredNode& n : *list) names.push_back(n.spec.name);
    }
    problem.message =
        "no device or stage is named '" + override_.node + "'" + did_you_mean(override_.node, names);
    diagnostics_.add(std::move(problem));
    return;
  }
  // A device's URI is not a parameter but the same need: run one pipeline against another
  // device (`--set scanner.uri=genicam://lane2`).
  if (node->spec.is_device && override_.param == "uri" &&
      (!node->type || node->type->spec.find_param("uri") == nullptr)) {
    node->spec.uri = override_.value;
    return;
  }
  if (!node->type) return;  // its type is unknown, which is reported already
  const std::string who = describe(*node);
  const ParamSpec* spec = node->type->spec.find_param(override_.param);
  if (!spec) {
    problem.message = no_such_param(who + " (" + node->spec.type + ")", override_.param, node->type->spec);
    diagnostics_.add(std::move(problem));
    return;
  }
  node->given.insert(override_.param);
  YAML::Node value;
  try {
    value = YAML::Load(override_.value);
  } catch (const YAML::Exception& e) {
    problem.message =
        "cannot read the value of parameter '" + override_.param + "' of " + who + " as YAML: " + e.msg;
    diagnostics_.add(std::move(problem));
    return;
  }
  // Paths typed on a command line are relative to where the command runs, as the shell's
  // own completion assumes.
  std::error_code ec;
  std::filesystem::path cwd = std::filesystem::current_path(ec);
  ParamConversion converted = convert_param(value, *spec, ec ? base_dir_ : cwd);
  if (!converted.value) {
    problem.message = param_problem(override_.param, who, converted.problem);
    diagnostics_.add(std::move(problem));
    return;
  }
  node->values[override_.param] = std::move(*converted.value);
}

void PipelineLoader::finish_params(DeclaredNode& node) {
  if (!node.type) return;
  for (const ParamSpec& spec : node.type->spec.params()) {
    if (node.values.count(spec.name()) != 0) continue;
    if (node.given.count(spec.name()) != 0 || node.params_unreadable) continue;
    if (spec.default_value()) {
      node.values[spec.name()] = resolve_paths(spec, *spec.default_value(), base_dir_);
      continue;
    }
    diagnostics_.add(node.name_mark, describe(node) + " (" + node.spec.type + ") needs parameter '" +
                                         spec.name() + "' (" + spec.type_description() +
                                         "): set it under params: or "
                                         "with --set " +
                                         node.spec.name + "." + spec.name() + "=VALUE");
  }
  node.spec.params = ParamSet(node.values);
}

void PipelineLoader::validate_node(const DeclaredNode& node) {
  std::vector<std::string> problems;
  try {
    std::unique_ptr<Stage> stage = registry_.create(node.spec.type);
    // setup() binds the object's parameters, so validate() sees this node's values.
    StageSpec declared;
    stage->setup(declared);
    problems = stage->validate(
        StageConfig{node.spec.name, node.spec.type, node.spec.uri, node.spec.params, base_dir_, {}});
  } catch (const std::exception& e) {
    problems.push_back(e.what());
  }
  for (const std::string& problem : problems) {
    diagnostics_.add(node.name_mark, describe(node) + " (" + node.spec.type + "): " + problem);
  }
}

std::string PipelineLoader::describe(const DeclaredNode& node) const {
  return (node.spec.is_device ? "device '" : "stage '") + node.spec.name + "'";
}

PipelineLoader::DeclaredNode* PipelineLoader::find_declared(std::string_view name) {
  for (auto* list : {&devices_, &stages_}) {
    for (DeclaredNode& node : *list) {
      if (node.spec.name == name) return &node;
    }
  }
  return nullptr;
}

}  // namespace oi
