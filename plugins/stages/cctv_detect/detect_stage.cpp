// cctv.detect: person detection in camera frames without downloaded weights (docs/cctv.md,
// "Detection"). Per camera (several feed one chain: the input is multi-source, and every
// piece of state is kept per source): a per-pixel Gaussian-mixture background model with
// shadow suppression and the clean-up of its mask on Vulkan (foreground_gpu.hpp) or on the
// CPU reference (background_model.hpp); then, on the CPU for both, connected regions filtered,
// merged and split with the camera's learnt perspective size model and OpenCV's HOG people
// detector (person_blobs.hpp); every few frames an appearance detector (HOG and a linear model
// trained on the simulated site, appearance_detector.hpp) adds the persons who stand where the
// background model sees no foreground. With `model`, a user's ONNX person detector replaces
// all that.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "appearance_detector.hpp"
#include "background_model.hpp"
#include "foreground_gpu.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi/plugin.hpp"
#include "person_blobs.hpp"
#include "size_model.hpp"
#if OI_CCTV_HAVE_ONNX
#include "onnx/onnx_person_detector.hpp"
#endif

namespace {

namespace cc = oi::cctv;

// The smallest processing size the model accepts (a few pixels would make no detections).
constexpr int kMinProcessingSide = 8;

// Everything the stage keeps for one camera.
struct SourceState {
  explicit SourceState(const cc::SizeModelParams& params) : sizes(params, 0.0) {}
  cv::Size image_size;            // of the current model (empty before the first frame)
  std::int64_t model_frames = 0;  // frames the current model has seen
  std::int64_t frames = 0, warmup_frames = 0, detections = 0, size_changes = 0;
  std::unique_ptr<cc::BackgroundModel> cpu;  // CPU backend
  cc::GpuSourceModel gpu;                    // GPU backend
  cc::PerspectiveSizeModel sizes;
  cc::BlobStats blobs;
  std::int64_t size_model_fitted_at = -1;  // frame of the model the size model was first fitted
  std::vector<cv::Rect2d> persons;         // the last frame's detections: they learn slowly
  std::vector<cc::AppearanceHit> still;    // the last scan's persons the background model misses
  std::int64_t appearance_scans = 0, still_detections = 0;
  // Working memory kept between frames (a steady stream allocates nothing).
  cv::Mat rgba, person_mask, raw, cleaned;
  cc::BlobScratch scratch;
};

class Detect final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Finds persons in camera frames (video.frame, plane `image` rgb8) without downloaded weights: a "
        "per-pixel Gaussian-mixture background model with shadow suppression and the clean-up of its "
        "foreground on Vulkan (or its CPU reference), then connected regions grouped and explained by "
        "persons of the size a perspective model learnt per camera expects, groups split and doubtful "
        "boxes confirmed by OpenCV's HOG people detector; every `appearance_every` frames an appearance "
        "detector adds the persons who stand still where the background model sees nothing. Adds "
        "`detections` ([{box [x,y,w,h], score, class}], image pixels) and its time to `timings_ms`. "
        "Several cameras may feed the one input; "
        "every camera keeps its own model. The first `warmup_frames` frames of a camera build its model "
        "and carry no detections. With `model`, an ONNX person detector run by OpenCV's DNN module "
        "replaces the background model. docs/cctv.md.");
    spec.input("in", oi::PortType::of(cc::kFrameKind, {oi::PixelFormat::kRGB8}),
               "camera frames, one or several cameras")
        .multi_source = true;
    spec.output("out", oi::PortType::of(cc::kFrameKind, {oi::PixelFormat::kRGB8}),
                "the same frames with detections");
    gpu_.declare(
        spec,
        "Where the background model and the clean-up run: `auto` uses the Vulkan device when there is "
        "one and the CPU reference otherwise; `gpu` fails at start without a device; `cpu` never touches "
        "Vulkan. Regions are found on the CPU either way.");
    spec.param("scale", scale_)
        .range(0.05, 1.0)
        .describe(
            "Processing resolution as a fraction of the image: 1/n (1, 0.5, 0.333, 0.25...), each model "
            "pixel the mean of an n x n block. Boxes are reported in image pixels.");
    spec.param("mixtures", foreground_.mixtures)
        .range(1, cc::kMaxMixtures)
        .describe("Gaussians per pixel of the background model.");
    spec.param("learning_rate", learning_rate_)
        .range(1e-5, 1.0)
        .describe(
            "How fast the background follows the scene: about 1 / history in frames (a young model learns "
            "faster, at 1 / frames seen, as MOG2's).");
    spec.param("person_learning_factor", person_learning_factor_)
        .range(0.0, 1.0)
        .describe(
            "Learning rate multiplier of foreground pixels inside the last frame's person boxes: a person "
            "who stops stays foreground about 0.1 / (learning_rate x this) frames (other foreground, e.g. "
            "the ghost of a person who stood there during the warm-up, fades at the normal rate).");
    spec.param("warmup_frames", foreground_.warmup_frames)
        .range(1, 100000)
        .unit("frames")
        .describe("Frames of a camera that build its model before it reports detections (counted).");
    spec.param("variance_threshold", variance_threshold_)
        .range(1.0, 400.0)
        .describe(
            "Squared distance to a background Gaussian, in variances, within which a pixel is background.");
    spec.param("shadow", foreground_.shadow)
        .describe("Suppress shadows: darker background of the same colour.");
    spec.param("shadow_threshold", shadow_threshold_)
        .range(0.0, 1.0)
        .describe("Darkest shadow as a fraction of the background's brightness (MOG2's tau).");
    spec.param("median", foreground_.median).describe("3x3 median of the foreground mask.");
    spec.param("open_size", foreground_.open_size)
        .range(0, 15)
        .unit("pixels")
        .describe("Opening of the mask (removes specks), odd, at processing resolution; 0 or 1: none.");
    spec.param("close_size", foreground_.close_size)
        .range(0, 15)
        .unit("pixels")
        .describe(
            "Closing of the mask (fills holes, joins parts), odd, at processing resolution; 0 or 1: none.");
    spec.param("min_height_px", blobs_.min_height_px)
        .range(4.0, 10000.0)
        .unit("pixels")
        .describe("Shortest person reported, in image pixels.");
    spec.param("score_threshold", blobs_.score_threshold)
        .range(0.0, 1.0)
        .describe("Detections scoring less are dropped (both the background model's and the ONNX model's).");
    spec.param("hog", blobs_.hog)
        .describe(
            "Use OpenCV's HOG people detector on the regions that need it: to split groups and to confirm "
            "doubtful boxes.");
    spec.param("hog_max_regions", blobs_.hog_max_regions)
        .range(0, 64)
        .describe("HOG runs per frame at most (each costs about a millisecond).");
    spec.param("appearance", appearance_)
        .describe(
            "Also look for persons by their appearance (HOG and a linear model trained on the simulated "
            "site, tools/cctv_detector) every `appearance_every` frames, at the heights the size model "
            "expects: persons found where the background model sees no foreground (who stood still "
            "while the model warmed up) are reported until the next look while they stay out of the "
            "foreground.");
    spec.param("appearance_every", appearance_every_)
        .range(1, 1000)
        .unit("frames")
        .describe("Frames between two looks of the appearance detector (each costs tens of milliseconds).");
    spec.param("appearance_threshold", appearance_threshold_)
        .range(-2.0, 4.0)
        .describe(
            "Score of the appearance detector's linear model a person needs (0: its decision boundary).");
    spec.param("keep_foreground", keep_foreground_)
        .describe("Attach the cleaned foreground mask as plane `foreground` (u8 0/255, image size).");
    spec.param("model", model_)
        .describe(
            "An ONNX person detector (YOLO-style output) run by OpenCV's DNN module instead of the "
            "background model; empty: none. No weights ship with OpenInspect.");
    spec.param("model_input_size", model_input_size_)
        .range(32, 4096)
        .unit("pixels")
        .describe("Square input of the ONNX model (letterboxed).");
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    std::vector<std::string> problems;
    if (factor_of(scale_) == 0)
      problems.push_back("`scale` " + std::to_string(scale_) +
                         " is not 1/n: each model pixel averages an n x n block; use 1, 0.5, 0.333 or 0.25");
    for (const auto& [name, size] :
         {std::pair{"open_size", foreground_.open_size}, std::pair{"close_size", foreground_.close_size}}) {
      if (size > 1 && size % 2 == 0)
        problems.push_back(std::string("`") + name + "` " + std::to_string(size) +
                           " must be odd (the element is centred on the pixel); use " +
                           std::to_string(size - 1) + " or " + std::to_string(size + 1));
    }
    if (!model_.empty()) {
#if OI_CCTV_HAVE_ONNX
      if (auto problem = oi::input_file_problem(model_))
        problems.push_back("`model` " + model_.string() + " " + *problem +
                           "; give the path of an ONNX person detector, or leave `model` empty for the "
                           "background model");
#else
      problems.push_back(
          "`model` is set but this build has no ONNX detector (OpenCV's DNN module was not "
          "found); leave `model` empty for the background model");
#endif
    }
    return problems;
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    if (const std::vector<std::string> problems = validate(config); !problems.empty())
      throw oi::ConfigError(problems.front());
    foreground_.factor = factor_of(scale_);
    foreground_.learning_rate = static_cast<float>(learning_rate_);
    foreground_.person_learning_factor = static_cast<float>(person_learning_factor_);
    foreground_.variance_threshold = static_cast<float>(variance_threshold_);
    foreground_.shadow_threshold = static_cast<float>(shadow_threshold_);
    detector_ = std::make_unique<cc::PersonBlobDetector>(blobs_);
    appearance_detector_ = std::make_unique<cc::AppearanceDetector>();
    gpu_kernels_.reset();
    sources_.clear();
