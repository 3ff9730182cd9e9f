// sink.cctv_summary: the tracking evaluation of a camera run, per camera and overall, with
// TrackEval's definitions (oi/cctv/metrics.hpp): summary.json, summary.html (table, HOTA
// curves, thumbnails), MOTChallenge files per camera, and the table `oi run` prints at the end.
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "camera_record.hpp"
#include "global_identities.hpp"
#include "mot_files.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/cctv/metrics.hpp"
#include "oi/files.hpp"
#include "oi/plugin.hpp"
#include "reid_examples.hpp"
#include "summary_page.hpp"
#include "truth_file.hpp"

namespace fs = std::filesystem;

namespace oi::cctv::summary {
namespace {

constexpr const char* kTruthListed = "listed";
constexpr const char* kTruthAll = "all";

std::string fixed(const nlohmann::json& v, const char* format = "%.3f") {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (!v.is_number()) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, format, v.get<double>());
  return text;
}

// A camera name made safe as a folder name: letters, digits, '.', '-', '_'.
std::string safe_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    out += ok ? c : '_';
  }
  if (out.empty() || out == "." || out == "..") out = "camera" + out;
  return out;
}

// The table row of one camera for `oi run`: fixed-width columns under a heading row.
std::string table_columns(const nlohmann::json& f) {
  char text[160];
  std::snprintf(text, sizeof text, "%6s %6s %7s %7s %7s %6s %6s %6s %5s", fixed(f["frames"]).c_str(),
                fixed(f["evaluated_frames"]).c_str(), fixed(f["det_recall"]).c_str(),
                fixed(f["det_precision"]).c_str(), fixed(f["false_boxes_per_frame"], "%.2f").c_str(),
                fixed(f["mota"]).c_str(), fixed(f["idf1"]).c_str(), fixed(f["hota"]).c_str(),
                fixed(f["id_switches"]).c_str());
  return text;
}

