// xray.detect: threat regions and the scan decision from a corrected, classified scan
// (docs/detection.md). The per-pixel and neighbourhood maps run on Vulkan (detect_maps_gpu.hpp)
// or on their CPU reference (compute_maps()); the regions are always found on the CPU.
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "detect_maps_gpu.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/backend.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi/plugin.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "region_classifier.hpp"
#include "threat_detector.hpp"
#include "tip_attributes.hpp"

namespace {

namespace xr = oi::xray;

class Detect final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Finds narcotics (compact, homogeneous, dense organic masses), firearms (dense metal of a handgun's "
        "size and "
        "fill) and shielding (impenetrable regions large enough to hide a threat) in whole scans carrying "
        "a_high, "
        "a_low (xray.correct) and zeff, material_class, areal_density (xray.materials). Adds attributes "
        "`detections` "
        "([{class, box [x,y,w,h], score}]) and `decision` (alarm > cannot_clear > clear; an incomplete scan "
        "is never "
        "`clear`: it gets cannot_clear with `decision_reason`). Detections matching a "
        "TIP insertion (attribute `tip`, from xray.tip) get \"tip\": true and are counted in summary(); "
        "docs/detection.md.");
    spec.input("in", oi::PortType::of(oi::xray::frame_kind::kScan), "classified whole scans");
    spec.output("out", oi::PortType::of(oi::xray::frame_kind::kScan),
                "the same scans with detections and decision");
    // Bound to the fields of params_: the defaults are xr::DetectorParams'.
    auto f = [&](const char* name, float& field, double lo, double hi, const char* unit, const char* text) {
      spec.param(name, field).range(lo, hi).unit(unit).describe(text);
    };
    auto i = [&](const char* name, int& field, int lo, int hi, const char* unit, const char* text) {
      spec.param(name, field).range(lo, hi).unit(unit).describe(text);
    };
    f("narcotics_zeff_min", params_.narcotics_zeff_min, 1, 40, "",
      "Lower edge of the narcotics Z_eff band (smoothed zeff).");
    f("narcotics_zeff_max", params_.narcotics_zeff_max, 1, 40, "", "Upper edge of the narcotics Z_eff band.");
    f("narcotics_min_a_high", params_.narcotics_min_a_high, 0, 12, "",
      "Smoothed a_high a narcotics pixel needs: above clothes and paper.");
    f("narcotics_max_a_high", params_.narcotics_max_a_high, 0, 12, "",
      "Above this an organic reading is not trusted.");
    f("narcotics_max_relative_std", params_.narcotics_max_relative_std, 0, 10, "",
      "Local std / mean of a_high: homogeneity.");
    i("narcotics_min_area_px", params_.narcotics_min_area_px, 1, 1 << 24, "pixels",
      "Smallest narcotics region reported.");
    f("narcotics_min_solidity", params_.narcotics_min_solidity, 0, 1, "",
      "Region area / convex hull area: compactness.");
    f("firearm_min_a_high", params_.firearm_min_a_high, 0, 12, "",
      "Smoothed a_high of metal pixels forming firearm candidates.");
    i("firearm_min_area_px", params_.firearm_min_area_px, 1, 1 << 24, "pixels",
      "Smallest metal blob considered.");
    f("firearm_min_length_px", params_.firearm_min_length_px, 1, 1e5, "pixels",
      "Shortest long side of the blob's rotated rectangle.");
    f("firearm_max_length_px", params_.firearm_max_length_px, 1, 1e5, "pixels",
      "Longest long side (longer: laptop frames, trolley bars).");
    f("firearm_min_width_px", params_.firearm_min_width_px, 1, 1e5, "pixels",
      "Narrowest short side (narrower: ribs, wires).");
    f("firearm_min_fill", params_.firearm_min_fill, 0, 1, "",
      "Blob area / rotated-rectangle area (hollow frames fail it).");
    f("firearm_min_score", params_.firearm_min_score, 0, 1, "",
      "Shape-and-density score needed to report a firearm.");
    i("shielding_min_area_px", params_.shielding_min_area_px, 1, 1 << 24, "pixels",
      "Impenetrable area that could hide a threat.");
    i("smoothing_radius", params_.smoothing_radius, 0, 8, "pixels", "Box radius of the a_high mean and std.");
    spec.param("model", model_)
        .describe(
            "Region classifier written by `oi-train-detector` (OpenCV ml, trained on simulated scans; a name "
            "ending in .gz is read compressed); empty: the one that ships with OpenInspect "
            "(models/xray_detect_parcels.yml.gz next to the plugin folder, trained on the simulated parcel "
            "scanner at 1024 pixels per line; docs/detection.md, \"The shipped detector\").");
    spec.param("classifier", use_classifier_)
        .describe(
            "false: no region classifier is loaded and the rule scores decide alone (the detector "
            "before training; docs/detection.md).");
    spec.param("inpaint", inpaint_where_)
        .one_of({"auto", "gpu", "cpu"})
        .describe(
            "Where the candidates' background in-painting (object-own material, with a classifier) runs "
            "when the maps run on Vulkan: `auto` on the Vulkan device unless it is a CPU implementation "
            "(lavapipe), where the CPU reference is a little faster (docs/performance.md); `gpu` "
            "always there; `cpu` never. On the CPU backend it always runs on the CPU.");
    gpu_.declare(
        spec,
        "Where the per-pixel and neighbourhood maps run: `auto` uses the Vulkan device when there is "
        "one and the CPU reference otherwise; `gpu` fails at start without a device; `cpu` never "
        "touches Vulkan. Regions are found on the CPU either way.");
  }

  // The model itself is loaded (and its contents checked) at start; a file that is not there
  // is found here, so `oi validate` reports it with the node's position.
  std::vector<std::string> validate(const oi::StageConfig&) const override {
    if (!use_classifier_) return {};
    const std::filesystem::path path = model_path();
    if (auto problem = oi::input_file_problem(path)) return {model_problem(path, *problem)};
    return {};
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    params_.classifier.reset();
    if (use_classifier_) {
      const std::filesystem::path path = model_path();
      if (auto problem = oi::input_file_problem(path)) throw oi::ConfigError(model_problem(path, *problem));
      params_.classifier = xr::RegionClassifier::load(path);  // throws oi::ConfigError naming the file
    }
    xr::validate(params_);  // throws oi::ConfigError naming the inconsistent pair
    maps_.reset();
    inpaint_.reset();
    params_.inpaint = nullptr;
    if (gpu_.start(config)) {
      maps_ = std::make_unique<xr::DetectionMapsGpu>(gpu_, params_);
      // The candidates' background in-painting (object-own material) on the same device, unless
      // that is a CPU implementation: one workgroup per grid with 80 barriers runs a little
      // slower there than the CPU reference (bench_detect).
      const bool cpu_device = gpu_.device() && gpu_.device()->info().type == oi::gpu::DeviceType::kCpu;
      inpaint_reason_ = inpaint_where_ == "gpu"   ? "inpaint: gpu"
                        : inpaint_where_ == "cpu" ? "inpaint: cpu"
                        : cpu_device              ? "inpaint: auto, the Vulkan device is a CPU implementation"
                                                  : "inpaint: auto, on the Vulkan device";
      if (inpaint_where_ == "gpu" || (inpaint_where_ == "auto" && !cpu_device)) {
        inpaint_ = std::make_unique<xr::InpaintGpu>(gpu_);
        params_.inpaint = [this](const std::vector<xr::InpaintGrid*>& grids) {
          if (oi::Status s = inpaint_->solve(grids); !s.is_ok()) throw oi::Error(s.message());
        };
      }
    } else {
      inpaint_reason_ = "the CPU backend";
    }
  }

  void stop() override {
    params_.inpaint = nullptr;
    inpaint_.reset();
    maps_.reset();
    gpu_.stop();
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr in = ctx.take(0);
    if (!in) return oi::Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*in, "xray.detect")) return oi::Status::error(*whole);
    const auto t0 = std::chrono::steady_clock::now();
    oi::FramePtr out = in->clone();  // planes shared, metadata ours
    for (const char* name : {xr::plane::kAHigh, xr::plane::kALow, xr::plane::kZeff, xr::plane::kMaterialClass,
                             xr::plane::kArealDensity}) {
      if (!out->has_plane(name)) {
        return oi::Status::error("scan " + std::to_string(out->metadata().scan_id) + " has no plane '" +
                                 name + "'; put xray.correct and xray.materials before xray.detect");
      }
    }
    const oi::Frame& f = *out;
    xr::ClassifiedScan scan{oi::as_mat(f.plane(xr::plane::kAHigh)), oi::as_mat(f.plane(xr::plane::kALow)),
                            oi::as_mat(f.plane(xr::plane::kZeff)),
                            oi::as_mat(f.plane(xr::plane::kMaterialClass)),
                            oi::as_mat(f.plane(xr::plane::kArealDensity))};
    std::vector<xr::Detection> found;
    const auto failed = [&](const std::string& why) {
      return oi::Status::error("scan " + std::to_string(out->metadata().scan_id) + ": " + why);
    };
    try {
      if (maps_ &&
          !scan.a_high.empty()) {  // an empty scan has no maps to compute: detect_threats() answers it
        xr::require_planes(scan);
        xr::DetectionMapPlanes maps;
        if (oi::Status s = maps_->compute(f.plane(xr::plane::kAHigh), f.plane(xr::plane::kZeff),
                                          f.plane(xr::plane::kMaterialClass), maps);
            !s.is_ok()) {
          return failed(s.message());
        }
        found = xr::find_regions(scan, maps.maps(), params_);
      } else {
        found = xr::detect_threats(scan, params_);
      }
    } catch (const std::exception& e) {
      return failed(e.what());
    }
    nlohmann::json& attrs = out->metadata().attributes;
    nlohmann::json detections = nlohmann::json::array();
    for (const xr::Detection& d : found) detections.push_back(d.to_json());
    const bool incomplete = out->metadata().incomplete;
    attrs[xr::attr::kDecision] = xr::decide(found, incomplete);
    if (incomplete && attrs[xr::attr::kDecision] == xr::decision::kCannotClear) {
      attrs[xr::attr::kDecisionReason] = "the scan is incomplete (" +
                                         attrs.value("incomplete_reason", std::string("cut short")) +
                                         "): part of the object was never imaged; rescan it";
    }
    const xr::TipMarking marking =
        xr::mark_tip_detections(attrs.value(xr::attr::kTip, nlohmann::json::array()), detections, incomplete);
    attrs[xr::attr::kDetections] = detections;
    if (attrs.contains(xr::attr::kTip)) {
      attrs[xr::attr::kTip] = marking.tip;
      attrs[xr::kDecisionExcludingTip] = marking.decision_excluding_tip;
    }
    attrs[xr::attr::kTimings][name_] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard lock(mutex_);
      ++scans_;
      ++decisions_[attrs[xr::attr::kDecision].get<std::string>()];
      tip_inserted_ += marking.inserted;
      tip_detected_ += marking.detected;
    }
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    std::lock_guard lock(mutex_);
    nlohmann::json out = gpu_.summary();
    out.update(
        {{"model", use_classifier_ ? model_path().string() : std::string("none (rule scores alone)")},
         {"inpaint", {{"backend", inpaint_ ? "gpu" : "cpu"}, {"reason", inpaint_reason_}}},
         {"scans", scans_},
         {"decisions", decisions_},
         {"tip",
          {{"inserted", tip_inserted_},
           {"detected", tip_detected_},
           {"detection_rate", tip_inserted_ ? static_cast<double>(tip_detected_) / tip_inserted_ : 0.0}}}});
    return out;
  }

 private:
  // Parameters; the thresholds are the fields of params_ of the same names.
  xr::DetectorParams params_;
  std::filesystem::path model_;  // model (empty: the shipped one)
  bool use_classifier_ = true;   // classifier

  std::filesystem::path model_path() const {
    return model_.empty() ? oi::shipped_model_path(xr::kShippedRegionModel) : model_;
  }

  std::string model_problem(const std::filesystem::path& path, const std::string& problem) const {
    if (oi::is_unreadable(problem))
      return (model_.empty() ? "the region classifier that ships with OpenInspect, " + path.string() + ","
                             : "`model` " + path.string()) +
             " " + problem;
    if (model_.empty())
      return "the region classifier that ships with OpenInspect, " + path.string() + ", " + problem +
             " (an SDK installed without it?); name a model with `model`, or set `classifier: false` for the "
             "rule scores alone";
    return "`model` " + path.string() + " " + problem +
           "; train one with `oi-train-detector` (docs/detection.md, \"Training\"), leave `model` empty for "
           "the shipped one, or set `classifier: false`";
  }

  std::string name_;
  oi::gpu::StageBackend gpu_;                   // parameter `backend`, device, kernels
  std::unique_ptr<xr::DetectionMapsGpu> maps_;  // null on the CPU backend
  std::string inpaint_where_ = "auto";          // inpaint
  std::string inpaint_reason_;
  std::unique_ptr<xr::InpaintGpu> inpaint_;  // with maps_: the object-own material's sweeps
  mutable std::mutex mutex_;
  std::int64_t scans_ = 0, tip_inserted_ = 0, tip_detected_ = 0;
  std::map<std::string, std::int64_t> decisions_{
      {xr::decision::kClear, 0}, {xr::decision::kAlarm, 0}, {xr::decision::kCannotClear, 0}};
};

}  // namespace

OI_REGISTER_STAGE(
    Detect, "xray.detect",
    "Narcotics, firearm and shielding regions and the scan decision (clear / alarm / cannot_clear).");
