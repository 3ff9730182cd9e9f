#include "camera_trackers.hpp"

#include <algorithm>
#include <cmath>

#include "oi/error.hpp"

namespace oi::cctv {
namespace {

// opencv.camera's presentation time of a file or stream frame (docs/drivers/opencv-camera.md):
// its capture_time_ns is the host's clock when the frame was read, which says nothing about
// the file's frame rate when frames decode faster than real time.
constexpr const char* kStreamTimeMs = "stream_time_ms";
// Intervals the frame-rate estimate looks at.
constexpr std::size_t kIntervalWindow = 15;
// A clock is regular when kRegularShare of its recent intervals lie within kRegularTolerance
// of their median (judged once kMinIntervalsForRegular were seen): a camera that drops a frame
// now and then stays regular, a source that arrives in bursts does not.
constexpr double kRegularTolerance = 0.2;
constexpr double kRegularShare = 0.8;
// ...and their mean is within this factor of the median: bursts (many frames a fraction
// of a millisecond apart, then a long wait) have a median far below their mean.
constexpr double kRegularMeanRatio = 1.25;
constexpr std::size_t kMinIntervalsForRegular = 8;

}  // namespace

FrameClock clock_of(const FrameMetadata& metadata) {
  FrameClock clock{metadata.sequence, metadata.capture_time_ns};
  const auto it = metadata.attributes.find(kStreamTimeMs);
  if (it != metadata.attributes.end() && it->is_number()) {
    const double ms = it->get<double>();
    if (std::isfinite(ms) && ms >= 0.0) clock.time_ns = static_cast<std::int64_t>(std::llround(ms * 1e6));
  }
  return clock;
}

CameraTrackers::CameraTrackers(TrackerParams params, ClockParams clock) : params_(params), clock_(clock) {
  ByteTracker check(params_);  // throws with every problem named
  if (!(clock_.frame_rate_hz >= 0.0) || !std::isfinite(clock_.frame_rate_hz))
    throw Error("frame_rate_hz must be >= 0 (0: estimated from the frames' times)");
}

double CameraTrackers::Source::interval_ns() const {
  if (intervals_ns.empty()) return 0.0;
  std::vector<double> sorted(intervals_ns.begin(), intervals_ns.end());
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2),
                   sorted.end());
  return sorted[sorted.size() / 2];
}

bool CameraTrackers::Source::regular() const {
  if (intervals_ns.size() < kMinIntervalsForRegular) return false;
  const double median = interval_ns();
  double sum = 0.0;
  std::size_t close = 0;
  for (double v : intervals_ns) {
    sum += v;
    if (std::abs(v - median) <= kRegularTolerance * median) ++close;
  }
  const auto count = static_cast<double>(intervals_ns.size());
  const double mean = sum / count;
  return static_cast<double>(close) >= kRegularShare * count && mean <= kRegularMeanRatio * median;
}

int CameraTrackers::steps_since_last(Source& source, const FrameClock& clock) const {
  const FrameClock& last = source.last;
  // A sequence number that did not move says nothing (frames made in code carry 0).
  const bool sequence_moved = clock.sequence != last.sequence;
  const std::int64_t sequence_gap =
      sequence_moved ? static_cast<std::int64_t>(clock.sequence - last.sequence) : 1;
  const std::int64_t dt = clock.time_ns - last.time_ns;
  // Judged on the intervals before this one: a camera that stopped for a minute is regular
  // up to the gap the minute makes.
  const bool regular = source.regular();
  if (dt > 0) {
    // One frame's worth of time: per missed frame when the sequence says how many.
    source.intervals_ns.push_back(static_cast<double>(dt) /
                                  static_cast<double>(std::max<std::int64_t>(sequence_gap, 1)));
    if (source.intervals_ns.size() > kIntervalWindow) source.intervals_ns.pop_front();
  }
  const bool fixed_rate = clock_.frame_rate_hz > 0.0;
  const double interval = fixed_rate ? 1e9 / clock_.frame_rate_hz : source.interval_ns();
  std::int64_t time_gap = 1;
  if (dt > 0 && interval > 0.0)
    time_gap = std::max<std::int64_t>(1, std::llround(static_cast<double>(dt) / interval));
  std::int64_t steps = 1;
  switch (clock_.gap_from) {
    case GapFrom::kAuto:
      // Times count only where they mean something: a fixed frame rate, or a clock that ticks
      // regularly. A source read as fast as it decodes, stamped with the host's clock when
      // the queue let it go, arrives in bursts; its times would invent gaps.
      steps = fixed_rate || regular ? std::max(sequence_gap, time_gap) : sequence_gap;
      break;
    case GapFrom::kSequence:
      steps = sequence_gap;
      break;
    case GapFrom::kTime:
      steps = time_gap;
      break;
  }
  // Beyond a day of frames every track is long gone; keep the count an int.
  return static_cast<int>(std::clamp<std::int64_t>(steps, 1, 1 << 24));
}

