#pragma once
// The machine-readable description of a registered type, shared by `oi inspect --json`
// and the Markdown reference.

#include <nlohmann/json.hpp>

#include "oi/plugin_registry.hpp"

namespace oi::cli {

/// {"type", "kind", "summary", "description", "plugin", "plugin_path", "inputs", "outputs", "params"}.
nlohmann::json type_to_json(const TypeInfo& info);

}  // namespace oi::cli
