#pragma once
/// @file
/// Host side of the plugin boundary: discovery, loading, ABI checks, factories.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oi/stage.hpp"

namespace oi {

/// What a factory makes.
enum class FactoryKind {
  kStage,   ///< processing stage or sink
  kDriver,  ///< device driver (a source)
};

/// "stage" or "driver".
std::string_view to_string(FactoryKind kind);

/// One plugin file the registry looked at, loaded or not.
struct PluginRecord {
  std::filesystem::path path;        ///< the shared library
  std::string name;                  ///< from the info record (empty when unreadable)
  std::string version;               ///< plugin version
  std::string license;               ///< SPDX license id
  std::uint32_t abi = 0;             ///< ABI version the plugin reports (0 when unreadable)
  std::vector<std::string> types;    ///< type names it provides (registered only when loaded)
  std::optional<std::string> error;  ///< why it was not loaded; nullopt when loaded
};

/// A registered type: its declarations, read once at load time.
struct TypeInfo {
  std::string type_name;  ///< e.g. "xray.detect"
  FactoryKind kind = FactoryKind::kStage;
  std::string summary;                ///< one line
  StageSpec spec;                     ///< ports, parameters, description
  std::string plugin_name;            ///< providing plugin ("builtin" for in-process types)
  std::filesystem::path plugin_path;  ///< empty for in-process types
};

/// In-process factory, for types compiled into the host or a test.
using StageFactory = std::function<std::unique_ptr<Stage>()>;

/// Loads plugins and creates stages. Every call into plugin code is guarded: an exception
/// or a failed creation becomes an oi::PluginError naming the plugin file, plugin and type.
/// Libraries stay loaded for as long as any object they created is alive.
class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  /// Searches the standard places, in order: `openinspect/plugins/` next to the
  /// libopeninspect_sdk.so in use (the install's plugin directory, or the build tree's, since
  /// the build tree mirrors the install layout), then each absolute directory in
  /// OI_PLUGIN_PATH (colon-separated; relative entries are ignored with a warning). Never the
  /// current directory.
  void load_default_locations();
  /// Loads every shared library (*.so) in `dir`, non-recursively, in name order. A missing
  /// directory is recorded as an error-free no-op only when `must_exist` is false.
  void load_directory(const std::filesystem::path& dir, bool must_exist = true);
  /// Loads one library. Failure is recorded in plugins() with its reason; never throws.
  /// Loading the same file (same canonical path) twice is a no-op. The returned reference
  /// is valid until the next load.
  const PluginRecord& load_file(const std::filesystem::path& file);
  /// Registers an in-process type (tests, built-ins). Throws oi::PluginError on a duplicate.
  void register_type(std::string type_name, FactoryKind kind, std::string summary, StageFactory factory);

  /// Every plugin file looked at, in load order.
  const std::vector<PluginRecord>& plugins() const;
  /// Directories searched so far, in order (for messages).
  const std::vector<std::filesystem::path>& searched_directories() const;
  /// A registered type, or nullptr.
  const TypeInfo* find(std::string_view type_name) const;
  /// All registered type names of a kind, sorted.
  std::vector<std::string> type_names(FactoryKind kind) const;
  /// When `type_name` is not registered because the plugin providing it failed to load:
  /// "plugin FILE provides it but was not loaded: REASON". nullopt otherwise.
  std::optional<std::string> failed_provider(std::string_view type_name) const;
  /// All registered types, sorted by name.
  std::vector<const TypeInfo*> types() const;

  /// Creates an object of a registered type. The returned stage guards every call into
  /// plugin code (exceptions become oi::PluginError naming plugin, type and call) and keeps
  /// the library loaded. Throws oi::PluginError when the type is unknown or creation fails.
  std::unique_ptr<Stage> create(std::string_view type_name) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Directory the installed plugins live in, relative to the install prefix
/// ("lib/openinspect/plugins").
std::filesystem::path installed_plugin_subdir();

/// A model file that ships with OpenInspect: `openinspect/models/<file_name>` beside the SDK
/// library (libopeninspect_sdk.so; the build tree mirrors the install layout), found the same
/// way from a plugin, a tool or a test. The file may not exist (an SDK built without it).
std::filesystem::path shipped_model_path(std::string_view file_name);

}  // namespace oi
