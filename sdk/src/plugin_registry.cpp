#include "oi/plugin_registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <span>
#include <system_error>
#include <utility>

#include "exception_text.hpp"
#include "guarded_stage.hpp"
#include "oi/error.hpp"
#include "plugin_library.hpp"
#include "plugin_search_path.hpp"
#include "suggest.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;

constexpr const char* kBuiltinPlugin = "builtin";
constexpr std::size_t kFactoryReasonCapacity = 1024;

/// A registered type and how to make it.
struct TypeEntry {
  TypeInfo info;
  std::shared_ptr<PluginLibrary> library;  // nullptr for in-process types
  oi_create_fn create = nullptr;           // plugin types
  oi_destroy_fn destroy = nullptr;         // plugin types
  StageFactory factory;                    // in-process types

  StageOrigin origin() const { return {info.type_name, info.plugin_name, info.plugin_path}; }
};

// Type names appear in YAML, file names of generated docs and command lines: keep them to
// characters that need no quoting anywhere.
std::optional<std::string> type_name_problem(std::string_view name) {
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  };
  if (!name.empty() && std::all_of(name.begin(), name.end(), allowed)) return std::nullopt;
  return "'" + std::string(name) +
         "' is not a valid type name: use lower-case letters, digits, '_', '.' and '-', "
         "e.g. 'vendor.detect'";
}

std::optional<FactoryKind> factory_kind(std::uint32_t kind) {
  switch (kind) {
    case OI_FACTORY_STAGE:
      return FactoryKind::kStage;
    case OI_FACTORY_DRIVER:
      return FactoryKind::kDriver;
    default:
      return std::nullopt;
  }
}

std::string provider_of(const TypeInfo& type) {
  if (type.plugin_path.empty()) return "the host (plugin '" + type.plugin_name + "')";
  return "plugin '" + type.plugin_name + "' (" + type.plugin_path.string() + ")";
}

// Makes one object; throws oi::PluginError with the reason. Factories are plugin code, so a
// hand-written one may throw despite the contract.
PluginObject make_object(const TypeEntry& type) {
  if (type.create != nullptr) {
    char reason[kFactoryReasonCapacity] = {};
    void* object = nullptr;
    try {
      object = type.create(reason, sizeof reason);
    } catch (...) {
      throw PluginError("factory threw " + current_exception_text() +
                        " (factories must return NULL with a reason instead)");
    }
    reason[sizeof reason - 1] = '\0';
    if (object == nullptr) {
      throw PluginError(std::string("factory failed: ") + (reason[0] != '\0' ? reason : "it gave no reason"));
    }
    return PluginObject(static_cast<Stage*>(object), PluginObjectDeleter{type.destroy});
  }
  std::unique_ptr<Stage> object;
  try {
    object = type.factory();
  } catch (...) {
    throw PluginError("factory failed: " + current_exception_text());
  }
  if (!object) throw PluginError("factory failed: it returned no object");
  return PluginObject(object.release(), PluginObjectDeleter{});
}

// Declarations are read once, at load time, so that listing types and validating pipelines
// never run plugin code again.
StageSpec read_spec(Stage& object, FactoryKind kind) {
  StageSpec spec;
  try {
    object.setup(spec);
  } catch (...) {
    throw PluginError("setup() threw " + current_exception_text());
  }
  if (kind == FactoryKind::kDriver && !spec.inputs().empty()) {
    throw PluginError(
        "registered as a driver but declares input ports; drivers are sources: "
        "remove the inputs or register it as a stage");
  }
  for (const PortSpec& output : spec.outputs()) {
    if (output.kind_follows.empty() || spec.input_index(output.kind_follows) >= 0) continue;
    throw PluginError("output '" + output.name + "' follows the kind of input '" + output.kind_follows +
                      "', which the stage does not declare; name one of its inputs in kind_follows");
  }
  // A default that breaks its own declaration would reach the stage unchecked (defaults are
  // not validated against YAML) and would be printed in the reference as valid.
  for (const ParamSpec& param : spec.params()) {
    if (param.type() == ParamType::kEnum && param.allowed_values().empty()) {
      throw PluginError("parameter '" + param.name() +
                        "' is an enum without allowed values; declare them with .allowed({...})");
    }
    if (param.default_value()) {
      if (auto problem = param.check(*param.default_value())) {
        throw PluginError("parameter '" + param.name() + "': its declared default is invalid: " + *problem);
      }
    }
  }
  // The object that made these declarations is destroyed after this; its bindings go too.
  spec.unbind();
  return spec;
}

