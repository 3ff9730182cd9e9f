#pragma once
// The wrapper every created stage comes in: it turns exceptions from plugin code into errors
// that name the plugin, and keeps the plugin's library loaded. Internal to the SDK.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oi/plugin_abi.h"
#include "oi/stage.hpp"

namespace oi {

/// Where a stage's code comes from, for messages.
struct StageOrigin {
  std::string type_name;              ///< registered type name
  std::string plugin_name;            ///< "builtin" for in-process types
  std::filesystem::path plugin_path;  ///< empty for in-process types

  /// "type 'x.y', plugin 'name', /path/file.so" (no file for in-process types).
  std::string str() const;
};

/// Destroys an object the way it was made: with its plugin's destroy function (the plugin
/// may use another allocator), or with delete for in-process objects.
struct PluginObjectDeleter {
  oi_destroy_fn destroy = nullptr;  ///< nullptr: the object was made in-process
  void operator()(Stage* object) const noexcept;
};

/// A stage object owned together with the way to destroy it.
using PluginObject = std::unique_ptr<Stage, PluginObjectDeleter>;

/// Forwards every call to the plugin's object inside try/catch:
/// - setup() and start() throw oi::PluginError naming plugin file, plugin, type, stage and
///   call; an oi::ConfigError from start() stays a ConfigError (it is the user's to fix),
///   its messages prefixed with the stage and type;
/// - process() and finish() return Status::error() with the same names instead of throwing;
/// - validate() never throws; an exception becomes one problem naming the call;
/// - stop() never throws; it logs what the plugin threw;
/// - summary() never throws; a failure is logged and gives null.
class GuardedStage final : public Stage {
 public:
  /// `keep_alive` holds the plugin's library (nullptr for in-process types); it outlives
  /// `object` because the object's code and vtable live in that library.
  GuardedStage(PluginObject object, StageOrigin origin, std::shared_ptr<const void> keep_alive);

  void setup(StageSpec& spec) override;
  std::vector<std::string> validate(const StageConfig& config) const override;
  void start(const StageConfig& config) override;
  Status process(StageContext& ctx) override;
  Status finish(StageContext& ctx) override;
  void stop() override;
  nlohmann::json summary() const override;

 private:
  // "stage 'n' (type ..., plugin ..., file)" once start() told the name, else "(type ...)".
  std::string where() const;

  // Declared before object_ so that it is destroyed after it.
  std::shared_ptr<const void> keep_alive_;
  PluginObject object_;
  StageOrigin origin_;
  std::string stage_name_;
  std::vector<ParamSpec> bound_;  // the object's bound parameters, from setup()
};

}  // namespace oi
