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
  void declare(hal::DeviceSpec& spec) const override {
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
    spec.live_param(kExposureUs, ParamType::kFloat)
        .default_value(10000.0)
        .range(1.0, 1e8)
        .unit("us")
        .describe("Exposure time [ExposureTime, or ExposureTimeAbs]; may change while streaming.");
    spec.live_param(kGainDb, ParamType::kFloat)
        .default_value(0.0)
        .range(0.0, 100.0)
        .unit("dB")
        .describe(
            "Analog gain [Gain, or GainRaw in device units on older cameras]; may change while streaming.");
    spec.live_param(kFrameRateHz, ParamType::kFloat)
        .default_value(30.0)
        .range(0.0, 100000.0)
        .unit("Hz")
        .describe(
            "Frame rate [AcquisitionFrameRate]; 0 = as fast as the camera goes. May change while streaming.");
    spec.param(kTriggerMode, ParamType::kEnum)
        .allowed({"free_run", "software", "hardware"})
        .default_value("free_run")
        .describe(
            "[TriggerMode/TriggerSource of FrameStart] free_run: frames at frame_rate_hz; software: the "
            "driver triggers one frame per read, so the pipeline paces the camera; hardware: "
            "trigger_source.");
    spec.param("trigger_source", ParamType::kString)
        .default_value("Line0")
        .describe("TriggerSource used with trigger_mode: hardware, e.g. Line0 or Line1.");
    spec.param("pixel_format", ParamType::kEnum)
        .allowed({"mono8", "mono16", "rgb8"})
        .default_value("mono8")
        .describe("[PixelFormat] Mono8 -> u8, Mono16 -> u16, RGB8 -> rgb8 plane.");
    spec.param("width", ParamType::kInt)
        .default_value(0)
        .range(0, 65535)
        .unit("px")
        .describe("[Width] of the region; 0 = the rest of the sensor from offset_x.");
    spec.param("height", ParamType::kInt)
        .default_value(0)
        .range(0, 65535)
        .unit("px")
        .describe("[Height] of the region; 0 = the rest of the sensor from offset_y.");
    spec.param("offset_x", ParamType::kInt)
        .default_value(0)
        .range(0, 65535)
        .unit("px")
        .describe("[OffsetX] of the region.");
    spec.param("offset_y", ParamType::kInt)
        .default_value(0)
        .range(0, 65535)
        .unit("px")
        .describe("[OffsetY] of the region.");
    declare_stream_params(spec);
  }

  Status on_configure(const std::string& uri, const ParamSet& params) override {
    for (const auto& [name, value] : params.values()) remember(name, value);
    auto opened = AravisConnection::open(uri);
    if (!opened.ok()) return opened.status();
    conn_ = std::move(opened.value());
    // Order matters: the format and region decide the payload, the frame rate clears
    // triggers (Aravis), and `features` comes last so it can override anything above.
    const char* order[] = {"pixel_format", "width",      kExposureUs, kGainDb,
                           kFrameRateHz,   kTriggerMode, "features"};
    for (const char* name : order) {
      if (Status s = apply_to_device(name, params.values().at(name), is_default(name, params)); !s.is_ok()) {
        conn_.reset();
        return s;
      }
    }
    set_identity(conn_->identity(kDriverVersion));
    return Status::ok();
  }

  Result<std::vector<hal::DeviceInfo>> on_enumerate() override {
    return AravisConnection::discover("GenICam camera");
  }

  Status on_set_param(const std::string& name, const ParamValue& value) override {
    if (conn_) {
      if (Status s = apply_to_device(name, value, false, &value); !s.is_ok()) return s;
    }
    remember(name, value);
    return Status::ok();
  }

  Status on_start() override {
    trigger_pending_ = false;
    return conn_->start(stream_.stream);
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
    if (trigger_mode_ == "software" && (!trigger_pending_ || Clock::now() - trigger_time_ > kTriggerRetry)) {
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
  bool is_default(const std::string& name, const ParamSet& params) const {
    const ParamSpec* p = spec().find_param(name);
    return p != nullptr && p->default_value() && *p->default_value() == params.values().at(name);
  }

  // Keeps the values the device hooks need together (the base class stores a value only
  // after on_set_param() accepted it).
  void remember(const std::string& name, const ParamValue& v) {
    if (stream_.apply(name, v)) return;
    if (name == "width")
      region_.width = v.get<int>();
    else if (name == "height")
      region_.height = v.get<int>();
    else if (name == "offset_x")
      region_.x = v.get<int>();
    else if (name == "offset_y")
      region_.y = v.get<int>();
    else if (name == kTriggerMode)
      trigger_mode_ = v.get<std::string>();
    else if (name == "trigger_source")
      trigger_source_ = v.get<std::string>();
  }

  // Writes one parameter to the device. `proposed` is a value not yet remembered (set());
  // region and trigger parameters are applied as a whole with it substituted.
  Status apply_to_device(const std::string& name, const ParamValue& value, bool is_default,
                         const ParamValue* proposed = nullptr) {
    if (name == "pixel_format") {
      const FormatMapping* f = format_by_name(value.get<std::string>());
      if (Status s = conn_->set_pixel_format(f->arv, f->name); !s.is_ok()) return s;
      format_.format = f->sdk;
      return Status::ok();
    }
    if (name == "width" || name == "height" || name == "offset_x" || name == "offset_y") {
      Region r = region_;
      if (proposed != nullptr) {
        const int v = proposed->get<int>();
        (name == "width" ? r.width : name == "height" ? r.height : name == "offset_x" ? r.x : r.y) = v;
      }
      if (Status s = conn_->set_region(r); !s.is_ok()) return s;
      const Region actual = conn_->region();
      format_.width = actual.width;
      format_.height = actual.height;
      return Status::ok();
    }
    if (name == kExposureUs) return conn_->set_exposure_us(value.get<double>(), is_default);
    if (name == kGainDb) return conn_->set_gain_db(value.get<double>(), is_default);
    if (name == kFrameRateHz) {
      if (Status s = conn_->set_frame_rate_hz(value.get<double>(), is_default); !s.is_ok()) return s;
      // Setting a frame rate switches triggers off (Aravis); put the trigger mode back.
      return trigger_mode_ == "free_run" ? Status::ok() : conn_->set_trigger(trigger_mode_, trigger_source_);
    }
    if (name == kTriggerMode || name == "trigger_source") {
      std::string mode = trigger_mode_, source = trigger_source_;
      if (proposed != nullptr) (name == kTriggerMode ? mode : source) = proposed->get<std::string>();
      if (name == "trigger_source" && mode != "hardware")
        return Status::ok();  // used once hardware is chosen
      return conn_->set_trigger(mode, source);
    }
    if (name == "features") return conn_->apply_features(value.get<std::vector<std::string>>());
    return Status::ok();  // stream parameters: applied at the next start
  }

  Status to_frame(ArvBuffer* buffer, FramePtr& frame) {
    const auto arv_format = arv_buffer_get_image_pixel_format(buffer);
    const FormatMapping* f = format_by_arv(arv_format);
    if (f == nullptr) {
      return Status::error(
          conn_->name() + " sends pixel format 0x" + fmt_hex(arv_format) +
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
      return Status::error(conn_->name() + ": buffer " + std::to_string(arv_buffer_get_frame_id(buffer)) +
                           " holds " + std::to_string(size) + " bytes, too few for a " + std::to_string(w) +
                           "x" + std::to_string(h) + " " + f->name + " image");
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

  std::unique_ptr<AravisConnection> conn_;
  hal::CameraFormat format_;
  StreamParams stream_;
  Region region_;
  std::string trigger_mode_ = "free_run";
  std::string trigger_source_ = "Line0";
  bool trigger_pending_ = false;
  Clock::time_point trigger_time_;
};

}  // namespace
}  // namespace oi::genicam

OI_REGISTER_DEVICE_DRIVER(oi::genicam::GenicamCamera, "genicam.camera",
                          "GenICam cameras (GigE Vision, USB3 Vision, GenTL) through Aravis.");
