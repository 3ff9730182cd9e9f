// xray.tip: Threat Image Projection (docs/detection.md). Inserts library threats into live
// scans by adding their attenuation to a_high and a_low, and records each insertion in the
// attribute `tip`; xray.detect (downstream) marks the detections that find them. Place it
// after xray.correct and BEFORE xray.materials, so that Z_eff and class see the threat too.
#include <mutex>
#include <random>

#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"
#include "tip_library.hpp"

namespace {

namespace xr = oi::xray;

class Tip final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Threat Image Projection: with probability `rate` per scan, adds a threat signature drawn from the "
        "`library` folder to a_high and a_low (log domain: attenuations add) at a random position inside the "
        "object, and appends {class, box, tip_id} to the attribute `tip`. Put it between xray.correct and "
        "xray.materials. Sinks must never show TIP detections as real threats (docs/detection.md).");
    spec.input("in", oi::PortType::of(oi::xray::frame_kind::kScan), "corrected whole scans (a_high, a_low)");
    spec.output("out", oi::PortType::of(oi::xray::frame_kind::kScan),
                "the same scans, some with a projected threat");
    spec.param("library", library_dir_)
        .without_default()
        .describe("TIP library folder holding library.json (record one with xray_tip_record).");
    spec.param("rate", rate_)
        .range(0.0, 1.0)
        .describe(
            "Probability that a scan receives a projected threat (checkpoints typically use a few percent).");
    spec.param("seed", seed_)
        .range(0, std::int64_t{1} << 62)
        .describe(
            "Seed of the draws (which scan, which threat, where): the same seed and scans give the same "
            "insertions.");
    spec.param("object_attenuation", object_attenuation_)
        .default_value(0.1)  // documented as 0.1, not as the float member's 0.10000000149
        .range(0.0, 12.0)
        .describe("a_high a position's centre and quarter points need to count as inside the object.");
  }

  // A library that is not there is found by `oi validate`; its contents are read at start.
  std::vector<std::string> validate(const oi::StageConfig&) const override {
    const std::filesystem::path index = library_dir_ / "library.json";
    if (auto problem = oi::input_file_problem(index))
      return {"`library` has no readable library.json: " + index.string() + " " + *problem +
              "; record a library with xray_tip_record (docs/detection.md)"};
    return {};
  }

  void start(const oi::StageConfig& config) override {
    name_ = config.name;
    library_ = xr::TipLibrary::load(library_dir_);  // oi::ConfigError names the file and the problem
    rng_.seed(static_cast<std::uint64_t>(seed_));
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr in = ctx.take(0);
    if (!in) return oi::Status::ok();
    if (auto whole = oi::xray::not_a_whole_scan(*in, "xray.tip")) return oi::Status::error(*whole);
    if (!in->has_plane(xr::plane::kAHigh) || !in->has_plane(xr::plane::kALow)) {
      return oi::Status::error("scan " + std::to_string(in->metadata().scan_id) +
                               " has no a_high/a_low; put xray.correct before xray.tip");
    }
    oi::FramePtr out = in->clone();
    nlohmann::json& attrs = out->metadata().attributes;
    if (!attrs.contains(xr::attr::kTip)) attrs[xr::attr::kTip] = nlohmann::json::array();
    std::lock_guard lock(mutex_);
    ++scans_;
    if (std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < rate_) {
      const std::size_t pick =
          std::uniform_int_distribution<std::size_t>(0, library_.threats.size() - 1)(rng_);
      const xr::TipThreat& threat = library_.threats[pick];
      const cv::Mat a_high = oi::as_mat(in->plane(xr::plane::kAHigh));
      const cv::Rect box = xr::choose_position(a_high, threat.high.size(), object_attenuation_, rng_);
      if (box.empty()) {
        ++no_room_;  // counted, reported in summary(): never dropped silently
      } else {
        // New planes: the input's storage may be shared with other consumers.
        cv::Mat high = a_high.clone(), low = oi::as_mat(in->plane(xr::plane::kALow)).clone();
        xr::insert_threat(high, low, threat, box);
        for (auto [name, m] : {std::pair{xr::plane::kAHigh, &high}, {xr::plane::kALow, &low}}) {
          oi::Plane& p = out->add_plane(name, oi::PixelFormat::kF32, m->cols, m->rows);
          m->copyTo(oi::as_mat(p));
        }
        const std::string tip_id = name_ + ":" + std::to_string(inserted_) + ":" + threat.id;
        attrs[xr::attr::kTip].push_back({{"class", threat.threat_class},
                                         {"box", {box.x, box.y, box.width, box.height}},
                                         {"tip_id", tip_id}});
        ++inserted_;
        ++by_class_[threat.threat_class];
      }
    }
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

  nlohmann::json summary() const override {
    std::lock_guard lock(mutex_);
    return {{"scans", scans_},
            {"inserted", inserted_},
            {"inserted_by_class", by_class_},
            {"no_room", no_room_},
            {"library_threats", library_.threats.size()}};
  }

 private:
  // Parameters.
  std::filesystem::path library_dir_;  // library
  double rate_ = 0.05;                 // rate
  std::int64_t seed_ = 1;              // seed
  float object_attenuation_ = 0.1f;    // object_attenuation

  std::string name_;
  xr::TipLibrary library_;
  mutable std::mutex mutex_;
  std::mt19937_64 rng_;
  std::int64_t scans_ = 0, inserted_ = 0, no_room_ = 0;
  std::map<std::string, std::int64_t> by_class_;
};

}  // namespace

OI_REGISTER_STAGE(Tip, "xray.tip",
                  "Threat Image Projection: adds library threats to live scans in the log domain.");
