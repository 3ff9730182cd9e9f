// opencv.camera: a Camera driver on cv::VideoCapture, for video files, image sequences,
// RTSP/HTTP streams and V4L2 cameras. docs/drivers/opencv-camera.md is the user's guide:
// URIs, parameters, reconnecting and how lost frames are estimated.
//
// A live source (stream, V4L2) that stops delivering is a fault, never an end: the
// supervisor (on_fault: restart) calls recover(), which reopens it, and the first frame
// after the outage says so (attributes after_gap, gap_ms, lost_estimate) while the frames
// the outage cost are counted with count_lost(). A file that ends is end of stream.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <opencv2/core/version.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <vector>

#include "frame_grabber.hpp"
#include "oi/hal/camera.hpp"
#include "oi/hal/driver.hpp"
#include "source_uri.hpp"
#include "v4l2_discovery.hpp"

namespace oi::drivers::opencv_camera {
namespace {

using hal::camera_control::kExposureUs;
using hal::camera_control::kFrameRateHz;

constexpr const char* kDriverVersion = "0.1.0";
// Declared frame rates outside this range are a backend's placeholder (FFmpeg reports
// 90000 or 1000 for some RTSP streams), not a rate to estimate lost frames from.
constexpr double kMaxPlausibleRateHz = 1000.0;

// Host wall-clock time, the clock frame capture times use.
std::int64_t host_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Every parameter value the driver uses, as last set (the parameters are bound to these
/// members; their initial values are the defaults).
struct Settings {
  std::string backend = "any";
  std::string pixel_format = "rgb8";
  bool loop = false;
  std::string pace = "realtime";
  double frame_rate_hz = 0.0;
  double exposure_us = 0.0;
  int open_timeout_ms = 10000;
  int read_timeout_ms = 5000;
  int buffer_frames = 8;

  PixelFormat format() const { return pixel_format == "u8" ? PixelFormat::kU8 : PixelFormat::kRGB8; }
  bool realtime() const { return pace == "realtime"; }
  // Only these need the source reopened to take effect.
  bool same_open(const Settings& o) const {
    return backend == o.backend && open_timeout_ms == o.open_timeout_ms &&
           read_timeout_ms == o.read_timeout_ms;
  }
  // What a V4L2 camera is told through its controls.
  bool same_controls(const Settings& o) const {
    return frame_rate_hz == o.frame_rate_hz && exposure_us == o.exposure_us;
  }
};

// The backends to try, in order.
std::vector<int> apis_of(const std::string& backend, SourceKind kind) {
  if (backend == "ffmpeg") return {cv::CAP_FFMPEG};
  if (backend == "gstreamer") return {cv::CAP_GSTREAMER};
  if (backend == "v4l2") return {cv::CAP_V4L2};
  if (backend == "images") return {cv::CAP_IMAGES};
  // "any": the backend that fits the source. V4L2 for a device node; OpenCV's image reader
  // for a pattern (it finds the first index itself; FFmpeg's image2 wants it within 0-4);
  // FFmpeg alone for a network stream: it is the one backend whose open is bounded
  // (open_timeout_ms). OpenCV 4.6's GStreamer backend waits for its pipeline without a bound
  // and, tried after a refused connection, was seen to hang a reconnect for good; CAP_ANY
  // would also go on to readers that cannot take a URL. OpenCV's own order for files.
  switch (kind) {
    case SourceKind::kV4l2Device:
      return {cv::CAP_V4L2};
    case SourceKind::kImageSequence:
      return {cv::CAP_IMAGES};
    case SourceKind::kNetworkStream:
      return {cv::CAP_FFMPEG};
    case SourceKind::kVideoFile:
      break;
  }
  return {cv::CAP_ANY};
}

class OpenCvCamera final : public hal::Camera {
 public:
  ~OpenCvCamera() override { close_capture(); }

  hal::CameraFormat format() const override { return {settings_.format(), width_, height_}; }

 protected:
  void on_setup(hal::DeviceSpec& spec) override {
    spec.describe(
        std::string(
            "Camera on OpenCV's cv::VideoCapture: video files, image sequences, RTSP/HTTP streams and V4L2 "
            "cameras. URI forms: ") +
        accepted_uri_forms() +
        ". Frames have one plane `image` (rgb8 or u8). "
        "A file that ends is end of stream (or loops); a live stream that stops is a fault the supervisor "
        "recovers by reconnecting, and the first frame after reconnecting carries `after_gap`, `gap_ms` and "
        "`lost_estimate`. See docs/drivers/opencv-camera.md.");
    hal::DeviceCapabilities caps;
    caps.kind = hal::DeviceKind::kCamera;
    caps.frame_kind = std::string(frame_kind::kVideo);
    caps.formats = {PixelFormat::kRGB8, PixelFormat::kU8};
    caps.planes = {kImagePlane};
    caps.can_recover = true;
    caps.finite = true;  // files and image sequences end (unless loop: true)
    spec.set_capabilities(caps);
    spec.param("backend", settings_.backend)
        .one_of({"any", "ffmpeg", "gstreamer", "v4l2", "images"})
        .describe(
            "OpenCV videoio backend. `any`: V4L2 for devices, OpenCV's image reader for patterns, FFmpeg for "
            "network streams, OpenCV's order for files. `gstreamer` opens streams without a time bound "
            "(OpenCV "
            "4.6). A change takes effect at the next start (the source is reopened).");
    spec.param("pixel_format", settings_.pixel_format)
        .one_of({"rgb8", "u8"})
        .describe("Format of the `image` plane: rgb8 (colour) or u8 (grey).");
    spec.param("loop", settings_.loop)
        .describe(
            "Files and image sequences: start again at the end instead of ending. No effect on live "
            "sources.");
    spec.param("pace", settings_.pace)
        .one_of({"realtime", "fast"})
        .describe(
            "Files and image sequences: `realtime` delivers at the file's frame rate (or frame_rate_hz), "
            "like a camera; `fast` as fast as frames decode. Live sources are paced by the source.");
    spec.param(kFrameRateHz, settings_.frame_rate_hz, push_v4l2_controls())
        .range(0.0, 1000.0)
        .unit("Hz")
        .describe(
            "0 = the source's own rate. Files: the playback rate for pace: realtime. V4L2: the rate asked "
            "of the camera (refused if it cannot). Network streams: not settable (must stay 0).");
    spec.param(kExposureUs, settings_.exposure_us, push_v4l2_controls())
        .range(0.0, 10000000.0)
        .unit("us")
        .describe(
            "V4L2 cameras only: manual exposure time (auto exposure is switched off); 0 = leave the "
            "camera's setting. Refused for other sources and when the camera refuses it.");
    spec.param("open_timeout_ms", settings_.open_timeout_ms)
        .range(1, 600000)
        .unit("ms")
        .describe(
            "Network streams through FFmpeg: how long opening (and each reconnect) may take "
            "(CAP_PROP_OPEN_TIMEOUT_MSEC). GStreamer uses its own timeouts.");
    spec.param("read_timeout_ms", settings_.read_timeout_ms)
        .range(1, 600000)
        .unit("ms")
        .describe(
            "Network streams through FFmpeg: a silent stream counts as lost after this long "
            "(CAP_PROP_READ_TIMEOUT_MSEC); keep it below the supervisor's frame_timeout_ms to see it as "
            "a lost stream rather than a timeout.");
    spec.param("buffer_frames", settings_.buffer_frames)
        .range(1, 256)
        .describe(
            "Frames queued between the capture thread and the pipeline. A live source drops (and counts "
            "as lost) the oldest when full; a file waits.");
  }

  Status on_configure(const std::string& uri, const ParamSet&) override {
    if (Status s = parse_source_uri(uri, source_); !s.is_ok()) return s;
    if (Status s = check_applicable(settings_); !s.is_ok()) return s;
    if (source_.live() && (settings_.loop || !settings_.realtime())) {
      spdlog::warn(
          "opencv.camera '{}': loop and pace apply to files and image sequences; a {} is paced by "
          "its source and never ends, so they have no effect",
          source_.stable_name, to_string(source_.kind));
    }
    if (Status s = open_capture(); !s.is_ok()) return s;
    const std::string backend = capture_.getBackendName();
    std::string model = backend + " " + to_string(source_.kind);
    if (source_.kind == SourceKind::kV4l2Device) {
      if (std::string card = v4l2_card_name(source_.open_target); !card.empty()) model = card + " (V4L2)";
    }
    set_identity({std::string("OpenCV ") + CV_VERSION + " videoio", model, source_.stable_name, "n/a",
                  kDriverVersion});
    return Status::ok();
  }

  hal::Result<std::vector<hal::DeviceInfo>> on_enumerate() override { return list_v4l2_capture_devices(); }

  // Same rule as check_applicable(): exposure exists only on a V4L2 camera; a network
  // stream's rate is the server's.
  bool on_is_available(std::string_view name) const override {
    if (name == kExposureUs) return source_.kind == SourceKind::kV4l2Device;
    if (name == kFrameRateHz) return source_.kind != SourceKind::kNetworkStream;
    return true;
  }

  // V4L2 controls set while Ready go to the camera at once, so a value it refuses is refused
  // in set(), not at the next start.
  hal::DeviceSpec::Apply push_v4l2_controls() {
    return [this] {
      if (source_.kind != SourceKind::kV4l2Device || !capture_.isOpened()) return Status::ok();
      if (Status s = apply_camera_controls(settings_); !s.is_ok()) return s;
      opened_with_ = settings_;
      return Status::ok();
    };
  }

  Status on_start() override {
    if (!settings_.same_open(opened_with_)) {
      close_capture();
      if (Status s = open_capture(); !s.is_ok()) return s;
    } else if (source_.kind == SourceKind::kV4l2Device && !settings_.same_controls(opened_with_)) {
      // frame_rate_hz or exposure_us changed without reaching the camera: it gets them now,
      // and a value it refuses fails the start.
      if (Status s = apply_camera_controls(settings_); !s.is_ok()) return s;
      opened_with_ = settings_;
    }
    grabber_->configure(grab_settings());
    grabber_->start();
    return Status::ok();
  }

  Status on_stop() override {
    grabber_->stop();
    return Status::ok();
  }

  void on_close() override { close_capture(); }

  // Reopens the source in place (same URI and values). For a live source the time from its
  // last frame to this successful reopen is an outage; its frames are counted when the next
  // frame arrives.
  Status on_recover() override {
    close_capture();
    const std::int64_t reopen_ns = host_now_ns();
    if (Status s = open_capture(); !s.is_ok()) return s;
    if (source_.live() && last_frame_ns_ != 0) {
      gap_pending_ = true;
      reopened_ns_ = reopen_ns;
    }
    return Status::ok();
  }

  Status on_read(FramePtr& frame, std::chrono::milliseconds timeout) override {
    Status s = grabber_->next(frame, timeout);
    if (!frame) return s;
    const std::int64_t now_ns = frame->metadata().capture_time_ns;
    if (last_frame_ns_ != 0 && !gap_pending_) {
      // A running mean of the delivered rate, the fallback when the stream declares none.
      const double interval_s = static_cast<double>(now_ns - last_frame_ns_) * 1e-9;
      if (interval_s > 0.0)
        mean_interval_s_ = mean_interval_s_ > 0.0 ? 0.9 * mean_interval_s_ + 0.1 * interval_s : interval_s;
    }
    if (gap_pending_) mark_gap(*frame, now_ns);
    last_frame_ns_ = now_ns;
    return s;
  }

 private:
  // A control the source cannot have is refused, not ignored: the user asked for a
  // physical change that would silently not happen.
  Status check_applicable(const Settings& s) const {
    if (s.exposure_us > 0.0 && source_.kind != SourceKind::kV4l2Device) {
      return Status::error(std::string(kExposureUs) + " applies to V4L2 cameras only; '" +
                           source_.stable_name + "' is a " + to_string(source_.kind) + ". Leave it 0");
    }
    if (s.frame_rate_hz > 0.0 && source_.kind == SourceKind::kNetworkStream) {
      return Status::error(std::string(kFrameRateHz) + " cannot be set on a network stream ('" +
                           source_.stable_name +
                           "'): the server decides the rate. Leave it 0, or configure the camera's stream");
    }
    return Status::ok();
  }

  // The pace a finite source is delivered at; 0 = unpaced.
  double pace_hz() const {
    if (source_.live() || !settings_.realtime()) return 0.0;
    if (settings_.frame_rate_hz > 0.0) return settings_.frame_rate_hz;
    return declared_rate_hz_;
  }

  GrabSettings grab_settings() const {
    GrabSettings g;
    g.live = source_.live();
    g.loop = settings_.loop && !source_.live();
    g.pace_hz = pace_hz();
    g.v4l2_timestamps = capture_.getBackendName() == "V4L2";
    g.format = settings_.format();
    g.capacity = static_cast<std::size_t>(settings_.buffer_frames);
    g.source_name = source_.stable_name;
    return g;
  }

  std::vector<int> open_params(const Settings& s, int api) const {
    // Only FFmpeg takes these in OpenCV 4.6; any other backend handed a property it does
    // not know refuses to open (GStreamer: "can't set property 53"). So only network
    // streams opened through FFmpeg get them; GStreamer uses rtspsrc's own timeouts.
    if (source_.kind != SourceKind::kNetworkStream || api != cv::CAP_FFMPEG) return {};
    return {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, s.open_timeout_ms, cv::CAP_PROP_READ_TIMEOUT_MSEC,
            s.read_timeout_ms};
  }

  bool reopen(const Settings& s) {
    for (int api : apis_of(s.backend, source_.kind)) {
      capture_.release();
      try {
        if (capture_.open(source_.open_target, api, open_params(s, api)) && capture_.isOpened()) return true;
      } catch (const cv::Exception& e) {
        open_error_ = e.what();
      }
    }
    return false;
  }

  Status open_capture() {
    open_error_.clear();
    if (!reopen(settings_)) {
      capture_.release();
      return Status::error(open_failure());
    }
    opened_with_ = settings_;
    width_ = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_WIDTH));
    height_ = static_cast<int>(capture_.get(cv::CAP_PROP_FRAME_HEIGHT));
    const double fps = capture_.get(cv::CAP_PROP_FPS);
    declared_rate_hz_ = fps > 0.0 && fps <= kMaxPlausibleRateHz ? fps : 0.0;
    if (source_.kind == SourceKind::kV4l2Device) {
      if (Status s = apply_camera_controls(settings_); !s.is_ok()) {
        capture_.release();
        return s;
      }
    }
    // The rewind callback runs on the capture thread, the only user of capture_ while it runs.
    grabber_ = std::make_unique<FrameGrabber>(
        capture_, grab_settings(), [this] { return reopen(opened_with_); },
        [this](std::uint64_t frames) { count_lost(frames); });
    return Status::ok();
  }

