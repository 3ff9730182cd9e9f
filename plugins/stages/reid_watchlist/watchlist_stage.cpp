// reid.watchlist: searches every tracked person against the watchlist's gallery and raises
// alerts that officers verify (docs/reid.md, "Watchlist"). A confirmed track with an
// embedding is searched once it is `search_after` frames old and again every `research_every`
// frames while its embedding matures; the top-k search runs on Vulkan (gallery_gpu.hpp) or on
// its CPU reference (gallery_search.hpp). Every search, hit, enrolment and purge goes to the
// audit log with the fields of EU AI Act Art. 12(3); an alert stays unconfirmed until two
// officers confirm it (`oi watchlist confirm`). Tracks with an alert are named in the frame's
// `watchlist_hits`, so sinks show them and blur everyone else. The tracklet store keeps the
// embedding and crop of every searched person for `retention_hours`, after which unmatched
// persons' data is purged (and the purge audited).
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>
#include <string>
#include <vector>

#include "gallery_gpu.hpp"
#include "gallery_search.hpp"
#include "lomo.hpp"
#include "model_files.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi/plugin.hpp"
#include "privacy_blur.hpp"
#include "reid_model.hpp"
#include "watchlist.hpp"

namespace {

namespace fs = std::filesystem;
namespace cc = oi::cctv;
namespace rd = oi::reid;

// Frames a track may be unseen before its state is dropped (bounded memory).
constexpr std::int64_t kForgetTrackAfterFrames = 600;
// Frames between checks of expiry and retention.
constexpr std::uint64_t kHousekeepingEveryFrames = 100;

std::string utc_of(std::int64_t capture_time_ns) {
  return rd::format_utc(rd::Clock::time_point(
      std::chrono::duration_cast<rd::Clock::duration>(std::chrono::nanoseconds(capture_time_ns))));
}

// One camera's track as this stage follows it.
struct TrackState {
  std::int64_t last_frame = 0;    // the camera's frame counter when last seen
  std::int64_t searched_at = -1;  // frame of the last search, -1 before the first
  std::string alert, entry, status;
  double score = 0;
  bool stored = false;  // in the tracklet store
};

class WatchlistStage final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Searches every tracked person (cctv.track's tracks with reid.embed's embeddings) against a "
        "watchlist's gallery (top-k cosine similarity, on Vulkan or the CPU reference) and raises an alert "
        "for a score of at least `min_score`. Alerts go to `alerts_dir`/alerts.jsonl with a thumbnail and "
        "stay unconfirmed until two distinct officers confirm them (`oi watchlist confirm`). Every search, "
        "hit, enrolment and purge is recorded in `audit_log` (EU AI Act Art. 12). Expired watchlist entries "
        "are refused and purged. Tracks with an alert are listed in `watchlist_hits`; sinks blur everyone "
        "else. Searched persons' embeddings and crops are kept in `alerts_dir`/tracklets for "
        "`retention_hours`, then purged unless they matched. docs/reid.md.");
    spec.input("in", oi::PortType::of(cc::kFrameKind, {oi::PixelFormat::kRGB8}),
               "camera frames with tracks carrying embeddings, one or several cameras")
        .multi_source = true;
    spec.output("out", oi::PortType::of(cc::kFrameKind, {oi::PixelFormat::kRGB8}),
                "the same frames with `watchlist_hits`");
    gpu_.declare(spec,
                 "Where the gallery search runs: `auto` the Vulkan device when there is one, else the CPU "
                 "reference; `gpu` fails at start without a device; `cpu` never touches Vulkan.");
    spec.param("watchlist", watchlist_file_)
        .without_default()
        .describe("Watchlist file (JSON; created when missing).");
    spec.param("alerts_dir", alerts_dir_)
        .without_default()
        .describe("Folder of this run's alerts.jsonl, thumbnails/ and tracklets/; created when missing.");
    spec.param("audit_log", audit_file_).without_default().describe("Audit log (JSON lines, hash-chained).");
    spec.param("enrolment", enrolment_file_)
        .describe(
            "Optional JSON file of persons to enrol at start from images: [{\"image\", \"label\", "
            "\"legal_basis\", \"authorised_by\", \"expires_in_days\"}] (relative image paths are relative to "
            "the file). A person already enrolled from the same image is not enrolled again.");
    spec.param("model", model_)
        .describe(
            "The re-identification model that made the tracks' embeddings, used to embed enrolment "
            "images (default: the model shipped with OpenInspect).");
    spec.param("min_score", min_score_)
        .range(-1.0, 1.0)
        .describe("Cosine similarity at which a search result becomes an alert.");
    spec.param("k", k_)
        .range(1, rd::GallerySearch::kMaxK)
        .describe("Results per search kept in the audit log.");
    spec.param("search_after", search_after_)
        .range(1, 100000)
        .describe("Frames a track must have been tracked before its first search.");
    spec.param("research_every", research_every_)
        .range(1, 100000)
        .describe("Frames between searches of the same track (its embedding matures).");
    spec.param("retention_hours", retention_hours_)
        .range(0.0, 24.0 * 365)
        .describe("Hours the tracklet store keeps unmatched persons' embeddings and crops.");
  }

  void start(const oi::StageConfig& config) override {
    node_ = config.name;
    // Checked before anything is read or written: an enrolment or an alert must never be
    // accepted and then fail to be kept.
    for (const auto& [param, file] : {std::pair<const char*, const fs::path&>{"audit_log", audit_file_},
                                      {"watchlist", watchlist_file_}}) {
      if (auto problem = oi::make_output_folder(file.parent_path()))
        throw oi::ConfigError("reid.watchlist: " + *problem + "; set `" + param +
                              "` to a file in a writable folder");
    }
    audit_ = oi::audit::AuditLog::shared(audit_file_);
    watchlist_ = std::make_unique<rd::Watchlist>(watchlist_file_, audit_);
    const fs::path model_file = model_.empty() ? rd::shipped_model_path() : model_;
    if (auto problem = oi::input_file_problem(model_file))
      throw oi::ConfigError("reid.watchlist: model " + model_file.string() + " " + *problem +
                            "; set `model` to the file reid.embed uses");
    model_ = model_file;
    model_id_ = rd::reid_model_id(model_file);
    if (!enrolment_file_.empty()) enrol_from_file(rd::load_reid_model(model_file));
    std::error_code error;
    fs::create_directories(alerts_dir_ / "thumbnails", error);
    fs::create_directories(alerts_dir_ / "tracklets", error);
    if (error)
      throw oi::ConfigError("cannot create " + alerts_dir_.string() + ": " + error.message() +
                            "; set `alerts_dir` to a writable folder");
    alerts_ = std::make_unique<rd::AlertBook>(alerts_dir_ / "alerts.jsonl", audit_);
    if (gpu_.start(config)) on_gpu_ = true;
    housekeeping();
  }

  void stop() override {
    gpu_gallery_.reset();
    gpu_.stop();
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(0);
    if (!frame) return oi::Status::ok();
    if (++frames_ % kHousekeepingEveryFrames == 0 || rd::Clock::now() >= next_expiry_) {
      try {
        housekeeping();
      } catch (const oi::Error& e) {
        return oi::Status::error(std::string("reid.watchlist: ") + e.what());
      }
    }
    const auto started = std::chrono::steady_clock::now();
    oi::FrameMetadata& m = frame->metadata();
    const std::string camera = m.attributes.value(cc::attr::kCamera, cc::source_of(m));
    std::vector<cc::Track> tracks;
    try {
      tracks = cc::tracks_of(m);
    } catch (const std::exception& e) {
      return oi::Status::error("reid.watchlist: frame " + std::to_string(m.sequence) + " of '" + camera +
                               "': " + e.what() + "; fix the stage that wrote it");
    }
    auto& states = cameras_[cc::source_of(m)];
    const std::int64_t now = ++camera_frames_[cc::source_of(m)];

    // The tracks due for a search.
    std::vector<std::size_t> due;
    std::vector<float> queries;
    for (std::size_t i = 0; i < tracks.size(); ++i) {
      const cc::Track& t = tracks[i];
      TrackState& s = states[t.id];
      s.last_frame = now;
      if (t.state != cc::track_state::kConfirmed || t.embedding.empty() || t.age < search_after_) continue;
      if (s.searched_at >= 0 && now - s.searched_at < research_every_) continue;
      if (gallery_dimension() != 0 && static_cast<int>(t.embedding.size()) != gallery_dimension()) {
        ++mismatched_;
        continue;
      }
      s.searched_at = now;
      due.push_back(i);
      queries.insert(queries.end(), t.embedding.begin(), t.embedding.end());
    }
    if (!due.empty()) {
      rd::GalleryResults results;
      if (gallery_size() > 0) {
        try {
          results = on_gpu_ ? gpu_gallery_->search(queries, k_) : cpu_gallery_->search(queries, k_);
        } catch (const oi::Error& e) {
          return oi::Status::error(std::string("reid.watchlist: search failed: ") + e.what());
        }
      } else {
        results.assign(due.size(), {});
      }
      const cv::Mat image =
          frame->has_plane(cc::plane::kImage) ? oi::as_mat(frame->plane(cc::plane::kImage)) : cv::Mat();
      for (std::size_t q = 0; q < due.size(); ++q) {
        const cc::Track& t = tracks[due[q]];
        if (oi::Status s = searched(camera, m, image, tracks, t, results[q], states[t.id]); !s.is_ok())
          return s;
      }
    }

    // Every track holding an alert is named on the frame.
    std::vector<cc::WatchlistHit> hits;
    for (const cc::Track& t : tracks) {
      const TrackState& s = states[t.id];
      if (s.alert.empty()) continue;
      hits.push_back({t.id, s.entry, s.score, s.alert, s.status});
    }
    if (!hits.empty()) m.attributes[cc::attr::kWatchlistHits] = cc::to_json_list(hits);
    for (auto it = states.begin(); it != states.end();)
      it = now - it->second.last_frame > kForgetTrackAfterFrames ? states.erase(it) : std::next(it);
    m.attributes[cc::attr::kTimings][node_] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    ctx.emit(0, std::move(frame));
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    std::size_t unconfirmed = 0, confirmed = 0;
    for (const rd::Alert& a : alerts_ ? alerts_->alerts() : std::vector<rd::Alert>{})
      (a.status() == "confirmed" ? confirmed : unconfirmed) += a.status() == "rejected" ? 0 : 1;
    nlohmann::json out = gpu_.summary();
    out["searches"] = searches_;
    out["alerts"] = alerts_raised_;
    out["alerts_unconfirmed"] = unconfirmed;
    out["alerts_confirmed"] = confirmed;
    out["searchable_entries"] = searchable_entries_;
    out["entries_purged"] = entries_purged_;
    out["tracklets_stored"] = tracklets_stored_;
    out["tracklets_purged"] = tracklets_purged_;
    out["embedding_size_mismatches"] = mismatched_;
    out["alerts_file"] = alerts_ ? alerts_->file().string() : "";
    return out;
  }

 private:
  int gallery_dimension() const {
    if (on_gpu_) return gpu_gallery_ ? gpu_gallery_->dimension() : 0;
    return cpu_gallery_ ? cpu_gallery_->dimension() : 0;
  }
  std::size_t gallery_size() const {
    if (on_gpu_) return gpu_gallery_ ? gpu_gallery_->size() : 0;
    return cpu_gallery_ ? cpu_gallery_->size() : 0;
  }

  // One search's outcome: the audit record, the tracklet store, an alert for a new hit.
  oi::Status searched(const std::string& camera, const oi::FrameMetadata& m, const cv::Mat& image,
                      const std::vector<cc::Track>& tracks, const cc::Track& t,
                      const std::vector<rd::GalleryHit>& hits, TrackState& state) {
    ++searches_;
    const std::string time = utc_of(m.capture_time_ns);
    const auto frame_index = m.attributes.value(cc::attr::kFrameIndex, std::int64_t{-1});
    nlohmann::json results = nlohmann::json::array();
    for (const rd::GalleryHit& h : hits)
      results.push_back({{"entry", entry_ids_.at(h.id)}, {"score", h.score}});
    try {
      if (!state.stored) store_tracklet(camera, image, tracks, t, time, state);
      audit_->append(oi::audit::event::kSearch, {{"period", {{"start", time}, {"end", time}}},
                                                 {"reference_database", watchlist_->reference()},
                                                 {"input",
                                                  {{"camera", camera},
                                                   {"track", t.id},
                                                   {"global_identity", t.global_identity},
                                                   {"frame_index", frame_index},
                                                   {"tracklet", tracklet_name(camera, t.id)}}},
                                                 {"node", node_},
                                                 {"k", k_},
                                                 {"min_score", min_score_},
                                                 {"results", results}});
      if (hits.empty() || hits.front().score < min_score_) return oi::Status::ok();
      const std::string entry = entry_ids_.at(hits.front().id);
      if (state.entry == entry) return oi::Status::ok();  // this track already raised it
      rd::Alert alert;
      alert.time = time;
      alert.camera = camera;
      alert.track = t.id;
      alert.global_identity = t.global_identity;
      alert.frame_index = frame_index;
      alert.score = hits.front().score;
      alert.entry = entry;
      alert.reference = watchlist_->reference();
      const std::string id = "A-" + std::to_string(alerts_->alerts().size() + 1);
      alert.thumbnail = save_crop(image, tracks, t, alerts_dir_ / "thumbnails" / (id + ".png"));
      state.alert = alerts_->raise(alert);
      state.entry = entry;
      state.score = alert.score;
      state.status = "unconfirmed";
      ++alerts_raised_;
      spdlog::warn(
          "{}: watchlist alert {}: camera {} track {} matches {} (score {:.3f}); unconfirmed until two "
          "officers confirm it (oi watchlist confirm {} {})",
          node_, state.alert, camera, t.id, entry, alert.score, alerts_->file().string(), state.alert);
    } catch (const oi::Error& e) {
      return oi::Status::error("reid.watchlist: " + std::string(e.what()) +
                               "; the search was not recorded, so the run stops");
    }
    return oi::Status::ok();
  }

  static std::string tracklet_name(const std::string& camera, std::int64_t track) {
    return camera + "-" + std::to_string(track);
  }

  // The crop of `t` with every other person in it blurred; returns the file ("" without an image).
  std::string save_crop(const cv::Mat& image, const std::vector<cc::Track>& tracks, const cc::Track& t,
                        const fs::path& file) const {
    if (image.empty()) return {};
    const cv::Mat view = rd::crop_person(image, t.box, 2);
    if (view.empty()) return {};
    cv::Mat crop = view.clone();
    std::vector<cc::Box> others;
    const cv::Rect where(std::max(0, static_cast<int>(t.box.x)), std::max(0, static_cast<int>(t.box.y)),
                         crop.cols, crop.rows);
    for (const cc::Track& o : tracks)
      if (o.id != t.id) others.push_back({o.box.x - where.x, o.box.y - where.y, o.box.w, o.box.h});
    cc::privacy::blur_boxes(crop, others);
    cv::Mat bgr;
    cv::cvtColor(crop, bgr, cv::COLOR_RGB2BGR);
    std::vector<unsigned char> png;
    cv::imencode(".png", bgr, png);
    if (oi::Status s = oi::write_file_atomically(
            file, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
        s.is_error())
      throw oi::Error(s.message());
    return file.string();
  }

  void store_tracklet(const std::string& camera, const cv::Mat& image, const std::vector<cc::Track>& tracks,
                      const cc::Track& t, const std::string& time, TrackState& state) {
    const fs::path base = alerts_dir_ / "tracklets" / tracklet_name(camera, t.id);
    const std::string crop = save_crop(image, tracks, t, fs::path(base.string() + ".png"));
    const nlohmann::json record = {{"camera", camera},
                                   {"track", t.id},
                                   {"global_identity", t.global_identity},
                                   {"time", time},
                                   {"crop", crop},
                                   {"embedding", t.embedding},
                                   {"model", model_id_},
                                   {"stored_at", rd::format_utc(rd::Clock::now())}};
    if (oi::Status s = oi::write_file_atomically(fs::path(base.string() + ".json"), record.dump() + "\n");
        s.is_error())
      throw oi::Error(s.message());
    state.stored = true;
    ++tracklets_stored_;
  }

  // Expired entries out (audited) and the gallery rebuilt; unmatched tracklets past retention purged.
  void housekeeping() {
    const auto now = rd::Clock::now();
    const std::size_t purged = watchlist_->purge_expired(now);
    entries_purged_ += purged;
    if (purged > 0 || !gallery_built_) build_gallery(now);
    purge_tracklets(now);
  }

  void build_gallery(rd::Clock::time_point now) {
    const std::vector<const rd::WatchlistEntry*> entries = watchlist_->searchable(now);
    entry_ids_.clear();
    std::vector<std::uint64_t> ids;
    std::vector<float> embeddings;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      ids.push_back(i);
      entry_ids_[i] = entries[i]->id;
      embeddings.insert(embeddings.end(), entries[i]->embedding.begin(), entries[i]->embedding.end());
    }
    const int dimension = entries.empty() ? 0 : static_cast<int>(entries.front()->embedding.size());
    // The next expiry: from then on that entry must not be searched.
    next_expiry_ = rd::Clock::time_point::max();
    for (const rd::WatchlistEntry* e : entries)
      if (const auto expiry = rd::parse_utc(e->expires_at); expiry && *expiry < next_expiry_)
        next_expiry_ = *expiry;
    gpu_gallery_.reset();
    cpu_gallery_.reset();
    if (dimension > 0) {
      if (!watchlist_->embedding_model().empty() && watchlist_->embedding_model() != model_id_)
        throw oi::ConfigError("reid.watchlist: watchlist " + watchlist_file_.string() +
                              " was enrolled with model " + watchlist_->embedding_model() +
                              " but the embeddings come from " + model_id_ +
                              "; enrol the persons again with this model");
      if (on_gpu_) {
        try {
          gpu_gallery_ = std::make_unique<rd::GalleryGpu>(gpu_, dimension);
        } catch (const oi::ConfigError& e) {
          // A device without what the kernel needs (64-bit integers): the CPU reference runs.
          spdlog::warn("{}: the gallery search runs on the CPU: {}", node_, e.what());
          on_gpu_ = false;
        }
      }
      if (on_gpu_) {
        gpu_gallery_->add(ids, embeddings);
      } else {
        cpu_gallery_ = std::make_unique<rd::GallerySearch>(dimension);
        cpu_gallery_->add(ids, embeddings);
      }
    }
    searchable_entries_ = entries.size();
    gallery_built_ = true;
  }

  void purge_tracklets(rd::Clock::time_point now) {
    std::set<std::string> matched;
    for (const rd::Alert& a : alerts_->alerts())
      if (a.status() != "rejected") matched.insert(tracklet_name(a.camera, a.track));
    const auto limit = std::chrono::duration_cast<rd::Clock::duration>(
        std::chrono::duration<double>(retention_hours_ * 3600.0));
    std::vector<std::string> removed;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(alerts_dir_ / "tracklets", error)) {
      if (item.path().extension() != ".json") continue;
      const std::string name = item.path().stem().string();
      if (matched.count(name)) continue;
      std::ifstream in(item.path());
      const nlohmann::json record = nlohmann::json::parse(in, nullptr, false);
      const auto stored = record.is_object() ? rd::parse_utc(record.value("stored_at", "")) : std::nullopt;
      if (stored && now - *stored < limit) continue;
      fs::remove(item.path(), error);
      fs::remove(fs::path(item.path()).replace_extension(".png"), error);
      removed.push_back(name);
    }
    if (removed.empty()) return;
    tracklets_purged_ += removed.size();
    audit_->append(oi::audit::event::kPurge,
                   {{"reason", "retention"},
                    {"retention_hours", retention_hours_},
                    {"data", "embeddings and crops of persons who matched no entry"},
                    {"tracklets", removed},
                    {"node", node_}});
  }

  void enrol_from_file(const rd::ReidModel& model) {
    if (auto problem = oi::input_file_problem(enrolment_file_))
      throw oi::ConfigError("reid.watchlist: enrolment file " + enrolment_file_.string() + " " + *problem);
    std::ifstream in(enrolment_file_);
    const nlohmann::json list = nlohmann::json::parse(in, nullptr, false);
    auto bad = [&](const std::string& what) {
      return oi::ConfigError("reid.watchlist: enrolment file " + enrolment_file_.string() + ": " + what);
    };
    if (!list.is_array()) throw bad("not a JSON list of persons");
    const auto now = rd::Clock::now();
    for (std::size_t i = 0; i < list.size(); ++i) {
      const nlohmann::json& p = list[i];
      const std::string where = "person " + std::to_string(i + 1);
      if (!p.is_object() || !p.contains("image") || !p["image"].is_string())
        throw bad(where + " has no \"image\"");
      fs::path image_file = p["image"].get<std::string>();
      if (image_file.is_relative()) image_file = enrolment_file_.parent_path() / image_file;
      bool known = false;
      for (const rd::WatchlistEntry& e : watchlist_->entries())
        known = known || e.source.value("image", "") == image_file.lexically_normal().string();
      if (known) continue;
      const cv::Mat bgr = cv::imread(image_file.string(), cv::IMREAD_COLOR);
      if (bgr.empty()) throw bad(where + ": image " + image_file.string() + " cannot be read as a picture");
      cv::Mat rgb;
      cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
      const std::vector<float> descriptor = rd::lomo_descriptor(rgb, model.descriptor);
      rd::WatchlistEntry entry;
      entry.label = p.value("label", image_file.stem().string());
      entry.legal_basis = p.value("legal_basis", "");
      entry.authorised_by = p.value("authorised_by", "");
      const double days = p.value("expires_in_days", 0.0);
      entry.expires_at = p.contains("expires_at")
                             ? p["expires_at"].get<std::string>()
                             : rd::format_utc(now + std::chrono::duration_cast<rd::Clock::duration>(
                                                        std::chrono::duration<double>(days * 86400.0)));
      entry.source = p.contains("source") && p["source"].is_object() ? p["source"] : nlohmann::json::object();
      entry.source["image"] = image_file.lexically_normal().string();
      entry.embedding = rd::apply_reid_model(model, descriptor.data());
      watchlist_->enrol(std::move(entry), model_id_, now);
    }
  }

  // Parameters.
  fs::path watchlist_file_, alerts_dir_, audit_file_, enrolment_file_, model_;
  double min_score_ = 0.8;
  std::int64_t k_ = 5;
  std::int64_t search_after_ = 5;
  std::int64_t research_every_ = 50;
  double retention_hours_ = 24.0;

  std::string node_, model_id_;
  oi::gpu::StageBackend gpu_;
  bool on_gpu_ = false;
  std::shared_ptr<oi::audit::AuditLog> audit_;
  std::unique_ptr<rd::Watchlist> watchlist_;
  std::unique_ptr<rd::AlertBook> alerts_;
  std::unique_ptr<rd::GallerySearch> cpu_gallery_;
  std::unique_ptr<rd::GalleryGpu> gpu_gallery_;
  bool gallery_built_ = false;
  std::size_t searchable_entries_ = 0;  // entries in the gallery
  rd::Clock::time_point next_expiry_ = rd::Clock::time_point::max();
  std::map<std::uint64_t, std::string> entry_ids_;  // gallery id -> watchlist entry id
  std::map<std::string, std::map<std::int64_t, TrackState>> cameras_;
  std::map<std::string, std::int64_t> camera_frames_;
  std::uint64_t frames_ = 0, searches_ = 0, alerts_raised_ = 0, entries_purged_ = 0, tracklets_stored_ = 0,
                tracklets_purged_ = 0, mismatched_ = 0;
};

}  // namespace

OI_REGISTER_STAGE(
    WatchlistStage, "reid.watchlist",
    "Watchlist search of tracked persons (Vulkan top-k), alerts verified by two officers, audit log.");
