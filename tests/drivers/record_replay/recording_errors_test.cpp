// What goes wrong around recordings: a recorder killed mid-run, damaged files, a recording
// removed or cut short while it is replayed, bad URIs and recording over an earlier recording. Every case is
// a clear error or a clearly reported truncation, never a crash or a silently shorter replay.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <functional>
#include <thread>

#include "file_size_limit.hpp"
#include "oi/error.hpp"
#include "oi/hal/device_registry.hpp"
#include "process.hpp"
#include "record_replay_util.hpp"

namespace oi::record_replay_test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kBlocks = 12;

std::string record_yaml(const std::string& scanner_params, const std::string& record_params) {
  return "devices:\n"
         "  scanner: { driver: mock.xray, uri: mock://lane1, params: { pixels_per_line: 32, "
         "lines_per_block: 8, " +
         scanner_params +
         " } }\n"
         "stages:\n"
         "  rec: { type: sink.record, params: { dir: recording" +
         record_params +
         " } }\n"
         "connections:\n"
         "  - { from: scanner.out, to: rec.in }\n";
}

void write_text(const fs::path& file, const std::string& text, std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out(file, std::ios::binary | mode);
  out << text;
}

class RecordingErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.load_default_locations();
    register_types(registry_);
    KeptFrames::instance().clear();
    dir_ = fresh_dir("work");
    recording_ = dir_ / "recording";
  }

  void record(const std::string& record_params = "") {
    const RunResult result = run_pipeline_file(
        dir_ / "record.yaml", record_yaml("scans: 3, blocks_per_scan: 4", record_params), registry_);
    ASSERT_TRUE(result.ok) << result.error;
  }

  // Replays the recording into test.keep "replayed".
  std::string replay_yaml(const std::string& params) const {
    return "devices:\n  scanner: { driver: replay, uri: 'replay://" + recording_.string() + "', params: { " +
           params +
           " } }\n"
           "stages:\n  replayed: { type: test.keep }\n"
           "connections:\n  - { from: scanner.out, to: replayed.in }\n";
  }

  // Loads `yaml` and creates the pipeline, which configures the replay device: the recording is
  // opened. Then `damage` runs, then the pipeline to its end: what the device finds when it
  // reads the frames is what a removal or truncation during the replay leaves.
  RunResult run_damaged(const std::string& yaml, const std::function<void()>& damage,
                        std::vector<std::pair<std::string, nlohmann::json>>* summaries) {
    write_text(dir_ / "replay.yaml", yaml);
    Pipeline pipeline(load_pipeline(dir_ / "replay.yaml", registry_), registry_);
    damage();
    RunOptions options;
    options.threads = 2;
    RunResult result = pipeline.run(options);
    *summaries = pipeline.stage_summaries();
    return result;
  }

  // The byte frame `frame` starts at in frames.bin.
  std::uint64_t offset_of(int frame) const {
    return nlohmann::json::parse(
               read_lines(recording_ / "index.jsonl")[static_cast<std::size_t>(frame)])["offset"]
        .get<std::uint64_t>();
  }

  // The summary of node `name`.
  static nlohmann::json summary_of(const std::vector<std::pair<std::string, nlohmann::json>>& summaries,
                                   const std::string& name) {
    for (const auto& [node, summary] : summaries) {
      if (node == name) return summary;
    }
    ADD_FAILURE() << "no summary for " << name;
    return nlohmann::json::object();
  }

  // Changes one byte inside recorded frame `frame`'s data, so its SHA-256 check fails.
  void corrupt_frame(int frame) {
    const nlohmann::json entry =
        nlohmann::json::parse(read_lines(recording_ / "index.jsonl")[static_cast<std::size_t>(frame)]);
    std::fstream data(recording_ / "frames.bin", std::ios::binary | std::ios::in | std::ios::out);
    data.seekp(entry["offset"].get<std::streamoff>() + 17);
    data.put('\x5a');
  }

  std::unique_ptr<hal::Device> device() {
    auto d = hal::DeviceRegistry::instance().create("replay");
    EXPECT_NE(d, nullptr);
    return d;
  }

  Status open(hal::Device& d, std::map<std::string, ParamValue> params = {{"timing", "fast"}}) {
    return d.configure("replay://" + recording_.string(), params);
  }

  // Reads until end of stream; the number of frames, or -1 after an error (in `error`).
  static int read_all(hal::Device& d, std::string* error = nullptr) {
    if (Status s = d.start(); !s.is_ok()) {
      if (error) *error = s.message();
      return -1;
    }
    int frames = 0;
    for (int guard = 0; guard < 100000; ++guard) {
      FramePtr frame;
      Status s = d.read(frame, std::chrono::milliseconds(1000));
      if (s.is_end_of_stream()) return frames;
      if (s.is_error()) {
        if (error) *error = s.message();
        return -1;
      }
      if (frame) ++frames;
    }
    return -2;
  }

  // Makes the recording look like its recorder died: header back to "recording".
  void unclose() {
    nlohmann::json session = read_json(recording_ / "session.json");
    session["state"] = "recording";
    for (const char* key : {"ended", "frames", "data_bytes", "duration_ns", "kinds", "sources"})
      session.erase(key);
    write_text(recording_ / "session.json", session.dump(2));
  }

  PluginRegistry registry_;
  fs::path dir_;
  fs::path recording_;
};

