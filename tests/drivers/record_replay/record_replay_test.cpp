// Record a real pipeline's device output with sink.record, replay it with the replay driver
// into another pipeline, and compare every frame with the original, bit for bit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "oi/hal/device_registry.hpp"
#include "oi/xray/contract.hpp"
#include "record_replay_util.hpp"

namespace oi::record_replay_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// 3 scans x 4 blocks of 16 lines x 64 pixels, dual energy.
constexpr int kBlocks = 12;

class RecordReplay : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.load_default_locations();
    register_types(registry_);
    KeptFrames::instance().clear();
    dir_ = fresh_dir("work");
    recording_ = dir_ / "recording";
  }

  // Records mock.xray through a real pipeline; the same frames also go to test.keep "original".
  void record_mock(const std::string& scanner_params = "line_rate_hz: 0") {
    const std::string yaml =
        "devices:\n"
        "  scanner:\n"
        "    driver: mock.xray\n"
        "    uri: mock://lane1\n"
        "    params: { scans: 3, blocks_per_scan: 4, lines_per_block: 16, pixels_per_line: 64, " +
        scanner_params +
        " }\n"
        "stages:\n"
        "  rec: { type: sink.record, params: { dir: recording, note: 'three bags' } }\n"
        "  original: { type: test.keep }\n"
        "connections:\n"
        "  - { from: scanner.out, to: rec.in }\n"
        "  - { from: scanner.out, to: original.in }\n";
    std::vector<std::pair<std::string, nlohmann::json>> summaries;
    const RunResult result = run_pipeline_file(dir_ / "record.yaml", yaml, registry_, &summaries);
    ASSERT_TRUE(result.ok) << result.error;
    ASSERT_EQ(KeptFrames::instance().frames("original").size(), static_cast<std::size_t>(kBlocks));
    for (const auto& [node, summary] : summaries) {
      if (node == "rec") record_summary_ = summary;
    }
  }

  // Replays the recording into test.keep "replayed"; returns the run's wall time.
  double replay(const std::string& params, const std::string& node = "scanner") {
    const std::string yaml =
        "devices:\n"
        "  " +
        node + ": { driver: replay, uri: 'replay://" + recording_.string() + "', params: { " + params +
        " } }\n"
        "stages:\n"
        "  replayed: { type: test.keep }\n"
        "connections:\n"
        "  - { from: " +
        node + ".out, to: replayed.in }\n";
    const auto t0 = Clock::now();
    const RunResult result = run_pipeline_file(dir_ / "replay.yaml", yaml, registry_);
    EXPECT_TRUE(result.ok) << result.error;
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

  void expect_replay_is_the_original() {
    const auto original = KeptFrames::instance().frames("original");
    const auto replayed = KeptFrames::instance().frames("replayed");
    ASSERT_EQ(replayed.size(), original.size());
    for (std::size_t i = 0; i < original.size(); ++i) {
      expect_same_frame(*original[i], *replayed[i], "frame " + std::to_string(i));
    }
  }

  PluginRegistry registry_;
  fs::path dir_;
  fs::path recording_;
  nlohmann::json record_summary_;
};

TEST_F(RecordReplay, FastReplayIsBitExactInPlanesAndMetadata) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  replay("timing: fast");
  expect_replay_is_the_original();
  // Nothing needed recording under an attribute: the frames are simply the same.
  for (const auto& frame : KeptFrames::instance().frames("replayed")) {
    EXPECT_FALSE(frame->metadata().attributes.contains("recorded_sequence"));
    EXPECT_FALSE(frame->metadata().attributes.contains("replay_pass"));
  }
}

