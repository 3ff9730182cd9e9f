#pragma once
/// @file
/// A ByteTracker per camera, and each camera's clock: several cameras feed one cctv.track
/// node, their frames interleaved, and every bit of state (tracks, ids, the frame interval,
/// the last sequence number and time) belongs to one source. A source seen for the first time
/// gets a fresh tracker; a source whose sequence number or time goes backwards gets its
/// tracker reset (ids keep counting). Both are reported to the caller, which logs and counts
/// them.

#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "byte_tracker.hpp"
#include "oi/frame.hpp"

namespace oi::cctv {

/// Where a frame sits on its camera's clock.
struct FrameClock {
  std::uint64_t sequence = 0;  ///< the device's frame counter (FrameMetadata::sequence)
  /// Nanoseconds on the camera's clock: the stream's own presentation time where the frame
  /// carries one (the attribute `stream_time_ms` of video files), else capture_time_ns.
  std::int64_t time_ns = 0;
};

/// A frame's clock from its metadata (see FrameClock::time_ns).
FrameClock clock_of(const FrameMetadata& metadata);

/// How the number of frames since the previous one (missed frames + 1) is found.
enum class GapFrom {
  /// the larger of the sequence and the time gap; the time gap only where frame_rate_hz is
  /// set or the source's recent intervals are regular (80 % of them within 20 % of their
  /// median, their mean within 1.25 x the median, judged on the intervals before the
  /// frame): a source read as fast as it decodes,
  /// stamped with the host's clock, arrives in bursts whose times would invent gaps
  kAuto,
  kSequence,  ///< sequence numbers only (frames delivered as fast as they decode, no stream time)
  kTime,      ///< times only (a source without a frame counter)
};

/// How a source's clock is read.
struct ClockParams {
  /// The cameras' frame rate; 0 = estimated per source (the median of recent frame intervals).
  double frame_rate_hz = 0.0;
  GapFrom gap_from = GapFrom::kAuto;
};

/// What happened to one frame of one source.
struct SourceUpdate {
  std::vector<Track> tracks;  ///< ByteTracker::update()'s answer
  int steps = 1;              ///< frames since the source's previous frame (1: none missed)
  bool new_source = false;    ///< the source's first frame: a fresh tracker was made
  /// Set when the clock went backwards and the tracker was reset before this frame: why, for
  /// a person ("sequence went back from 812 to 3").
  std::optional<std::string> reset_reason;
};

/// Trackers for every source seen so far.
class CameraTrackers {
 public:
  /// @throws oi::Error when problems(params) is not empty or the frame rate is negative.
  explicit CameraTrackers(TrackerParams params = {}, ClockParams clock = {});

  /// Tracks one frame of `source`.
  SourceUpdate update(const std::string& source, const FrameClock& clock,
                      const std::vector<Detection>& detections);
  /// Counts a frame of `source` that could not be tracked (its detections could not be read);
  /// the source's clock is left alone, so the next frame predicts over it.
  void count_bad_frame(const std::string& source);

  /// Sources seen so far.
  std::size_t sources() const { return sources_.size(); }
  /// The tracker of `source`, or nullptr when it was never seen.
  const ByteTracker* tracker(const std::string& source) const;
  /// Resets caused by a clock going backwards, over all sources.
  std::int64_t resets() const;
  /// {"<source>": {"frames", "missed_frames", "tracks_started", "tracks_confirmed",
  /// "tracks_refound", "tracks_removed", "low_score_matches", "joint_reassignments", "invalid_detections",
  /// "bad_frames", "resets", "frame_interval_ms", "regular_clock", "active_tracks"}}.
  nlohmann::json summary() const;

 private:
  struct Source {
    explicit Source(const TrackerParams& params) : tracker(params) {}
    ByteTracker tracker;
    bool has_clock = false;
    FrameClock last;
    std::deque<double> intervals_ns;  // recent per-frame intervals, newest last
    std::int64_t resets = 0;
    std::int64_t bad_frames = 0;
    double interval_ns() const;  // median of the recent intervals; 0 when unknown
    bool regular() const;        // the recent intervals agree (a paced camera, a file's own times)
  };
  int steps_since_last(Source& source, const FrameClock& clock) const;

  TrackerParams params_;
  ClockParams clock_;
  std::map<std::string, Source, std::less<>> sources_;
};

}  // namespace oi::cctv
