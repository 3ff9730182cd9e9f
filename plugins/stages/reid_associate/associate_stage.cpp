// reid.associate: cross-camera association of tracklets into global identities (docs/reid.md,
// "Association"). One node serves every camera of a chain (its input takes one connection per
// camera, as cctv.track's); the association itself is associator.hpp, gated by the site map
// (site_map.hpp).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <string>

#include "associator.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/plugin.hpp"
#include "site_map.hpp"
#include "stage_event.hpp"

namespace {

namespace cc = oi::cctv;
namespace cr = oi::cctv::reid;

constexpr const char* kEventUnknownCamera = "reid.associate.unknown_camera";
constexpr const char* kEventBadTracks = "reid.associate.bad_tracks";
constexpr const char* kEventNoEmbedding = "reid.associate.no_embedding";
constexpr const char* kEventDropped = "reid.associate.identities_dropped";

class AssociateStage final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Associates the tracks of every camera of a site into global identities: a tracklet per camera and "
        "track id (first and last time, mean appearance embedding), matched once it has `min_observations` "
        "frames against the identities the site map allows (linked camera within its transit-time window, "
        "the same camera within the re-entry window, never an identity visible at the same time in a camera "
        "that does not overlap), by cosine distance to the identity's stored tracklet embeddings and "
        "Hungarian assignment with `max_distance`; otherwise a new identity. Sets `global_identity` on every "
        "track (-1 while its tracklet is younger). Online, bounded memory (`forget_after_s`, "
        "`max_identities`). Several cameras may feed the input. docs/reid.md, \"Association\".");
    spec.input("in", oi::PortType::of(std::string(cc::kFrameKind)),
               "camera frames with `tracks` (cctv.track), their embeddings from reid.embed")
        .multi_source = true;
    spec.output("out", oi::PortType::of(std::string(cc::kFrameKind)),
                "the same frames, every track with `global_identity`");
    spec.param("site_map", site_map_)
        .describe(
            "YAML site map: cameras, links with transit-time windows, the re-entry window, overlapping "
            "cameras (samples/cctv_reid/site_map.yaml). Empty: no links (identities are reunited only within "
            "one camera) and a re-entry window of 0-60 s.");
    spec.param("min_observations", params_.min_observations)
        .range(1, 100000)
        .unit("frames")
        .describe("Frames a tracklet needs before it is matched and gets a global identity.");
    spec.param("max_distance", params_.max_distance)
        .range(0.0, 2.0)
        .describe(
            "Largest cosine distance between a tracklet's and an identity's embeddings that may match.");
    spec.param("gallery_per_identity", params_.gallery_per_identity)
        .range(1, 1000)
        .describe("Tracklet embeddings kept per identity (the newest); the cost is the smallest distance.");
    spec.param("tracklet_end_s", params_.tracklet_end_s)
        .range(0.001, 3600.0)
        .unit("s")
        .describe(
            "A tracklet not seen this long in its camera has ended; its embedding joins its identity's.");
    spec.param("tracklet_keep_s", params_.tracklet_keep_s)
        .range(0.001, 86400.0)
        .unit("s")
        .describe(
            "An ended tracklet is kept this long, so that a track the tracker re-finds keeps its identity.");
    spec.param("forget_after_s", params_.forget_after_s)
        .range(0.001, 1e7)
        .unit("s")
        .describe("Identities not seen for this long are dropped (counted and logged).");
    spec.param("max_identities", params_.max_identities)
        .range(1, 10000000)
        .describe(
            "Most identities kept; beyond it the identity unseen longest is dropped (counted and logged).");
    spec.param("rematch_at_end", params_.rematch_at_end)
        .describe(
            "When a tracklet that started an identity of its own ends, match its whole embedding once more "
            "against older identities (same gates) and merge on a match, so later cameras find the person "
            "under one identity; frames already passed on keep theirs.");
    spec.param("record", record_)
        .describe(
            "When set, a JSON-lines file that receives every frame's camera, capture time, tracks (with "
            "their embeddings) and ground truth, for reid_associate_tune to replay with other parameters "
            "(docs/reid.md, \"Tuning the association\"). Empty: nothing is written.");
    spec.param("camera_name", camera_name_)
        .one_of({"attribute", "source"})
        .describe(
            "How a frame's camera is named in the site map: `attribute`, the frame's `camera` attribute "
            "(sim.cctv's site camera names) falling back to the source device; `source`, the device node.");
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    std::vector<std::string> found = cr::problems(params_);
    if (!site_map_.empty()) {
      try {
        (void)cr::load_site_map(site_map_);
      } catch (const oi::ConfigError& e) {
        for (const oi::Diagnostic& d : e.diagnostics()) found.push_back("`site_map`: " + d.str());
      }
    }
    return found;
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    if (std::vector<std::string> found = cr::problems(params_); !found.empty()) {
      std::vector<oi::Diagnostic> diagnostics;
      for (std::string& message : found) diagnostics.push_back({{}, std::move(message)});
      throw oi::ConfigError(std::move(diagnostics));
    }
    cr::SiteMap site;
    if (!site_map_.empty()) site = cr::load_site_map(site_map_);
    associator_ = std::make_unique<cr::Associator>(params_, std::move(site));
    if (!record_.empty()) {
      record_out_.open(record_, std::ios::trunc);
      if (!record_out_) {
        throw oi::ConfigError("cannot write the `record` file '" + record_.string() +
                              "'; set `record` to a writable path or leave it empty");
      }
    }
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr in = ctx.take(0);
    if (!in) return oi::Status::ok();
    const auto t0 = std::chrono::steady_clock::now();
    oi::FramePtr out = in->clone();
    oi::FrameMetadata& meta = out->metadata();
    const std::string camera = camera_of(meta);
    std::lock_guard lock(mutex_);
    ++frames_;
    nlohmann::json& attrs = meta.attributes;
    if (!site_map_.empty() && !associator_->site().has_camera(camera) &&
        warned_unknown_.insert(camera).second) {
      ctx.post_event(
          oi::stage_event(kEventUnknownCamera, oi::EventSeverity::kWarning,
                          "camera '" + camera + "' is not in the site map " + site_map_.string() +
                              ": its tracks are reunited only within the camera; add it to the map's "
                              "`cameras` and `links`",
                          {{"camera", camera}}));
    }
    if (attrs.contains(cc::attr::kTracks)) {
      std::vector<cc::Track> tracks;
      try {
        tracks = cc::tracks_of(meta);
      } catch (const std::exception& e) {
        ++bad_frames_;
        if (warned_bad_.insert(camera).second) {
          ctx.post_event(
              oi::stage_event(kEventBadTracks, oi::EventSeverity::kWarning,
                              "camera '" + camera + "': frame " + std::to_string(meta.sequence) +
                                  " has unreadable tracks (" + e.what() +
                                  "); passed on unchanged, counted in the summary (bad_frames); later ones "
                                  "are counted, not logged",
                              {{"camera", camera}, {"sequence", meta.sequence}}));
        }
        ctx.emit(0, std::move(out));
        return oi::Status::ok();
      }
      const cr::AssociatorStats before = associator_->stats();
      if (record_out_.is_open()) {
        nlohmann::json line = {{"camera", camera},
                               {"capture_time_ns", meta.capture_time_ns},
                               {"tracks", attrs[cc::attr::kTracks]}};
        if (attrs.contains(cc::attr::kGroundTruth)) line["ground_truth"] = attrs[cc::attr::kGroundTruth];
        record_out_ << line.dump() << '\n';
      }
      associator_->update(camera, meta.capture_time_ns, tracks);
      attrs[cc::attr::kTracks] = cc::to_json_list(tracks);
      report_changes(ctx, before, camera);
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!attrs[cc::attr::kTimings].is_object()) attrs[cc::attr::kTimings] = nlohmann::json::object();
    attrs[cc::attr::kTimings][name_] = ms;
    total_ms_ += ms;
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

  void stop() override {
    std::lock_guard lock(mutex_);
    if (record_out_.is_open()) record_out_.close();
  }

  nlohmann::json summary() const override {
    std::lock_guard lock(mutex_);
    if (!associator_) return nullptr;
    nlohmann::json identities = nlohmann::json::array();
    std::int64_t multi_camera = 0;
    for (const cr::IdentityInfo& i : associator_->identity_list()) {
      identities.push_back({{"id", i.id}, {"cameras", i.cameras}, {"tracklets", i.tracklets}});
      multi_camera += i.cameras.size() > 1 ? 1 : 0;
    }
    nlohmann::json s = associator_->stats().to_json();
    s["frames"] = frames_;
    s["bad_frames"] = bad_frames_;
    s["identities_kept"] = associator_->identities();
    s["identities_in_several_cameras"] = multi_camera;
    s["tracklets_kept"] = associator_->tracklets();
    s["mean_ms_per_frame"] = frames_ ? total_ms_ / static_cast<double>(frames_) : 0.0;
    s["identities"] = identities;
    return s;
  }

 private:
  std::string camera_of(const oi::FrameMetadata& meta) const {
    if (camera_name_ == "attribute") {
      const auto it = meta.attributes.find(cc::attr::kCamera);
      if (it != meta.attributes.end() && it->is_string() && !it->get<std::string>().empty())
        return it->get<std::string>();
    }
    return cc::source_of(meta);
  }

  void report_changes(oi::StageContext& ctx, const cr::AssociatorStats& before, const std::string& camera) {
    const cr::AssociatorStats& now = associator_->stats();
    if (now.without_embedding > before.without_embedding && !warned_no_embedding_) {
      warned_no_embedding_ = true;
      ctx.post_event(
          oi::stage_event(kEventNoEmbedding, oi::EventSeverity::kWarning,
                          "camera '" + camera +
                              "': a tracklet has no appearance embedding, so it starts a new identity; put "
                              "reid.embed before cctv.track (later ones are counted, not logged)",
                          {{"camera", camera}}));
    }
    const std::int64_t forgotten = now.forgotten - before.forgotten;
    const std::int64_t evicted = now.evicted - before.evicted;
    if (forgotten > 0 || evicted > 0) {
      ctx.post_event(oi::stage_event(kEventDropped, oi::EventSeverity::kInfo,
                                     std::to_string(forgotten) + " identities unseen for " +
                                         std::to_string(params_.forget_after_s) + " s and " +
                                         std::to_string(evicted) + " beyond max_identities " +
                                         std::to_string(params_.max_identities) + " dropped; " +
                                         std::to_string(associator_->identities()) + " kept",
                                     {{"forgotten", forgotten},
                                      {"evicted", evicted},
                                      {"kept", associator_->identities()},
                                      {"forgotten_total", now.forgotten},
                                      {"evicted_total", now.evicted}}));
    }
  }

  cr::AssociatorParams params_;
  std::filesystem::path site_map_;
  std::string camera_name_ = "attribute";
  std::filesystem::path record_;
  std::ofstream record_out_;

  std::string name_;
  std::unique_ptr<cr::Associator> associator_;
  mutable std::mutex mutex_;
  std::int64_t frames_ = 0;
  std::int64_t bad_frames_ = 0;
  double total_ms_ = 0.0;
  std::set<std::string> warned_bad_, warned_unknown_;
  bool warned_no_embedding_ = false;
};

}  // namespace

OI_REGISTER_STAGE(AssociateStage, "reid.associate",
                  "Cross-camera association of tracks into global identities (site map, embeddings).");
