// genicam.xray: a GigE Vision (or USB3 Vision) line-scan X-ray detector as an
// oi::hal::XrayScanner. Many dual-energy detector boards are GenICam line-scan cameras: each
// buffer is `Height` lines of Mono16, one or two energy channels laid out in the line (or in
// alternate lines). This driver cuts those buffers into scan blocks. The X-ray source is not
// a GenICam device: it is controlled elsewhere and reported here as unknown (off, 0 kV).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "aravis_connection.hpp"
#include "oi/hal/driver.hpp"
#include "oi/hal/xray_scanner.hpp"
#include "stream_params.hpp"

namespace oi::genicam {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How one buffer's two energy channels are arranged (low energy first, by convention).
enum class Layout { kHalves, kAlternateLines, kAlternatePixels };

Layout layout_from(const std::string& name) {
  if (name == "alternate_lines") return Layout::kAlternateLines;
  if (name == "alternate_pixels") return Layout::kAlternatePixels;
  return Layout::kHalves;
}

class GenicamXray final : public hal::XrayScanner {
  // The driver's own parameter values (bound to their declarations; the initial values are
  // the defaults).
  struct Settings {
    int channels = 1;
    std::string channel_layout = "halves";  // halves | alternate_lines | alternate_pixels
    int pixels = 0;
    int lines = 64;
    std::int64_t blocks_per_scan = 8;
    double line_rate_hz = 1000.0;
    std::vector<std::string> dark_features;
    std::vector<std::string> air_features;
  };
  // What setup_device() writes to the detector; a change reaches it before the next start or
  // reference.
  struct DeviceSetup {
    int channels = 0;
    std::string channel_layout;
    int pixels = -1;
    int lines = 0;
    bool operator==(const DeviceSetup&) const = default;
  };

 public:
  ~GenicamXray() override { conn_.reset(); }

  hal::ScanGeometry geometry() const override { return geometry_; }
  // The source is not on the detector's GenICam interface; report it as unknown.
  hal::XraySource source() const override { return {}; }

 protected:
  void on_setup(hal::DeviceSpec& spec) override {
    spec.describe(
        "GenICam line-scan X-ray detector through Aravis (GigE Vision, USB3 Vision). URI as genicam.camera. "
        "Each Mono16 buffer of `lines_per_block` lines becomes one scan block with plane `high` (and `low` "
        "with 2 channels, split by `channel_layout`, low energy first). Scans are cut every "
        "`blocks_per_scan` "
        "blocks. The X-ray source is controlled elsewhere and reported as unknown.");
    spec.set_capabilities(scanner_capabilities());
    hal::ScannerParams standard(spec);
    standard.channels(cfg_.channels);
    spec.param("channel_layout", cfg_.channel_layout)
        .one_of({"halves", "alternate_lines", "alternate_pixels"})
        .describe(
            "Dual energy: `halves` = each line is [low | high]; `alternate_lines` = lines alternate low, "
            "high; `alternate_pixels` = pixels alternate low, high.");
    standard.pixels_per_line(cfg_.pixels)
        .range(0, 65535)
        .describe(
            "Detector pixels per line and channel; 0 = the whole sensor. [Width = pixels x 2 for halves "
            "and alternate_pixels]");
    standard.lines_per_block(cfg_.lines)
        .range(1, 65535)
        .describe("Lines per scan block. [Height = lines, x 2 for alternate_lines]");
    spec.param("blocks_per_scan", cfg_.blocks_per_scan)
        .range(0, 1000000)
        .describe(
            "Blocks per object scan; 0 = one scan until stop. (An object sensor would cut real scans.)");
    standard.line_rate_hz(cfg_.line_rate_hz, /*live=*/true, [this] { return line_rate_changed(); })
        .range(0.0, 1e6)
        .describe(
            "Scan lines per second [AcquisitionLineRate; on an area sensor AcquisitionFrameRate = "
            "line_rate_hz / lines_per_block]; 0 = as fast as the detector goes.");
    standard.pixel_pitch_mm(geometry_.pixel_pitch_mm)
        .range(0.01, 100.0)
        .describe("Detector pixel size, reported in the geometry.");
    standard.belt_speed_m_s(geometry_.belt_speed_m_s)
        .range(0.0, 10.0)
        .describe("Conveyor speed, reported in the geometry.");
    spec.param("dark_features", cfg_.dark_features)
        .describe(
            "Features set while a dark reference is taken (e.g. an output line that holds the source off), "
            "'Name=Value' each; the previous values are restored afterwards.");
    spec.param("air_features", cfg_.air_features)
        .describe("Features set while an air reference is taken, restored afterwards.");
    stream_.declare(spec);
  }

