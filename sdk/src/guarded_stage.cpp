#include "guarded_stage.hpp"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "exception_text.hpp"
#include "oi/error.hpp"

namespace oi {

std::string StageOrigin::str() const {
  std::string text = "type '" + type_name + "', plugin '" + plugin_name + "'";
  if (!plugin_path.empty()) text += ", " + plugin_path.string();
  return text;
}

void PluginObjectDeleter::operator()(Stage* object) const noexcept {
  if (destroy != nullptr) {
    destroy(object);
  } else {
    delete object;
  }
}

GuardedStage::GuardedStage(PluginObject object, StageOrigin origin, std::shared_ptr<const void> keep_alive)
    : keep_alive_(std::move(keep_alive)), object_(std::move(object)), origin_(std::move(origin)) {}

std::string GuardedStage::where() const {
  if (stage_name_.empty()) return origin_.str();
  return "stage '" + stage_name_ + "' (" + origin_.str() + ")";
}

void GuardedStage::setup(StageSpec& spec) {
  try {
    object_->setup(spec);
  } catch (...) {
    throw PluginError(where() + ": setup() threw " + current_exception_text());
  }
  // The bindings point into object_, which this wrapper owns: keep them to fill the members
  // in before validate() and start().
  bound_.clear();
  for (const ParamSpec& param : spec.params())
    if (param.bound()) bound_.push_back(param);
}

void GuardedStage::start(const StageConfig& config) {
  stage_name_ = config.name;
  try {
    assign_bound(bound_, config.params, config.pipeline_dir);
    object_->start(config);
  } catch (const ConfigError& e) {
    // The parameters are the user's to fix, so this stays a configuration error; the prefix
    // says which node of the pipeline it is about.
    const std::string prefix = "stage '" + stage_name_ + "' (type '" + origin_.type_name + "'): ";
    std::vector<Diagnostic> diagnostics = e.diagnostics();
    if (diagnostics.empty()) diagnostics.push_back(Diagnostic{{}, e.what()});
    for (Diagnostic& d : diagnostics) d.message = prefix + d.message;
    throw ConfigError(std::move(diagnostics));
  } catch (...) {
    throw PluginError(where() + ": start() threw " + current_exception_text());
  }
}

// Stages say what went wrong; this is the one place that says where (node, type, plugin).
Status GuardedStage::process(StageContext& ctx) {
  try {
    Status s = object_->process(ctx);
    return s.is_error() ? Status::error(where() + ": " + s.message()) : s;
  } catch (...) {
    return Status::error(where() + ": process() threw " + current_exception_text());
  }
}

Status GuardedStage::finish(StageContext& ctx) {
  try {
    Status s = object_->finish(ctx);
    return s.is_error() ? Status::error(where() + ": " + s.message()) : s;
  } catch (...) {
    return Status::error(where() + ": finish() threw " + current_exception_text());
  }
}

void GuardedStage::stop() {
  try {
    object_->stop();
  } catch (...) {
    // stop() runs during shutdown, often after another error: throwing here would hide that
    // error, so this one is only reported.
    spdlog::warn("{}: stop() threw {}; ignored", where(), current_exception_text());
  }
}

nlohmann::json GuardedStage::summary() const {
  try {
    return object_->summary();
  } catch (...) {
    spdlog::warn("{}: summary() threw {}; ignored", where(), current_exception_text());
    return nullptr;
  }
}

std::vector<std::string> GuardedStage::validate(const StageConfig& config) const {
  try {
    assign_bound(bound_, config.params, config.pipeline_dir);
  } catch (const Error& e) {
    return {e.what()};
  }
  try {
    return object_->validate(config);
  } catch (...) {
    return {"validate() threw " + current_exception_text() + " (" + origin_.str() + ")"};
  }
}

}  // namespace oi