TEST_F(RecordingErrors, ARecorderKilledMidRunLeavesAReadableTruncatedRecording) {
  // A real crash: `oi run` recording an endless scanner, killed with SIGKILL.
  write_text(dir_ / "endless.yaml", record_yaml("scans: 0, line_rate_hz: 800", ""));
  oi::test::Process oi_run({OI_EXE, "run", (dir_ / "endless.yaml").string(), "-q"}, {{"OI_PLUGIN_PATH", ""}},
                           dir_.string());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(recording_ / "index.jsonl") || read_lines(recording_ / "index.jsonl").size() < 8)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(oi_run.pid(), SIGKILL);
  const oi::test::ProcessResult killed = oi_run.wait();
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << "oi run ended by itself: " << killed.err;
  ASSERT_EQ(read_json(recording_ / "session.json")["state"], "recording");

  auto strict = device();
  Status s = open(*strict, {{"timing", "fast"}, {"allow_truncated", false}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("is truncated"));
  EXPECT_THAT(s.message(), HasSubstr("crashed or was killed"));
  EXPECT_EQ(strict->state(), hal::DeviceState::kUnconfigured);

  // Every complete index line is a complete frame; its bytes pass the SHA-256 check.
  std::size_t complete_lines = 0;
  for (const std::string& line : read_lines(recording_ / "index.jsonl")) {
    complete_lines += !nlohmann::json::parse(line, nullptr, false).is_discarded();
  }
  auto lenient = device();
  s = open(*lenient);
  ASSERT_TRUE(s.is_ok()) << s.message();
  std::string error;
  const int frames = read_all(*lenient, &error);
  EXPECT_GE(frames, 8) << error;
  EXPECT_LE(static_cast<std::size_t>(frames), complete_lines);
  EXPECT_GE(static_cast<std::size_t>(frames) + 1, complete_lines) << "at most the last line may be partial";
}