  Status on_configure(const std::string& uri, const ParamSet&) override {
    auto opened = AravisConnection::open(uri);
    if (!opened.ok()) return opened.status();
    conn_ = std::move(opened.value());
    if (Status s = setup_device(); !s.is_ok()) {
      conn_.reset();
      return s;
    }
    set_identity(conn_->identity(kDriverVersion));
    return Status::ok();
  }

  Result<std::vector<hal::DeviceInfo>> on_enumerate() override {
    return AravisConnection::discover("GenICam detector");
  }

  // `features` is the one parameter declared without a member; it is written with the
  // detector's setup (at configure, or at a start after channels, layout, pixels or lines
  // changed).
  Status on_start() override {
    if (Status s = write_pending_setup(); !s.is_ok()) return s;
    // A detector that stops mid-object cannot resume that object: the next scan is a new one.
    if (block_ != 0) {
      ++scan_;
      block_ = 0;
    }
    last_block_id_ = 0;  // a new stream: its first block has no predecessor to compare with
    return conn_->start(stream_.stream());
  }

  Status on_stop() override {
    if (conn_) {
      conn_->stop();
      count_lost(conn_->take_lost());
    }
    return Status::ok();
  }

  void on_close() override { conn_.reset(); }

  Status on_read_block(FramePtr& block, std::chrono::milliseconds timeout) override {
    BufferLease buffer;
    Status s = conn_->pop(timeout, buffer);
    count_lost(conn_->take_lost());
    if (!s.is_ok() || !buffer) return s;
    // Blocks lost on the link (incomplete, or never arrived) took their places in the scan:
    // the blocks after them keep their own positions, so the scan shows the gap (and the scan
    // assembler marks it incomplete) instead of closing up over it.
    const std::uint64_t id = arv_buffer_get_frame_id(buffer.get());
    skip_blocks(AravisConnection::blocks_between(last_block_id_, id));
    if (id != 0) last_block_id_ = id;
    if (Status c = to_block(buffer.get(), geometry_.lines_per_block, block); !c.is_ok()) {
      count_lost(1);  // the refused block is not delivered
      return c;
    }
    FrameMetadata& meta = block->metadata();
    meta.scan_id = scan_ + 1;
    meta.block_index = block_;
    meta.end_of_scan =
        cfg_.blocks_per_scan > 0 && block_ + 1 == static_cast<std::uint32_t>(cfg_.blocks_per_scan);
    meta.attributes[oi::xray::attr::kView] = 0;
    skip_blocks(1);
    return Status::ok();
  }

  Result<FramePtr> on_acquire_reference(hal::CalibrationKind kind, int lines) override {
    if (Status s = write_pending_setup(); !s.is_ok()) return s;
    const auto& features = kind == hal::CalibrationKind::kDark ? cfg_.dark_features : cfg_.air_features;
    // Remember what the features were, to put them back whatever happens below.
    std::vector<std::string> restore_items;
    for (const auto& item : features) {
      const auto eq = item.find('=');
      if (eq == std::string::npos) continue;  // a command: nothing to restore
      auto old = conn_->feature_text(item.substr(0, eq));
      if (!old.ok()) return old.status();
      restore_items.insert(restore_items.begin(), item.substr(0, eq) + "=" + old.value());
    }
    if (Status s = conn_->apply_features(features); !s.is_ok()) return s;
    FramePtr reference = make_block(lines);
    Status s = collect(reference, lines);
    if (Status r = conn_->apply_features(restore_items); !r.is_ok() && s.is_ok()) s = r;
    if (!s.is_ok()) return s;
    return reference;
  }

 private:
  Layout layout() const { return layout_from(cfg_.channel_layout); }
  int device_width_factor() const {
    const bool side_by_side = layout() == Layout::kHalves || layout() == Layout::kAlternatePixels;
    return cfg_.channels == 2 && side_by_side ? 2 : 1;
  }
  int device_height_factor() const {
    return cfg_.channels == 2 && layout() == Layout::kAlternateLines ? 2 : 1;
  }
  DeviceSetup device_setup() const { return {cfg_.channels, cfg_.channel_layout, cfg_.pixels, cfg_.lines}; }

  // Channels, layout, pixels or lines set since the detector was set up reach it now (before
  // a start or a reference); a value it refuses fails that operation.
  Status write_pending_setup() { return device_setup() == written_ ? Status::ok() : setup_device(); }

