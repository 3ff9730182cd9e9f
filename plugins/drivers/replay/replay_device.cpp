// replay: plays back a recording made by sink.record as if the recorded device were there,
// so a pipeline can be regression-tested without hardware. Frames come out as recorded —
// kind, planes byte for byte, metadata — at the recorded pace or as fast as possible.
// What "as recorded" means exactly, given that the HAL stamps its own sequence numbers, is
// in docs/recording.md ("What bit-exact means").
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "oi/hal/driver.hpp"
#include "oi/hal/uri.hpp"
#include "recording_reader.hpp"

namespace fs = std::filesystem;

namespace {

using oi::Status;
using oi::replay::Recording;
using Clock = std::chrono::steady_clock;

constexpr const char* kScheme = "replay://";
constexpr const char* kRecordingsEnv = "OI_RECORDINGS";

// The folder relative URIs resolve against: $OI_RECORDINGS when set, else the working folder.
fs::path recordings_base() {
  const char* env = std::getenv(kRecordingsEnv);
  if (env != nullptr && *env != '\0') return fs::path(env);
  std::error_code ec;
  return fs::current_path(ec);
}

class ReplayDevice final : public oi::hal::Device {
 protected:
  void on_setup(oi::hal::DeviceSpec& spec) override {
    spec.describe(
        "Plays back a recording made by sink.record: frames of any kind, planes byte for byte and "
        "metadata as recorded, at the recorded pace (`timing: recorded`, scaled by `speed`) or as "
        "fast as possible (`timing: fast`), optionally in a loop. URI `replay:///abs/folder`; a "
        "relative `replay://folder` resolves against $OI_RECORDINGS, else the working folder. "
        "`oi devices` lists the recordings in $OI_RECORDINGS. Format and guarantees: docs/recording.md.");
    oi::hal::DeviceCapabilities caps;
    caps.kind = oi::hal::DeviceKind::kOther;
    // Declared before any recording is opened, so it cannot name the recorded kind: "any"
    // lets the output feed typed inputs (xray.scan_block, video.frame) and the frames carry
    // their recorded kind.
    caps.frame_kind = std::string(oi::frame_kind::kAny);
    caps.can_recover = true;
    caps.finite = true;  // unless `loop`
    spec.set_capabilities(caps);
    spec.param("timing", timing_)
        .one_of({"recorded", "fast"})
        .describe(
            "`recorded`: frames come at the pace they reached the recorder (divided by `speed`); "
            "`fast`: as fast as the pipeline takes them.");
    spec.live_param("speed", speed_, [this] { return speed_changed(); })
        .range(0.01, 1000.0)
        .unit("x")
        .describe(
            "Playback speed with `timing: recorded`: 2 plays twice as fast. May change while streaming.");
    spec.param("loop", loop_)
        .describe(
            "Start again after the last frame instead of ending; later passes shift capture "
            "times forward and keep the recorded ones in attributes (docs/recording.md).");
    spec.param("verify", verify_)
        .describe("Check each frame's bytes against the SHA-256 in the index; a mismatch is a device fault.");
    spec.param("allow_truncated", allow_truncated_)
        .describe(
            "Replay the complete frames of a recording its recorder never closed (crash); "
            "false makes such a recording an error.");
  }

  Status on_configure(const std::string& uri, const oi::ParamSet&) override {
    auto dir = parse_uri(uri);
    if (!dir.ok()) return dir.status();
    auto opened = oi::replay::open_recording(dir.value());
    if (!opened.ok()) return opened.status();
    Recording recording = std::move(opened.value());
    if (recording.truncated && !allow_truncated_) {
      return Status::error("the recording at " + recording.dir.string() +
                           " is truncated: " + recording.truncation +
                           ". Set allow_truncated: true to replay the complete frames, or record it again");
    }
    if (recording.truncated)
      spdlog::warn("replay: recording {} is truncated: {}", recording.dir.string(), recording.truncation);
    if (Status s = reader_.open(recording); !s.is_ok()) return s;
    recording_ = std::move(recording);
    compute_loop_periods();
    position_ = 0;
    pass_ = 0;
    std::string serial = recording_.id();
    if (serial.empty()) serial = recording_.dir.filename().string();
    set_identity({"OpenInspect", "Recording replay", serial,
                  "recording format " + std::to_string(recording_.session.value("version", 0)), "0.1.0"});
    return Status::ok();
  }