TEST_F(RecordingErrors, AFullDiskFailsTheRunNamingTheFileAndWhatWasRecordedReplays) {
  // The disk fills while recording (every file this process writes may grow to 3000 bytes:
  // frames.bin holds five 512-byte blocks, index.jsonl about seven lines).
  RunResult result;
  {
    const oi::test::FileSizeLimit full_disk(3000);
    ASSERT_TRUE(full_disk.ok());
    result =
        run_pipeline_file(dir_ / "record.yaml", record_yaml("scans: 3, blocks_per_scan: 4", ""), registry_);
  }
  ASSERT_FALSE(result.ok) << "a recording the disk could not hold was reported complete";
  EXPECT_THAT(result.error, HasSubstr((recording_ / "frames.bin").string()));
  // The blocks written before the disk filled replay exactly; none is made up.
  auto lenient = device();
  const Status s = open(*lenient, {{"timing", "fast"}});
  ASSERT_TRUE(s.is_ok()) << s.message();
  std::string error;
  const int frames = read_all(*lenient, &error);
  EXPECT_GE(frames, 1) << error;
  EXPECT_LT(frames, kBlocks);
  EXPECT_EQ(read_json(recording_ / "session.json")["frames"], frames) << "session.json agrees with the files";
}

TEST_F(RecordingErrors, ATruncatedRecordingReplaysItsCompleteFramesExactly) {
  const std::string yaml =
      "devices:\n  scanner: { driver: mock.xray, uri: mock://lane1, params: { scans: 3, blocks_per_scan: 4 } "
      "}\n"
      "stages:\n  rec: { type: sink.record, params: { dir: recording } }\n  original: { type: test.keep }\n"
      "connections:\n  - { from: scanner.out, to: rec.in }\n  - { from: scanner.out, to: original.in }\n";
  ASSERT_TRUE(run_pipeline_file(dir_ / "record.yaml", yaml, registry_).ok);
  unclose();
  // What a crash between writes leaves: a frame's bytes half written, its index line half written.
  write_text(recording_ / "frames.bin", std::string(100, '\x7f'), std::ios::app);
  const std::string last = read_lines(recording_ / "index.jsonl").back();
  write_text(recording_ / "index.jsonl", last.substr(0, last.size() / 2), std::ios::app);

  const RunResult result = run_pipeline_file(dir_ / "replay.yaml", replay_yaml("timing: fast"), registry_);
  ASSERT_TRUE(result.ok) << result.error;
  const auto original = KeptFrames::instance().frames("original");
  const auto replayed = KeptFrames::instance().frames("replayed");
  ASSERT_EQ(replayed.size(), static_cast<std::size_t>(kBlocks));
  for (std::size_t i = 0; i < original.size(); ++i)
    expect_same_frame(*original[i], *replayed[i], std::to_string(i));
}

TEST_F(RecordingErrors, AFrameIndexedButWithoutItsBytesIsTruncationWhenUnclosedAndAnErrorWhenClosed) {
  ASSERT_NO_FATAL_FAILURE(record());
  // Drop the last frame's bytes: the recorder never got to write them (unclosed) or they
  // were lost afterwards (closed).
  const auto size = fs::file_size(recording_ / "frames.bin");
  fs::resize_file(recording_ / "frames.bin", size - 10);
  auto closed = device();
  Status s = open(*closed);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("index.jsonl:12"));
  EXPECT_THAT(s.message(), HasSubstr("frames.bin has only"));
  EXPECT_THAT(s.message(), HasSubstr("record it again"));

  unclose();
  auto truncated = device();
  s = open(*truncated);
  ASSERT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(read_all(*truncated), kBlocks - 1);
}

