// Connections of a pipeline: endpoints, port directions and types, one producer per input,
// required inputs, cycles. Part of PipelineLoader (see pipeline_loader.hpp).

#include <algorithm>
#include <deque>
#include <limits>
#include <optional>

#include "pipeline_loader.hpp"
#include "suggest.hpp"
#include "yaml_param.hpp"

namespace oi {
namespace {

const std::vector<std::string> kConnectionKeys = {"from", "to", "capacity", "policy"};
const std::vector<std::string> kPolicies = {"block", "drop_oldest", "latest"};

std::vector<std::string> port_names(const std::vector<PortSpec>& ports) {
  std::vector<std::string> names;
  for (const PortSpec& p : ports) names.push_back(p.name);
  return names;
}

int port_index(const std::vector<PortSpec>& ports, std::string_view name) {
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (ports[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string list_ports(const std::vector<PortSpec>& ports, const std::string& direction) {
  if (ports.empty()) return "it has no " + direction + "s";
  return "its " + direction + "s: " + quoted_list(port_names(ports));
}

}  // namespace

void PipelineLoader::read_connections(const MapEntry& section) {
  if (section.value.IsNull()) return;
  if (!section.value.IsSequence()) {
    diagnostics_.add(section.value_mark(),
                     "'connections' must be a list of "
                     "'- from: NODE.PORT' / 'to: NODE.PORT' items, got " +
                         std::string(shape_name(section.value)));
    return;
  }
  for (auto it = section.value.begin(); it != section.value.end(); ++it) read_connection(*it);
}

void PipelineLoader::read_connection(const YAML::Node& item) {
  if (!item.IsMap()) {
    diagnostics_.add(item.Mark(),
                     "a connection is a map with 'from' and 'to', got " + std::string(shape_name(item)));
    return;
  }
  DeclaredConnection connection;
  connection.mark = item.Mark();
  connection.spec.where = diagnostics_.location(item.Mark());
  const std::vector<MapEntry> keys =
      read_map(item, MapRules{"a connection", "key", kConnectionKeys, ""}, diagnostics_);

  bool endpoints_ok = true;
  for (bool output : {true, false}) {
    const char* key = output ? "from" : "to";
    if (const MapEntry* entry = find_entry(keys, key)) {
      endpoints_ok = read_endpoint(*entry, output, connection) && endpoints_ok;
    } else {
      diagnostics_.add(item.Mark(),
                       std::string("connection has no '") + key + "': write " + key + ": NODE.PORT");
      endpoints_ok = false;
    }
  }

  if (const MapEntry* capacity = find_entry(keys, "capacity")) {
    std::optional<ParamValue> value;
    if (capacity->value.IsScalar()) value = scalar_value(capacity->value);
    if (value && value->is_number_integer() && value->get<std::int64_t>() >= 1) {
      connection.spec.capacity = static_cast<std::size_t>(value->get<std::int64_t>());
    } else {
      diagnostics_.add(capacity->value_mark(),
                       "capacity must be a whole number of frames >= 1, got " +
                           (value ? value->dump() : std::string(shape_name(capacity->value))));
    }
  }
  if (const MapEntry* policy = find_entry(keys, "policy")) {
    const std::string text = policy->value.IsScalar() ? policy->value.Scalar() : "";
    if (text == "block") {
      connection.spec.policy = QueuePolicy::kBlock;
    } else if (text == "drop_oldest") {
      connection.spec.policy = QueuePolicy::kDropOldest;
    } else if (text == "latest") {
      connection.spec.policy = QueuePolicy::kLatest;
    } else {
      const std::string got =
          policy->value.IsScalar() ? "'" + text + "'" : std::string(shape_name(policy->value));
      diagnostics_.add(policy->value_mark(), "unknown queue policy " + got + did_you_mean(text, kPolicies) +
                                                 "; expected " + quoted_list(kPolicies));
    }
  }

  if (endpoints_ok && connection.to_port) {
    for (const DeclaredConnection& earlier : connections_) {
      if (earlier.to == connection.to && earlier.spec.to_port == connection.spec.to_port) {
        if (connection.to_port->multi_source) {
          if (earlier.spec.from() != connection.spec.from()) continue;
          diagnostics_.add(connection.to_mark,
                           "input " + connection.spec.to() + " is already fed by " + earlier.spec.from() +
                               " (" + describe_position(earlier.mark) + "); connect each source once");
          endpoints_ok = false;
          break;
        }
        diagnostics_.add(
            connection.to_mark,
            "input " + connection.spec.to() + " is already fed by " + earlier.spec.from() + " (" +
                describe_position(earlier.mark) +
                "); this input takes one producer (inputs that take several, one per "
                "source, say so in `oi inspect`), so merge streams in a stage with several inputs");
        endpoints_ok = false;
        break;
      }
    }
  }
  if (endpoints_ok && connection.from_port && connection.to_port &&
      !connection.to_port->type.accepts(connection.from_port->type)) {
    diagnostics_.add(connection.mark, connection.spec.from() + " produces " +
                                          connection.from_port->type.str() + " but " + connection.spec.to() +
                                          " accepts " + connection.to_port->type.str());
  }
  connections_.push_back(std::move(connection));
}

bool PipelineLoader::read_endpoint(const MapEntry& entry, bool output, DeclaredConnection& connection) {
  const YAML::Mark mark = entry.value_mark();
  (output ? connection.from_mark : connection.to_mark) = mark;
  const std::string text = entry.value.IsScalar() ? entry.value.Scalar() : "";
  const std::size_t dot = text.find('.');
  const std::string node_name = text.substr(0, dot);
  const std::string port = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (!entry.value.IsScalar() || dot == std::string::npos || !is_valid_node_name(node_name) || port.empty() ||
      port.find('.') != std::string::npos) {
    const std::string got = entry.value.IsScalar() ? "'" + text + "'" : std::string(shape_name(entry.value));
    diagnostics_.add(
        mark, "malformed endpoint " + got + " in '" + entry.key + "': expected NODE.PORT, e.g. scanner.out");
    return false;
  }
  (output ? connection.spec.from_node : connection.spec.to_node) = node_name;
  (output ? connection.spec.from_port : connection.spec.to_port) = port;

  const DeclaredNode* node = find_declared(node_name);
  if (!node) {
    std::vector<std::string> names;
    for (const auto* list : {&devices_, &stages_}) {
      for (const DeclaredNode& n : *list) names.push_back(n.spec.name);
    }
    diagnostics_.add(
        mark, "unknown node '" + node_name + "' in '" + entry.key + "'" + did_you_mean(node_name, names));
    return false;
  }
  (output ? connection.from : connection.to) = node;
  if (!node->type) return true;  // unknown type, reported already: its ports are unknown

  const StageSpec& spec = node->type->spec;
  const std::vector<PortSpec>& wanted = output ? spec.outputs() : spec.inputs();
  const std::vector<PortSpec>& other = output ? spec.inputs() : spec.outputs();
  const std::string direction = output ? "output" : "input";
  const int index = port_index(wanted, port);
  if (index >= 0) {
    (output ? connection.from_port : connection.to_port) = &wanted[index];
    return true;
  }
  const std::string who = describe(*node) + " (" + node->spec.type + ")";
  if (port_index(other, port) >= 0) {
    diagnostics_.add(mark, text + " is an " + (output ? "input" : "output") + " of " + who + "; '" +
                               entry.key + "' takes an " + direction + " (" + list_ports(wanted, direction) +
                               ")");
  } else {
    diagnostics_.add(mark, who + " has no " + direction + " '" + port + "'" +
                               did_you_mean(port, port_names(wanted)) + "; " + list_ports(wanted, direction));
  }
  return false;
}

void PipelineLoader::check_inputs() {
  for (const DeclaredNode& node : stages_) {
    if (!node.type) continue;
    bool has_bad_target = false;
    for (const DeclaredConnection& c : connections_) {
      if (c.to == &node && !c.to_port) has_bad_target = true;
    }
    // A misspelled `to:` port was reported already; "not connected" would only repeat it.
    if (has_bad_target) continue;
    for (const PortSpec& input : node.type->spec.inputs()) {
      if (!input.required) continue;
      const bool fed = std::any_of(connections_.begin(), connections_.end(),
                                   [&](const auto& c) { return c.to == &node && c.to_port == &input; });
      if (!fed) {
        diagnostics_.add(node.name_mark, "input " + node.spec.name + "." + input.name + " (" +
                                             input.type.str() +
                                             ") is not connected; add a "
                                             "connection with to: " +
                                             node.spec.name + "." + input.name);
      }
    }
  }
}

bool PipelineLoader::check_cycles() {
  // Tarjan's strongly connected components, iteratively so that no input can exhaust the
  // stack. A component with more than one node, or a node feeding itself, is a cycle.
  std::vector<const DeclaredNode*> nodes;
  for (const auto* list : {&devices_, &stages_}) {
    for (const DeclaredNode& n : *list) nodes.push_back(&n);
  }
  const std::size_t n = nodes.size();
  auto index_of = [&](const DeclaredNode* node) {
    return static_cast<std::size_t>(std::find(nodes.begin(), nodes.end(), node) - nodes.begin());
  };
  std::vector<std::vector<std::size_t>> edges(n);
  std::vector<bool> self_loop(n, false);
  for (const DeclaredConnection& c : connections_) {
    if (!c.from || !c.to) continue;
    const std::size_t a = index_of(c.from), b = index_of(c.to);
    edges[a].push_back(b);
    if (a == b) self_loop[a] = true;
  }

  constexpr std::size_t kUnset = std::numeric_limits<std::size_t>::max();
  std::vector<std::size_t> index(n, kUnset), low(n, 0), component(n, kUnset);
  std::vector<bool> on_stack(n, false);
  std::vector<std::size_t> stack;
  std::vector<std::vector<std::size_t>> components;
  std::size_t counter = 0;
  for (std::size_t start = 0; start < n; ++start) {
    if (index[start] != kUnset) continue;
    std::vector<std::pair<std::size_t, std::size_t>> work{{start, 0}};  // node, next edge
    while (!work.empty()) {
      auto& [v, next] = work.back();
      if (next == 0) {
        index[v] = low[v] = counter++;
        stack.push_back(v);
        on_stack[v] = true;
      }
      if (next < edges[v].size()) {
        const std::size_t w = edges[v][next++];
        if (index[w] == kUnset) {
          work.emplace_back(w, 0);
        } else if (on_stack[w]) {
          low[v] = std::min(low[v], index[w]);
        }
        continue;
      }
      if (low[v] == index[v]) {
        std::vector<std::size_t> members;
        std::size_t w = kUnset;
        do {
          w = stack.back();
          stack.pop_back();
          on_stack[w] = false;
          component[w] = components.size();
          members.push_back(w);
        } while (w != v);
        components.push_back(std::move(members));
      }
      const std::size_t done = v;
      work.pop_back();
      if (!work.empty()) low[work.back().first] = std::min(low[work.back().first], low[done]);
    }
  }

  bool acyclic = true;
  for (const std::vector<std::size_t>& members : components) {
    if (members.size() == 1 && !self_loop[members[0]]) continue;
    acyclic = false;
    // Name one actual loop: the shortest path from the first-declared member back to itself.
    const std::size_t first = *std::min_element(members.begin(), members.end());
    const std::size_t id = component[first];
    std::vector<std::size_t> parent(n, kUnset);
    std::deque<std::size_t> queue{first};
    std::size_t last = kUnset;
    while (!queue.empty() && last == kUnset) {
      const std::size_t v = queue.front();
      queue.pop_front();
      for (std::size_t w : edges[v]) {
        if (component[w] != id) continue;
        if (w == first) {
          last = v;
          break;
        }
        if (parent[w] == kUnset) {
          parent[w] = v;
          queue.push_back(w);
        }
      }
    }
    std::vector<std::size_t> path{first};
    for (std::size_t v = last; v != first && v != kUnset; v = parent[v]) path.push_back(v);
    std::reverse(path.begin() + 1, path.end());
    std::string loop;
    for (std::size_t v : path) loop += nodes[v]->spec.name + " -> ";
    loop += nodes[first]->spec.name;
    diagnostics_.add(nodes[first]->name_mark, "the connections form a cycle: " + loop +
                                                  "; a pipeline must not feed frames back into "
                                                  "itself");
  }
  return acyclic;
}

PortType PipelineLoader::kinds_leaving(const DeclaredNode* node, const PortSpec& output,
                                       std::size_t depth) const {
  if (output.kind_follows.empty() || depth > connections_.size()) return output.type;
  std::optional<PortType> reaching;  // what its producers send into the followed input, together
  for (const DeclaredConnection& c : connections_) {
    if (c.to != node || !c.to_port || c.to_port->name != output.kind_follows || !c.from_port) continue;
    if (!c.to_port->type.accepts(c.from_port->type)) continue;  // reported where it is read
    const PortType in = c.to_port->type.narrowed_to(kinds_leaving(c.from, *c.from_port, depth + 1));
    if (!reaching) {
      reaching = in;
    } else if (reaching->kind != frame_kind::kAny) {
      reaching->kind = in.kind == frame_kind::kAny ? in.kind : reaching->kind + "|" + in.kind;
    }
  }
  PortType leaving = output.type;
  // Only the kind follows: the output's planes are the stage's own.
  if (reaching) leaving.kind = output.type.narrowed_to(*reaching).kind;
  return leaving;
}

void PipelineLoader::check_followed_kinds() {
  for (const DeclaredConnection& c : connections_) {
    if (!c.from || !c.from_port || !c.to_port || c.from_port->kind_follows.empty()) continue;
    if (!c.to_port->type.accepts(c.from_port->type)) continue;  // reported where it is read
    const PortType leaving = kinds_leaving(c.from, *c.from_port, 0);
    if (leaving.kind.empty() || c.to_port->type.accepts(leaving)) continue;
    // Stage types that turn what leaves into what is wanted (kinds only): scan.assemble for
    // scan blocks that should be whole scans.
    const PortType leaving_kind = PortType::of(leaving.kind),
                   wanted_kind = PortType::of(c.to_port->type.kind);
    std::vector<std::string> converters;
    for (const TypeInfo* type : registry_.types()) {
      if (type->kind != FactoryKind::kStage) continue;
      const auto& ins = type->spec.inputs();
      const auto& outs = type->spec.outputs();
      const bool takes = std::any_of(ins.begin(), ins.end(), [&](const PortSpec& p) {
        return p.type.kind != frame_kind::kAny && PortType::of(p.type.kind).accepts(leaving_kind);
      });
      const bool makes = std::any_of(outs.begin(), outs.end(), [&](const PortSpec& p) {
        return p.kind_follows.empty() && p.type.kind != frame_kind::kAny &&
               wanted_kind.accepts(PortType::of(p.type.kind));
      });
      if (takes && makes) converters.push_back(type->type_name);
    }
    const std::string followed = c.spec.from_node + "." + c.from_port->kind_follows;
    diagnostics_.add(c.mark, c.spec.from() + " passes on frames of the kind that reaches " + followed +
                                 ", which here is " + leaving.str() + ", but " + c.spec.to() + " accepts " +
                                 c.to_port->type.str() + "; connect " + c.spec.to() +
                                 " after a stage that produces " + c.to_port->type.str() +
                                 (converters.empty() ? "" : " (" + quoted_list(converters) + ")"));
  }
}

}  // namespace oi
