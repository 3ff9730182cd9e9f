// AravisConnection's standard controls: each writes SFNC features and refuses, with the
// device's own range in the message, what the device would not accept (or would clamp).
#include <algorithm>

#include "aravis_connection.hpp"
#include "aravis_text.hpp"

namespace oi::genicam {

Result<std::string> AravisConnection::feature_text(const std::string& feature) const {
  ArvGcNode* node = arv_device_get_feature(device(), feature.c_str());  // transfer none
  if (node == nullptr || !ARV_IS_GC_FEATURE_NODE(node)) {
    return Status::error("the device has no feature '" + feature + "'");
  }
  ErrorSlot error;
  const char* text = arv_gc_feature_node_get_value_as_string(ARV_GC_FEATURE_NODE(node), error.out());
  if (error) return Status::error("cannot read " + feature + ": " + error.message());
  return text_or(text, "");
}

Status AravisConnection::set_float_feature(const char* feature, double value, const std::string& param) {
  ErrorSlot error;
  double lo = 0, hi = 0;
  arv_device_get_float_feature_bounds(device(), feature, &lo, &hi, error.out());
  if (error)
    return Status::error(std::string("cannot read the range of ") + feature + ": " + error.message());
  if (value < lo || value > hi) {
    return Status::error(param + " needs " + feature + " = " + format_number(value) +
                         ", outside the device's range [" + format_number(lo) + ", " + format_number(hi) +
                         "]");
  }
  arv_device_set_float_feature_value(device(), feature, value, error.out());
  if (error)
    return Status::error("cannot set " + std::string(feature) + " = " + format_number(value) + ": " +
                         error.message());
  return Status::ok();
}

Status AravisConnection::set_string_feature(const char* feature, const std::string& value) {
  ErrorSlot error;
  arv_device_set_string_feature_value(device(), feature, value.c_str(), error.out());
  if (error)
    return Status::error(std::string("cannot set ") + feature + " = " + value + ": " + error.message());
  return Status::ok();
}

Result<std::int64_t> AravisConnection::integer_feature(const char* feature) const {
  ErrorSlot error;
  const gint64 v = arv_device_get_integer_feature_value(device(), feature, error.out());
  if (error) return Status::error(std::string("cannot read ") + feature + ": " + error.message());
  return static_cast<std::int64_t>(v);
}

Status AravisConnection::set_pixel_format(ArvPixelFormat format, const std::string& label) {
  ErrorSlot error;
  guint n = 0;
  std::unique_ptr<gint64, GFree> formats(
      arv_camera_dup_available_pixel_formats(camera_.get(), &n, error.out()));
  if (error) return Status::error("cannot list PixelFormat: " + error.message());
  if (std::find(formats.get(), formats.get() + n, static_cast<gint64>(format)) == formats.get() + n) {
    std::unique_ptr<const char*, GFree> names(
        arv_camera_dup_available_pixel_formats_as_strings(camera_.get(), &n, nullptr));
    std::string offered;
    for (guint i = 0; names && i < n; ++i)
      offered += (offered.empty() ? "" : ", ") + text_or(names.get()[i], "?");
    return Status::error("pixel_format '" + label + "' is not offered by the device (PixelFormat: " +
                         offered + "); pick another pixel_format");
  }
  arv_camera_set_pixel_format(camera_.get(), format, error.out());
  if (error)
    return Status::error("cannot set PixelFormat for pixel_format '" + label + "': " + error.message());
  return Status::ok();
}

Region AravisConnection::region() const {
  Region r;
  arv_camera_get_region(camera_.get(), &r.x, &r.y, &r.width, &r.height, nullptr);
  return r;
}

Status AravisConnection::set_region(const Region& want) {
  ArvCamera* cam = camera_.get();
  ErrorSlot error;
  gint sensor_w = 0, sensor_h = 0;
  arv_camera_get_sensor_size(cam, &sensor_w, &sensor_h, error.out());
  if (error || sensor_w <= 0 || sensor_h <= 0) {
    // No SensorWidth/Height: the largest Width/Height at offset 0 is the sensor.
    gint lo = 0;
    arv_camera_get_width_bounds(cam, &lo, &sensor_w, nullptr);
    arv_camera_get_height_bounds(cam, &lo, &sensor_h, nullptr);
  }
  const bool offsets = arv_camera_is_region_offset_available(cam, nullptr) != FALSE;
  if (!offsets && (want.x != 0 || want.y != 0)) {
    return Status::error("the device has no OffsetX/OffsetY; leave offset_x and offset_y at 0");
  }
  const int w = want.width > 0 ? want.width : sensor_w - want.x;
  const int h = want.height > 0 ? want.height : sensor_h - want.y;
  if (want.x + w > sensor_w || want.y + h > sensor_h || w <= 0 || h <= 0) {
    return Status::error("region " + std::to_string(w) + "x" + std::to_string(h) + " at (" +
                         std::to_string(want.x) + ", " + std::to_string(want.y) + ") does not fit the " +
                         std::to_string(sensor_w) + "x" + std::to_string(sensor_h) +
                         " sensor; reduce width/height or the offsets");
  }
  // Offsets to 0 first, so any Width/Height up to the sensor size is legal; then size; then
  // the offsets, whose maximum depends on the size.
  auto set = [&](const char* feature, int value) -> Status {
    gint64 lo = 0, hi = 0;
    arv_camera_get_integer_bounds(cam, feature, &lo, &hi, nullptr);
    const gint64 inc = std::max<gint64>(1, arv_camera_get_integer_increment(cam, feature, nullptr));
    if (value < lo || value > hi || (value - lo) % inc != 0) {
      return Status::error(std::string(feature) + " = " + std::to_string(value) +
                           " is not accepted by the device (range [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "], step " + std::to_string(inc) + ")");
    }
    arv_camera_set_integer(cam, feature, value, error.out());
    if (error)
      return Status::error("cannot set " + std::string(feature) + " = " + std::to_string(value) + ": " +
                           error.message());
    return Status::ok();
  };
  if (offsets) {
    if (Status s = set("OffsetX", 0); !s.is_ok()) return s;
    if (Status s = set("OffsetY", 0); !s.is_ok()) return s;
  }
  if (Status s = set("Width", w); !s.is_ok()) return s;
  if (Status s = set("Height", h); !s.is_ok()) return s;
  if (offsets) {
    if (Status s = set("OffsetX", want.x); !s.is_ok()) return s;
    if (Status s = set("OffsetY", want.y); !s.is_ok()) return s;
  }
  return Status::ok();
}

