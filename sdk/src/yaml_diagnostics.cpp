#include "yaml_diagnostics.hpp"

#include <algorithm>
#include <tuple>

#include "suggest.hpp"

namespace oi {

void DiagnosticList::add(const YAML::Mark& mark, std::string message) {
  if (!redirects_.empty()) {
    const Redirect& r = redirects_.front();
    message +=
        " (in the value that an alias brings in here from its anchor at " + describe_position(r.anchor) + ")";
    items_.push_back(Diagnostic{location(r.use), std::move(message)});
    return;
  }
  items_.push_back(Diagnostic{location(mark), std::move(message)});
}

DiagnosticList::AliasUse::AliasUse(DiagnosticList& list, const MapEntry& entry) : list_(list) {
  if (!entry.value_is_alias()) return;
  list_.redirects_.push_back(Redirect{entry.key_node.Mark(), entry.value.Mark()});
  active_ = true;
}

DiagnosticList::AliasUse::~AliasUse() {
  if (active_) list_.redirects_.pop_back();
}

SourceLocation DiagnosticList::location(const YAML::Mark& mark) const {
  SourceLocation where;
  where.file = file_;
  if (mark.line >= 0) {
    where.line = mark.line + 1;
    where.column = mark.column >= 0 ? mark.column + 1 : 0;
  }
  return where;
}

void DiagnosticList::throw_if_any() const {
  if (items_.empty()) return;
  std::vector<Diagnostic> sorted = items_;
  // Whole-file problems (line 0) first, then by position; other "files" (overrides) keep
  // their order after the document's.
  auto key = [this](const Diagnostic& d) {
    return std::make_tuple(d.where.file != file_, d.where.file == file_ ? d.where.line : 0,
                           d.where.file == file_ ? d.where.column : 0);
  };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  throw ConfigError(std::move(sorted));
}

std::string describe_position(const YAML::Mark& mark) {
  return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
}

std::string_view shape_name(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "something else";
}

YAML::Mark MapEntry::value_mark() const { return value.IsNull() ? key_node.Mark() : value.Mark(); }

bool MapEntry::value_is_alias() const {
  if (!value.IsDefined() || value.IsNull()) return false;
  const YAML::Mark v = value.Mark(), k = key_node.Mark();
  if (v.line < 0 || k.line < 0) return false;
  return v.line < k.line || (v.line == k.line && v.column < k.column);
}

std::vector<MapEntry> read_map(const YAML::Node& map, const MapRules& rules, DiagnosticList& diagnostics) {
  std::vector<MapEntry> entries;
  // Range-for keeps each key/value pair alive; `it->first` would refer into a temporary.
  for (const auto& pair : map) {
    const YAML::Node& key = pair.first;
    if (!key.IsScalar()) {
      diagnostics.add(key.Mark(), "expected a " + rules.entry_word + " name in " + rules.context + ", got " +
                                      std::string(shape_name(key)));
      continue;
    }
    const std::string& name = key.Scalar();
    if (const MapEntry* first = find_entry(entries, name)) {
      diagnostics.add(key.Mark(), "duplicate " + rules.entry_word + " '" + name + "' in " + rules.context +
                                      " (first at " + describe_position(first->key_node.Mark()) +
                                      "); remove one of them");
      continue;
    }
    if (!rules.allowed.empty() &&
        std::find(rules.allowed.begin(), rules.allowed.end(), name) == rules.allowed.end()) {
      diagnostics.add(key.Mark(), "unknown " + rules.entry_word + " '" + name + "' in " + rules.context +
                                      did_you_mean(name, rules.allowed) + "; expected " +
                                      quoted_list(rules.allowed) + rules.unknown_hint);
      continue;
    }
    entries.push_back(MapEntry{name, key, pair.second});
  }
  return entries;
}

const MapEntry* find_entry(const std::vector<MapEntry>& entries, std::string_view key) {
  for (const MapEntry& entry : entries) {
    if (entry.key == key) return &entry;
  }
  return nullptr;
}

}  // namespace oi
