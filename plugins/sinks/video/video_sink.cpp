// sink.video: an annotated video and a JSON-lines file per camera, so an operator can look at
// what detection and tracking saw. Several cameras feed one node (a multi-source input); every
// camera gets its own files and state, keyed by the frame's source.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "camera_output.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/plugin.hpp"

namespace fs = std::filesystem;

namespace oi::cctv::video {
namespace {

constexpr const char* kBlurOffNeedsAuditLog =
    "`privacy_blur: false` shows unmatched persons unblurred, which must be recorded: set `audit_log` to the "
    "site's audit log (or keep privacy_blur on)";

class VideoSink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Writes, per camera, an annotated video (`<camera>.avi`, or `.mp4` for codec mp4v/h264) through "
        "OpenCV's VideoWriter and `<camera>.frames.jsonl`, one JSON line per frame (frame index, capture "
        "time, camera, detections, tracks, ground truth when the frame has it). A video is written as "
        "`.<camera>.partial.avi` (`.partial.mp4`) and gets its name once it is closed and checked whole, so "
        "a run killed meanwhile leaves no cut video under the video's name; each JSON line is written at "
        "once, so such a run leaves whole lines and at most a torn last one. The video shows track "
        "boxes coloured by track id with their id, trails of the tracks' foot points, detections as thin "
        "boxes, optionally the ground truth, and a header with camera, frame index and time. Several "
        "cameras may feed one node; their files are named after the `camera` attribute (else the source "
        "device). A camera whose frames change size keeps one video of its first size; frames of another "
        "size are resized into it (counted, logged). See docs/cctv.md.");
    spec.input("in", PortType::of(kFrameKind),
               "camera frames (plane `image`), after cctv.detect / cctv.track")
        .multi_source = true;
    spec.param("dir", dir_).without_default().describe("Output folder; created when missing.");
    spec.param("overwrite", overwrite_)
        .describe(
            "Allow replacing files in `dir`. Off: a folder that already holds `*.frames.jsonl` is an "
            "error at start, and so is an existing file of a camera's name.");
    spec.param("fps", fps_)
        .range(0.0, 1000.0)
        .unit("Hz")
        .describe(
            "Frame rate written into the videos. 0: measured per camera from the capture times of its first "
            "8 frames (25 when they give none); set it for files read with `pace: fast`, whose capture "
            "times are the reading times.");
    spec.param("trail", trail_)
        .range(0, 10000)
        .describe(
            "Foot points (bottom centre of the box) kept per track and drawn as its trail; 0: no trails.");
    spec.param("draw_detections", draw_detections_).describe("Draw every detection as a thin light box.");
    spec.param("draw_truth", draw_truth_)
        .describe(
            "Draw the ground truth (simulated cameras) as thin yellow boxes labelled with the identity.");
    spec.param("scale", scale_)
        .range(0.05, 4.0)
        .describe("Output size as a factor of each camera's first frame size (0.5: half width and height).");
    spec.param("codec", codec_)
        .one_of({"mjpg", "mp4v", "h264"})
        .describe(
            "mjpg: Motion JPEG in AVI (every frame a JPEG: robust, large files); mp4v: MPEG-4 part 2 in MP4; "
            "h264: H.264 in MP4 (small files that browsers play; even sizes). All through OpenCV's FFmpeg "
            "backend.");
    spec.param("privacy_blur", privacy_blur_)
        .describe(
            "Blur every person (track or detection) that matched no watchlist entry before the frame is "
            "written (privacy by default, docs/reid.md). Turning it off is recorded in `audit_log`, which "
            "must then be set.");
    spec.param("audit_log", audit_log_)
        .describe(
            "Audit log (JSON lines, oi/audit/audit_log.hpp) that records turning `privacy_blur` off; "
            "required then.");
  }

  std::vector<std::string> validate(const StageConfig&) const override {
    std::vector<std::string> problems;
    std::error_code ec;
    if (dir_.empty()) problems.push_back("`dir` is empty; name the folder the videos go to");
    if (!privacy_blur_ && audit_log_.empty()) problems.push_back(kBlurOffNeedsAuditLog);
    if (!dir_.empty() && fs::exists(dir_, ec) && !fs::is_directory(dir_, ec)) {
      problems.push_back("`dir` " + dir_.string() +
                         " exists and is not a folder; choose another output folder");
    }
    return problems;
  }

  void start(const StageConfig& config) override {
    std::error_code ec;
    if (!privacy_blur_) {
      if (audit_log_.empty()) throw ConfigError(kBlurOffNeedsAuditLog);
      try {
        audit::AuditLog::shared(audit_log_)
            ->append(audit::event::kSetting,
                     {{"setting", "privacy_blur"},
                      {"value", false},
                      {"node", config.name},
                      {"pipeline", config.pipeline_file.string()},
                      {"output", dir_.string()},
                      {"effect", "persons who matched no watchlist entry are saved unblurred"}});
      } catch (const Error& e) {
        throw ConfigError(std::string("privacy_blur is off but it could not be recorded: ") + e.what());
      }
      spdlog::warn(
          "{}: privacy_blur is off: persons who matched nothing are saved unblurred (recorded in {})",
          config.name, audit_log_.string());
    }
    if (!overwrite_ && fs::is_directory(dir_, ec)) {
      for (const auto& entry : fs::directory_iterator(dir_, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.size() > 13 && name.ends_with(".frames.jsonl")) {
          throw ConfigError(dir_.string() + " already holds annotated videos (" + name +
                            "); choose another `dir` or set `overwrite: true` to write into it");
        }
      }
    }
    fs::create_directories(dir_, ec);
    if (ec) {
      throw ConfigError("cannot create output folder '" + dir_.string() + "': " + ec.message() +
                        "; set `dir` to a writable folder");
    }
    settings_ = OutputSettings{
        dir_,   overwrite_, fps_,         static_cast<int>(trail_), draw_detections_, draw_truth_,
        scale_, codec_,     privacy_blur_};
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    const FrameMetadata& m = frame->metadata();
    const std::string source = source_of(m).empty() ? std::string("unnamed") : source_of(m);
    if (!frame->has_plane(plane::kImage)) {
      std::string present;
      for (const std::string& n : frame->plane_names()) present += (present.empty() ? "" : ", ") + n;
      return Status::error("frame " + std::to_string(m.sequence) + " from '" + source + "' has no plane '" +
                           plane::kImage + "' (it has: " + (present.empty() ? "none" : present) +
                           "); feed this sink camera frames, and keep the image in stages before it");
    }
    CameraOutput* output = nullptr;
    if (Status s = output_for(m, source, output); !s.is_ok()) return s;
    if (Status s = output->write(*frame); !s.is_ok()) return s;
    ++frames_;
    return Status::ok();
  }

  Status finish(StageContext&) override { return close_all(); }

  // A run stopped by an error still leaves complete (playable) videos of what arrived.
  void stop() override {
    if (Status s = close_all(); !s.is_ok()) spdlog::warn("annotated videos: {}", s.message());
  }

  nlohmann::json summary() const override {
    nlohmann::json videos = nlohmann::json::array();
    nlohmann::json jsons = nlohmann::json::array();
    nlohmann::json cameras = nlohmann::json::array();
    nlohmann::json table = nlohmann::json::array();
    std::uint64_t resized = 0, blurred = 0;
    for (const auto& [source, output] : outputs_) {
      const nlohmann::json s = output->summary();
      blurred += s["persons_blurred"].get<std::uint64_t>();
      if (!s["video"].is_null()) videos.push_back(s["video"]);
      jsons.push_back(s["frames_json"]);
      cameras.push_back(s);
      resized += output->resized_frames();
      char row[160];
      std::snprintf(row, sizeof row, "%llu frames, %dx%d at %.3g frames/s%s",
                    static_cast<unsigned long long>(output->frames()), s["width"].get<int>(),
                    s["height"].get<int>(), s["fps"].get<double>(),
                    output->resized_frames() > 0
                        ? (", " + std::to_string(output->resized_frames()) + " resized").c_str()
                        : "");
      table.push_back(
          {"video " + output->camera(),
           std::string(row) + (s["video_cut"] == true ? ", the video was cut off (see the error)" : "")});
    }
    return {{"output", fs::absolute(dir_).string()},
            {"written", frames_ > 0},
            {"videos", videos},
            {"frames_json", jsons},
            {"frames", frames_},
            {"resized_frames", resized},
            {"privacy_blur", privacy_blur_},
            {"persons_blurred", blurred},
            {"cameras", cameras},
            {"table", table}};
  }

 private:
  // The output of `source`, made on its first frame: a new camera gets fresh state, also in
  // the middle of a run.
  Status output_for(const FrameMetadata& m, const std::string& source, CameraOutput*& output) {
    if (auto found = outputs_.find(source); found != outputs_.end()) {
      output = found->second.get();
      return Status::ok();
    }
    std::string camera = source;
    if (auto c = m.attributes.find(attr::kCamera); c != m.attributes.end()) {
      if (!c->is_string()) {
        return Status::error("frame " + std::to_string(m.sequence) + " from '" + source + "': attribute '" +
                             attr::kCamera + "' is " + c->dump() + ", not a name; fix the camera driver");
      }
      if (!c->get<std::string>().empty()) camera = c->get<std::string>();
    }
    // Two sources may carry the same camera name (two sites): the second gets `_2`.
    const std::string base = file_stem(camera);
    std::string stem = base;
    for (int n = 2; stems_.contains(stem); ++n) stem = base + "_" + std::to_string(n);
    stems_.insert(stem);
    if (!outputs_.empty()) {
      spdlog::info(
          "annotated video: camera '{}' (source '{}') appeared after {} frames of {} other camera(s)", camera,
          source, frames_, outputs_.size());
    }
    auto made = std::make_unique<CameraOutput>(settings_, camera, source, stem);
    output = made.get();
    outputs_.emplace(source, std::move(made));
    return Status::ok();
  }

  Status close_all() {
    Status first = Status::ok();
    for (auto& [source, output] : outputs_) {
      Status s = output->close();
      if (!s.is_ok() && first.is_ok()) first = s;
    }
    return first;
  }

  // Parameters.
  fs::path dir_;                 // dir
  bool overwrite_ = false;       // overwrite
  double fps_ = 0.0;             // fps
  std::int64_t trail_ = 30;      // trail
  bool draw_detections_ = true;  // draw_detections
  bool draw_truth_ = false;      // draw_truth
  double scale_ = 1.0;           // scale
  std::string codec_ = "mjpg";   // codec
  bool privacy_blur_ = true;     // privacy_blur
  fs::path audit_log_;           // audit_log

  OutputSettings settings_;
  std::map<std::string, std::unique_ptr<CameraOutput>> outputs_;  // by source
  std::set<std::string> stems_;
  std::uint64_t frames_ = 0;
};

}  // namespace
}  // namespace oi::cctv::video

OI_REGISTER_STAGE(oi::cctv::video::VideoSink, "sink.video",
                  "Annotated video (tracks, trails, detections) and per-frame JSON lines per camera.");
OI_PLUGIN("oi-sink-video", "0.1.0", "Apache-2.0")
