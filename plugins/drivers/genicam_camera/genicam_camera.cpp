// genicam.camera: any GenICam area camera Aravis can open (GigE Vision, USB3 Vision, GenTL)
// as an oi::hal::Camera. Standard controls map onto SFNC features; frames are copied out of
// the stream's buffers, which go straight back to the stream. See docs/drivers/genicam-camera.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "aravis_connection.hpp"
#include "oi/hal/camera.hpp"
#include "oi/hal/driver.hpp"
#include "stream_params.hpp"

namespace oi::genicam {
namespace {

using Clock = std::chrono::steady_clock;
using hal::camera_control::kExposureUs;
using hal::camera_control::kFrameRateHz;
using hal::camera_control::kGainDb;
using hal::camera_control::kTriggerMode;

struct FormatMapping {
  const char* name;    // the pixel_format parameter value
  ArvPixelFormat arv;  // the GenICam PFNC value
  PixelFormat sdk;     // the plane format
};
constexpr FormatMapping kFormats[] = {
    {"mono8", ARV_PIXEL_FORMAT_MONO_8, PixelFormat::kU8},
    {"mono16", ARV_PIXEL_FORMAT_MONO_16, PixelFormat::kU16},
    {"rgb8", ARV_PIXEL_FORMAT_RGB_8_PACKED, PixelFormat::kRGB8},
};

const FormatMapping* format_by_name(const std::string& name) {
  for (const auto& f : kFormats)
    if (name == f.name) return &f;
  return nullptr;
}

const FormatMapping* format_by_arv(ArvPixelFormat arv) {
  for (const auto& f : kFormats)
    if (arv == f.arv) return &f;
  return nullptr;
}

// A software trigger not answered within this long is assumed lost and fired again.
constexpr std::chrono::milliseconds kTriggerRetry{1000};

class GenicamCamera final : public hal::Camera {
 public:
  ~GenicamCamera() override { conn_.reset(); }

  hal::CameraFormat format() const override { return format_; }

 protected:
  void on_setup(hal::DeviceSpec& spec) override {
    spec.describe(
        "GenICam area camera through Aravis: GigE Vision, USB3 Vision or GenTL. URI `genicam://DEVICE_ID` "
        "(an Aravis device id such as `Aravis-Fake-GV01`, an IP address or a serial number) or `genicam://` "
        "for the first camera found. Frames carry one plane `image` (u8, u16 or rgb8). Standard controls map "
        "to SFNC features; anything else goes through `features`.");
    hal::DeviceCapabilities caps;
    caps.kind = hal::DeviceKind::kCamera;
    caps.frame_kind = std::string(frame_kind::kVideo);
    caps.formats = {PixelFormat::kU8, PixelFormat::kU16, PixelFormat::kRGB8};
    caps.planes = {kImagePlane};
    spec.set_capabilities(caps);
    spec.live_param(kExposureUs, exposure_us_,
                    [this] { return conn_ ? conn_->set_exposure_us(exposure_us_, false) : Status::ok(); })
        .range(1.0, 1e8)
        .unit("us")
        .describe("Exposure time [ExposureTime, or ExposureTimeAbs]; may change while streaming.");
    spec.live_param(kGainDb, gain_db_,
                    [this] { return conn_ ? conn_->set_gain_db(gain_db_, false) : Status::ok(); })
        .range(0.0, 100.0)
        .unit("dB")
        .describe(
            "Analog gain [Gain, or GainRaw in device units on older cameras]; may change while streaming.");
    spec.live_param(kFrameRateHz, frame_rate_hz_,
                    [this] { return conn_ ? write_frame_rate(false) : Status::ok(); })
        .range(0.0, 100000.0)
        .unit("Hz")
        .describe(
            "Frame rate [AcquisitionFrameRate]; 0 = as fast as the camera goes. May change while streaming.");
    spec.param(kTriggerMode, setup_.trigger_mode, [this] { return conn_ ? write_trigger() : Status::ok(); })
        .one_of({"free_run", "software", "hardware"})
        .describe(
            "[TriggerMode/TriggerSource of FrameStart] free_run: frames at frame_rate_hz; software: the "
            "driver triggers one frame per read, so the pipeline paces the camera; hardware: "
            "trigger_source.");
    spec.param("trigger_source", setup_.trigger_source,
               [this] { return conn_ ? write_trigger() : Status::ok(); })
        .describe("TriggerSource used with trigger_mode: hardware, e.g. Line0 or Line1.");
    spec.param("pixel_format", setup_.pixel_format,
               [this] { return conn_ ? write_pixel_format() : Status::ok(); })
        .one_of({"mono8", "mono16", "rgb8"})
        .describe("[PixelFormat] Mono8 -> u8, Mono16 -> u16, RGB8 -> rgb8 plane.");
    spec.param("width", setup_.region.width, write_region_now())
        .range(0, 65535)
        .unit("px")
        .describe("[Width] of the region; 0 = the rest of the sensor from offset_x.");
    spec.param("height", setup_.region.height, write_region_now())
        .range(0, 65535)
        .unit("px")
        .describe("[Height] of the region; 0 = the rest of the sensor from offset_y.");
    spec.param("offset_x", setup_.region.x, write_region_now())
        .range(0, 65535)
        .unit("px")
        .describe("[OffsetX] of the region.");
    spec.param("offset_y", setup_.region.y, write_region_now())
        .range(0, 65535)
        .unit("px")
        .describe("[OffsetY] of the region.");
    // A `features` list set while the camera is open goes to it at once, so a feature the
    // camera refuses is refused by set().
    stream_.declare(spec, [this] { return conn_ ? conn_->apply_features(stream_.features) : Status::ok(); });
  }