TEST_F(RecordReplay, TheRecordingHeaderHasThePipelineHashAndCounts) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  const nlohmann::json session = read_json(recording_ / "session.json");
  EXPECT_EQ(session["format"], "openinspect.recording");
  EXPECT_EQ(session["version"], 1);
  EXPECT_EQ(session["state"], "closed");
  EXPECT_EQ(session["ended"], "end_of_stream");
  EXPECT_EQ(session["frames"], kBlocks);
  EXPECT_EQ(session["note"], "three bags");
  EXPECT_EQ(session["kinds"]["xray.scan_block"], kBlocks);
  EXPECT_EQ(session["sources"]["scanner"], kBlocks);
  EXPECT_EQ(session["pipeline"]["file"], fs::absolute(dir_ / "record.yaml").string());
  EXPECT_EQ(session["pipeline"]["sha256"], sha256_of_file(dir_ / "record.yaml"));
  EXPECT_EQ(session["pipeline"]["sha256"].get<std::string>().size(), 64u);

  const std::uint64_t block_bytes = 2 /*planes*/ * 64 * 16 * 2 /*u16*/;
  EXPECT_EQ(session["data_bytes"], kBlocks * block_bytes);
  EXPECT_EQ(fs::file_size(recording_ / "frames.bin"), kBlocks * block_bytes);
  EXPECT_EQ(read_lines(recording_ / "index.jsonl").size(), static_cast<std::size_t>(kBlocks));
  EXPECT_EQ(record_summary_["frames"], kBlocks);
  EXPECT_EQ(record_summary_["bytes"], kBlocks * block_bytes);
  EXPECT_EQ(record_summary_["pipeline_sha256"], session["pipeline"]["sha256"]);
}

TEST_F(RecordReplay, RecordedTimingKeepsThePaceAndSpeedScalesIt) {
  // 16 lines at 800 Hz: a block every 20 ms, 11 gaps = 220 ms from first to last frame. The
  // mock paces to a schedule from its start, so a first block delivered late (a slow start
  // under TSan on a busy machine: 147 ms was seen) shortens the span; unpaced, 12 blocks take
  // a few milliseconds. What follows is measured against the recorded span, whatever it is.
  ASSERT_NO_FATAL_FAILURE(record_mock("line_rate_hz: 800"));
  const double recorded_s = read_json(recording_ / "session.json")["duration_ns"].get<double>() * 1e-9;
  ASSERT_GT(recorded_s, 0.08) << "the mock did not pace its blocks";

  const double at_pace = replay("timing: recorded");
  expect_replay_is_the_original();
  // Frames are never delivered early, so the run takes at least the recorded time.
  EXPECT_GE(at_pace, recorded_s * 0.95);
  const auto times = KeptFrames::instance().times("replayed");
  ASSERT_EQ(times.size(), static_cast<std::size_t>(kBlocks));
  EXPECT_GE(std::chrono::duration<double>(times.back() - times.front()).count(), recorded_s * 0.9);

  KeptFrames::instance().clear();
  const double quadruple = replay("timing: recorded, speed: 4");
  EXPECT_EQ(KeptFrames::instance().frames("replayed").size(), static_cast<std::size_t>(kBlocks));
  EXPECT_GE(quadruple, recorded_s / 4 * 0.95);

  KeptFrames::instance().clear();
  const double fast = replay("timing: fast");
  EXPECT_EQ(KeptFrames::instance().frames("replayed").size(), static_cast<std::size_t>(kBlocks));
  EXPECT_LT(fast, at_pace) << "timing: fast waits for nothing";
}

