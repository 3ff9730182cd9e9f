#pragma once
// Shared by the record/replay tests: an in-process source that sets every metadata field and
// several plane formats, a sink that keeps every frame it receives, frame comparison, and
// pipelines written to files and run.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/frame.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::record_replay_test {

/// Frames (with the steady-clock time each arrived) kept by `test.keep` nodes, by node name.
class KeptFrames {
 public:
  static KeptFrames& instance();
  void add(const std::string& node, FramePtr frame);
  std::vector<FramePtr> frames(const std::string& node) const;
  std::vector<std::chrono::steady_clock::time_point> times(const std::string& node) const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<FramePtr>> frames_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> times_;
};

/// Registers the in-process types:
///   test.keep   stage, input "in" (any): keeps every frame in KeptFrames under its node name.
///   test.rich   driver, output "out" (video.frame): `count` frames with planes `rgb` (rgb8,
///               rows padded in memory), `depth` (f32) and `mask` (u8) of seeded noise, and
///               every metadata field set (sequence from `first_sequence`, nested attributes).
void register_types(PluginRegistry& registry);

/// A fresh, empty folder under the test temp folder, named after the running test.
std::filesystem::path fresh_dir(const std::string& suffix);

/// Writes `yaml` to `file`, loads it (the loader validates it) and runs it to the end.
RunResult run_pipeline_file(const std::filesystem::path& file, const std::string& yaml,
                            PluginRegistry& registry,
                            std::vector<std::pair<std::string, nlohmann::json>>* summaries = nullptr);

/// Compares two frames: kind, plane names in order, formats, sizes, every pixel byte, and
/// every metadata field (pixel pitch by bits, attributes as JSON values). `what` labels failures.
void expect_same_frame(const Frame& expected, const Frame& actual, const std::string& what);

/// The JSON content of a file.
nlohmann::json read_json(const std::filesystem::path& file);
/// Lines of a text file.
std::vector<std::string> read_lines(const std::filesystem::path& file);
/// SHA-256 of a file, in hex (computed here with OpenSSL, independently of the recorder).
std::string sha256_of_file(const std::filesystem::path& file);

}  // namespace oi::record_replay_test
