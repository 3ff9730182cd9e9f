// cctv.track: per-camera multi-object tracking (docs/cctv.md, "Tracking"). One node serves
// every camera of a chain: its input accepts one connection per camera, and the trackers,
// ids and clocks are kept per source (camera_trackers.hpp); the tracking itself is
// byte_tracker.hpp.
#include <chrono>
#include <mutex>
#include <set>
#include <string>

#include "camera_trackers.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/plugin.hpp"
#include "stage_event.hpp"

namespace {

namespace cc = oi::cctv;

// Event kinds this stage posts (logged by the host, kept in Pipeline::events()).
constexpr const char* kEventNewSource = "cctv.track.new_source";
constexpr const char* kEventReset = "cctv.track.reset";
constexpr const char* kEventBadDetections = "cctv.track.bad_detections";

class TrackStage final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Tracks persons per camera: a constant-velocity Kalman filter per track and ByteTrack's two-stage "
        "association (high-score detections first, fused with appearance embeddings where detections carry "
        "them; then low-score ones by IoU), optimal assignment, tentative/confirmed/lost tracks with a "
        "buffer. Reads the `detections` attribute and adds `tracks` (confirmed tracks matched in the frame; "
        "ids per camera, from 1, never reused). Several cameras may feed the input; state is kept per "
        "source_device. docs/cctv.md, \"Tracking\".");
    spec.input("in", oi::PortType::of(std::string(cc::kFrameKind)),
               "camera frames with `detections` (cctv.detect)")
        .multi_source = true;
    spec.output("out", oi::PortType::of(std::string(cc::kFrameKind)), "the same frames with `tracks`");
    auto score = [&](const char* name, double& member, const char* text) {
      spec.param(name, member).range(0.0, 1.0).describe(text);
    };
    auto cost = [&](const char* name, double& member, const char* text) {
      spec.param(name, member).range(0.0, 2.0).describe(text);
    };
    score("high_threshold", params_.high_threshold,
          "Detections scoring at least this enter the first association round (ByteTrack/BoT-SORT: 0.6).");
    score("low_threshold", params_.low_threshold,
          "Detections below it are ignored; between it and high_threshold they may only continue an existing "
          "track (confirmed or lost), by IoU (the second round; ByteTrack: 0.1, confirmed tracks only).");
    score("new_track_threshold", params_.new_track_threshold,
          "Score an unmatched detection needs to start a new track (BoT-SORT: 0.7).");
    cost("match_threshold", params_.match_threshold,
         "Largest cost the first round accepts; cost = 1 - IoU x score (fuse_score), blended with the "
         "appearance distance (BoT-SORT: 0.8).");
    cost("low_match_threshold", params_.low_match_threshold,
         "Largest cost (1 - IoU) of the second round, low-score detections (ByteTrack: 0.5).");
    cost("tentative_match_threshold", params_.tentative_match_threshold,
         "Largest cost of the third round, tentative tracks against the detections left (ByteTrack: 0.7).");
    spec.param("track_buffer", params_.track_buffer)
        .range(0, 100000)
        .unit("frames")
        .describe(
            "Consecutive frames of its camera a lost track may miss and still be re-found with its id; "
            "frames "
            "missed in a gap (see gap_from) count. At 25 frames/s, 30 frames are 1.2 s (ByteTrack: 30).");
    spec.param("min_hits", params_.min_hits)
        .range(1, 1000)
        .unit("frames")
        .describe(
            "Consecutive frames with a detection a new track needs before it is confirmed and reported "
            "(tracks of a camera's first frame are confirmed at once; ByteTrack: 2).");
    spec.param("fuse_score", params_.fuse_score)
        .describe(
            "Multiply IoU by the detection's score in the first and third rounds (ByteTrack on MOT17: "
            "true).");
    spec.param("appearance_weight", params_.appearance_weight)
        .range(0.0, 1.0)
        .describe(
            "Weight of the cosine distance between a track's and a detection's `embedding` in the cost where "
            "both have one (0: IoU only). Boxes that do not overlap are never matched, whatever they look "
            "like.");
    spec.param("embedding_momentum", params_.embedding_momentum)
        .range(0.0, 0.999)
        .describe(
            "A track's embedding is this x its old one + (1 - this) x the new detection's (BoT-SORT: 0.9).");
    spec.param("output_lost", params_.output_lost)
        .describe("Also report lost tracks (state `lost`, the predicted box) while they are kept.");
    spec.param("kalman_position_noise", params_.noise.position)
        .range(1e-4, 1.0)
        .describe(
            "Standard deviation of position and size, per frame, as a fraction of the box's size (1/20).");
    spec.param("kalman_velocity_noise", params_.noise.velocity)
        .range(1e-5, 1.0)
        .describe(
            "Standard deviation of the velocities, per frame, as a fraction of the box's size (1/160).");
    spec.param("frame_rate_hz", clock_.frame_rate_hz)
        .range(0.0, 1000.0)
        .unit("Hz")
        .describe(
            "The cameras' frame rate, to count frames missed in a time gap; 0: estimated per camera (median "
            "of recent intervals).");
    spec.param("gap_from", gap_from_)
        .one_of({"auto", "sequence", "time"})
        .describe(
            "How missed frames are counted: `sequence` from the device's frame numbers, `time` from the "
            "stream time (`stream_time_ms`) or capture_time_ns, `auto` the larger of both, the time only "
            "where frame_rate_hz is set or the camera's recent intervals are regular (a file read faster "
            "than real time, stamped with the host clock, arrives in bursts that would invent gaps).");
    spec.param("object_class", object_class_)
        .describe(
            "Only detections of this class are tracked (others are counted and passed over); empty: all.");
  }

  // Combinations the single declarations cannot check (low above high, ...), reported by
  // `oi validate` with the node's position.
  std::vector<std::string> validate(const oi::StageConfig&) const override { return cc::problems(params_); }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    if (std::vector<std::string> found = cc::problems(params_); !found.empty()) {
      std::vector<oi::Diagnostic> diagnostics;
      for (std::string& message : found) diagnostics.push_back({{}, std::move(message)});
      throw oi::ConfigError(std::move(diagnostics));
    }
    cc::ClockParams clock = clock_;
    clock.gap_from = gap_from_ == "sequence" ? cc::GapFrom::kSequence
                     : gap_from_ == "time"   ? cc::GapFrom::kTime
                                             : cc::GapFrom::kAuto;
    trackers_ = std::make_unique<cc::CameraTrackers>(params_, clock);
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr in = ctx.take(0);
    if (!in) return oi::Status::ok();
    const auto t0 = std::chrono::steady_clock::now();
    oi::FramePtr out = in->clone();
    oi::FrameMetadata& meta = out->metadata();
    const std::string& source = cc::source_of(meta);
    std::lock_guard lock(mutex_);
    ++frames_;

    std::vector<cc::Detection> detections;
    try {
      detections = cc::detections_of(meta);
    } catch (const std::exception& e) {
      // Counted and passed on without tracks; the source's clock is left alone, so its next
      // frame predicts over this one.
      trackers_->count_bad_frame(source);
      ++bad_frames_;
      if (warned_bad_.insert(source).second) {
        ctx.post_event(
            oi::stage_event(kEventBadDetections, oi::EventSeverity::kWarning,
                            "camera '" + source + "': frame " + std::to_string(meta.sequence) +
                                " has unreadable detections (" + e.what() +
                                "); passed on without tracks, counted in the summary (bad_frames); later "
                                "ones are counted, not logged",
                            {{"camera", source}, {"sequence", meta.sequence}}));
      }
      ctx.emit(0, std::move(out));
      return oi::Status::ok();
    }
    if (!object_class_.empty()) {
      const std::size_t before = detections.size();
      std::erase_if(detections, [&](const cc::Detection& d) { return d.object_class != object_class_; });
      other_class_ += static_cast<std::int64_t>(before - detections.size());
    }

    cc::SourceUpdate update = trackers_->update(source, cc::clock_of(meta), detections);
    if (update.new_source) {
      ctx.post_event(oi::stage_event(kEventNewSource, oi::EventSeverity::kInfo,
                                     "camera '" + source + "': first frame, a new tracker (track ids from 1)",
                                     {{"camera", source}, {"sources", trackers_->sources()}}));
    }
    if (update.reset_reason) {
      ctx.post_event(
          oi::stage_event(kEventReset, oi::EventSeverity::kWarning,
                          "camera '" + source + "': " + *update.reset_reason +
                              "; its tracks were dropped and tracking starts again (ids keep counting). "
                              "A camera restarted or a file looped; counted in the summary (resets)",
                          {{"camera", source}, {"reason", *update.reset_reason}}));
    }
    nlohmann::json& attrs = meta.attributes;
    attrs[cc::attr::kTracks] = cc::to_json_list(update.tracks);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!attrs[cc::attr::kTimings].is_object()) attrs[cc::attr::kTimings] = nlohmann::json::object();
    attrs[cc::attr::kTimings][name_] = ms;
    total_ms_ += ms;
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    std::lock_guard lock(mutex_);
    if (!trackers_) return nullptr;
    return {{"frames", frames_},
            {"sources", trackers_->sources()},
            {"resets", trackers_->resets()},
            {"bad_frames", bad_frames_},
            {"other_class_detections", other_class_},
            {"mean_ms_per_frame", frames_ ? total_ms_ / static_cast<double>(frames_) : 0.0},
            {"cameras", trackers_->summary()}};
  }

 private:
  cc::TrackerParams params_;
  cc::ClockParams clock_;
  std::string gap_from_ = "auto";
  std::string object_class_ = cc::object_class::kPerson;

  std::string name_;
  std::unique_ptr<cc::CameraTrackers> trackers_;
  mutable std::mutex mutex_;
  std::int64_t frames_ = 0;
  std::int64_t bad_frames_ = 0;
  std::int64_t other_class_ = 0;
  double total_ms_ = 0.0;
  std::set<std::string> warned_bad_;
};

}  // namespace

OI_REGISTER_STAGE(TrackStage, "cctv.track",
                  "Per-camera multi-object tracking (Kalman + ByteTrack association); adds `tracks`.");