fs::path identity_of(const fs::path& file) {
  std::error_code error;
  fs::path absolute = fs::absolute(file, error);
  if (error) absolute = file;
  fs::path canonical = fs::weakly_canonical(absolute, error);
  return error ? absolute.lexically_normal() : canonical;
}

}  // namespace

struct PluginRegistry::Impl {
  std::map<std::string, TypeEntry, std::less<>> types;
  std::vector<PluginRecord> plugins;
  std::map<fs::path, std::size_t> plugin_by_path;  // canonical path -> index in plugins
  std::vector<std::shared_ptr<PluginLibrary>> libraries;
  std::vector<fs::path> searched;

  void load(PluginRecord& record);
  void note_searched(const fs::path& dir) {
    if (std::find(searched.begin(), searched.end(), dir) == searched.end()) {
      searched.push_back(dir);
    }
  }
  std::optional<std::string> failed_provider(std::string_view type_name) const;
  std::string unknown_type_message(std::string_view type_name) const;
};

// Everything is checked, every type created once and its declarations read, before any type
// is registered: a plugin is either wholly loaded or not at all.
void PluginRegistry::Impl::load(PluginRecord& record) {
  std::shared_ptr<PluginLibrary> library = PluginLibrary::open(record.path, record);
  const oi_plugin_info& info = library->info();
  const std::span<const oi_factory_info> table(info.factories, info.factory_count);

  for (const oi_factory_info& factory : table) {
    record.types.emplace_back(factory.type_name != nullptr ? factory.type_name : "");
  }

  std::vector<TypeEntry> entries;
  for (std::size_t i = 0; i < table.size(); ++i) {
    const oi_factory_info& factory = table[i];
    if (factory.type_name == nullptr) {
      throw PluginError("factory #" + std::to_string(i + 1) +
                        " has no type name; register types with OI_REGISTER_STAGE(...)");
    }
    const std::string name = factory.type_name;
    if (auto problem = type_name_problem(name)) throw PluginError(*problem);
    const std::optional<FactoryKind> kind = factory_kind(factory.kind);
    if (!kind) {
      throw PluginError("type '" + name + "': unknown factory kind " + std::to_string(factory.kind) +
                        " (expected OI_FACTORY_STAGE or OI_FACTORY_DRIVER)");
    }
    if (factory.create == nullptr || factory.destroy == nullptr) {
      throw PluginError("type '" + name +
                        "': its factory has no create or destroy function; "
                        "register types with OI_REGISTER_STAGE(...)");
    }
    for (const TypeEntry& earlier : entries) {
      if (earlier.info.type_name == name) {
        throw PluginError("type '" + name +
                          "' is registered twice in this plugin; give each "
                          "OI_REGISTER_STAGE/OI_REGISTER_DEVICE_DRIVER line its own type name");
      }
    }
    if (auto other = types.find(name); other != types.end()) {
      throw PluginError("type '" + name + "' is already provided by " + provider_of(other->second.info) +
                        "; remove one of the two plugins from the plugin path or rename the type");
    }
    TypeEntry& entry = entries.emplace_back();
    entry.info.type_name = name;
    entry.info.kind = *kind;
    entry.info.summary = factory.summary != nullptr ? factory.summary : "";
    entry.info.plugin_name = record.name;
    entry.info.plugin_path = record.path;
    entry.library = library;
    entry.create = factory.create;
    entry.destroy = factory.destroy;
  }

  for (TypeEntry& entry : entries) {
    try {
      PluginObject object = make_object(entry);
      entry.info.spec = read_spec(*object, entry.info.kind);
    } catch (const PluginError& e) {
      throw PluginError("type '" + entry.info.type_name + "': " + e.what());
    }
  }

  if (entries.empty()) {
    spdlog::warn("plugin '{}' ({}) provides no types; declare them with OI_REGISTER_STAGE(...)", record.name,
                 record.path.string());
  }
  for (TypeEntry& entry : entries) {
    std::string name = entry.info.type_name;
    types.emplace(std::move(name), std::move(entry));
  }
  libraries.push_back(std::move(library));
}

