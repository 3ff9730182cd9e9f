#pragma once
// Collecting configuration problems found in a YAML document, with positions, so that a user
// sees all of them at once. Internal to the SDK.

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "oi/error.hpp"

namespace oi {

struct MapEntry;

/// Problems found in one document plus those found in `--set` overrides.
class DiagnosticList {
 public:
  /// `file` is the name used in every message about the document.
  explicit DiagnosticList(std::string file) : file_(std::move(file)) {}

  /// A problem at a position in the document.
  void add(const YAML::Mark& mark, std::string message);
  /// A problem somewhere else (an override, a whole-file problem); kept as given.
  void add(Diagnostic diagnostic) { items_.push_back(std::move(diagnostic)); }
  /// A location in the document ("FILE:LINE:COL", 1-based) for a yaml-cpp mark.
  SourceLocation location(const YAML::Mark& mark) const;

  bool empty() const { return items_.empty(); }
  const std::string& file() const { return file_; }

  /// Throws oi::ConfigError with every problem: the document's sorted by position, then the
  /// others in the order they were found. Does nothing when there are none.
  void throw_if_any() const;

  /// yaml-cpp gives an aliased value (`key: *name`) the position of its anchor (`&name`), which
  /// may be another node's text. While an AliasUse lives, problems are reported at the key that
  /// uses the alias, with a note naming the anchor: the user sees which use is wrong.
  class AliasUse {
   public:
    /// Active only when `entry`'s value is brought in by an alias.
    AliasUse(DiagnosticList& list, const MapEntry& entry);
    ~AliasUse();
    AliasUse(const AliasUse&) = delete;
    AliasUse& operator=(const AliasUse&) = delete;

   private:
    DiagnosticList& list_;
    bool active_ = false;
  };

 private:
  struct Redirect {
    YAML::Mark use, anchor;
  };
  std::string file_;
  std::vector<Diagnostic> items_;
  std::vector<Redirect> redirects_;  // outermost first: its use lies outside every anchored text
};

/// "line L, column C" for messages that refer to another place in the same file.
std::string describe_position(const YAML::Mark& mark);

/// "a map", "a list", "a value", "nothing": how a YAML node looks, for messages.
std::string_view shape_name(const YAML::Node& node);

/// One key of a YAML map, with its value.
struct MapEntry {
  std::string key;      ///< the key's text
  YAML::Node key_node;  ///< the key, for its position
  YAML::Node value;     ///< the value (may be null)

  /// Where to point for a problem with the value: the value itself, or the key when the value
  /// is empty (yaml-cpp marks an empty value at whatever token follows it).
  YAML::Mark value_mark() const;
  /// True when the value is an alias (`*name`): its position, the anchor's, lies before the key
  /// (a value written in place always follows its key).
  bool value_is_alias() const;
};

/// How read_map() names what it reads, for messages.
struct MapRules {
  std::string context;               ///< e.g. "stage 'detect'", "the pipeline file"
  std::string entry_word = "key";    ///< e.g. "key", "parameter", "device"
  std::vector<std::string> allowed;  ///< accepted keys; empty = any key
  std::string unknown_hint;          ///< appended to an unknown-key message
};

/// Reads the entries of a map in file order. Reports keys that are not plain names, duplicate
/// keys (yaml-cpp keeps both; the first wins) and, when `rules.allowed` is not empty, unknown
/// keys with a "did you mean". Returns the first occurrence of each acceptable key.
std::vector<MapEntry> read_map(const YAML::Node& map, const MapRules& rules, DiagnosticList& diagnostics);

/// The entry with key `key`, or nullptr.
const MapEntry* find_entry(const std::vector<MapEntry>& entries, std::string_view key);

}  // namespace oi