TEST_F(RecordingErrors, CorruptFrameBytesAreAFaultNamingTheFrame) {
  ASSERT_NO_FATAL_FAILURE(record());
  corrupt_frame(3);
  auto d = device();
  ASSERT_TRUE(open(*d).is_ok());
  std::string error;
  EXPECT_EQ(read_all(*d, &error), -1);
  EXPECT_THAT(error, HasSubstr("frame 3"));
  EXPECT_THAT(error, HasSubstr("SHA-256"));
  EXPECT_EQ(d->state(), hal::DeviceState::kFault);

  // In a pipeline the supervisor restarts the device past the bad frame and counts it lost.
  const std::string yaml = replay_yaml("timing: fast, retry_backoff_ms: 1");
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  const RunResult result = run_pipeline_file(dir_ / "replay.yaml", yaml, registry_, &summaries);
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(KeptFrames::instance().frames("replayed").size(), static_cast<std::size_t>(kBlocks - 1));
  ASSERT_EQ(summaries.at(0).first, "scanner");
  EXPECT_EQ(summaries.at(0).second["lost"], 1);
  EXPECT_EQ(summaries.at(0).second["faults"], 1);
  EXPECT_THAT(summaries.at(0).second["last_fault"].get<std::string>(), HasSubstr("frame 3"));

  // With on_fault: stop the run fails, naming the device.
  KeptFrames::instance().clear();
  const std::string stop = std::string(yaml).replace(yaml.find("retry_backoff_ms: 1"), 19, "on_fault: stop");
  const RunResult stopped = run_pipeline_file(dir_ / "replay_stop.yaml", stop, registry_);
  EXPECT_FALSE(stopped.ok);
  EXPECT_THAT(stopped.error, HasSubstr("stage 'scanner' (type 'replay'"));
  EXPECT_THAT(stopped.error, HasSubstr("SHA-256"));
}

TEST_F(RecordingErrors, EachCorruptFrameInARowIsCountedLost) {
  ASSERT_NO_FATAL_FAILURE(record());
  corrupt_frame(3);
  corrupt_frame(4);
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  const RunResult result = run_pipeline_file(
      dir_ / "replay.yaml", replay_yaml("timing: fast, retry_backoff_ms: 1"), registry_, &summaries);
  ASSERT_TRUE(result.ok) << result.error;
  // Delivered plus lost is everything recorded: nothing vanishes uncounted.
  EXPECT_EQ(KeptFrames::instance().frames("replayed").size(), static_cast<std::size_t>(kBlocks - 2));
  ASSERT_EQ(summaries.at(0).first, "scanner");
  EXPECT_EQ(summaries.at(0).second["lost"], 2) << summaries.at(0).second.dump();
  EXPECT_EQ(summaries.at(0).second["faults"], 2);
}

TEST_F(RecordingErrors, ARecordingRemovedMidReplayPlaysOnWholeFromTheOpenFile) {
  ASSERT_NO_FATAL_FAILURE(record());
  ASSERT_TRUE(run_pipeline_file(dir_ / "before.yaml", replay_yaml("timing: fast"), registry_).ok);
  const std::vector<FramePtr> before = KeptFrames::instance().frames("replayed");
  ASSERT_EQ(before.size(), static_cast<std::size_t>(kBlocks));
  KeptFrames::instance().clear();

  // The folder is removed once the device has opened it: frames.bin stays readable through the
  // open file (POSIX keeps a removed file while it is open), so every frame comes, each checked
  // against its SHA-256, and nothing is lost.
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  const RunResult result = run_damaged(
      replay_yaml("timing: fast, retry_backoff_ms: 1"), [&] { fs::remove_all(recording_); }, &summaries);
  ASSERT_FALSE(fs::exists(recording_));
  ASSERT_TRUE(result.ok) << result.error;
  const std::vector<FramePtr> after = KeptFrames::instance().frames("replayed");
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < before.size(); ++i) expect_same_frame(*before[i], *after[i], std::to_string(i));
  const nlohmann::json scanner = summary_of(summaries, "scanner");
  EXPECT_EQ(scanner["faults"], 0) << scanner.dump();
  EXPECT_EQ(scanner["lost"], 0) << scanner.dump();

  // The same while streaming, read by read; only opening the file again (what a restart after a
  // fault does) finds it gone, and says so naming the device and the file.
  ASSERT_NO_FATAL_FAILURE(record());
  auto d = device();
  ASSERT_TRUE(open(*d).is_ok());
  ASSERT_TRUE(d->start().is_ok());
  int frames = 0;
  for (; frames < 3; ++frames) {
    FramePtr frame;
    ASSERT_TRUE(d->read(frame, std::chrono::milliseconds(1000)).is_ok());
    ASSERT_TRUE(frame);
  }
  fs::remove_all(recording_);
  for (int guard = 0; guard < 100; ++guard) {
    FramePtr frame;
    const Status s = d->read(frame, std::chrono::milliseconds(1000));
    if (s.is_end_of_stream()) break;
    ASSERT_TRUE(s.is_ok()) << s.message();
    if (frame) ++frames;
  }
  EXPECT_EQ(frames, kBlocks);
  ASSERT_TRUE(d->fault("a fault after the recording was removed").is_ok());
  const Status s = d->recover();
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("replay://" + recording_.string()));
  EXPECT_THAT(s.message(), HasSubstr((recording_ / "frames.bin").string() + ": is gone"));
  EXPECT_THAT(s.message(), HasSubstr("removed or moved after it was opened"));
  EXPECT_EQ(d->state(), hal::DeviceState::kFault);
}