SourceUpdate CameraTrackers::update(const std::string& source_name, const FrameClock& clock,
                                    const std::vector<Detection>& detections) {
  SourceUpdate out;
  auto it = sources_.find(source_name);
  if (it == sources_.end()) {
    it = sources_.emplace(source_name, Source(params_)).first;
    out.new_source = true;
  }
  Source& source = it->second;
  if (source.has_clock) {
    const bool sequence_back = clock.sequence < source.last.sequence;
    const bool time_back = clock.time_ns < source.last.time_ns;
    if ((sequence_back && clock_.gap_from != GapFrom::kTime) ||
        (time_back && clock_.gap_from != GapFrom::kSequence)) {
      out.reset_reason =
          sequence_back
              ? "sequence went back from " + std::to_string(source.last.sequence) + " to " +
                    std::to_string(clock.sequence)
              : "time went back by " +
                    std::to_string(static_cast<double>(source.last.time_ns - clock.time_ns) * 1e-6) + " ms";
      source.tracker.reset();
      source.intervals_ns.clear();
      source.has_clock = false;
      ++source.resets;
    }
  }
  if (source.has_clock) out.steps = steps_since_last(source, clock);
  source.last = clock;
  source.has_clock = true;
  out.tracks = source.tracker.update(detections, out.steps);
  return out;
}

void CameraTrackers::count_bad_frame(const std::string& source_name) {
  auto it = sources_.find(source_name);
  if (it == sources_.end()) it = sources_.emplace(source_name, Source(params_)).first;
  ++it->second.bad_frames;
}

const ByteTracker* CameraTrackers::tracker(const std::string& source) const {
  const auto it = sources_.find(source);
  return it == sources_.end() ? nullptr : &it->second.tracker;
}

std::int64_t CameraTrackers::resets() const {
  std::int64_t n = 0;
  for (const auto& [name, source] : sources_) n += source.resets;
  return n;
}

nlohmann::json CameraTrackers::summary() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, source] : sources_) {
    const TrackerCounters& c = source.tracker.counters();
    const double interval = clock_.frame_rate_hz > 0.0 ? 1e9 / clock_.frame_rate_hz : source.interval_ns();
    out[name] = {{"frames", c.frames},
                 {"missed_frames", c.missed_frames},
                 {"tracks_started", c.tracks_started},
                 {"tracks_confirmed", c.tracks_confirmed},
                 {"tracks_refound", c.tracks_refound},
                 {"tracks_removed", c.tracks_removed},
                 {"low_score_matches", c.low_score_matches},
                 {"joint_reassignments", c.joint_reassignments},
                 {"invalid_detections", c.invalid_detections},
                 {"bad_frames", source.bad_frames},
                 {"resets", source.resets},
                 {"frame_interval_ms", interval * 1e-6},
                 {"regular_clock", clock_.frame_rate_hz > 0.0 || source.regular()},
                 {"active_tracks", source.tracker.size()}};
  }
  return out;
}

}  // namespace oi::cctv
