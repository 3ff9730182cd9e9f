#pragma once
// The machine-readable description of a registered type, for `oi inspect --json`.

#include <nlohmann/json.hpp>

#include "oi/plugin_registry.hpp"

namespace oi::cli {

/// {"type", "kind", "summary", "description", "plugin", "plugin_path", "inputs", "outputs", "params"}.
nlohmann::json type_to_json(const TypeInfo& info);

}  // namespace oi::cli