Status AravisConnection::set_exposure_us(double us, bool is_default) {
  ArvCamera* cam = camera_.get();
  if (!arv_camera_is_exposure_time_available(cam, nullptr)) {
    // A default is a wish, not a requirement: a camera without the feature keeps working.
    return is_default ? Status::ok()
                      : Status::error("the device has no ExposureTime feature; remove exposure_us");
  }
  double lo = 0, hi = 0;
  arv_camera_get_exposure_time_bounds(cam, &lo, &hi, nullptr);
  if (us < lo || us > hi) {
    return Status::error("exposure_us " + format_number(us) + " is outside the device's range [" +
                         format_number(lo) + ", " + format_number(hi) + "] us (ExposureTime)");
  }
  ErrorSlot error;
  arv_camera_set_exposure_time(cam, us, error.out());
  if (error)
    return Status::error("cannot set ExposureTime = " + format_number(us) + " us: " + error.message());
  return Status::ok();
}

Status AravisConnection::set_gain_db(double db, bool is_default) {
  ArvCamera* cam = camera_.get();
  if (!arv_camera_is_gain_available(cam, nullptr)) {
    return is_default ? Status::ok() : Status::error("the device has no Gain feature; remove gain_db");
  }
  double lo = 0, hi = 0;
  arv_camera_get_gain_bounds(cam, &lo, &hi, nullptr);
  if (db < lo || db > hi) {
    return Status::error("gain_db " + format_number(db) + " is outside the device's range [" +
                         format_number(lo) + ", " + format_number(hi) + "] (Gain)");
  }
  ErrorSlot error;
  arv_camera_set_gain(cam, db, error.out());
  if (error) return Status::error("cannot set Gain = " + format_number(db) + ": " + error.message());
  return Status::ok();
}

