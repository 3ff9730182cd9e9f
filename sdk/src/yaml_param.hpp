#pragma once
// YAML values -> typed parameter values. The declaration decides how a YAML value is read:
//
//   bool        plain true / false (any case variant YAML 1.2 allows: true, True, TRUE)
//   int         plain integer: 42, -7, 0x1F, 0o17 ("42" in quotes is a string, not an int)
//   float       plain number; integers are accepted (3 -> 3.0); .inf, -.inf, .nan
//   string/enum any scalar, plain or quoted, taken as written (an empty value is not a string)
//   path        like string, then made absolute against the pipeline's folder
//   list        a YAML sequence; every element is read by the element type
//
// Internal to the SDK.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "oi/params.hpp"

namespace oi {

/// Outcome of reading one YAML value against a declaration.
struct ParamConversion {
  std::optional<ParamValue> value;  ///< the checked value; nullopt when there is a problem
  std::string problem;              ///< "expects ..., got ..." when there is a problem
  std::optional<YAML::Mark> where;  ///< the offending list element; nullopt = the value itself
};

/// Reads `node` as a value of `spec`'s type and checks it with ParamSpec::check. Relative
/// paths resolve against `base_dir`.
ParamConversion convert_param(const YAML::Node& node, const ParamSpec& spec,
                              const std::filesystem::path& base_dir);

/// Makes the relative paths in a value of `spec` (a path, or a list of paths) absolute
/// against `base_dir`; other values are returned unchanged. Used for declared defaults.
ParamValue resolve_paths(const ParamSpec& spec, ParamValue value, const std::filesystem::path& base_dir);

/// What a scalar means without a declared type: a quoted scalar is a string; a plain one is
/// null, a bool, an int, a float or else a string, following the YAML 1.2 core schema.
/// Text that is not valid UTF-8 yields nullopt.
std::optional<ParamValue> scalar_value(const YAML::Node& scalar);

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(std::string_view text);

}  // namespace oi
