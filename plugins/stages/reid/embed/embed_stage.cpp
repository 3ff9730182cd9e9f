// reid.embed: appearance embeddings of the persons on camera frames (docs/reid.md). For every
// detection (and every track that carries none yet) the person's crop is cut from the frame
// and resized on the host; its LOMO descriptor and the learnt metric's projection run on
// Vulkan in batches (lomo_gpu.hpp) or on the CPU reference (lomo.hpp, reid_model.hpp). The
// embedding is written into the record on the frame, where cctv.track's appearance term and
// the cross-camera stages read it.
#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lomo.hpp"
#include "lomo_gpu.hpp"
#include "model_files.hpp"
#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi/plugin.hpp"
#include "onnx_embedder.hpp"
#include "reid_model.hpp"

namespace {

namespace cc = oi::cctv;
namespace rd = oi::reid;

// Crops narrower than this are skipped whatever `min_height` says.
constexpr int kMinCropWidth = 4;

// Counters of one camera.
struct SourceStats {
  std::int64_t frames = 0, detections = 0, tracks = 0, skipped_small = 0, batches = 0;
};

// One record to embed: the attribute list it is in and its index there.
struct Job {
  const char* list;
  std::size_t index;
};

class Embed final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Appearance embeddings of the persons on camera frames (video.frame, plane `image` rgb8): each "
        "detection's box (and each track's that has no embedding yet) is cropped, resized to 128x48 and "
        "described by LOMO (joint HSV and SILTP texture histograms over horizontal stripes, max-pooled, "
        "three scales) on Vulkan or its CPU reference, then projected with the learnt metric (XQDA, "
        "oi-train-reid) and L2-normalised. Writes `embedding` into the records of `detections` and "
        "`tracks`, and its time to `timings_ms`; frames without either pass unchanged. Placed before "
        "cctv.track, the embeddings feed the tracker's appearance term (averaged per tracklet). "
        "Several cameras may feed the one input. docs/reid.md.");
    spec.input("in", oi::PortType::of(cc::kFrameKind, {oi::PixelFormat::kRGB8}),
               "camera frames with detections and/or tracks, one or several cameras")
        .multi_source = true;
    spec.output("out", oi::PortType::of(cc::kFrameKind, {oi::PixelFormat::kRGB8}),
                "the same frames, their persons with embeddings");
    gpu_.declare(
        spec,
        "Where descriptors and projections run: `auto` uses the Vulkan device when there is one (and "
        "the kernels lay out the model's descriptor) and the CPU reference otherwise; `gpu` fails at "
        "start without a device; `cpu` never touches Vulkan. Crops are cut and resized on the CPU "
        "either way. On a CPU Vulkan device (lavapipe) the CPU reference is the faster "
        "(docs/performance.md).");
    spec.param("model", model_)
        .describe(
            "The learnt metric, a model file written by oi-train-reid; empty: the model that ships with "
            "OpenInspect (models/reid_lomo_xqda.oirm next to the plugin folder). An .onnx file instead: a "
            "site's own re-ID network run by OpenCV's DNN module on the CPU in place of LOMO and the metric "
            "(crops resized to onnx_input_width x onnx_input_height, ImageNet-normalised RGB; the output is "
            "the embedding). No network ships with OpenInspect.");
    spec.param("onnx_input_width", onnx_.input_width)
        .range(8, 4096)
        .unit("pixels")
        .describe("Input width of the ONNX network of `model` (torchreid: 128).");
    spec.param("onnx_input_height", onnx_.input_height)
        .range(8, 4096)
        .unit("pixels")
        .describe("Input height of the ONNX network of `model` (torchreid: 256).");
    spec.param("objects", objects_)
        .one_of({"detections", "tracks", "both"})
        .describe(
            "Which records get embeddings: every detection, tracks that carry none yet (a track after "
            "cctv.track already holds the average of its detections' embeddings), or both.");
    spec.param("min_height", min_height_)
        .range(8, 4096)
        .unit("pixels")
        .describe("Boxes shorter than this within the image are skipped (counted as skipped_small).");
    spec.param("max_batch", max_batch_).range(1, 1024).describe("Crops per Vulkan submission at most.");
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    std::vector<std::string> problems;
    const std::filesystem::path path = model_path();
    if (auto problem = oi::input_file_problem(path)) problems.push_back(model_problem(path, *problem));
#if !OI_REID_HAVE_ONNX
    if (is_onnx())
      problems.push_back(
          "reid.embed: `model` " + path.string() +
          " is an ONNX network but this build has no ONNX support (OpenCV's DNN module was not "
          "found); give a model file written by oi-train-reid, or leave `model` empty");
#endif
    return problems;
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    const std::filesystem::path path = model_path();
    if (auto problem = oi::input_file_problem(path)) throw oi::ConfigError(model_problem(path, *problem));
    model_file_ = path;
    sources_.clear();
    gpu_kernels_.reset();
    fallback_.clear();