  std::string open_failure() const {
    std::string backend = "backend '" + settings_.backend + "'";
    if (settings_.backend == "any" && source_.kind == SourceKind::kNetworkStream) backend += " (FFMPEG)";
    const std::string detail = open_error_.empty() ? "" : " (OpenCV: " + open_error_ + ")";
    switch (source_.kind) {
      case SourceKind::kNetworkStream:
        return "cannot open the stream '" + source_.stable_name + "' with " + backend +
               (settings_.backend == "gstreamer"
                    ? std::string()
                    : " within open_timeout_ms=" + std::to_string(settings_.open_timeout_ms)) +
               detail +
               ": is the server running, the path right and the port reachable? Credentials go in the URI "
               "(rtsp://user:password@host/path)";
      case SourceKind::kVideoFile:
        return "OpenCV cannot decode '" + source_.stable_name + "' with " + backend + detail +
               ": not a container/codec the installed FFmpeg or GStreamer reads; try backend: ffmpeg or "
               "gstreamer";
      case SourceKind::kImageSequence:
        return "no readable image matches '" + source_.stable_name + "' with " + backend + detail +
               ": check the pattern (e.g. img_%04d.png) and that the first numbered file exists";
      case SourceKind::kV4l2Device:
        return "cannot open V4L2 device '" + source_.open_target + "' with " + backend + detail +
               ": is it a capture node, free (not used by another program), and may this user open it "
               "(group 'video')?";
    }
    return "cannot open '" + source_.stable_name + "'";
  }

