#pragma once
/// @file
/// Typed parameters. Stages and drivers declare their parameters in code; the same
/// declarations validate YAML and `--set` values, drive `oi inspect` and generate the
/// parameter reference in docs/.
///
/// A parameter is normally bound to a member of the stage or driver, so its name is written
/// once and its value arrives typed and checked:
/// @code
/// float gain_ = 1.0f;                 // the initial value is the default
/// void setup(oi::StageSpec& spec) override {
///   spec.param("gain", gain_).range(0.0, 8.0).unit("x").describe("Multiplier applied to every pixel.");
/// }
/// // start(): gain_ holds the validated value from the pipeline YAML (or the default).
/// @endcode

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace oi {

class ParamSpec;

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

namespace param_detail {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

/// Member types a parameter can be bound to.
template <class T>
concept Scalar = std::same_as<T, bool> || std::integral<T> || std::floating_point<T> ||
    std::same_as<T, std::string> || std::same_as<T, std::filesystem::path>;
template <class T>
concept Bindable = Scalar<T> ||(is_vector<T>::value&& Scalar<typename T::value_type>);

template <Scalar T>
constexpr ParamType scalar_type() {
  if constexpr (std::same_as<T, bool>)
    return ParamType::kBool;
  else if constexpr (std::integral<T>)
    return ParamType::kInt;
  else if constexpr (std::floating_point<T>)
    return ParamType::kFloat;
  else if constexpr (std::same_as<T, std::filesystem::path>)
    return ParamType::kPath;
  else
    return ParamType::kString;
}

// Converts one validated JSON value to the member's type. An integer that does not fit the
// member (a range the declaration forgot) is an error, never a silent wrap.
[[noreturn]] void throw_bind_error(const std::string& name, const ParamValue& value, std::string_view wanted);

template <Scalar T>
T from_json(const std::string& name, const ParamValue& value, const std::filesystem::path& base) {
  if constexpr (std::same_as<T, bool>) {
    if (!value.is_boolean()) throw_bind_error(name, value, "a bool");
    return value.get<bool>();
  } else if constexpr (std::integral<T>) {
    if (!value.is_number_integer()) throw_bind_error(name, value, "an int");
    if (value.is_number_unsigned()) {
      const auto v = value.get<std::uint64_t>();
      if (!std::in_range<T>(v)) throw_bind_error(name, value, "an int that fits the stage's member");
      return static_cast<T>(v);
    }
    const auto v = value.get<std::int64_t>();
    if (!std::in_range<T>(v)) throw_bind_error(name, value, "an int that fits the stage's member");
    return static_cast<T>(v);
  } else if constexpr (std::floating_point<T>) {
    if (!value.is_number()) throw_bind_error(name, value, "a number");
    return static_cast<T>(value.get<double>());
  } else if constexpr (std::same_as<T, std::filesystem::path>) {
    if (!value.is_string()) throw_bind_error(name, value, "a path");
    std::filesystem::path path = value.get<std::string>();
    if (!path.empty() && path.is_relative() && !base.empty()) path = base / path;
    return path;
  } else {
    if (!value.is_string()) throw_bind_error(name, value, "a string");
    return value.get<std::string>();
  }
}

template <Scalar T>
ParamValue to_json(const T& value) {
  if constexpr (std::same_as<T, std::filesystem::path>)
    return value.string();
  else if constexpr (std::integral<T> && !std::same_as<T, bool>)
    return static_cast<std::int64_t>(value);
  else if constexpr (std::floating_point<T>)
    return static_cast<double>(value);
  else
    return value;
}

}  // namespace param_detail

/// Declaration of one parameter. Built with chained setters:
/// `spec.param("gain", ParamType::kFloat).default_value(1.0).range(0.0, 8.0).unit("x")
///      .describe("Multiplier applied to every pixel.");`
class ParamSpec {
 public:
  ParamSpec(std::string name, ParamType type) : name_(std::move(name)), type_(type) {}

  /// Default used when YAML does not set the parameter. Without one the parameter is required.
  ParamSpec& default_value(ParamValue value);
  /// Removes the default: the YAML must set the parameter (for a bound parameter, whose
  /// default is otherwise the member's initial value).
  ParamSpec& without_default();
  /// Makes the parameter an enum: one of `values` (a bound std::string member gets the text).
  ParamSpec& one_of(std::vector<std::string> values);
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

  /// Binds the parameter to `member`; the host writes the validated value into it before
  /// the stage's validate() and start() (a driver's: before on_configure(), and on every
  /// set()). StageSpec::param(name, member) declares and binds in one call.
  template <param_detail::Bindable T>
  ParamSpec& bind(T& member) {
    T* target = &member;
    std::string name = name_;
    binding_ = std::make_shared<Binding>(
        Binding{[target, name](const ParamValue& value, const std::filesystem::path& base) {
                  if constexpr (param_detail::is_vector<T>::value) {
                    using E = typename T::value_type;
                    if (!value.is_array()) param_detail::throw_bind_error(name, value, "a list");
                    T items;
                    for (const ParamValue& item : value)
                      items.push_back(param_detail::from_json<E>(name, item, base));
                    *target = std::move(items);
                  } else {
                    *target = param_detail::from_json<T>(name, value, base);
                  }
                },
                [target]() -> ParamValue {
                  if constexpr (param_detail::is_vector<T>::value) {
                    ParamValue list = ParamValue::array();
                    for (const auto& item : *target) list.push_back(param_detail::to_json(item));
                    return list;
                  } else {
                    return param_detail::to_json(*target);
                  }
                }});
    return *this;
  }
  /// True when bind() tied the parameter to a member.
  bool bound() const { return binding_ != nullptr; }
  /// Writes a validated value into the bound member (nothing when unbound); relative paths
  /// resolve against `base`. Throws oi::ConfigError when the value does not fit the member.
  void assign(const ParamValue& value, const std::filesystem::path& base = {}) const;
  /// The bound member's current value (null when unbound).
  ParamValue bound_value() const;
  /// Drops the binding (declarations kept after their object is gone must not point into it).
  void unbind() { binding_.reset(); }

 private:
  struct Binding {
    std::function<void(const ParamValue&, const std::filesystem::path&)> assign;
    std::function<ParamValue()> read;
  };
  std::shared_ptr<const Binding> binding_;

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

/// Declares parameter `name` of the member's type with the member's current value as its
/// default, and binds it (StageSpec::param and hal::DeviceSpec::param call this).
template <param_detail::Bindable T>
ParamSpec make_bound_param(std::string name, T& member) {
  ParamSpec spec(std::move(name), [] {
    if constexpr (param_detail::is_vector<T>::value)
      return ParamType::kList;
    else
      return param_detail::scalar_type<T>();
  }());
  if constexpr (param_detail::is_vector<T>::value) {
    spec.element_type(param_detail::scalar_type<typename T::value_type>());
  }
  spec.bind(member);
  spec.default_value(spec.bound_value());
  return spec;
}

/// Writes every bound parameter's value from `values` (validated, defaults filled in) into
/// its member; relative paths resolve against `base`. A parameter without a value is left
/// alone. Throws oi::ConfigError when a value does not fit its member.
void assign_bound(const std::vector<ParamSpec>& params, const ParamSet& values,
                  const std::filesystem::path& base);

}  // namespace oi
