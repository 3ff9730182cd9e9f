#pragma once
// In-process stage types for tests, registered without any plugin library.
//
//   test.source   driver, output "out" (xray.scan_block<u16>): emits `count` frames with a
//                 16x4 u16 plane "high" and sequence numbers 0..count-1; `delay_us` between
//                 frames; `count` 0 = endless; `fail_at` >= 0 returns an error at that frame.
//   test.video    driver, output "out" (video.frame<rgb8>): `count` 8x8 RGB frames.
//   test.pass     stage, in -> out, any type (out carries in's kind: PortSpec::kind_follows);
//                 `sleep_us` per frame; `fail_at` errors at that
//                 frame; `throw_at` throws std::runtime_error at that frame.
//   test.join     stage, inputs "a" and "b" (b optional) -> out.
//   test.sink     stage, input "in" (xray.scan_block<u16>): counts frames into the global
//                 TestSinkLog under its node name; `sleep_us` per frame.
//   test.mux      stage, input "in" (any type, multi_source: one connection per source): records
//                 every frame's sequence under "<node>/<source_device>" in TestSinkLog.
//   test.params   stage, in -> out; declares one parameter of every type, for validation tests.
//   test.scans    driver, output "out" (xray.scan): emits the frames set_test_scans() queued, in
//                 order (each instance from the first); registered by register_test_scans().

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "oi/frame.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::test {

/// Registers every type above but test.scans into `registry`.
void register_test_stages(PluginRegistry& registry);

/// Registers test.scans alone (tests of sinks that load the sink's plugin into their own registry).
void register_test_scans(PluginRegistry& registry);
/// The frames test.scans emits from now on. Thread-safe.
void set_test_scans(std::vector<FramePtr> frames);

/// What test.sink nodes received, by node name. Thread-safe.
class TestSinkLog {
 public:
  static TestSinkLog& instance();
  void record(const std::string& node, std::uint64_t sequence);
  /// Records the frame's sequence and keeps its metadata (test.sink, test.mux).
  void record(const std::string& node, const FrameMetadata& meta);
  std::vector<std::uint64_t> sequences(const std::string& node) const;
  /// Metadata of the frames recorded with it, in arrival order.
  std::vector<FrameMetadata> frames(const std::string& node) const;
  bool finished(const std::string& node) const;
  void mark_finished(const std::string& node);
  void clear();

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::uint64_t>> sequences_;
  std::map<std::string, std::vector<FrameMetadata>> frames_;
  std::map<std::string, bool> finished_;
};

}  // namespace oi::test