#if OI_REID_HAVE_ONNX
    onnx_embedder_.reset();
    if (is_onnx()) {
      oi::reid::OnnxEmbedderOptions options = onnx_;
      options.model = path;
      onnx_embedder_ = std::make_unique<rd::OnnxEmbedder>(options);  // oi::ConfigError naming the file
      return;
    }
#else
    if (is_onnx()) throw oi::ConfigError(validate(config).back());
#endif
    try {
      model_data_ = rd::load_reid_model(path);
    } catch (const oi::ConfigError& e) {
      throw oi::ConfigError("reid.embed node '" + name_ + "': " + e.what() +
                            " (set `model` to a model file written by oi-train-reid)");
    }
    if (gpu_.start(config)) {
      try {
        gpu_kernels_ = std::make_unique<rd::LomoGpu>(gpu_, model_data_, max_batch_);
      } catch (const oi::ConfigError& e) {
        // A descriptor the kernels do not lay out: `auto` falls back to the CPU reference.
        if (config.params.get_or<std::string>("backend", "auto") != "auto") throw;
        fallback_ = e.what();
        spdlog::warn("stage '{}' (reid.embed): {}; the CPU reference runs instead", name_, fallback_);
        gpu_.stop();
      }
    }
  }

  void stop() override {
    gpu_kernels_.reset();  // GPU memory goes before the device
    gpu_.stop();
#if OI_REID_HAVE_ONNX
    onnx_embedder_.reset();
#endif
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr in = ctx.take(0);
    if (!in) return oi::Status::ok();
    const auto t0 = std::chrono::steady_clock::now();
    const nlohmann::json& attrs_in = in->metadata().attributes;
    const bool has_detections =
        attrs_in.contains(cc::attr::kDetections) && !attrs_in[cc::attr::kDetections].empty();
    const bool has_tracks = attrs_in.contains(cc::attr::kTracks) && !attrs_in[cc::attr::kTracks].empty();
    const std::string& source = cc::source_of(in->metadata());
    {
      std::lock_guard lock(mutex_);
      ++sources_[source].frames;
    }
    if (!has_detections && !has_tracks) {
      ctx.emit(0, std::move(in));  // nothing to embed: the frame as it came
      return oi::Status::ok();
    }
    oi::FramePtr out = in->clone();  // planes shared, metadata ours
    const std::string where =
        "frame " + std::to_string(out->metadata().sequence) + " of camera '" + source + "'";
    if (!out->has_plane(cc::plane::kImage))
      return oi::Status::error(where + " has no plane '" + std::string(cc::plane::kImage) +
                               "'; feed reid.embed camera frames (video.frame with an rgb8 'image')");
    const oi::Plane& image = std::as_const(*out).plane(cc::plane::kImage);
    if (image.format != oi::PixelFormat::kRGB8)
      return oi::Status::error(where + ": plane '" + std::string(cc::plane::kImage) + "' is " +
                               std::string(oi::to_string(image.format)) +
                               ", reid.embed needs rgb8 (convert the camera's output to RGB)");

    std::vector<Job> jobs;
    std::vector<cv::Mat> crops;
    std::int64_t skipped = 0, detections = 0, tracks = 0;
    try {
      const cv::Mat rgb = oi::as_mat(image);
      const auto take = [&](const char* list, std::size_t index, const cc::Box& box) {
        const cv::Mat crop = rd::crop_person(rgb, box, kMinCropWidth);
        if (crop.empty() || crop.rows < min_height_) {
          ++skipped;
          return;
        }
        jobs.push_back({list, index});
        crops.push_back(onnx_mode() ? crop : rd::lomo_resize(crop, model_data_.descriptor));
      };
      if (objects_ != "tracks") {
        const std::vector<cc::Detection> list = cc::detections_of(out->metadata());
        for (std::size_t i = 0; i < list.size(); ++i) take(cc::attr::kDetections, i, list[i].box);
      }
      if (objects_ != "detections") {
        const std::vector<cc::Track> list = cc::tracks_of(out->metadata());
        for (std::size_t i = 0; i < list.size(); ++i)
          if (list[i].embedding.empty()) take(cc::attr::kTracks, i, list[i].box);
      }

      std::vector<std::vector<float>> embeddings;
      std::int64_t batches = 0;
      if (oi::Status s = embed(crops, embeddings, batches); !s.is_ok())
        return oi::Status::error(where + ": " + s.message());

      nlohmann::json& attrs = out->metadata().attributes;
      for (std::size_t k = 0; k < jobs.size(); ++k) {
        attrs[jobs[k].list][jobs[k].index]["embedding"] = embeddings[k];
        (std::string_view(jobs[k].list) == cc::attr::kDetections ? detections : tracks) += 1;
      }
      attrs[cc::attr::kTimings][name_] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard lock(mutex_);
      SourceStats& s = sources_[source];
      s.detections += detections;
      s.tracks += tracks;
      s.skipped_small += skipped;
      s.batches += batches;
    } catch (const std::exception& e) {
      return oi::Status::error(where + ": " + e.what());
    }
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    std::lock_guard lock(mutex_);
    nlohmann::json out = gpu_.summary();
    if (!fallback_.empty())
      out.update({{"backend", "cpu"}, {"reason", fallback_ + "; the CPU reference runs"}});
    out["model"] = model_file_.string();
#if OI_REID_HAVE_ONNX
    if (onnx_embedder_) {
      out.update({{"embedder", "onnx"},
                  {"backend", "cpu"},
                  {"reason", "an ONNX network runs in OpenCV's DNN module on the CPU"},
                  {"device", nullptr},
                  { "embedding_size",
                    onnx_embedder_->embedding_size() }});
    } else
#endif
    {
      out["embedder"] = "lomo_xqda";
      out["embedding_size"] = model_data_.embedding_size();
      out["descriptor_size"] = model_data_.mean.size();
    }
    SourceStats total;
    nlohmann::json cameras = nlohmann::json::object();
    for (const auto& [name, s] : sources_) {
      total.frames += s.frames;
      total.detections += s.detections;
      total.tracks += s.tracks;
      total.skipped_small += s.skipped_small;
      total.batches += s.batches;
      cameras[name] = {{"frames", s.frames},
                       {"detections", s.detections},
                       {"tracks", s.tracks},
                       {"skipped_small", s.skipped_small}};
    }
    out.update({{"frames", total.frames},
                {"embedded_detections", total.detections},
                {"embedded_tracks", total.tracks},
                {"skipped_small", total.skipped_small},
                {"gpu_batches", total.batches},
                {"cameras", cameras}});
    return out;
  }

 private:
  // The embeddings of `crops` (at the descriptor's size, or as cut for an ONNX network).
  oi::Status embed(const std::vector<cv::Mat>& crops, std::vector<std::vector<float>>& embeddings,
                   std::int64_t& batches) {
#if OI_REID_HAVE_ONNX
    if (onnx_embedder_) {
      for (const cv::Mat& crop : crops) embeddings.push_back(onnx_embedder_->embed(crop));
      return oi::Status::ok();
    }
#endif
    if (!gpu_kernels_) {
      for (const cv::Mat& crop : crops) {
        const std::vector<float> descriptor =
            rd::lomo_finish(rd::lomo_counts(crop, model_data_.descriptor), model_data_.descriptor);
        embeddings.push_back(rd::apply_reid_model(model_data_, descriptor.data()));
      }
      return oi::Status::ok();
    }
    const auto batch = static_cast<std::size_t>(gpu_kernels_->max_batch());
    std::vector<std::vector<float>> part;
    for (std::size_t first = 0; first < crops.size(); first += batch) {
      const std::vector<cv::Mat> chunk(
          crops.begin() + static_cast<std::ptrdiff_t>(first),
          crops.begin() + static_cast<std::ptrdiff_t>(std::min(crops.size(), first + batch)));
      if (oi::Status s = gpu_kernels_->embed(chunk, part); !s.is_ok()) return s;
      embeddings.insert(embeddings.end(), part.begin(), part.end());
      ++batches;
    }
    return oi::Status::ok();
  }

  bool is_onnx() const {
    std::string extension = model_.extension().string();
    for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return extension == ".onnx";
  }
  bool onnx_mode() const {
#if OI_REID_HAVE_ONNX
    return onnx_embedder_ != nullptr;
#else
    return false;
#endif
  }

  // `model`, or the shipped model (model_files.hpp).
  std::filesystem::path model_path() const { return model_.empty() ? rd::shipped_model_path() : model_; }

  std::string model_problem(const std::filesystem::path& path, const std::string& problem) const {
    if (model_.empty())
      return "reid.embed: the shipped re-ID model " + path.string() + " " + problem +
             "; build it (the oi_reid_model target) or install OpenInspect again, or set `model` to a model "
             "file written by oi-train-reid";
    return "reid.embed: `model` " + path.string() + " " + problem +
           "; give the path of a model file written by oi-train-reid, or leave `model` empty for the shipped "
           "model";
  }

  // Parameters.
  std::filesystem::path model_;
  std::string objects_ = "both";
  int min_height_ = 32;
  int max_batch_ = 32;
  rd::OnnxEmbedderOptions onnx_;  // the input size (the network is `model`)

  std::string name_;
  std::filesystem::path model_file_;
  rd::ReidModel model_data_;
  oi::gpu::StageBackend gpu_;                 // parameter `backend`, device, kernels
  std::unique_ptr<rd::LomoGpu> gpu_kernels_;  // null on the CPU backend
  std::string fallback_;                      // why `auto` runs the CPU reference on a Vulkan device
#if OI_REID_HAVE_ONNX
  std::unique_ptr<rd::OnnxEmbedder> onnx_embedder_;  // `model` is an ONNX network
#endif
  mutable std::mutex mutex_;  // sources_ for summary()
  std::map<std::string, SourceStats> sources_;
};

}  // namespace

OI_REGISTER_STAGE(
    Embed, "reid.embed",
    "Appearance embeddings of persons on camera frames: LOMO on Vulkan or the CPU, projected by "
    "the learnt re-ID metric.");