std::string PluginRegistry::Impl::unknown_type_message(std::string_view type_name) const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : types) names.push_back(name);
  std::string message = "unknown type '" + std::string(type_name) + "'" + did_you_mean(type_name, names) +
                        "; registered types: " + (names.empty() ? std::string("none") : quoted_list(names));
  if (auto failed = failed_provider(type_name)) return message + ". " + *failed;
  std::vector<std::string> dirs;
  for (const fs::path& dir : searched) dirs.push_back(dir.string());
  return message +
         ". Searched for plugins in: " + (dirs.empty() ? std::string("nowhere yet") : quoted_list(dirs)) +
         ". Add the folder of the plugin that provides it to OI_PLUGIN_PATH";
}

std::optional<std::string> PluginRegistry::Impl::failed_provider(std::string_view type_name) const {
  for (const PluginRecord& plugin : plugins) {
    const bool provides =
        std::find(plugin.types.begin(), plugin.types.end(), type_name) != plugin.types.end();
    if (plugin.error && provides) {
      return "Plugin " + plugin.path.string() + " provides it but was not loaded: " + *plugin.error;
    }
  }
  return std::nullopt;
}

std::optional<std::string> PluginRegistry::failed_provider(std::string_view type_name) const {
  return impl_->failed_provider(type_name);
}

PluginRegistry::PluginRegistry() : impl_(std::make_unique<Impl>()) {}

// Types (holding libraries) go first; a library stays loaded while a created stage holds it.
PluginRegistry::~PluginRegistry() = default;

void PluginRegistry::load_default_locations() {
  if (std::optional<fs::path> dir = sdk_plugin_directory()) {
    load_directory(*dir, /*must_exist=*/false);
  } else {
    spdlog::warn(
        "cannot tell where the OpenInspect SDK library was loaded from; its plugin "
        "directory is not searched (set OI_PLUGIN_PATH instead)");
  }
  const char* env = std::getenv("OI_PLUGIN_PATH");
  if (env == nullptr) return;
  for (const std::string& entry : split_plugin_path(env)) {
    const fs::path dir(entry);
    // A relative entry would make the loaded code depend on the current directory.
    if (dir.is_relative()) {
      spdlog::warn("OI_PLUGIN_PATH entry '{}' is relative and is ignored; use an absolute path", entry);
      continue;
    }
    std::error_code error;
    if (!fs::is_directory(dir, error)) {
      impl_->note_searched(dir.lexically_normal());
      spdlog::warn("OI_PLUGIN_PATH entry '{}' is not a directory; skipped", entry);
      continue;
    }
    load_directory(dir, /*must_exist=*/false);
  }
}