TEST_F(RecordingErrors, ARecordingRemovedMidReplayFailsTheRunNamingTheFileWhenARestartMustReopenIt) {
  ASSERT_NO_FATAL_FAILURE(record());
  corrupt_frame(8);  // the fault after which the device is restarted and reopens frames.bin
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  const RunResult result = run_damaged(
      replay_yaml("timing: fast, retry_backoff_ms: 1"), [&] { fs::remove_all(recording_); }, &summaries);
  ASSERT_FALSE(result.ok) << "a recording that cannot be read on was reported replayed";
  EXPECT_THAT(result.error, HasSubstr("stage 'scanner' (type 'replay'"));
  EXPECT_THAT(result.error, HasSubstr("gave up after 3 recovery attempt(s)"));
  EXPECT_THAT(result.error, HasSubstr((recording_ / "frames.bin").string() + ": is gone"));
  // The frames before the fault came out; the fault names the frame.
  const nlohmann::json scanner = summary_of(summaries, "scanner");
  EXPECT_EQ(scanner["frames"], 8) << scanner.dump();
  EXPECT_EQ(scanner["faults"], 1) << scanner.dump();
  EXPECT_EQ(scanner["restarts"], 0) << scanner.dump();
  EXPECT_EQ(scanner["gave_up"], true) << scanner.dump();
  EXPECT_THAT(scanner["last_fault"].get<std::string>(), HasSubstr("frame 8"));
}

