// sim.xray: the physics-based simulated dual-energy X-ray scanner, the default device when no
// hardware is configured. Procedural objects (scenes/) pass a tungsten-tube beam onto a
// dual-layer detector (physics/); blocks stream like a belt scanner's, each scan carrying its
// ground truth. Model: docs/xray-physics.md.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "declarations.hpp"
#include "oi/hal/driver.hpp"
#include "oi/hal/fault_injection.hpp"
#include "oi/hal/scan_timing.hpp"
#include "oi/hal/uri.hpp"
#include "oi/hal/xray_scanner.hpp"
#include "scene.hpp"
#include "scene_prefetcher.hpp"
#include "sim_xray_settings.hpp"
#include "simulator.hpp"

namespace {

using oi::Status;
using oi::sim::SimXraySettings;

constexpr const char* kScheme = "sim://";

class SimXray final : public oi::hal::XrayScanner {
 public:
  oi::hal::ScanGeometry geometry() const override {
    oi::hal::ScanGeometry g;
    g.channels = 2;
    g.views = 1;
    g.pixels_per_line = settings_.pixels_per_line;
    g.lines_per_block = settings_.lines_per_block;
    g.pixel_pitch_mm = settings_.pixel_pitch_mm;
    // The simulated belt's rate, also when blocks are produced faster (line_rate_hz = 0).
    g.line_rate_hz = settings_.physical_line_rate_hz();
    g.belt_speed_m_s = settings_.belt_speed_m_s;
    return g;
  }
  oi::hal::XraySource source() const override {
    return {source_state_, settings_.source_kv, settings_.source_ma};
  }

 protected:
  void on_setup(oi::hal::DeviceSpec& spec) override {
    spec.describe(
        "Physics-based simulated dual-energy X-ray scanner (no hardware). URI `sim://NAME` (NAME becomes the "
        "serial, which fixes the detector's pixel pattern; empty = `sim://xray`). A tungsten tube spectrum "
        "(source_kv, source_ma, filtration) passes procedurally generated parcels, bags or step wedges "
        "onto a dual-layer CsI/Cu/CsI detector with Poisson and electronic noise. Blocks of "
        "`lines_per_block` lines, planes `high` and `low` (u16); each object is one scan of 1-3 s of belt "
        "travel. Every block carries the scan's ground truth (`ground_truth`), the tube settings (`tube`) "
        "and the "
        "scene summary (`scene`) in its attributes. Model and parameters: docs/xray-physics.md.");
    spec.set_capabilities(scanner_capabilities(/*finite=*/true));  // finite with `scans` > 0
    settings_.declare(spec, [this] { return tube_changed(); });
    faults_.declare(spec);
  }