class CctvSummarySink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Evaluates camera runs per camera with TrackEval's definitions: detection precision and recall at "
        "IoU "
        "0.5, MOTA, MOTP, IDF1, IDP, IDR, HOTA (DetA, AssA), ID switches, fragmentations, mostly tracked / "
        "lost. Truth comes from the frames' `ground_truth` (sim.cctv) or from a MOTChallenge gt file "
        "(`truth`); persons too little visible or too small are \"don't care\". Writes `summary.json`, "
        "`summary.html` (per-camera table, HOTA curves, thumbnails with truth and track boxes) and "
        "MOTChallenge files per camera (`mot/<camera>/gt/gt.txt`, `tracks.txt`, `seqinfo.ini`) that "
        "TrackEval "
        "reads. `oi run` prints the per-camera table and the page's path. Frames that cannot be evaluated "
        "are "
        "counted and reported. See docs/cctv.md.");
    PortSpec& in = spec.input("in", PortType::of(kFrameKind), "camera frames after cctv.track");
    in.multi_source = true;
    spec.param("dir", dir_).without_default().describe("Output folder; created when missing.");
    spec.param("overwrite", overwrite_)
        .describe(
            "Allow replacing summary.json / summary.html / mot/ in `dir`. Off: their presence is an error at "
            "start.");
    spec.param("truth", truth_)
        .describe(
            "Ground truth for footage without simulator truth: a MOTChallenge gt file "
            "(`frame,id,x,y,w,h[,mark,class,visibility]`, frames from 1 = frame_index + 1) used for every "
            "camera, "
            "or a folder with `<camera>.txt` or `<camera>/gt/gt.txt` per camera. Empty: the frames' "
            "`ground_truth` attribute.");
    spec.param("truth_frames", truth_frames_)
        .one_of({kTruthListed, kTruthAll})
        .describe(
            "Which frames a truth file annotates: `listed` (only frames with at least one line: sparse, "
            "hand-made "
            "truth; other frames are counted as not annotated) or `all` (every frame; one without lines has "
            "no persons).");
    spec.param("min_visible", min_visible_)
        .range(0.0, 1.0)
        .describe("Truth persons less visible than this fraction are \"don't care\".");
    spec.param("min_height_px", min_height_px_)
        .min(0.0)
        .unit("px")
        .describe("Truth persons shorter than this are \"don't care\".");
    spec.param("skip_frames", skip_frames_)
        .min(0)
        .unit("frames")
        .describe(
            "The first frames of each camera that are not evaluated (counted as skipped), e.g. cctv.detect's "
            "`warmup_frames`, during which it reports no detections.");
    spec.param("thumbnails", thumbnails_).range(0, 100).describe("Thumbnails per camera in summary.html.");
    spec.param("identity_thumbnails", identity_thumbnails_)
        .range(0, 1000)
        .describe(
            "Reunited global identities (reid.associate: seen in several cameras or tracklets) shown in "
            "summary.html with a crop per tracklet.");
    spec.param("reid_examples", reid_examples_)
        .range(0, 100)
        .describe(
            "Sample re-identification queries shown in summary.html with their top-5 tracklets of other "
            "cameras, right and wrong marked, when the tracks carry embeddings (reid.embed) and the frames "
            "carry the simulator's ground truth; summary.json's `reid` holds the run's tracklet-level "
            "rank-1, "
            "rank-5 and mAP.");
    spec.param("thumbnail_size", thumbnail_size_)
        .range(32, 2048)
        .unit("px")
        .describe("Longer side of a thumbnail.");
  }

  std::vector<std::string> validate(const StageConfig&) const override {
    std::vector<std::string> problems;
    std::error_code ec;
    if (dir_.empty()) problems.push_back("`dir` is empty; name the folder the summary goes to");
    if (!dir_.empty() && fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
      problems.push_back("`dir` " + dir_.string() +
                         " exists and is not a folder; choose another output folder");
    }
    if (!truth_.empty()) {
      for (std::string& p : check_truth(truth_)) problems.push_back("`truth`: " + p);
    }
    return problems;
  }

  void start(const StageConfig&) override {
    std::error_code ec;
    if (!overwrite_ && fs::is_directory(dir_, ec)) {
      for (const char* name : {"summary.json", "summary.html", "mot", "thumbs"}) {
        if (fs::exists(dir_ / name, ec)) {
          throw ConfigError(dir_.string() + " already holds a tracking summary (" + name +
                            "); choose another `dir` or set `overwrite: true` to write into it");
        }
      }
    }
    fs::create_directories(dir_, ec);
    if (ec) {
      throw ConfigError("cannot create output folder '" + dir_.string() + "': " + ec.message() +
                        "; set `dir` to a writable folder");
    }
    if (!truth_.empty()) truth_source_ = std::make_unique<TruthSource>(truth_);
    rule_ = {min_visible_, min_height_px_};
    started_ok_ = true;
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    const FrameMetadata& m = frame->metadata();
    CameraRecord& cam = camera_of(m);
    FrameRecord record;
    if (Status s = frame_number(m, record.number); !s.is_ok()) return where(cam, m, s.message());
    ++frames_;
    if (cam.frames.empty()) cam.first_time_ns = m.capture_time_ns;
    cam.last_time_ns = m.capture_time_ns;
    if (!cam.frames.empty() && record.number <= cam.last_number) ++cam.out_of_order;
    cam.last_number = record.number;

    std::vector<Detection> detections;
    bool has_detections = false;
    try {
      if (m.attributes.contains(attr::kTracks)) {
        record.tracks = tracks_of(m);
        ++cam.frames_with_tracks;
      }
      has_detections = m.attributes.contains(attr::kDetections);
      if (has_detections) detections = detections_of(m);
      if (static_cast<std::int64_t>(cam.frames.size()) < skip_frames_) {
        ++cam.not_evaluated.skipped;
      } else if (cam.truth_file != nullptr) {
        const auto it = cam.truth_file->frames.find(record.number);
        if (it != cam.truth_file->frames.end()) {
          record.evaluated = true;
          for (const TruthLine& t : it->second) {
            const bool dont_care =
                t.marked_ignore || t.visible < rule_.min_visible || t.box.h < rule_.min_height_px;
            record.truth.push_back({{t.id, t.box, dont_care}, t.visible});
          }
        } else if (truth_frames_ == kTruthAll) {
          record.evaluated = true;
        } else {
          ++cam.not_evaluated.not_annotated;
        }
      } else if (m.attributes.contains(attr::kGroundTruth)) {
        record.evaluated = true;
        const std::vector<GroundTruthPerson> persons = ground_truth_of(m);
        for (const GroundTruthPerson& p : persons) record.truth.push_back({rule_.truth_of(p), p.visible});
        reid_.add(*frame, cam.name, record.tracks, persons);
      } else {
        ++cam.not_evaluated.no_truth;
      }
    } catch (const Error& e) {
      return where(cam, m, std::string(e.what()) + "; fix the stage that wrote it");
    }
    if (Status s = unique_ids(record); !s.is_ok()) return where(cam, m, s.message());

    std::vector<TruthObject> truth;
    for (const TruthPerson& p : record.truth) truth.push_back(p.object);
    if (record.evaluated && has_detections) {
      std::vector<Box> boxes;
      for (const Detection& d : detections) boxes.push_back(d.box);
      cam.detection += evaluate_detections(truth, boxes);
      ++cam.frames_with_detections;
    }
    // Thumbnails show evaluated frames; a camera without any truth shows any frame but the
    // skipped ones.
    const bool no_truth_at_all = cam.truth_file == nullptr && !m.attributes.contains(attr::kGroundTruth);
    const bool skipped = static_cast<std::int64_t>(cam.frames.size()) < skip_frames_;
    if (record.evaluated || (no_truth_at_all && !skipped)) {
      std::vector<TrackedObject> shown;
      for (const Track& t : record.tracks) shown.push_back({t.id, t.box});
      if (!cam.thumbnails.offer(*frame, record.number, truth, shown)) ++cam.frames_without_image;
    }
    if (cam.width == 0 && frame->has_plane(plane::kImage)) {
      cam.width = frame->plane(plane::kImage).width;
      cam.height = frame->plane(plane::kImage).height;
    }
    identities_.add(*frame, cam.name, record.tracks);
    cam.frames.push_back(std::move(record));
    return Status::ok();
  }

  Status finish(StageContext&) override { return write(); }

  // A run stopped by an error still leaves a summary of what arrived (as sink.summary does).
  void stop() override {
    if (!started_ok_ || written_) return;
    (void)write();  // a failure is kept in write_error_: summary() says so
  }

  nlohmann::json summary() const override {
    nlohmann::json table = nlohmann::json::array();
    table.push_back({"camera", "frames   eval  recall  precis  FP/fr   MOTA   IDF1   HOTA  IDSW"});
    const nlohmann::json& cameras = summary_.value("cameras", nlohmann::json::object());
    for (const auto& [name, cam] : cameras.items()) table.push_back({name, table_columns(cam)});
    if (cameras.size() > 1) table.push_back({"all cameras", table_columns(summary_["overall"])});
    if (cameras.empty()) table.push_back({"cameras", "none (no frame arrived)"});
    if (const nlohmann::json& g = summary_.value("global_identities", nlohmann::json()); g.is_object()) {
      std::string line = std::to_string(g.value("count", 0)) + " identities, " +
                         std::to_string(g.value("in_several_cameras", 0)) + " in several cameras, " +
                         std::to_string(g.value("reentered", 0)) + " re-entered a camera";
      const nlohmann::json cross = g.value("cross_camera", nlohmann::json());
      if (cross.is_object()) line += "; cross-camera IDF1 " + fixed(cross.value("idf1", nlohmann::json()));
      table.push_back({"global ids", line});
    }
    const std::int64_t not_evaluated = summary_.value("frames_not_evaluated", std::int64_t{0});
    if (not_evaluated > 0) {
      table.push_back({"not evaluated", std::to_string(not_evaluated) +
                                            " frames (skipped, without ground truth or not annotated; see "
                                            "summary.json)"});
    }
    return {{"output", fs::absolute(dir_ / "summary.html").string()},
            {"written", wrote_files_},
            {"not_written", not_written_},
            {"error", write_error_.empty() ? nlohmann::json(nullptr) : nlohmann::json(write_error_)},
            {"summary_json", fs::absolute(dir_ / "summary.json").string()},
            {"table", table}};
  }

 private:
  CameraRecord& camera_of(const FrameMetadata& m) {
    const std::string& source = source_of(m);
    auto it = cameras_.find(source);
    if (it != cameras_.end()) return it->second;
    // A new source, also mid-run: fresh state of its own.
    CameraRecord cam;
    cam.source = source;
    const auto name = m.attributes.find(attr::kCamera);
    cam.name = name != m.attributes.end() && name->is_string() && !name->get<std::string>().empty()
                   ? name->get<std::string>()
                   : (source.empty() ? std::string("camera") : source);
    for (const auto& [s, other] : cameras_) {
      if (other.name == cam.name) cam.name += " (" + source + ")";  // two sources, one camera name
    }
    cam.file_name = safe_name(cam.name);
    for (int k = 2; used_file_names_.count(cam.file_name) != 0; ++k)
      cam.file_name = safe_name(cam.name) + "_" + std::to_string(k);
    used_file_names_.insert(cam.file_name);
    if (truth_source_) cam.truth_file = truth_source_->for_camera(cam.name, source);
    cam.tracking_truth = cam.truth_file == nullptr || truth_frames_ == kTruthAll;
    cam.thumbnails = ThumbnailPicker(static_cast<int>(thumbnails_), static_cast<int>(thumbnail_size_));
    return cameras_.emplace(source, std::move(cam)).first->second;
  }

  // MOT frame number: frame_index + 1 when the frame carries one, else sequence + 1.
  static Status frame_number(const FrameMetadata& m, std::int64_t& number) {
    const auto it = m.attributes.find(attr::kFrameIndex);
    if (it == m.attributes.end() || it->is_null()) {
      number = static_cast<std::int64_t>(m.sequence) + 1;
      return Status::ok();
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      return Status::error("attribute '" + std::string(attr::kFrameIndex) + "' is " + it->dump() +
                           ", not a frame index from 0; fix the camera driver");
    }
    number = it->get<std::int64_t>() + 1;
    return Status::ok();
  }

  static Status unique_ids(const FrameRecord& r) {
    std::set<std::int64_t> ids;
    for (const TruthPerson& p : r.truth) {
      if (!ids.insert(p.object.id).second) {
        return Status::error("ground truth holds identity " + std::to_string(p.object.id) +
                             " twice; fix the ground truth");
      }
    }
    ids.clear();
    for (const Track& t : r.tracks) {
      if (!ids.insert(t.id).second) {
        return Status::error("attribute 'tracks' holds track id " + std::to_string(t.id) +
                             " twice; fix the tracker (ids are unique per camera and frame)");
      }
    }
    return Status::ok();
  }

  static Status where(const CameraRecord& cam, const FrameMetadata& m, const std::string& what) {
    return Status::error("camera '" + cam.name + "' frame (sequence " + std::to_string(m.sequence) +
                         "): " + what);
  }

  Status write() {
    written_ = true;
    not_written_ = 0;
    nlohmann::json cameras = nlohmann::json::object();
    TrackingMetrics all_tracking;  // of the cameras with tracking figures
    std::int64_t all_truth_boxes = 0, all_truth_ids = 0, all_distractor_boxes = 0;
    DetectionMetrics all_detection;
    NotEvaluated all_not_evaluated;
    std::int64_t all_evaluated = 0;
    bool any_tracks = false;
    std::map<std::string, std::vector<PageThumbnail>> page_thumbnails;
    Status status = Status::ok();
    auto keep = [&status](Status s) {
      if (status.is_ok() && !s.is_ok()) status = std::move(s);
    };
    for (const auto& [source, cam] : cameras_) {
      TrackingMetrics tracking;
      try {
        tracking = evaluate_tracking(cam.sequence());
      } catch (const Error& e) {
        keep(Status::error("camera '" + cam.name + "': " + e.what()));
      }
      std::int64_t evaluated = 0;
      for (const FrameRecord& f : cam.frames) evaluated += f.evaluated ? 1 : 0;
      const bool have_tracks = cam.frames_with_tracks > 0 && cam.tracking_truth;
      nlohmann::json c = camera_figures(cam.detection, tracking, have_tracks,
                                        static_cast<std::int64_t>(cam.frames.size()), evaluated);
      c["source"] = cam.source;
      c["truth"] = cam.truth_origin();
      c["truth_file"] =
          cam.truth_file ? nlohmann::json(cam.truth_file->path.string()) : nlohmann::json(nullptr);
      c["not_evaluated"] = cam.not_evaluated.to_json();
      c["tracking_evaluated"] = have_tracks && evaluated > 0;
      if (!cam.tracking_truth) {
        c["tracking_note"] =
            "sparse truth file (truth_frames: listed): identities are not linked over time, so only "
            "detection "
            "figures; set truth_frames: all for a file that annotates every frame";
      } else if (cam.frames_with_tracks == 0) {
        c["tracking_note"] = "no frame carried tracks (is cctv.track upstream?)";
      }
      c["annotated_frames_missing"] = cam.annotated_frames_missing();
      c["frames_with_tracks"] = cam.frames_with_tracks;
      c["frames_with_detections"] = cam.frames_with_detections;
      c["frames_without_image"] = cam.frames_without_image;
      c["frames_out_of_order"] = cam.out_of_order;
      const fs::path mot = fs::path("mot") / cam.file_name;
      c["mot"] = {{"gt", (mot / "gt" / "gt.txt").generic_string()},
                  {"tracks", (mot / "tracks.txt").generic_string()},
                  {"seqinfo", (mot / "seqinfo.ini").generic_string()}};
      try {
        keep(write_mot_files(dir_ / mot, cam, not_written_));
      } catch (const std::exception& e) {
        keep(Status::error("cannot write the MOT files of camera '" + cam.name + "': " + e.what()));
      }
      nlohmann::json thumbs = nlohmann::json::array();
      for (const Thumbnail& t : cam.thumbnails.picked()) {
        char name[64];
        std::snprintf(name, sizeof name, "frame_%06lld.jpg", static_cast<long long>(t.frame));
        PageThumbnail shown = write_crop(keep, fs::path("thumbs") / cam.file_name / name, t.jpeg, t.caption);
        if (shown.file.empty()) continue;
        thumbs.push_back(shown.file);
        page_thumbnails[cam.name].push_back(std::move(shown));
      }
      c["thumbnails"] = thumbs;
      cameras[cam.name] = c;
      if (have_tracks) all_tracking += tracking;
      all_truth_boxes += tracking.truth_boxes;
      all_truth_ids += tracking.truth_ids;
      all_distractor_boxes += tracking.distractor_boxes;
      all_detection += cam.detection;
      all_not_evaluated += cam.not_evaluated;
      all_evaluated += evaluated;
      any_tracks = any_tracks || have_tracks;
    }
    nlohmann::json overall = camera_figures(all_detection, all_tracking, any_tracks, frames_, all_evaluated);
    if (all_evaluated > 0) {
      overall["gt_boxes"] = all_truth_boxes;
      overall["gt_persons"] = all_truth_ids;  // per camera, summed: one person in two cameras counts twice
      overall["distractor_boxes"] = all_distractor_boxes;
    }
    overall["cameras"] = cameras_.size();
    overall["not_evaluated"] = all_not_evaluated.to_json();
    nlohmann::json s = {
        {"cameras", cameras},
        {"overall", overall},
        {"frames", frames_},
        {"frames_not_evaluated", all_not_evaluated.total()},
        {"parameters",
         {{"min_visible", min_visible_},
          {"min_height_px", min_height_px_},
          {"truth", truth_.empty() ? nlohmann::json(nullptr) : nlohmann::json(truth_.string())},
          {"truth_frames", truth_frames_},
          {"skip_frames", skip_frames_}}},
        {"definitions",
         "TrackEval (CLEAR, Identity, HOTA); IoU >= 0.5 for detection, CLEAR and Identity matching; overall: "
         "sequences combined as TrackEval's combine_sequences; docs/cctv.md"}};
    std::vector<PageIdentity> page_identities;
    if (identities_.any()) s["global_identities"] = global_identities(keep, page_identities);
    std::vector<PageReidExample> page_reid;
    if (reid_.any()) s["reid"] = reid_examples(keep, page_reid);
    summary_ = s;
    std::string main_not_written;  // summary.json and summary.html among the files not written
    for (const auto& [name, text] :
         {std::pair<std::string, std::string>{"summary.json", s.dump(2) + "\n"},
          {"summary.html", summary_page(s, page_thumbnails, page_identities, page_reid)}}) {
      Status written = write_file_atomically(dir_ / name, text);
      if (written.is_ok()) continue;
      ++not_written_;
      main_not_written += (main_not_written.empty() ? "" : " and ") + name;
      keep(std::move(written));
    }
    // The first error names one file; the count says it was not the only one (a full disk
    // fails the thumbnails first, and the summary itself after them).
    if (not_written_ > 0) {
      status = Status::error(status.message() + "; " + std::to_string(not_written_) +
                             (not_written_ == 1 ? " file" : " files") + " of the summary not written" +
                             (main_not_written.empty() ? std::string()
                                                       : ", " + main_not_written + " among them (any in " +
                                                             dir_.string() + " are an earlier run's)"));
    }
    wrote_files_ = status.is_ok();
    if (!status.is_ok()) write_error_ = status.message();
    return status;
  }

  // summary.json's `global_identities` (reid.associate's identities, MTMC IDF1) and the crops of
  // the reunited ones for the page.
  template <class Keep>
  nlohmann::json global_identities(Keep& keep, std::vector<PageIdentity>& page) {
    nlohmann::json list = nlohmann::json::array();
    std::int64_t several = 0, reentered = 0;
    for (const auto& [id, g] : identities_.identities()) {
      std::int64_t frames = 0;
      for (const IdentityTracklet& t : g.tracklets) frames += t.frames;
      const bool again = g.tracklets.size() > g.cameras.size();
      several += g.cameras.size() > 1 ? 1 : 0;
      reentered += again ? 1 : 0;
      list.push_back(
          {{"id", id}, {"cameras", g.cameras}, {"tracklets", g.tracklets.size()}, {"frames", frames}});
    }
    nlohmann::json cross = nullptr;
    std::vector<const CameraRecord*> records;
    for (const auto& [source, cam] : cameras_) records.push_back(&cam);
    try {
      cross = cross_camera_figures(records);
    } catch (const Error& e) {
      keep(Status::error(std::string("cross-camera identity metric: ") + e.what()));
    }
    for (const GlobalIdentity* g : identities_.reunited()) {
      if (static_cast<std::int64_t>(page.size()) >= identity_thumbnails_) break;
      PageIdentity shown;
      shown.id = g->id;
      shown.cameras = g->cameras;
      for (const IdentityTracklet& t : g->tracklets) {
        const fs::path file =
            fs::path("thumbs") / "identities" /
            (std::to_string(g->id) + "_" + safe_name(t.camera) + "_" + std::to_string(t.track_id) + ".jpg");
        shown.crops.push_back(write_crop(keep, file, t.jpeg,
                                         t.camera + ", track " + std::to_string(t.track_id) + ", " +
                                             std::to_string(t.frames) + " frames"));
      }
      page.push_back(std::move(shown));
    }
    return {{"count", identities_.identities().size()},
            {"in_several_cameras", several},
            {"reentered", reentered},
            {"cross_camera", cross},
            {"identities", list}};
  }

  // Writes a JPEG under `dir` and returns the page's view of it ("" file without a crop).
  template <class Keep>
  PageThumbnail write_crop(Keep& keep, const fs::path& file, const std::vector<unsigned char>& jpeg,
                           std::string caption) {
    PageThumbnail shown{"", std::move(caption)};
    if (jpeg.empty()) return shown;
    std::error_code ec;
    fs::create_directories(dir_ / file.parent_path(), ec);
    Status written = write_file_atomically(
        dir_ / file, std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
    if (!written.is_ok()) ++not_written_;
    keep(std::move(written));
    shown.file = file.generic_string();
    return shown;
  }

  // summary.json's `reid` (the run's tracklet-level re-identification) and the sample queries.
  template <class Keep>
  nlohmann::json reid_examples(Keep& keep, std::vector<PageReidExample>& page) {
    ReidRunFigures run = reid_.evaluate(static_cast<int>(reid_examples_), 5);
    if (!run.figures.is_object()) return nullptr;
    const std::vector<ReidTracklet>& tracklets = reid_.tracklets();
    auto shown = [&](std::size_t i, const std::string& extra) {
      const ReidTracklet& t = tracklets[i];
      const std::string name = safe_name(t.camera) + "_" + std::to_string(t.track_id);
      return write_crop(keep, fs::path("thumbs") / "reid" / (name + ".jpg"), t.jpeg,
                        t.camera + ", track " + std::to_string(t.track_id) + extra);
    };
    auto describe = [&](std::size_t i) {
      const ReidTracklet& t = tracklets[i];
      return nlohmann::json{{"camera", t.camera}, {"track", t.track_id}, {"person", t.identity()}};
    };
    nlohmann::json list = nlohmann::json::array();
    for (const ReidExample& e : run.examples) {
      PageReidExample p;
      p.query = shown(e.query, ", person " + std::to_string(tracklets[e.query].identity()));
      p.first_match_rank = e.first_match_rank;
      nlohmann::json top = nlohmann::json::array();
      for (const RankedTracklet& g : e.top) {
        char distance[32];
        std::snprintf(distance, sizeof distance, ", distance %.3f", g.distance);
        const std::int64_t person = tracklets[g.tracklet].identity();
        p.top.push_back({shown(g.tracklet, (person >= 0 ? ", person " + std::to_string(person) : ", nobody") +
                                               std::string(distance)),
                         g.right});
        nlohmann::json item = describe(g.tracklet);
        item["distance"] = g.distance;
        item["right"] = g.right;
        top.push_back(item);
      }
      page.push_back(std::move(p));
      list.push_back({{"query", describe(e.query)}, {"first_match_rank", e.first_match_rank}, {"top", top}});
    }
    run.figures["examples"] = list;
    run.figures["crops"] = "unblurred: simulated persons (frames with the simulator's ground truth)";
    return run.figures;
  }

  // Parameters (bound).
  fs::path dir_;                             // dir
  bool overwrite_ = false;                   // overwrite
  fs::path truth_;                           // truth
  std::string truth_frames_ = kTruthListed;  // truth_frames
  double min_visible_ = 0.5;                 // min_visible
  double min_height_px_ = 40.0;              // min_height_px
  std::int64_t skip_frames_ = 0;             // skip_frames
  std::int64_t thumbnails_ = 4;              // thumbnails
  std::int64_t thumbnail_size_ = 320;        // thumbnail_size
  std::int64_t identity_thumbnails_ = 12;    // identity_thumbnails
  std::int64_t reid_examples_ = 5;           // reid_examples

  DistractorRule rule_;
  std::unique_ptr<TruthSource> truth_source_;
  std::map<std::string, CameraRecord> cameras_;  // by source
  GlobalIdentities identities_;
  ReidExamples reid_;
  std::set<std::string> used_file_names_;
  std::int64_t frames_ = 0;
  bool started_ok_ = false;
  bool written_ = false;
  bool wrote_files_ = false;
  std::size_t not_written_ = 0;  // files of the last write() that could not be written
  std::string write_error_;
  nlohmann::json summary_ = {{"cameras", nlohmann::json::object()}, {"frames_not_evaluated", 0}};
};

}  // namespace
}  // namespace oi::cctv::summary

OI_REGISTER_STAGE(
    oi::cctv::summary::CctvSummarySink, "sink.cctv_summary",
    "Tracking evaluation per camera (MOTA, IDF1, HOTA; summary.json, summary.html, MOT files).");
OI_PLUGIN("oi-sink-cctv-summary", "0.1.0", "Apache-2.0")