#if OI_CCTV_HAVE_ONNX
    onnx_.reset();
    if (!model_.empty()) {
      cc::OnnxDetectorOptions options;
      options.model = model_;
      options.input_width = options.input_height = model_input_size_;
      options.score_threshold = blobs_.score_threshold;
      onnx_ = std::make_unique<cc::OnnxPersonDetector>(options);  // throws oi::ConfigError naming the file
      return;
    }
#endif
    if (gpu_.start(config)) gpu_kernels_ = std::make_unique<cc::ForegroundGpu>(gpu_, foreground_);
  }

  void stop() override {
    gpu_kernels_.reset();
    {
      std::lock_guard lock(mutex_);
      for (auto& [name, s] : sources_) s.gpu = {};  // GPU memory goes before the device
    }
    gpu_.stop();
#if OI_CCTV_HAVE_ONNX
    onnx_.reset();
#endif
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr in = ctx.take(0);
    if (!in) return oi::Status::ok();
    const auto t0 = std::chrono::steady_clock::now();
    oi::FramePtr out = in->clone();  // planes shared, metadata ours
    const std::string& source = cc::source_of(out->metadata());
    const std::string where =
        "frame " + std::to_string(out->metadata().sequence) + " of camera '" + source + "'";
    if (!out->has_plane(cc::plane::kImage)) {
      std::string present;
      for (const std::string& n : out->plane_names()) present += (present.empty() ? "'" : ", '") + n + "'";
      return oi::Status::error(where + " has no plane '" + cc::plane::kImage + "' (it has " +
                               (present.empty() ? "none" : present) +
                               "); feed cctv.detect camera frames (video.frame with an rgb8 'image')");
    }
    const oi::Plane& image = std::as_const(*out).plane(cc::plane::kImage);
    if (image.format != oi::PixelFormat::kRGB8) {
      return oi::Status::error(where + ": plane '" + cc::plane::kImage + "' is " +
                               std::string(oi::to_string(image.format)) +
                               ", cctv.detect needs rgb8 (convert the camera's output to RGB)");
    }
    const cv::Size image_size(image.width, image.height);
    const cv::Size processing = cc::processing_size(image_size, foreground_.factor);
    if (processing.width < kMinProcessingSide || processing.height < kMinProcessingSide) {
      return oi::Status::error(where + ": an image of " + std::to_string(image.width) + "x" +
                               std::to_string(image.height) + " is too small at scale " +
                               std::to_string(scale_) + " (at least " +
                               std::to_string(kMinProcessingSide * foreground_.factor) + " pixels a side)");
    }

    std::vector<cc::Detection> found;
    SourceState* state = nullptr;
    {
      std::lock_guard lock(mutex_);
      auto it = sources_.find(source);
      if (it == sources_.end()) {
        if (!sources_.empty())
          spdlog::info("stage '{}' (cctv.detect): new camera '{}' ({} cameras), its own model starts now",
                       name_, source, sources_.size() + 1);
        it = sources_.emplace(source, SourceState(blobs_.size_model)).first;
      }
      state = &it->second;
      ++state->frames;
      if (state->image_size != image_size) {
        if (!state->image_size.empty()) {
          ++state->size_changes;
          spdlog::warn(
              "stage '{}' (cctv.detect): camera '{}' changed its frame size from {}x{} to {}x{} at frame {}; "
              "its background and size models start again (counted in the summary as size_changes)",
              name_, source, state->image_size.width, state->image_size.height, image.width, image.height,
              out->metadata().sequence);
        }
        state->image_size = image_size;
        state->model_frames = 0;
        state->cpu.reset();
        state->gpu = {};
        state->sizes = cc::PerspectiveSizeModel(blobs_.size_model, image.height);
        state->size_model_fitted_at = -1;
        state->persons.clear();
        state->still.clear();
      }
    }

    try {
#if OI_CCTV_HAVE_ONNX
      if (onnx_) {
        found = onnx_->detect(oi::as_mat(image));
      } else
#endif
      {
        const cc::LearningStep step = cc::learning_step(foreground_, state->model_frames);
        const cv::Mat rgb = oi::as_mat(image);
        cv::Mat& cleaned = state->cleaned;
        cc::prepare_image(rgb, foreground_.factor, state->rgba);
        cv::Mat persons;  // empty: no person boxes
        if (!state->persons.empty()) {
          cc::person_mask(state->persons, foreground_.factor, processing, state->person_mask);
          persons = state->person_mask;
        }
        if (gpu_kernels_) {
          if (state->gpu.size != processing) gpu_kernels_->allocate(state->gpu, image_size);
          if (oi::Status s = gpu_kernels_->segment(state->rgba, step, persons, state->gpu, cleaned);
              !s.is_ok())
            return oi::Status::error(where + ": " + s.message());
        } else {
          if (!state->cpu) state->cpu = std::make_unique<cc::BackgroundModel>(foreground_, processing);
          state->cpu->apply(state->rgba, step, persons, state->raw);
          cc::clean_foreground(state->raw, foreground_, cleaned);
        }
        const bool warming_up = state->model_frames < foreground_.warmup_frames;
        ++state->model_frames;
        if (warming_up) {
          std::lock_guard lock(mutex_);
          ++state->warmup_frames;
          state->still.clear();
        } else {
          // Under the lock: the size model it updates is what summary() reports.
          std::lock_guard lock(mutex_);
          cc::BlobStats stats;
          found = detector_->detect(cleaned, foreground_.factor, rgb, state->sizes, stats, state->scratch);
          state->blobs.add(stats);
          if (state->size_model_fitted_at < 0 && state->sizes.fitted())
            state->size_model_fitted_at = state->model_frames;
        }
        if (!warming_up && appearance_) add_still_persons(*state, rgb, cleaned, found);
        state->persons.clear();
        for (const cc::Detection& d : found) state->persons.emplace_back(d.box.x, d.box.y, d.box.w, d.box.h);
        if (keep_foreground_) attach_foreground(*out, cleaned, image_size);
      }
    } catch (const std::exception& e) {
      return oi::Status::error(where + ": " + e.what());
    }

    nlohmann::json& attrs = out->metadata().attributes;
    attrs[cc::attr::kDetections] = cc::to_json_list(found);
    attrs[cc::attr::kTimings][name_] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard lock(mutex_);
      state->detections += static_cast<std::int64_t>(found.size());
    }
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    std::lock_guard lock(mutex_);
    nlohmann::json out = gpu_.summary();