TEST_F(RecordingErrors, AFramesFileCutShortMidReplayCountsEveryFrameItLostAndCutsTheScan) {
  ASSERT_NO_FATAL_FAILURE(record());
  // Cut where frame 6 begins (block 2 of scan 2): frames 6 to 11 are gone, 6 and 7 from the
  // middle of scan 2, 8 to 11 all of scan 3.
  const std::uint64_t cut = offset_of(6);
  const std::string yaml =
      "devices:\n  scanner: { driver: replay, uri: 'replay://" + recording_.string() +
      "', params: { timing: fast, retry_backoff_ms: 1 } }\n"
      "stages:\n  replayed: { type: test.keep }\n  assemble: { type: scan.assemble }\n"
      "  scans: { type: test.keep }\n"
      "connections:\n  - { from: scanner.out, to: replayed.in }\n  - { from: scanner.out, to: assemble.in }\n"
      "  - { from: assemble.out, to: scans.in }\n";
  std::vector<std::pair<std::string, nlohmann::json>> summaries;
  const RunResult result = run_damaged(
      yaml, [&] { fs::resize_file(recording_ / "frames.bin", cut); }, &summaries);
  ASSERT_TRUE(result.ok) << result.error;

  // One fault naming the file and what happened; every frame whose bytes are gone is counted
  // lost at once (not one fault each until the supervisor gives up): delivered plus lost is
  // everything recorded.
  const nlohmann::json scanner = summary_of(summaries, "scanner");
  EXPECT_EQ(KeptFrames::instance().frames("replayed").size(), 6u);
  EXPECT_EQ(scanner["lost"], kBlocks - 6) << scanner.dump();
  EXPECT_EQ(scanner["faults"], 1) << scanner.dump();
  EXPECT_EQ(scanner["restarts"], 1) << scanner.dump();
  const std::string fault = scanner["last_fault"].get<std::string>();
  EXPECT_THAT(fault, HasSubstr("replay://" + recording_.string()));
  EXPECT_THAT(fault, HasSubstr((recording_ / "frames.bin").string() + ": ended inside frame 6"));
  EXPECT_THAT(fault, HasSubstr("the file shrank after the recording was opened"));
  // Scan 2 comes out incomplete, never as if whole; scan 3 never began.
  const std::vector<FramePtr> scans = KeptFrames::instance().frames("scans");
  ASSERT_EQ(scans.size(), 2u);
  EXPECT_FALSE(scans[0]->metadata().incomplete);
  EXPECT_TRUE(scans[1]->metadata().incomplete);
  EXPECT_EQ(summary_of(summaries, "assemble")["incomplete"], 1);

  // With on_fault: stop the run fails, naming the device and the file.
  ASSERT_NO_FATAL_FAILURE(record(", overwrite: true"));
  const RunResult stopped = run_damaged(
      replay_yaml("timing: fast, on_fault: stop"), [&] { fs::resize_file(recording_ / "frames.bin", cut); },
      &summaries);
  EXPECT_FALSE(stopped.ok);
  EXPECT_THAT(stopped.error, HasSubstr("stage 'scanner' (type 'replay'"));
  EXPECT_THAT(stopped.error, HasSubstr("frames.bin: ended inside frame 6"));
  EXPECT_EQ(summary_of(summaries, "scanner")["frames"], 6);
}

TEST_F(RecordingErrors, DamagedIndexAndHeaderAreErrorsNamingFileAndLine) {
  ASSERT_NO_FATAL_FAILURE(record());
  auto lines = read_lines(recording_ / "index.jsonl");
  const std::string good_index = [&] {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
  }();

  struct Case {
    std::string name;
    std::function<void()> damage;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"garbage line",
       [&] {
         auto copy = lines;
         copy[1] = "{\"frame\": 1, oops";
         std::string text;
         for (const auto& l : copy) text += l + "\n";
         write_text(recording_ / "index.jsonl", text);
       },
       "index.jsonl:2: is not valid JSON"},
      {"line missing",
       [&] {
         std::string text;
         for (std::size_t i = 0; i < lines.size(); ++i)
           if (i != 4) text += lines[i] + "\n";
         write_text(recording_ / "index.jsonl", text);
       },
       "index.jsonl:5: is frame 5 but frame 4 was expected"},
      {"bad plane size",
       [&] {
         auto copy = lines;
         auto line = nlohmann::json::parse(copy[0]);
         line["planes"][0]["width"] = 33;
         copy[0] = line.dump();
         std::string text;
         for (const auto& l : copy) text += l + "\n";
         write_text(recording_ / "index.jsonl", text);
       },
       "index.jsonl:1: plane 'high': 'bytes' is 512 but 33 x 8 u16 pixels take 528"},
      {"cut-off line in a closed recording",
       [&] { write_text(recording_ / "index.jsonl", good_index.substr(0, good_index.size() - 20)); },
       "damaged after recording"},
      {"header missing", [&] { fs::remove(recording_ / "session.json"); }, "session.json is missing"},
      {"header not JSON", [&] { write_text(recording_ / "session.json", "{ nope"); },
       "session.json: is not valid JSON"},
      {"newer format",
       [&] {
         auto session = read_json(recording_ / "session.json");
         session["version"] = 99;
         write_text(recording_ / "session.json", session.dump());
       },
       "update OpenInspect"},
      {"frame count differs",
       [&] {
         auto session = read_json(recording_ / "session.json");
         session["frames"] = 13;
         write_text(recording_ / "session.json", session.dump());
       },
       "session.json says 13 were recorded"},
  };
  const std::string session_text = [&] {
    std::ifstream in(recording_ / "session.json");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    write_text(recording_ / "index.jsonl", good_index);
    write_text(recording_ / "session.json", session_text);
    c.damage();
    auto d = device();
    Status s = open(*d);
    ASSERT_TRUE(s.is_error());
    EXPECT_THAT(s.message(), HasSubstr(c.expected));
    EXPECT_THAT(s.message(), HasSubstr("replay://" + recording_.string())) << "the error names the URI";
    EXPECT_EQ(d->state(), hal::DeviceState::kUnconfigured);
  }
}