  // A new line_rate_hz goes to the detector at once; when it refuses, the detector and the
  // geometry keep the old rate.
  Status line_rate_changed() {
    if (!conn_) return Status::ok();
    const double before = geometry_.line_rate_hz;
    Status s = apply_line_rate();
    if (!s.is_ok()) {
      const double wanted = cfg_.line_rate_hz;
      cfg_.line_rate_hz = before;
      apply_line_rate();  // best effort: put the detector back as it was
      cfg_.line_rate_hz = wanted;
    }
    return s;
  }

  // Writes format, region, scan type, line rate and `features`; computes the geometry.
  Status setup_device() {
    if (conn_->has_feature("DeviceScanType")) {
      if (Status s = conn_->set_string_feature("DeviceScanType", "Linescan"); !s.is_ok()) return s;
    }
    if (Status s = conn_->set_pixel_format(ARV_PIXEL_FORMAT_MONO_16, "mono16"); !s.is_ok()) return s;
    const int wf = device_width_factor(), hf = device_height_factor();
    if (Status s = conn_->set_region({0, 0, cfg_.pixels * wf, cfg_.lines * hf}); !s.is_ok()) return s;
    const Region actual = conn_->region();
    if (actual.width % wf != 0) {
      return Status::error("the detector line has " + std::to_string(actual.width) +
                           " pixels, which cannot be "
                           "split into " +
                           std::to_string(wf) + " channels; set pixels_per_line");
    }
    geometry_.channels = cfg_.channels;
    geometry_.views = 1;
    geometry_.pixels_per_line = actual.width / wf;
    geometry_.lines_per_block = actual.height / hf;
    if (Status s = apply_line_rate(); !s.is_ok()) return s;
    if (Status s = conn_->apply_features(stream_.features); !s.is_ok()) return s;
    written_ = device_setup();
    return Status::ok();
  }

  Status apply_line_rate() {
    geometry_.line_rate_hz = cfg_.line_rate_hz;
    if (conn_->has_feature("AcquisitionLineRate")) {
      if (cfg_.line_rate_hz == 0.0) return Status::ok();  // the detector's own maximum
      return conn_->set_float_feature("AcquisitionLineRate", cfg_.line_rate_hz * device_height_factor(),
                                      "line_rate_hz");
    }
    // An area sensor standing in for a line-scan detector: one frame per block.
    return conn_->set_frame_rate_hz(cfg_.line_rate_hz / geometry_.lines_per_block, false);
  }

  // Moves the scan position `n` blocks on, into the next scans where it passes their end.
  void skip_blocks(std::uint64_t n) {
    if (n == 0) return;
    const std::uint64_t position = block_ + n;
    if (cfg_.blocks_per_scan <= 0) {
      // One scan until stop: the block index only grows.
      block_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(position, UINT32_MAX));
      return;
    }
    const auto per_scan = static_cast<std::uint64_t>(cfg_.blocks_per_scan);
    scan_ += position / per_scan;
    block_ = static_cast<std::uint32_t>(position % per_scan);
  }