#if OI_CCTV_HAVE_ONNX
    if (onnx_)
      out = {{"detector", "onnx"}, { "model", model_.string() }};
    else
#endif
      out["detector"] = "background_model";
    std::int64_t frames = 0, warmup = 0, detections = 0, size_changes = 0;
    cc::BlobStats blobs;
    nlohmann::json cameras = nlohmann::json::object();
    for (const auto& [name, s] : sources_) {
      frames += s.frames;
      warmup += s.warmup_frames;
      detections += s.detections;
      size_changes += s.size_changes;
      blobs.add(s.blobs);
      cameras[name] = {{"frames", s.frames},
                       {"warmup_frames", s.warmup_frames},
                       {"detections", s.detections},
                       {"size_changes", s.size_changes},
                       {"appearance_scans", s.appearance_scans},
                       {"still_detections", s.still_detections},
                       {"size_model", s.sizes.to_json()}};
      if (s.size_model_fitted_at >= 0)
        cameras[name]["size_model"]["fitted_at_frame"] = s.size_model_fitted_at;
    }
    out.update({{"frames", frames},
                {"warmup_frames", warmup},
                {"detections", detections},
                {"size_changes", size_changes},
                {"blobs", blobs.to_json()},
                {"cameras", cameras}});
    return out;
  }

 private:
  // The fraction of `box` (image pixels) that is foreground in `cleaned` (at 1 / factor).
  double foreground_fill(const cv::Mat& cleaned, const cv::Rect2d& box) const {
    const double f = foreground_.factor;
    const cv::Rect r =
        cv::Rect(static_cast<int>(box.x / f), static_cast<int>(box.y / f),
                 static_cast<int>(std::ceil(box.width / f)), static_cast<int>(std::ceil(box.height / f))) &
        cv::Rect(0, 0, cleaned.cols, cleaned.rows);
    return r.empty() ? 0.0 : cv::countNonZero(cleaned(r)) / static_cast<double>(r.area());
  }

  // True when `box` overlaps one of `found` by more than `limit` IoU.
  static bool overlaps(const std::vector<cc::Detection>& found, const cv::Rect2d& box, double limit) {
    for (const cc::Detection& d : found) {
      const cv::Rect2d r(d.box.x, d.box.y, d.box.w, d.box.h);
      const double inter = (r & box).area();
      if (inter > limit * (r.area() + box.area() - inter)) return true;
    }
    return false;
  }

  // The appearance detector's persons that the background model does not see: every
  // `appearance_every` frames a look at the heights the size model expects (before it is
  // fitted, at every height from min_height_px to a third of the picture, which costs several
  // times as much, five times as rarely); the persons found outside the foreground and away
  // from the frame's detections are kept, and reported in this and the following frames while
  // they stay so.
  void add_still_persons(SourceState& state, const cv::Mat& rgb, const cv::Mat& cleaned,
                         std::vector<cc::Detection>& found) {
    constexpr double kMaxFill = 0.3;     // more foreground than this: the background model sees the person
    constexpr double kMaxOverlap = 0.2;  // IoU with a detection above which the person is that detection
    constexpr int kUnfittedSlowdown = 5;
    const std::int64_t since_warmup = state.model_frames - foreground_.warmup_frames - 1;
    const bool fitted = [&] {
      std::lock_guard lock(mutex_);
      return state.sizes.fitted();
    }();
    if (since_warmup % (fitted ? appearance_every_ : kUnfittedSlowdown * appearance_every_) == 0) {
      cc::PerspectiveSizeModel sizes = [&] {
        std::lock_guard lock(mutex_);
        ++state.appearance_scans;
        return state.sizes;
      }();
      double low = std::max(36.0, blobs_.min_height_px), high = rgb.rows / 3.0;
      std::function<std::pair<double, double>(double)> feet_rows;
      if (sizes.fitted() && sizes.slope() > 1e-3) {
        low = std::max(low, sizes.expected_height(0.0));
        high = std::min(rgb.rows / 2.0, sizes.expected_height(rgb.rows));
        feet_rows = [&sizes](double height) {
          const double bottom = (height - sizes.intercept()) / sizes.slope();
          const double tolerance = 0.12 * height / sizes.slope();
          return std::pair{bottom - tolerance, bottom + tolerance};
        };
      } else if (sizes.fitted()) {
        low = std::max(low, sizes.intercept() / 1.15);
        high = std::max(low, sizes.intercept() * 1.15);
      }
      state.still.clear();
      for (const cc::AppearanceHit& hit :
           appearance_detector_->detect(rgb, low, high, appearance_threshold_, sizes.aspect(), feet_rows)) {
        if (foreground_fill(cleaned, hit.box) < kMaxFill && !overlaps(found, hit.box, kMaxOverlap))
          state.still.push_back(hit);
      }
    }
    std::int64_t added = 0;
    for (const cc::AppearanceHit& hit : state.still) {
      if (foreground_fill(cleaned, hit.box) >= kMaxFill || overlaps(found, hit.box, kMaxOverlap)) continue;
      cc::Detection d;
      d.box = {hit.box.x, hit.box.y, hit.box.width, hit.box.height};
      d.score = std::clamp(0.6 + 0.3 * hit.score, 0.0, 0.95);
      found.push_back(std::move(d));
      ++added;
    }
    std::lock_guard lock(mutex_);
    state.still_detections += added;
  }

  // n when scale is 1/n (within rounding), else 0.
  static int factor_of(double scale) {
    if (!(scale > 0.0)) return 0;
    const double n = std::round(1.0 / scale);
    return n >= 1 && std::abs(1.0 / scale - n) <= 0.01 * n ? static_cast<int>(n) : 0;
  }

  // The cleaned mask at image size (nearest neighbour; columns and rows beyond the processed
  // area are background).
  static void attach_foreground(oi::Frame& frame, const cv::Mat& cleaned, cv::Size image_size) {
    oi::Plane& plane =
        frame.add_plane(cc::plane::kForeground, oi::PixelFormat::kU8, image_size.width, image_size.height);
    cv::Mat target = oi::as_mat(plane);
    target.setTo(0);
    const int factor = image_size.width / cleaned.cols;
    cv::resize(cleaned, target(cv::Rect(0, 0, cleaned.cols * factor, cleaned.rows * factor)), {}, factor,
               factor, cv::INTER_NEAREST);
  }

  // Parameters (the background model's as doubles here: the declarations show their defaults as
  // written; start() copies them into foreground_).
  double scale_ = 0.5;
  cc::ForegroundParams foreground_;
  double learning_rate_ = 0.005;  // ForegroundParams' defaults
  double person_learning_factor_ = 0.1;
  double variance_threshold_ = 16.0;
  double shadow_threshold_ = 0.5;
  cc::BlobParams blobs_;
  bool keep_foreground_ = false;
  bool appearance_ = true;
  int appearance_every_ = 10;
  double appearance_threshold_ = 0.2;
  std::filesystem::path model_;
  int model_input_size_ = 640;

  std::string name_;
  oi::gpu::StageBackend gpu_;                       // parameter `backend`, device, kernels
  std::unique_ptr<cc::ForegroundGpu> gpu_kernels_;  // null on the CPU backend
  std::unique_ptr<cc::PersonBlobDetector> detector_;
  std::unique_ptr<cc::AppearanceDetector> appearance_detector_;
#if OI_CCTV_HAVE_ONNX
  std::unique_ptr<cc::OnnxPersonDetector> onnx_;
#endif
  mutable std::mutex mutex_;  // sources_ for summary()
  std::map<std::string, SourceState> sources_;
};

}  // namespace

OI_REGISTER_STAGE(Detect, "cctv.detect",
                  "Person detection in camera frames: Vulkan background model, perspective size model, HOG; "
                  "or a user's ONNX model.");