  Status apply_camera_controls(const Settings& s) {
    if (s.frame_rate_hz > 0.0 && !capture_.set(cv::CAP_PROP_FPS, s.frame_rate_hz)) {
      return Status::error("the camera refused " + std::string(kFrameRateHz) + " = " +
                           std::to_string(s.frame_rate_hz) +
                           " Hz; `v4l2-ctl --list-formats-ext` shows the rates it offers");
    }
    if (s.exposure_us > 0.0) {
      // V4L2 takes exposure_time_absolute in units of 100 us, and manual mode as 1.
      const bool manual = capture_.set(cv::CAP_PROP_AUTO_EXPOSURE, 1);
      if (!manual || !capture_.set(cv::CAP_PROP_EXPOSURE, s.exposure_us / 100.0)) {
        return Status::error(
            "the camera refused " + std::string(kExposureUs) + " = " + std::to_string(s.exposure_us) +
            " us (manual exposure); `v4l2-ctl --list-ctrls` shows its exposure controls and range");
      }
    }
    return Status::ok();
  }

  void close_capture() {
    grabber_.reset();  // joins the capture thread before the capture goes
    capture_.release();
  }

  // The first frame after an outage. Lost are the frames the source sent between its last
  // frame and the reopen that worked, at its rate (declared, else as measured before the
  // outage): a session starts where the stream is at, so those never come. Frames sent
  // after the reopen do arrive (FFmpeg delivers its probe's frames in a burst), so they are
  // not counted even though the visible gap (gap_ms) also spans the reopen itself.
  void mark_gap(Frame& frame, std::int64_t now_ns) {
    gap_pending_ = false;
    const double gap_s = static_cast<double>(now_ns - last_frame_ns_) * 1e-9;
    const double outage_s =
        static_cast<double>(std::max<std::int64_t>(0, reopened_ns_ - last_frame_ns_)) * 1e-9;
    const double rate_hz = declared_rate_hz_ > 0.0  ? declared_rate_hz_
                           : mean_interval_s_ > 0.0 ? 1.0 / mean_interval_s_
                                                    : 0.0;
    auto& attributes = frame.metadata().attributes;
    attributes["after_gap"] = true;
    attributes["gap_ms"] = gap_s * 1000.0;
    attributes["outage_ms"] = outage_s * 1000.0;
    if (rate_hz <= 0.0) {
      attributes["lost_estimate"] = nullptr;
      spdlog::warn(
          "opencv.camera '{}': reconnected after {:.0f} ms; the stream's rate is unknown, so the frames "
          "missed are not counted",
          source_.stable_name, outage_s * 1000.0);
      return;
    }
    const auto lost = static_cast<std::uint64_t>(std::floor(outage_s * rate_hz));
    attributes["lost_estimate"] = lost;
    count_lost(lost);
    spdlog::info(
        "opencv.camera '{}': frames again after {:.0f} ms ({:.0f} ms without a connection); about {} "
        "frame(s) missed at {:.2f} Hz",
        source_.stable_name, gap_s * 1000.0, outage_s * 1000.0, lost, rate_hz);
  }

  Settings settings_;
  Settings opened_with_;  // the values the source was last opened (and its controls set) with
  SourceUri source_;
  cv::VideoCapture capture_;
  std::unique_ptr<FrameGrabber> grabber_;  // exists while capture_ is open; borrows capture_
  std::string open_error_;
  int width_ = 0;
  int height_ = 0;
  double declared_rate_hz_ = 0.0;  // CAP_PROP_FPS when plausible, else 0
  // Outage bookkeeping, kept across recover() (capture times, host clock).
  std::int64_t last_frame_ns_ = 0;
  std::int64_t reopened_ns_ = 0;  // when the reopen that ended the outage began
  double mean_interval_s_ = 0.0;
  bool gap_pending_ = false;
};

}  // namespace
}  // namespace oi::drivers::opencv_camera

OI_REGISTER_DEVICE_DRIVER(
    oi::drivers::opencv_camera::OpenCvCamera, "opencv.camera",
    "Camera on OpenCV videoio: video files, image sequences, RTSP/HTTP streams, V4L2 devices.");
OI_PLUGIN("oi-driver-opencv-camera", "0.1.0", "Apache-2.0")