  Status on_configure(const std::string& uri, const ParamSet&) override {
    auto opened = AravisConnection::open(uri);
    if (!opened.ok()) return opened.status();
    conn_ = std::move(opened.value());
    // Order matters: the format and region decide the payload, the frame rate clears
    // triggers (Aravis), and `features` comes last so it can override anything above. A
    // control left at its default is not an error on a camera that lacks it.
    Status s = write_pixel_format();
    if (s.is_ok()) s = write_region();
    if (s.is_ok()) s = conn_->set_exposure_us(exposure_us_, exposure_us_ == kDefaultExposureUs);
    if (s.is_ok()) s = conn_->set_gain_db(gain_db_, gain_db_ == kDefaultGainDb);
    if (s.is_ok()) s = write_frame_rate(frame_rate_hz_ == kDefaultFrameRateHz);
    if (s.is_ok()) s = write_trigger();
    if (s.is_ok()) s = conn_->apply_features(stream_.features);
    if (!s.is_ok()) {
      conn_.reset();
      return s;
    }
    set_identity(conn_->identity(kDriverVersion));
    return Status::ok();
  }

  Result<std::vector<hal::DeviceInfo>> on_enumerate() override {
    return AravisConnection::discover("GenICam camera");
  }

  Status on_start() override {
    trigger_pending_ = false;
    // Values set in Ready went to the camera in set(); this writes anything still pending
    // (nothing, normally).
    if (Status s = write_pending_setup(); !s.is_ok()) return s;
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

  Status on_read(FramePtr& frame, std::chrono::milliseconds timeout) override {
    if (setup_.trigger_mode == "software" &&
        (!trigger_pending_ || Clock::now() - trigger_time_ > kTriggerRetry)) {
      if (Status s = conn_->software_trigger(); !s.is_ok()) return s;
      trigger_pending_ = true;
      trigger_time_ = Clock::now();
    }
    BufferLease buffer;
    Status s = conn_->pop(timeout, buffer);
    count_lost(conn_->take_lost());
    if (!s.is_ok() || !buffer) return s;
    trigger_pending_ = false;
    return to_frame(buffer.get(), frame);
  }

 private:
  static bool same_region(const Region& a, const Region& b) {
    return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
  }

  Status write_pixel_format() {
    const FormatMapping* f = format_by_name(setup_.pixel_format);
    if (Status s = conn_->set_pixel_format(f->arv, f->name); !s.is_ok()) return s;
    format_.format = f->sdk;
    written_.pixel_format = setup_.pixel_format;
    return Status::ok();
  }

  // A value set while Ready goes to the camera at once, so the camera refuses it in set().
  hal::DeviceSpec::Apply write_region_now() {
    return [this] { return conn_ ? write_region() : Status::ok(); };
  }

  Status write_region() {
    if (Status s = conn_->set_region(setup_.region); !s.is_ok()) return s;
    const Region actual = conn_->region();
    format_.width = actual.width;
    format_.height = actual.height;
    written_.region = setup_.region;
    return Status::ok();
  }

  Status write_trigger() {
    if (Status s = conn_->set_trigger(setup_.trigger_mode, setup_.trigger_source); !s.is_ok()) return s;
    written_.trigger_mode = setup_.trigger_mode;
    written_.trigger_source = setup_.trigger_source;
    return Status::ok();
  }

  Status write_frame_rate(bool is_default) {
    if (Status s = conn_->set_frame_rate_hz(frame_rate_hz_, is_default); !s.is_ok()) return s;
    // Setting a frame rate switches triggers off (Aravis); put the trigger mode back.
    return written_.trigger_mode == "free_run"
               ? Status::ok()
               : conn_->set_trigger(written_.trigger_mode, written_.trigger_source);
  }

  // Writes what differs between the values set and the ones last written. The trigger source
  // matters only once trigger_mode is hardware.
  Status write_pending_setup() {
    if (setup_.pixel_format != written_.pixel_format) {
      if (Status s = write_pixel_format(); !s.is_ok()) return s;
    }
    if (!same_region(setup_.region, written_.region)) {
      if (Status s = write_region(); !s.is_ok()) return s;
    }
    if (setup_.trigger_mode != written_.trigger_mode ||
        (setup_.trigger_mode == "hardware" && setup_.trigger_source != written_.trigger_source)) {
      if (Status s = write_trigger(); !s.is_ok()) return s;
    }
    return Status::ok();
  }

  Status to_frame(ArvBuffer* buffer, FramePtr& frame) {
    const auto arv_format = arv_buffer_get_image_pixel_format(buffer);
    const FormatMapping* f = format_by_arv(arv_format);
    if (f == nullptr) {
      return Status::error(
          "the camera sends pixel format 0x" + fmt_hex(arv_format) +
          ", which has no SDK plane format; set pixel_format (mono8, mono16, rgb8) and do not "
          "override PixelFormat through `features`");
    }
    gint x = 0, y = 0, w = 0, h = 0, pad_x = 0, pad_y = 0;
    arv_buffer_get_image_region(buffer, &x, &y, &w, &h);
    arv_buffer_get_image_padding(buffer, &pad_x, &pad_y);
    std::size_t size = 0;
    const auto* data = static_cast<const std::uint8_t*>(arv_buffer_get_image_data(buffer, &size));
    const std::size_t row_bytes = static_cast<std::size_t>(w) * bytes_per_pixel(f->sdk);
    const std::size_t src_stride = row_bytes + static_cast<std::size_t>(std::max(0, pad_x));
    if (data == nullptr || w <= 0 || h <= 0 ||
        size < src_stride * static_cast<std::size_t>(h - 1) + row_bytes) {
      // A complete buffer that does not hold the image it announces is a device fault, not a
      // frame to pass on half-filled.
      return Status::error("buffer " + std::to_string(arv_buffer_get_frame_id(buffer)) + " holds " +
                           std::to_string(size) + " bytes, too few for a " + std::to_string(w) + "x" +
                           std::to_string(h) + " " + f->name + " image");
    }
    frame = Frame::create(std::string(frame_kind::kVideo));
    Plane& plane = frame->add_plane(kImagePlane, f->sdk, w, h);
    for (int row = 0; row < h; ++row) {
      std::memcpy(plane.row<std::uint8_t>(row), data + static_cast<std::size_t>(row) * src_stride, row_bytes);
    }
    FrameMetadata& meta = frame->metadata();
    meta.capture_time_ns = capture_time_ns(buffer, stream_.timestamp_source);
    meta.attributes["frame_id"] = arv_buffer_get_frame_id(buffer);
    meta.attributes["device_timestamp_ns"] = arv_buffer_get_timestamp(buffer);
    meta.attributes["offset_x"] = x;
    meta.attributes["offset_y"] = y;
    return Status::ok();
  }

  static std::string fmt_hex(std::uint32_t v) {
    char text[16];
    std::snprintf(text, sizeof text, "%08x", v);
    return text;
  }

  // How the camera is set up apart from its live controls; a change reaches it at the next
  // start (or configure).
  struct Setup {
    std::string pixel_format = "mono8";
    Region region;
    std::string trigger_mode = "free_run";
    std::string trigger_source = "Line0";
  };

  static constexpr double kDefaultExposureUs = 10000.0;
  static constexpr double kDefaultGainDb = 0.0;
  static constexpr double kDefaultFrameRateHz = 30.0;

  std::unique_ptr<AravisConnection> conn_;
  hal::CameraFormat format_;
  StreamParams stream_;
  // Parameter values (the initial values are the defaults).
  double exposure_us_ = kDefaultExposureUs;
  double gain_db_ = kDefaultGainDb;
  double frame_rate_hz_ = kDefaultFrameRateHz;
  Setup setup_;
  Setup written_;  // as last written to the device
  bool trigger_pending_ = false;
  Clock::time_point trigger_time_;
};

}  // namespace
}  // namespace oi::genicam

OI_REGISTER_DEVICE_DRIVER(oi::genicam::GenicamCamera, "genicam.camera",
                          "GenICam cameras (GigE Vision, USB3 Vision, GenTL) through Aravis.");
