#pragma once
/// @file
/// Typed parameters. Stages and drivers declare their parameters in code; the same
/// declarations validate YAML and `--set` values, drive `oi inspect` and generate the
/// parameter reference in docs/.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oi {

/// Type of a parameter.
enum class ParamType {
  kBool,    ///< true / false
  kInt,     ///< 64-bit signed integer
  kFloat,   ///< double; an integer literal is accepted
  kString,  ///< free text
  kEnum,    ///< one of the allowed strings
  kList,    ///< list of elements of `element_type()`
  kPath,    ///< file system path; relative paths resolve against the pipeline file's folder
};

/// "bool", "int", "float", "string", "enum", "list", "path".
std::string_view to_string(ParamType type);

/// A parameter value. Held as JSON so that lists and nested values need no extra types; the
/// declaration decides which JSON shapes are valid.
using ParamValue = nlohmann::json;

/// Declaration of one parameter. Built with chained setters:
/// `spec.param("gain", ParamType::kFloat).default_value(1.0).range(0.0, 8.0).unit("x")
///      .describe("Multiplier applied to every pixel.");`
class ParamSpec {
 public:
  ParamSpec(std::string name, ParamType type) : name_(std::move(name)), type_(type) {}

  /// Default used when YAML does not set the parameter. Without one the parameter is required.
  ParamSpec& default_value(ParamValue value);
  /// Inclusive numeric range for int and float (and for list elements of those types).
  ParamSpec& range(double min, double max);
  /// Inclusive lower bound only.
  ParamSpec& min(double min);
  /// Inclusive upper bound only.
  ParamSpec& max(double max);
  /// Allowed values: required for enum; for string restricts the text; for list restricts elements.
  ParamSpec& allowed(std::vector<std::string> values);
  /// Element type of a list parameter (default string).
  ParamSpec& element_type(ParamType type);
  /// Physical unit shown in docs and messages, e.g. "mm", "kV", "Hz".
  ParamSpec& unit(std::string unit);
  /// One or two sentences for `oi inspect` and the reference page.
  ParamSpec& describe(std::string text);

  const std::string& name() const { return name_; }
  ParamType type() const { return type_; }
  ParamType element_type() const { return element_type_; }
  const std::optional<ParamValue>& default_value() const { return default_; }
  bool required() const { return !default_.has_value(); }
  std::optional<double> min_value() const { return min_; }
  std::optional<double> max_value() const { return max_; }
  const std::vector<std::string>& allowed_values() const { return allowed_; }
  const std::string& unit() const { return unit_; }
  const std::string& description() const { return description_; }

  /// Checks a value against type, range and allowed values. Returns nullopt when valid,
  /// else a message such as "expects a float in [0, 8] (kV), got \"abc\"".
  std::optional<std::string> check(const ParamValue& value) const;

  /// Human-readable type with constraints, e.g. "float in [0, 8] kV" or "enum {a, b}".
  std::string type_description() const;

  /// Machine-readable declaration (used by `oi inspect --json`).
  nlohmann::json to_json() const;

 private:
  std::optional<std::string> check_scalar(ParamType type, const ParamValue& value) const;

  std::string name_;
  ParamType type_;
  ParamType element_type_ = ParamType::kString;
  std::optional<ParamValue> default_;
  std::optional<double> min_;
  std::optional<double> max_;
  std::vector<std::string> allowed_;
  std::string unit_;
  std::string description_;
};

/// Validated parameter values of one stage or device, defaults filled in. Values are
/// checked against their declarations before a stage ever sees them.
class ParamSet {
 public:
  ParamSet() = default;
  /// Wraps already-validated values.
  explicit ParamSet(std::map<std::string, ParamValue> values) : values_(std::move(values)) {}

  /// True when the parameter has a value.
  bool has(std::string_view name) const;
  /// The raw value; throws oi::ConfigError naming the parameter when absent.
  const ParamValue& raw(std::string_view name) const;
  /// Typed value, e.g. `get<double>("gain")`, `get<std::string>("mode")`,
  /// `get<std::vector<int>>("sizes")`. Throws oi::ConfigError when absent or of another type.
  template <class T>
  T get(std::string_view name) const {
    const ParamValue& v = raw(name);
    try {
      return v.get<T>();
    } catch (const nlohmann::json::exception&) {
      throw_type_mismatch(name, v);
    }
  }
  /// Typed value or `fallback` when absent.
  template <class T>
  T get_or(std::string_view name, T fallback) const {
    return has(name) ? get<T>(name) : fallback;
  }
  /// Sets a value (no validation; the graph loader validates before building a ParamSet).
  void set(const std::string& name, ParamValue value) { values_[name] = std::move(value); }
  /// All values by name.
  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  [[noreturn]] static void throw_type_mismatch(std::string_view name, const ParamValue& v);
  std::map<std::string, ParamValue> values_;
};

}  // namespace oi