  Status on_configure(const std::string& uri, const oi::ParamSet&) override {
    oi::Result<std::string> name =
        oi::hal::Uri::target_of(uri, "sim", "'sim://NAME' (e.g. 'sim://xray'), or an empty URI", "xray");
    if (!name.ok()) return name.status();
    serial_ = name.value();
    if (Status s = rebuild(); s.is_error()) return s;
    declarations_.close();
    if (!settings_.declarations.empty()) {
      std::error_code error;
      const std::filesystem::path file(settings_.declarations);
      if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), error);
      declarations_.open(file, std::ios::trunc);
      if (!declarations_)
        return Status::error("cannot write the declarations file " + settings_.declarations.string() +
                             "; set `declarations` to a writable file, or empty for none");
    }
    set_identity({"OpenInspect", "Simulated dual-energy X-ray scanner", serial_, "n/a", "0.1.0"});
    source_state_ = oi::hal::SourceState::kOff;
    return Status::ok();
  }

  oi::hal::Result<std::vector<oi::hal::DeviceInfo>> on_enumerate() override {
    return std::vector<oi::hal::DeviceInfo>{
        {"", "sim://xray", "OpenInspect", "Simulated dual-energy X-ray scanner", "xray",
         "physics simulation, no hardware; any sim://NAME opens another"}};
  }

  Status on_start() override {
    // Values set since the physics was built: rebuilt now, once every change is in.
    if (settings_ != built_) {
      if (Status s = rebuild(); s.is_error()) return s;
    }
    // An object cut by a stop cannot be resumed: the next block starts the next object.
    counter_.abandon_scan();
    scene_.reset();
    pacer_.reset(settings_.line_rate_hz);
    faults_.started();
    source_state_ = oi::hal::SourceState::kOn;
    return Status::ok();
  }

  Status on_stop() override {
    source_state_ = oi::hal::SourceState::kOff;
    return Status::ok();
  }

  // Recovery keeps the simulator and the declarations file: closing and configuring again (the
  // default) would rebuild the physics and start the declarations file anew, losing the
  // parcels already declared. Values set while Ready still take effect at the next start. An
  // injected fault may refuse the recovery (recover_failures).
  Status on_recover() override { return faults_.recover(); }

  Status on_read_block(oi::FramePtr& block, std::chrono::milliseconds timeout) override {
    if (settings_.scans > 0 && counter_.scans_done() >= static_cast<std::uint64_t>(settings_.scans)) {
      return Status::end_of_stream();
    }
    bool silent = false;
    if (Status s = faults_.before_read(timeout, silent); !s.is_ok() || silent) return s;
    if (!scene_) {
      if (Status s = next_scene(); s.is_error()) return s;
    }
    const int lines = std::min(settings_.lines_per_block, scene_->lines() - next_line_);
    if (!pacer_.wait_for_block(lines, oi::hal::LinePacer::Clock::now() + timeout)) return Status::ok();
    block = make_block(lines);
    render(*block, lines);
    auto& meta = block->metadata();
    counter_.tag(meta);
    // On every block: the ScanAssembler keeps the first block's attributes for the whole
    // scan, and per-block consumers (a dataset sink at end_of_scan) see them too.
    meta.attributes[oi::xray::attr::kView] = 0;
    meta.attributes[oi::xray::attr::kGroundTruth] = truth_;
    meta.attributes[oi::xray::attr::kTube] = settings_.tube_json();
    meta.attributes[oi::xray::attr::kScene] = scene_description_;
    meta.attributes[oi::xray::attr::kFirstLine] = next_line_;
    meta.attributes[oi::xray::attr::kScanLines] = scene_->lines();
    next_line_ += lines;
    if (next_line_ >= scene_->lines()) scene_.reset();
    faults_.deliver(block, [this](std::uint64_t n) { count_lost(n); });
    return Status::ok();
  }

  oi::hal::Result<oi::FramePtr> on_acquire_reference(oi::hal::CalibrationKind kind, int lines) override {
    oi::FramePtr frame = make_block(lines);
    oi::Plane& high = frame->plane(oi::xray::plane::kHigh);
    oi::Plane& low = frame->plane(oi::xray::plane::kLow);
    // Dark: the source off (offset, dark current, read noise). Air: the source on over an
    // empty tunnel. Each acquisition has fresh noise.
    simulator_->reference(kind == oi::hal::CalibrationKind::kAir, lines, references_++, rows(low),
                          rows(high));
    frame->metadata().attributes[oi::xray::attr::kTube] = settings_.tube_json();
    return frame;
  }

  void on_close() override {
    prefetcher_.discard();
    scene_.reset();
    simulator_.reset();
  }

 private:
  static oi::sim::RowsU16 rows(oi::Plane& plane) {
    return {plane.row<std::uint16_t>(0), plane.stride / sizeof(std::uint16_t)};
  }

  // A new source_kv or source_ma. Only the tube is live: while streaming it changes in
  // place and the detector's gains stay; otherwise the next start rebuilds the physics.
  Status tube_changed() {
    if (state() != oi::hal::DeviceState::kStreaming) return Status::ok();
    try {
      simulator_->set_tube(settings_.source_kv, settings_.source_ma);
    } catch (const std::exception& e) {
      return Status::error(std::string("cannot set the tube: ") + e.what());
    }
    built_.source_kv = settings_.source_kv;
    built_.source_ma = settings_.source_ma;
    return Status::ok();
  }

  Status rebuild() {
    try {
      simulator_ = std::make_unique<oi::sim::XraySimulator>(settings_.simulator_config(serial_));
    } catch (const std::exception& e) {
      return Status::error(std::string("cannot build the X-ray physics: ") + e.what());
    }
    scene_.reset();
    prefetcher_.discard();  // made with the old settings
    built_ = settings_;
    return Status::ok();
  }

  Status next_scene() {
    const std::uint64_t index = counter_.scans_done();  // object n of the run is scan n + 1
    try {
      const bool last = settings_.scans > 0 && index + 1 >= static_cast<std::uint64_t>(settings_.scans);
      scene_ = prefetcher_.take(settings_.scene_config(index),
                                last ? std::nullopt : std::optional(settings_.scene_config(index + 1)));
    } catch (const std::exception& e) {
      return Status::error("cannot generate " + settings_.scene + " scene " + std::to_string(index) +
                           " (seed " + std::to_string(settings_.seed) + "): " + e.what());
    }
    if (scene_->lines() < 1) {
      return Status::error("the " + settings_.scene + " generator made an empty scene (index " +
                           std::to_string(index) + ")");
    }
    scene_index_ = index;
    next_line_ = 0;
    truth_ = nlohmann::json::array();
    for (const auto& t : scene_->truth()) truth_.push_back(t.to_json());
    scene_description_ = scene_->describe();
    scene_description_["index"] = index;
    scene_description_["seed"] = settings_.seed;
    if (declarations_.is_open()) {
      // The clearance system has the declaration before the parcel reaches the scanner.
      declarations_ << oi::sim::simulate_declaration(scene_description_, settings_.seed, index, index + 1,
                                                     settings_.declaration_lie_rate)
                           .dump()
                    << '\n'
                    << std::flush;
    }
    const int k = settings_.lines_per_block;
    counter_.set_blocks_per_scan(static_cast<std::uint32_t>((scene_->lines() + k - 1) / k));
    return Status::ok();
  }

  void render(oi::Frame& block, int lines) {
    oi::Plane& high = block.plane(oi::xray::plane::kHigh);
    oi::Plane& low = block.plane(oi::xray::plane::kLow);
    // Noise stream = object index + 1: each object's noise is its own, reproducible by seed.
    simulator_->render(*scene_, next_line_, lines, scene_index_ + 1, rows(low), rows(high));
  }

  SimXraySettings settings_;
  SimXraySettings built_;  // the settings simulator_ was built with
  std::string serial_ = "xray";
  std::unique_ptr<oi::sim::XraySimulator> simulator_;
  oi::hal::SourceState source_state_ = oi::hal::SourceState::kOff;
  std::unique_ptr<oi::sim::Scene> scene_;
  oi::sim::ScenePrefetcher prefetcher_;
  std::uint64_t scene_index_ = 0;
  int next_line_ = 0;
  nlohmann::json truth_ = nlohmann::json::array();
  nlohmann::json scene_description_ = nlohmann::json::object();
  std::ofstream declarations_;  // parameter `declarations`
  std::uint64_t references_ = 0;
  oi::hal::ScanCounter counter_{1};
  oi::hal::LinePacer pacer_;
  oi::hal::FaultInjector faults_{"block"};
};

}  // namespace

OI_REGISTER_DEVICE_DRIVER(
    SimXray, "sim.xray",
    "Physics-based simulated dual-energy X-ray scanner with ground truth; needs no hardware.");
OI_PLUGIN("oi-driver-sim-xray", "0.1.0", "Apache-2.0")