  // Copies `lines` lines from the buffer (which holds at least that many) into `block`.
  Status to_block(ArvBuffer* buffer, int lines, FramePtr& block) {
    if (arv_buffer_get_image_pixel_format(buffer) != ARV_PIXEL_FORMAT_MONO_16) {
      return Status::error(
          "the device sends a pixel format other than Mono16; X-ray blocks are u16 "
          "(do not override PixelFormat through `features`)");
    }
    const int w = arv_buffer_get_image_width(buffer), h = arv_buffer_get_image_height(buffer);
    std::size_t size = 0;
    const auto* data = static_cast<const std::uint16_t*>(arv_buffer_get_image_data(buffer, &size));
    const int wf = device_width_factor(), hf = device_height_factor();
    if (data != nullptr && w == geometry_.pixels_per_line * wf && h < lines * hf) {
      // A line-scan detector that ends a frame early (a frame trigger that dropped, a Height
      // changed outside this driver) sends fewer lines than a block has.
      return Status::error("the detector delivered a short block: " + std::to_string(h) + " of the " +
                           std::to_string(lines * hf) + " lines a buffer must have (block id " +
                           std::to_string(arv_buffer_get_frame_id(buffer)) + ", " + std::to_string(w) +
                           " x " + std::to_string(h) +
                           " pixels). Check the detector's frame trigger, and that nothing else changes "
                           "its Height; lines_per_block sets it");
    }
    if (data == nullptr || w != geometry_.pixels_per_line * wf || h < lines * hf ||
        size < static_cast<std::size_t>(w) * h * sizeof(std::uint16_t)) {
      return Status::error("buffer of " + std::to_string(w) + "x" + std::to_string(h) + " (" +
                           std::to_string(size) + " bytes) does not match the geometry (" +
                           std::to_string(geometry_.pixels_per_line * wf) + " x " +
                           std::to_string(lines * hf) + ")");
    }
    block = make_block(lines);
    const int n = geometry_.pixels_per_line;
    Plane& high = block->plane(oi::xray::plane::kHigh);
    Plane* low = cfg_.channels == 2 ? &block->plane(oi::xray::plane::kLow) : nullptr;
    for (int y = 0; y < lines; ++y) {
      auto* hi = high.row<std::uint16_t>(y);
      if (low == nullptr) {
        std::memcpy(hi, data + static_cast<std::size_t>(y) * w, n * sizeof(std::uint16_t));
        continue;
      }
      auto* lo = low->row<std::uint16_t>(y);
      switch (layout()) {
        case Layout::kHalves: {
          const std::uint16_t* line = data + static_cast<std::size_t>(y) * w;
          std::memcpy(lo, line, n * sizeof(std::uint16_t));
          std::memcpy(hi, line + n, n * sizeof(std::uint16_t));
          break;
        }
        case Layout::kAlternateLines:
          std::memcpy(lo, data + static_cast<std::size_t>(2 * y) * w, n * sizeof(std::uint16_t));
          std::memcpy(hi, data + static_cast<std::size_t>(2 * y + 1) * w, n * sizeof(std::uint16_t));
          break;
        case Layout::kAlternatePixels: {
          const std::uint16_t* line = data + static_cast<std::size_t>(y) * w;
          for (int x = 0; x < n; ++x) {
            lo[x] = line[2 * x];
            hi[x] = line[2 * x + 1];
          }
          break;
        }
      }
    }
    FrameMetadata& meta = block->metadata();
    meta.capture_time_ns = capture_time_ns(buffer, stream_.timestamp_source);
    meta.attributes["frame_id"] = arv_buffer_get_frame_id(buffer);
    return Status::ok();
  }

  // Streams until `lines` lines are in `reference`, then stops; bounded.
  Status collect(FramePtr& reference, int lines) {
    if (Status s = conn_->start(stream_.stream()); !s.is_ok()) return s;
    const auto until = Clock::now() + 10s;
    int have = 0;
    Status result = Status::ok();
    while (have < lines) {
      if (Clock::now() >= until) {
        result = Status::error("only " + std::to_string(have) + " of " + std::to_string(lines) +
                               " reference lines arrived within 10 s");
        break;
      }
      BufferLease buffer;
      if (Status s = conn_->pop(200ms, buffer); !s.is_ok()) {
        result = s;
        break;
      }
      count_lost(conn_->take_lost());
      if (!buffer) continue;
      FramePtr part;
      if (Status s = to_block(buffer.get(), geometry_.lines_per_block, part); !s.is_ok()) {
        result = s;
        break;
      }
      const int take = std::min(lines - have, geometry_.lines_per_block);
      for (const auto& name : geometry_.plane_names()) {
        const Plane& from = part->plane(name);
        Plane& to = reference->plane(name);
        for (int y = 0; y < take; ++y) {
          std::memcpy(to.row<std::uint16_t>(have + y), from.row<std::uint16_t>(y),
                      from.width * sizeof(std::uint16_t));
        }
      }
      have += take;
    }
    conn_->stop();
    count_lost(conn_->take_lost());
    return result;
  }

  std::unique_ptr<AravisConnection> conn_;
  // pixel_pitch_mm and belt_speed_m_s are bound here; the rest comes from the detector.
  hal::ScanGeometry geometry_{.channels = 2,
                              .views = 1,
                              .pixels_per_line = 0,
                              .lines_per_block = 0,
                              .pixel_pitch_mm = 0.8,
                              .line_rate_hz = 0.0,
                              .belt_speed_m_s = 0.2};
  StreamParams stream_;
  Settings cfg_;
  DeviceSetup written_;  // as setup_device() last wrote it
  std::uint64_t scan_ = 0;
  std::uint32_t block_ = 0;
  std::uint64_t last_block_id_ = 0;  // block id of the last buffer taken from this stream; 0 = none
};

}  // namespace
}  // namespace oi::genicam

OI_REGISTER_DEVICE_DRIVER(oi::genicam::GenicamXray, "genicam.xray",
                          "GenICam line-scan X-ray detectors (GigE Vision, USB3 Vision) through Aravis.");