TEST_F(RecordReplay, EveryMetadataFieldAndPlaneFormatRoundTrips) {
  // Not a HAL device: the source numbers its frames from 100 itself, so replay keeps the
  // recorded number in `recorded_sequence` and numbers the frames 0, 1, 2... as every HAL
  // device does. Everything else comes back unchanged, padded rows included.
  const std::string record =
      "devices:\n  camera: { driver: test.rich, params: { count: 6, first_sequence: 100 } }\n"
      "stages:\n  rec: { type: sink.record, params: { dir: recording } }\n  original: { type: test.keep }\n"
      "connections:\n  - { from: camera.out, to: rec.in }\n  - { from: camera.out, to: original.in }\n";
  ASSERT_TRUE(run_pipeline_file(dir_ / "record.yaml", record, registry_).ok);
  replay("timing: fast", "camera");
  const auto original = KeptFrames::instance().frames("original");
  const auto replayed = KeptFrames::instance().frames("replayed");
  ASSERT_EQ(replayed.size(), 6u);
  for (std::size_t i = 0; i < original.size(); ++i) {
    auto expected = original[i]->clone();
    expected->metadata().sequence = i;
    expected->metadata().attributes["recorded_sequence"] = 100 + i;
    expect_same_frame(*expected, *replayed[i], "frame " + std::to_string(i));
  }
}

TEST_F(RecordReplay, ReplayFeedsTypedInputsOfScanAssembleAndSinkImage) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  const std::string yaml = "devices:\n  scanner: { driver: replay, uri: 'replay://" + recording_.string() +
                           "', params: { timing: fast } }\n"
                           "stages:\n"
                           "  assemble: { type: scan.assemble }\n"
                           "  scans: { type: test.keep }\n"
                           "  images: { type: sink.image, params: { dir: images } }\n"
                           "connections:\n"
                           "  - { from: scanner.out, to: assemble.in }\n"
                           "  - { from: assemble.out, to: scans.in }\n"
                           "  - { from: scanner.out, to: images.in }\n";
  const RunResult result = run_pipeline_file(dir_ / "typed.yaml", yaml, registry_);
  ASSERT_TRUE(result.ok) << result.error;
  const auto scans = KeptFrames::instance().frames("scans");
  ASSERT_EQ(scans.size(), 3u);
  for (const auto& scan : scans) {
    EXPECT_EQ(scan->kind(), oi::xray::frame_kind::kScan);
    EXPECT_EQ(scan->plane("high").height, 4 * 16);
    EXPECT_FALSE(scan->metadata().incomplete);
  }
  std::size_t pngs = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "images"))
    pngs += entry.path().extension() == ".png";
  EXPECT_EQ(pngs, static_cast<std::size_t>(kBlocks * 2));
}

// The HAL device itself, as oi-conformance and tools use it.
class ReplayDeviceApi : public RecordReplay {
 protected:
  std::unique_ptr<hal::Device> make() {
    auto device = hal::DeviceRegistry::instance().create("replay");
    EXPECT_NE(device, nullptr) << "the replay plugin was not loaded";
    return device;
  }
};

TEST_F(ReplayDeviceApi, LoopKeepsSequencesAndCaptureTimesIncreasingAndMarksLaterPasses) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  auto device = make();
  ASSERT_NE(device, nullptr);
  Status s = device->configure("replay://" + recording_.string(), {{"timing", "fast"}, {"loop", true}});
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(device->start().is_ok());
  const auto original = KeptFrames::instance().frames("original");
  std::int64_t last_time = 0;
  for (std::size_t i = 0; i < 3 * kBlocks + 1; ++i) {
    FramePtr frame;
    s = device->read(frame, std::chrono::milliseconds(1000));
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_NE(frame, nullptr) << "frame " << i;
    const std::size_t pass = i / kBlocks;
    const Frame& recorded = *original[i % kBlocks];
    EXPECT_EQ(frame->metadata().sequence, i);
    EXPECT_GT(frame->metadata().capture_time_ns, last_time) << "frame " << i;
    last_time = frame->metadata().capture_time_ns;
    if (pass == 0) {
      expect_same_frame(recorded, *frame, "pass 0 frame " + std::to_string(i));
      continue;
    }
    // Later passes: the same planes, capture times moved on, the recorded values kept.
    auto expected = recorded.clone();
    expected->metadata().sequence = i;
    expected->metadata().capture_time_ns = frame->metadata().capture_time_ns;
    expected->metadata().attributes["replay_pass"] = pass;
    expected->metadata().attributes["recorded_capture_time_ns"] = recorded.metadata().capture_time_ns;
    expected->metadata().attributes["recorded_sequence"] = recorded.metadata().sequence;
    expect_same_frame(*expected, *frame, "pass " + std::to_string(pass) + " frame " + std::to_string(i));
  }
  EXPECT_TRUE(device->close().is_ok());
}