  // Recordings under $OI_RECORDINGS (the folder itself and its direct subfolders), so that
  // `oi devices` shows what can be replayed. Unset: nothing to list.
  oi::hal::Result<std::vector<oi::hal::DeviceInfo>> on_enumerate() override {
    std::vector<oi::hal::DeviceInfo> found;
    const char* env = std::getenv(kRecordingsEnv);
    if (env == nullptr || *env == '\0') return found;
    const fs::path base(env);
    std::error_code ec;
    if (!fs::is_directory(base, ec)) {
      return Status::error(std::string(kRecordingsEnv) + "=" + base.string() +
                           " is not a folder; set it to the folder that holds your recordings");
    }
    std::vector<fs::path> candidates{base};
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      if (entry.is_directory(ec)) candidates.push_back(entry.path());
    }
    for (const fs::path& dir : candidates) {
      if (!fs::exists(dir / oi::replay::format::kSessionFile, ec)) continue;
      oi::hal::DeviceInfo info;
      info.uri = std::string(kScheme) + fs::absolute(dir).lexically_normal().string();
      info.vendor = "OpenInspect";
      info.model = "Recording replay";
      auto rec = oi::replay::open_recording(dir);
      if (!rec.ok()) {
        info.description = "unreadable: " + rec.status().message();
      } else {
        info.serial = rec.value().id();
        info.description = std::to_string(rec.value().frames.size()) + " frame(s), recorded " +
                           rec.value().session.value("created_utc", std::string("?")) +
                           (rec.value().truncated ? ", truncated" : "");
      }
      found.push_back(std::move(info));
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.uri < b.uri; });
    return found;
  }

  Status on_start() override {
    // The next frame is due now; a stop()/start() pause does not make the stream catch up.
    anchor_speed_ = speed_;
    if (!recording_.frames.empty()) {
      anchor_ = Clock::now() - scaled(virtual_ns(std::min(position_, recording_.frames.size() - 1)));
    }
    return Status::ok();
  }

  Status on_stop() override { return Status::ok(); }

  void on_close() override { reader_.close(); }

  // Reopens the data file and goes on where it stopped (the default would start over and
  // replay frames twice). A frame that failed to read is skipped; the supervisor counts it lost.
  // A data file that is gone fails the recovery naming it (the supervisor retries, then gives up).
  Status on_recover() override {
    if (Status s = reader_.open(recording_); !s.is_ok()) return s;
    if (skip_failed_frame_) {
      // The driver knows exactly which frame it gives up on: count each one, so that two
      // corrupt frames in a row are two lost frames, not one outage.
      const std::size_t failed = position_;
      ++position_;
      count_lost(1);
      skip_failed_frame_ = false;
      // frames.bin cut short while it was replayed: the frames whose bytes are gone would fault
      // one by one until the supervisor gave up (max_retries); they are skipped and counted here.
      const std::uint64_t size = reader_.size();
      while (position_ < recording_.frames.size() &&
             recording_.frames[position_].offset + recording_.frames[position_].bytes > size) {
        ++position_;
        count_lost(1);
      }
      if (position_ > failed + 1) {
        spdlog::warn(
            "replay: {} was cut short to {} bytes while it was replayed; frames {} to {} are gone, "
            "counted lost",
            (recording_.dir / oi::replay::format::kDataFile).string(), size, failed, position_ - 1);
      }
    }
    return Status::ok();
  }

  Status on_read(oi::FramePtr& frame, std::chrono::milliseconds timeout) override {
    const std::size_t count = recording_.frames.size();
    if (count == 0) return Status::end_of_stream();
    if (position_ >= count) {
      if (!loop_) return Status::end_of_stream();
      position_ = 0;
      ++pass_;
    }
    if (timing_ != "fast") {
      const Clock::time_point due = due_time(position_);
      const Clock::time_point give_up = Clock::now() + timeout;
      if (due > give_up) {
        std::this_thread::sleep_until(give_up);
        return Status::ok();
      }
      std::this_thread::sleep_until(due);
    }
    const oi::replay::RecordedFrame& entry = recording_.frames[position_];
    auto read = reader_.read(entry, verify_);
    if (!read.ok()) {
      skip_failed_frame_ = true;
      return read.status();
    }
    frame = std::move(read.value());
    stamp_replay_attributes(*frame);
    ++position_;
    return Status::ok();
  }

 private:
  // Where the recorded values cannot come out unchanged, they are kept as attributes, so a
  // test can still compare with the recording (docs/recording.md, "What bit-exact means").
  void stamp_replay_attributes(oi::Frame& frame) const {
    oi::FrameMetadata& meta = frame.metadata();
    // Device::read() numbers frames 0, 1, 2... after this hook; frames_read() is the number it
    // is about to give. They differ when the recording did not start at 0 or skipped numbers.
    if (meta.sequence != frames_read()) meta.attributes["recorded_sequence"] = meta.sequence;
    if (pass_ > 0) {
      meta.attributes["replay_pass"] = pass_;
      meta.attributes["recorded_capture_time_ns"] = meta.capture_time_ns;
      meta.capture_time_ns += static_cast<std::int64_t>(pass_) * capture_period_ns_;
    }
  }

  oi::hal::Result<fs::path> parse_uri(const std::string& uri) const {
    oi::Result<std::string> path = oi::hal::Uri::target_of(
        uri, "replay",
        "'replay:///absolute/folder' or 'replay://folder' (relative to $OI_RECORDINGS, else the working "
        "folder), the folder of a recording written by sink.record");
    if (!path.ok()) return path.status();
    fs::path dir(path.value());
    if (dir.is_relative()) dir = recordings_base() / dir;
    return dir.lexically_normal();
  }

  // A new `speed`. While streaming the playback position is kept: the time already waited
  // counts at the old speed, what is left of the wait at the new one.
  Status speed_changed() {
    if (state() == oi::hal::DeviceState::kStreaming) {
      const Clock::time_point now = Clock::now();
      const double played_ns =
          std::chrono::duration<double, std::nano>(now - anchor_).count() * anchor_speed_;
      anchor_ = now - scaled(static_cast<std::int64_t>(played_ns));
      anchor_speed_ = speed_;
    }
    return Status::ok();
  }

  // A loop pass lasts the recording plus one mean gap between frames, so the last frame and
  // the first of the next pass are as far apart as frames usually are.
  void compute_loop_periods() {
    const auto& frames = recording_.frames;
    const std::int64_t n = static_cast<std::int64_t>(frames.size());
    constexpr std::int64_t kMinGapNs = 1'000'000;  // a single frame has no gap to copy
    const std::int64_t span = recording_.duration_ns();
    arrival_period_ns_ = span + std::max(kMinGapNs, n > 1 ? span / (n - 1) : 0);
    if (frames.empty()) {
      capture_period_ns_ = 1;
      return;
    }
    const auto [lo, hi] = std::minmax_element(frames.begin(), frames.end(), [](const auto& a, const auto& b) {
      return a.metadata.capture_time_ns < b.metadata.capture_time_ns;
    });
    const std::int64_t capture_span = hi->metadata.capture_time_ns - lo->metadata.capture_time_ns;
    // Strictly longer than the span, so every capture time of a pass is later than the last pass's.
    capture_period_ns_ = capture_span + std::max<std::int64_t>(1, n > 1 ? capture_span / (n - 1) : kMinGapNs);
  }

  std::int64_t virtual_ns(std::size_t index) const {
    return static_cast<std::int64_t>(pass_) * arrival_period_ns_ + recording_.frames[index].arrival_ns;
  }
  Clock::duration scaled(std::int64_t ns) const {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::nano>(ns / speed_));
  }
  Clock::time_point due_time(std::size_t index) const { return anchor_ + scaled(virtual_ns(index)); }

  Recording recording_;
  oi::replay::FrameReader reader_;
  std::string timing_ = "recorded";
  double speed_ = 1.0;
  double anchor_speed_ = 1.0;  // the speed anchor_ was set for
  bool loop_ = false;
  bool verify_ = true;
  bool allow_truncated_ = true;
  std::size_t position_ = 0;  // next frame to deliver
  std::uint64_t pass_ = 0;    // loop passes completed
  bool skip_failed_frame_ = false;
  std::int64_t arrival_period_ns_ = 0;
  std::int64_t capture_period_ns_ = 1;
  Clock::time_point anchor_;  // when virtual time 0 was (or would have been)
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(ReplayDevice, "replay",
                          "Plays back a sink.record recording, bit-exact; needs no hardware.");
OI_PLUGIN("oi-driver-replay", "0.1.0", "Apache-2.0")