void PluginRegistry::load_directory(const fs::path& dir, bool must_exist) {
  std::error_code error;
  fs::path where = fs::absolute(dir, error);
  if (error) where = dir;
  where = where.lexically_normal();
  impl_->note_searched(where);

  if (!fs::is_directory(where, error)) {
    if (must_exist) {
      throw PluginError("plugin directory " + where.string() +
                        (fs::exists(where, error) ? " is not a directory" : " does not exist") +
                        "; check the path");
    }
    spdlog::debug("plugin directory {} does not exist; skipped", where.string());
    return;
  }

  std::vector<fs::path> files;
  for (fs::directory_iterator it(where, error), end; !error && it != end; it.increment(error)) {
    // A link whose target is gone is listed too: it is a plugin someone meant to install.
    std::error_code type_error;
    if (it->path().extension() == ".so" && (it->is_regular_file(type_error) || it->is_symlink(type_error))) {
      files.push_back(it->path());
    }
  }
  if (error) {
    const std::string message =
        "cannot list plugin directory " + where.string() + ": " + error.message() + "; check its permissions";
    if (must_exist) throw PluginError(message);
    spdlog::warn("{}", message);
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  for (const fs::path& file : files) load_file(file);
}

const PluginRecord& PluginRegistry::load_file(const fs::path& file) {
  const fs::path path = identity_of(file);
  if (auto known = impl_->plugin_by_path.find(path); known != impl_->plugin_by_path.end()) {
    return impl_->plugins[known->second];
  }

  PluginRecord record;
  record.path = path;
  try {
    impl_->load(record);
  } catch (const std::exception& e) {
    record.error = e.what();
  } catch (...) {
    record.error = "unexpected failure: " + current_exception_text();
  }

  if (record.error) {
    // The reason starts with the file (and plugin, once known) so that it stands on its own
    // wherever it is shown.
    std::string who = path.filename().string();
    if (!record.name.empty()) who += " (plugin '" + record.name + "')";
    record.error = who + ": " + *record.error;
    // Debug only: the caller (e.g. `oi`) reports failed plugins once, from plugins().
    spdlog::debug("plugin {} was not loaded: {}", path.string(), *record.error);
  } else {
    spdlog::debug("loaded plugin '{}' {} from {}: {} type(s)", record.name, record.version, path.string(),
                  record.types.size());
  }
  impl_->plugin_by_path.emplace(path, impl_->plugins.size());
  impl_->plugins.push_back(std::move(record));
  return impl_->plugins.back();
}

void PluginRegistry::register_type(std::string type_name, FactoryKind kind, std::string summary,
                                   StageFactory factory) {
  const std::string what = "cannot register in-process type '" + type_name + "': ";
  if (auto problem = type_name_problem(type_name)) throw PluginError(what + *problem);
  if (!factory) throw PluginError(what + "the factory is empty");
  if (auto other = impl_->types.find(type_name); other != impl_->types.end()) {
    throw PluginError(what + "already provided by " + provider_of(other->second.info) +
                      "; rename one of the two types");
  }

  TypeEntry entry;
  entry.info.type_name = type_name;
  entry.info.kind = kind;
  entry.info.summary = std::move(summary);
  entry.info.plugin_name = kBuiltinPlugin;
  entry.factory = std::move(factory);
  try {
    PluginObject object = make_object(entry);
    entry.info.spec = read_spec(*object, kind);
  } catch (const PluginError& e) {
    throw PluginError(what + e.what());
  }
  impl_->types.emplace(std::move(type_name), std::move(entry));
}

const std::vector<PluginRecord>& PluginRegistry::plugins() const { return impl_->plugins; }

const std::vector<fs::path>& PluginRegistry::searched_directories() const { return impl_->searched; }

const TypeInfo* PluginRegistry::find(std::string_view type_name) const {
  auto it = impl_->types.find(type_name);
  return it == impl_->types.end() ? nullptr : &it->second.info;
}

std::vector<std::string> PluginRegistry::type_names(FactoryKind kind) const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : impl_->types) {
    if (entry.info.kind == kind) names.push_back(name);
  }
  return names;  // sorted: the map is ordered by name
}

std::vector<const TypeInfo*> PluginRegistry::types() const {
  std::vector<const TypeInfo*> all;
  all.reserve(impl_->types.size());
  for (const auto& [name, entry] : impl_->types) all.push_back(&entry.info);
  return all;
}

std::unique_ptr<Stage> PluginRegistry::create(std::string_view type_name) const {
  auto it = impl_->types.find(type_name);
  if (it == impl_->types.end()) throw PluginError(impl_->unknown_type_message(type_name));
  const TypeEntry& entry = it->second;
  PluginObject object;
  try {
    object = make_object(entry);
  } catch (const PluginError& e) {
    throw PluginError("cannot create " + entry.origin().str() + ": " + e.what());
  }
  return std::make_unique<GuardedStage>(std::move(object), entry.origin(), entry.library);
}

std::filesystem::path installed_plugin_subdir() { return fs::path("lib") / OI_PLUGIN_SUBDIR; }

std::string_view to_string(FactoryKind kind) {
  switch (kind) {
    case FactoryKind::kStage:
      return "stage";
    case FactoryKind::kDriver:
      return "driver";
  }
  return "unknown";
}

}  // namespace oi