TEST_F(ReplayDeviceApi, WithoutLoopTheStreamEndsAfterTheLastFrame) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  auto device = make();
  ASSERT_TRUE(device->configure("replay://" + recording_.string(), {{"timing", "fast"}}).is_ok());
  ASSERT_TRUE(device->start().is_ok());
  std::size_t frames = 0;
  for (;;) {
    FramePtr frame;
    Status s = device->read(frame, std::chrono::milliseconds(1000));
    if (s.is_end_of_stream()) break;
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_NE(frame, nullptr);
    ++frames;
    ASSERT_LE(frames, static_cast<std::size_t>(kBlocks));
  }
  EXPECT_EQ(frames, static_cast<std::size_t>(kBlocks));
  EXPECT_TRUE(device->capabilities().finite);
}

TEST_F(ReplayDeviceApi, IdentityNamesTheRecordingSession) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  auto device = make();
  ASSERT_TRUE(device->configure("replay://" + recording_.string()).is_ok());
  const nlohmann::json session = read_json(recording_ / "session.json");
  EXPECT_EQ(device->identity().serial, session["id"].get<std::string>());
  EXPECT_EQ(device->identity().model, "Recording replay");
  EXPECT_EQ(device->identity().firmware_version, "recording format 1");
}

TEST_F(ReplayDeviceApi, RecordingsInOiRecordingsAreEnumeratedAndRelativeUrisResolveThere) {
  ASSERT_NO_FATAL_FAILURE(record_mock());
  ::setenv("OI_RECORDINGS", dir_.c_str(), 1);
  auto device = make();
  auto found = device->enumerate();
  ASSERT_TRUE(found.ok()) << found.status().message();
  ASSERT_EQ(found.value().size(), 1u);
  EXPECT_EQ(found.value()[0].uri, "replay://" + recording_.string());
  EXPECT_THAT(found.value()[0].description, HasSubstr("12 frame(s)"));
  Status s = device->configure("replay://recording", {{"timing", "fast"}});
  EXPECT_TRUE(s.is_ok()) << s.message();
  ::unsetenv("OI_RECORDINGS");
  auto none = make()->enumerate();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty()) << "without OI_RECORDINGS there is nothing to list";
}

TEST_F(ReplayDeviceApi, SpeedCanChangeWhileStreaming) {
  ASSERT_NO_FATAL_FAILURE(record_mock("line_rate_hz: 800"));
  auto device = make();
  ASSERT_TRUE(device->configure("replay://" + recording_.string(), {{"speed", 0.01}}).is_ok());
  ASSERT_TRUE(device->start().is_ok());
  FramePtr frame;
  ASSERT_TRUE(device->read(frame, std::chrono::milliseconds(1000)).is_ok());
  ASSERT_NE(frame, nullptr) << "the first frame is due at once";
  // At 1/100 speed the next block is 2 s away; at 100x it is due almost at once.
  ASSERT_TRUE(device->read(frame, std::chrono::milliseconds(50)).is_ok());
  EXPECT_EQ(frame, nullptr);
  ASSERT_TRUE(device->set("speed", 100.0).is_ok());
  const auto t0 = Clock::now();
  while (!frame && Clock::now() - t0 < std::chrono::seconds(5)) {
    ASSERT_TRUE(device->read(frame, std::chrono::milliseconds(50)).is_ok());
  }
  ASSERT_NE(frame, nullptr);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(1));
}

}  // namespace
}  // namespace oi::record_replay_test