Status AravisConnection::set_frame_rate_hz(double hz, bool is_default) {
  ArvCamera* cam = camera_.get();
  if (!arv_camera_is_frame_rate_available(cam, nullptr)) {
    return is_default ? Status::ok()
                      : Status::error("the device has no AcquisitionFrameRate feature; remove frame_rate_hz");
  }
  double lo = 0, hi = 0;
  arv_camera_get_frame_rate_bounds(cam, &lo, &hi, nullptr);
  ErrorSlot error;
  if (hz == 0.0) {
    // "As fast as it goes": switch the limit off where the camera can, else ask for its maximum.
    if (has_feature("AcquisitionFrameRateEnable")) {
      arv_camera_set_boolean(cam, "AcquisitionFrameRateEnable", FALSE, error.out());
    } else {
      arv_camera_set_frame_rate(cam, hi, error.out());
    }
  } else {
    // Aravis clamps out-of-range rates silently; refuse them instead so the value reported is true.
    if (hz < lo || hz > hi) {
      return Status::error("frame_rate_hz " + format_number(hz) + " is outside the device's range [" +
                           format_number(lo) + ", " + format_number(hi) +
                           "] Hz (AcquisitionFrameRate); use 0 for "
                           "as fast as the camera goes");
    }
    arv_camera_set_frame_rate(cam, hz, error.out());
  }
  if (error)
    return Status::error("cannot set AcquisitionFrameRate = " + format_number(hz) +
                         " Hz: " + error.message());
  return Status::ok();
}

Status AravisConnection::set_trigger(const std::string& mode, const std::string& source) {
  ArvCamera* cam = camera_.get();
  ErrorSlot error;
  if (mode == "free_run") {
    if (!has_feature("TriggerMode")) return Status::ok();  // no trigger at all: free running already
    arv_camera_clear_triggers(cam, error.out());
    if (error) return Status::error("cannot switch TriggerMode off: " + error.message());
    return Status::ok();
  }
  if (!has_feature("TriggerMode")) {
    return Status::error("the device has no TriggerMode feature; use trigger_mode: free_run");
  }
  const std::string src = mode == "software" ? "Software" : source;
  guint n = 0;
  std::unique_ptr<const char*, GFree> sources(arv_camera_dup_available_trigger_sources(cam, &n, nullptr));
  bool offered = false;
  std::string list;
  for (guint i = 0; sources && i < n; ++i) {
    const std::string s = text_or(sources.get()[i], "");
    offered = offered || s == src;
    list += (list.empty() ? "" : ", ") + s;
  }
  if (!offered) {
    return Status::error("TriggerSource '" + src +
                         "' is not offered by the device (it offers: " + (list.empty() ? "none" : list) +
                         ")" + (mode == "hardware" ? "; set trigger_source to one of them" : ""));
  }
  arv_camera_set_trigger(cam, src.c_str(), error.out());
  if (error) return Status::error("cannot set TriggerMode On, TriggerSource " + src + ": " + error.message());
  return Status::ok();
}

Status AravisConnection::apply_features(const std::vector<std::string>& features) {
  for (const auto& item : features) {
    ErrorSlot error;
    // One item at a time so the error names the one that failed.
    if (!arv_device_set_features_from_string(device(), item.c_str(), error.out()) || error) {
      return Status::error("features: cannot apply '" + item + "': " + (error ? error.message() : "refused") +
                           " (write 'Name=Value', or 'Name' for a command)");
    }
  }
  return Status::ok();
}

Status AravisConnection::software_trigger() {
  ErrorSlot error;
  arv_camera_software_trigger(camera_.get(), error.out());
  if (error) return Status::error("TriggerSoftware failed: " + error.message());
  return Status::ok();
}

}  // namespace oi::genicam
