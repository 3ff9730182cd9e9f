#pragma once
// One stage driven frame by frame without a scheduler: created from a registry, set up,
// started with parameters over its declared defaults, then fed one frame per process() call.
// Shared by every test that exercises a single stage (GPU stages, materials, detection, TIP).

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/plugin_registry.hpp"
#include "oi/stage.hpp"

namespace oi::test {

/// A registry holding the plugin library `file` alone, loaded on first use and kept, with the
/// library, until the process exits: stages it creates never outlive their code, and every
/// test of one binary shares it. @throws oi::Error naming the file when it does not load.
const PluginRegistry& plugin_registry(const std::string& file);

/// A started stage of `type` from `registry`, named `name` in its StageConfig.
class StageUnderTest {
 public:
  /// @throws whatever create() or start() throws (oi::ConfigError for bad parameters).
  StageUnderTest(const PluginRegistry& registry, const std::string& type, const nlohmann::json& params,
                 const std::string& name = "node");
  ~StageUnderTest();
  StageUnderTest(const StageUnderTest&) = delete;
  StageUnderTest& operator=(const StageUnderTest&) = delete;

  /// Runs process() with `input` on port 0; returns the status and sets `output` to the frame
  /// emitted on port 0 (nullptr when none).
  Status run(FramePtr input, FramePtr& output);
  /// Runs process() with `input`; `outputs` gets every frame emitted on port 0, in order (a
  /// stage may hold frames back, e.g. scan blocks waiting for the lines below them).
  Status run(FramePtr input, std::vector<FramePtr>& outputs);
  /// Runs finish() (the end of the stream; no frame to take, what it emits is dropped).
  Status finish();
  /// Runs finish(); `outputs` gets what it emits on port 0.
  Status finish(std::vector<FramePtr>& outputs);
  /// The stage's summary().
  nlohmann::json summary() const { return stage_->summary(); }
  /// The stage.
  Stage& stage() { return *stage_; }

 private:
  std::unique_ptr<Stage> stage_;
  StageSpec spec_;
  std::string name_;
};

}  // namespace oi::test