TEST_F(RecordingErrors, BadUrisAreClearErrors) {
  auto d = device();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"http://recording",
       "unsupported URI 'http://recording': the driver opens 'replay:///absolute/folder'"},
      {"replay://", "unsupported URI 'replay://': the driver opens 'replay:///absolute/folder'"},
      {"replay://" + (dir_ / "nowhere").string(), "the folder does not exist"},
      {"replay://" + dir_.string(), "session.json is missing"},
  };
  for (const auto& [uri, expected] : cases) {
    SCOPED_TRACE(uri);
    Status s = d->configure(uri);
    ASSERT_TRUE(s.is_error());
    EXPECT_THAT(s.message(), HasSubstr(expected));
    EXPECT_EQ(d->state(), hal::DeviceState::kUnconfigured);
  }
}

TEST_F(RecordingErrors, AnExistingRecordingIsOnlyReplacedWithOverwrite) {
  ASSERT_NO_FATAL_FAILURE(record());
  const std::string first_id = read_json(recording_ / "session.json")["id"];
  try {
    run_pipeline_file(dir_ / "record.yaml", record_yaml("scans: 1, blocks_per_scan: 2", ""), registry_);
    FAIL() << "recording over a recording without overwrite must be refused";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("already holds a recording"));
    EXPECT_THAT(e.what(), HasSubstr("overwrite: true"));
    EXPECT_THAT(e.what(), HasSubstr("record.yaml:")) << "reported with the node's position";
  }
  EXPECT_EQ(read_json(recording_ / "session.json")["id"], first_id) << "the old recording is untouched";
  EXPECT_EQ(read_json(recording_ / "session.json")["frames"], kBlocks);

  const RunResult again = run_pipeline_file(
      dir_ / "record.yaml", record_yaml("scans: 1, blocks_per_scan: 2", ", overwrite: true"), registry_);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_NE(read_json(recording_ / "session.json")["id"], first_id);
  EXPECT_EQ(read_json(recording_ / "session.json")["frames"], 2);
  EXPECT_EQ(read_lines(recording_ / "index.jsonl").size(), 2u);
}

TEST_F(RecordingErrors, OverwriteNeverDeletesFilesThatAreNotARecording) {
  fs::create_directories(recording_);
  write_text(recording_ / "notes.txt", "precious");
  try {
    run_pipeline_file(dir_ / "record.yaml", record_yaml("scans: 1", ", overwrite: true"), registry_);
    FAIL() << "a folder with other files must be refused";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not part of a recording (e.g. 'notes.txt')"));
  }
  EXPECT_TRUE(fs::exists(recording_ / "notes.txt"));
  EXPECT_FALSE(fs::exists(recording_ / "session.json"));
}

TEST_F(RecordingErrors, RecordNeedsADir) {
  const std::string yaml =
      "devices:\n  scanner: { driver: mock.xray, params: { scans: 1 } }\n"
      "stages:\n  rec: { type: sink.record }\n"
      "connections:\n  - { from: scanner.out, to: rec.in }\n";
  try {
    run_pipeline_file(dir_ / "nodir.yaml", yaml, registry_);
    FAIL() << "dir is required";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dir"));
  }
}

}  // namespace
}  // namespace oi::record_replay_test
