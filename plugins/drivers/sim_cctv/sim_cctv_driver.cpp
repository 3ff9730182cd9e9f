// sim.cctv: a simulated multi-camera site, the embedded default camera when no hardware is
// configured. Each device node is one camera (`camera`) of one site (`site`, `seed`,
// `density`): every node with the same site, seed and density simulates the same persons on
// one clock, so a person seen at the gate walks into the corridor's picture some seconds
// later with the same identity. Frames carry the image, the camera's name, the frame index
// and the ground truth (identity, box, visible fraction) of every person in the picture.
// Model and figures: docs/cctv.md.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/hal/camera.hpp"
#include "oi/hal/driver.hpp"
#include "oi/hal/fault_injection.hpp"
#include "oi/hal/uri.hpp"
#include "site_camera.hpp"

namespace oi::sim_cctv {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kDriverVersion = "0.1.0";

/// Every parameter value, as last set (the parameters are bound to these members; their
/// initial values are the defaults).
struct Settings {
  std::string site = "arrival_hall";
  std::string camera = "gate";
  std::uint64_t seed = 1;
  double density = 14.0;
  double frame_rate_hz = 10.0;
  std::int64_t frames = 0;
  std::string pace = "fast";
  int width = 768;
  int height = 576;
  double exposure_us = kReferenceExposureUs;
  double gain_db = 0.0;
  double noise = 1.0;
  int jpeg_quality = 80;
  bool motion_blur = true;
  bool shadows = true;
  std::int64_t stop_after = 0;
  std::int64_t reconnect_after = 0;

  // The values the simulation and the pictures are built from; the others (frames, pace,
  // stop_after, reconnect_after) are read while streaming, exposure and gain are live.
  bool same_simulation(const Settings& o) const {
    return site == o.site && camera == o.camera && seed == o.seed && density == o.density &&
           frame_rate_hz == o.frame_rate_hz && width == o.width && height == o.height && noise == o.noise &&
           jpeg_quality == o.jpeg_quality && motion_blur == o.motion_blur && shadows == o.shadows;
  }
};

// Plane memory handed out by a pool and given back when the last frame holding it is gone:
// a streaming camera cycles through a few buffers instead of allocating one per frame.
class BufferPool : public std::enable_shared_from_this<BufferPool> {
 public:
  explicit BufferPool(std::size_t bytes) : bytes_(bytes) {}
  ~BufferPool() {
    for (std::byte* b : free_) ::operator delete[](b, std::align_val_t(64));
  }
  std::size_t bytes() const { return bytes_; }

  std::shared_ptr<PlaneMemory> take();

 private:
  friend class PooledMemory;
  void give_back(std::byte* data) {
    std::lock_guard lock(mutex_);
    if (free_.size() < kKeep) {
      free_.push_back(data);
      return;
    }
    ::operator delete[](data, std::align_val_t(64));
  }
  static constexpr std::size_t kKeep = 16;
  std::size_t bytes_;
  std::mutex mutex_;
  std::vector<std::byte*> free_;
};

class PooledMemory final : public PlaneMemory {
 public:
  PooledMemory(std::byte* data, std::size_t size, std::weak_ptr<BufferPool> pool)
      : data_(data), size_(size), pool_(std::move(pool)) {}
  ~PooledMemory() override {
    if (auto pool = pool_.lock()) {
      pool->give_back(data_);
    } else {
      ::operator delete[](data_, std::align_val_t(64));
    }
  }
  PooledMemory(const PooledMemory&) = delete;
  PooledMemory& operator=(const PooledMemory&) = delete;
  std::size_t size_bytes() const override { return size_; }
  MemoryLocation location() const override { return MemoryLocation::kHost; }
  std::byte* host_data() override { return data_; }
  const std::byte* host_data() const override { return data_; }

 private:
  std::byte* data_;
  std::size_t size_;
  std::weak_ptr<BufferPool> pool_;
};

std::shared_ptr<PlaneMemory> BufferPool::take() {
  std::byte* data = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      data = free_.back();
      free_.pop_back();
    }
  }
  if (data == nullptr) data = static_cast<std::byte*>(::operator new[](bytes_, std::align_val_t(64)));
  return std::make_shared<PooledMemory>(data, bytes_, weak_from_this());
}

class SimCctv final : public hal::Camera {
 public:
  hal::CameraFormat format() const override {
    return {PixelFormat::kRGB8, settings_.width, settings_.height};
  }

 protected:
  void on_setup(hal::DeviceSpec& spec) override {
    spec.describe(
        "Simulated multi-camera site with ground truth (no hardware). Each device node is one "
        "camera (`camera`) of one site (`site`); every node with the same site, seed and density "
        "sees the same persons on one clock, so persons walk from camera to camera with realistic "
        "transit times. URI `sim://NAME` (NAME becomes the serial), or none. Frames: plane "
        "`image` (rgb8), attributes `camera`, `frame_index` and `ground_truth` (identity, box, "
        "visible fraction of each person in the picture); frame i of every camera of a site has "
        "the same capture time. See docs/cctv.md.");
    hal::DeviceCapabilities caps;
    caps.kind = hal::DeviceKind::kCamera;
    caps.frame_kind = std::string(frame_kind::kVideo);
    caps.formats = {PixelFormat::kRGB8};
    caps.planes = {kImagePlane};
    caps.can_recover = true;
    caps.finite = true;  // with frames > 0
    spec.set_capabilities(caps);

    const SiteLayout& first = site_layout(site_names().front());
    spec.param("site", settings_.site, check_camera())
        .one_of(site_names())
        .describe("Which simulated site. `arrival_hall`: airport arrivals with the cameras " +
                  first.camera_list() + ", passed in that order.");
    spec.param("camera", settings_.camera, check_camera())
        .describe(
            "Which camera of the site this node is: its name (arrival_hall: gate, corridor, baggage, "
            "exit) or its index (0 = the first). Give each camera of a site its own device node with "
            "the same site, seed and density.");
    spec.param("seed", settings_.seed)
        .min(0)
        .describe(
            "Seed of the site: the same seed gives the same persons, routes and pictures, pixel for "
            "pixel.");
    spec.param("density", settings_.density)
        .range(0.0, 120.0)
        .unit("1/min")
        .describe(
            "Persons arriving at the site per minute (groups and singles). The default puts about 3-8 "
            "persons in each camera's picture; 0 = an empty site (background only).");
    spec.param(hal::camera_control::kFrameRateHz, settings_.frame_rate_hz)
        .range(0.1, 120.0)
        .unit("Hz")
        .describe(
            "The site clock: frame i is taken at i / frame_rate_hz seconds after the site's epoch "
            "(2024-06-01 08:00:00 UTC), on every camera of the site. Keep it the same on all of them.");
    spec.param("frames", settings_.frames)
        .min(0)
        .describe(
            "Frames of the site clock before end of stream; 0 = endless, like a real camera. Frames "
            "missed while the camera was lost (reconnect_after) count too, so all cameras end at the "
            "same time.");
    spec.param("pace", settings_.pace)
        .one_of({"fast", "realtime"})
        .describe(
            "`fast`: frames as fast as they render (capture times still follow the site clock); "
            "`realtime`: one frame every 1 / frame_rate_hz seconds, like a camera. Below 0.5 Hz raise the "
            "node's frame_timeout_ms.");
    spec.param("width", settings_.width).range(64, 4096).unit("px").describe("Image width.");
    spec.param("height", settings_.height)
        .range(64, 4096)
        .unit("px")
        .describe("Image height. The field of view is fixed horizontally; persons scale with the width.");
    spec.live_param(hal::camera_control::kExposureUs, settings_.exposure_us, exposure_changed())
        .range(100.0, 100000.0)
        .unit("us")
        .describe(
            "Exposure time: brightness (the default is each camera's calibrated exposure) and the "
            "length of motion blur of moving persons.");
    spec.live_param(hal::camera_control::kGainDb, settings_.gain_db, exposure_changed())
        .range(0.0, 36.0)
        .unit("dB")
        .describe("Amplifier gain: brightness and sensor noise grow with it.");
    spec.param("noise", settings_.noise)
        .range(0.0, 10.0)
        .describe("Sensor noise factor (read and shot noise); 0 = none.");
    spec.param("jpeg_quality", settings_.jpeg_quality)
        .range(1, 100)
        .describe(
            "Compression artefacts of the camera's encoder, like a JPEG quality: blocky brightness, "
            "colour smeared over 8x8 blocks; 100 = none.");
    spec.param("motion_blur", settings_.motion_blur)
        .describe("Blur persons by their movement during the exposure.");
    spec.param("shadows", settings_.shadows).describe("Soft shadows of persons on the floor.");
    spec.param("stop_after", settings_.stop_after)
        .min(0)
        .describe(
            "Fault injection: the camera's signal is lost after this many frames of the site clock (a "
            "read error: the device faults, as a real camera's would); 0 = never.");
    spec.param("reconnect_after", settings_.reconnect_after)
        .min(0)
        .describe(
            "Fault injection with stop_after: the camera comes back on recovery this many frames of "
            "the site clock later (those frames are counted as lost); 0 = it never comes back, "
            "recovery fails.");
    faults_.declare(spec);
  }

  Status on_configure(const std::string& uri, const ParamSet&) override {
    Result<std::size_t> camera = resolve_camera();
    if (!camera.ok()) return camera.status();
    const SiteLayout& layout = site_layout(settings_.site);
    const std::string camera_name = layout.cameras[camera.value()].name;
    Result<std::string> name =
        hal::Uri::target_of(uri, "sim", "'sim://NAME' (e.g. 'sim://" + camera_name + "'), or an empty URI",
                            layout.name + "/" + camera_name);
    if (!name.ok()) return name.status();
    if (Status s = rebuild(); s.is_error()) return s;
    set_identity(
        {"OpenInspect", "Simulated CCTV camera (" + layout.name + ")", name.value(), "n/a", kDriverVersion});
    next_frame_ = 0;
    lost_ = false;
    signal_lost_once_ = false;
    return Status::ok();
  }

  hal::Result<std::vector<hal::DeviceInfo>> on_enumerate() override {
    const SiteLayout& site = site_layout(site_names().front());
    return std::vector<hal::DeviceInfo>{
        {"", "sim://cctv", "OpenInspect", "Simulated CCTV camera (" + site.name + ")", "cctv",
         "simulated site, no hardware; choose the camera with `camera`: " + site.camera_list()}};
  }

  Status on_start() override {
    if (!settings_.same_simulation(built_)) {
      if (Status s = rebuild(); s.is_error()) return s;
    }
    started_at_ = Clock::now();
    first_frame_of_start_ = next_frame_;
    faults_.started();
    return Status::ok();
  }

  Status on_stop() override { return Status::ok(); }

  // A lost signal comes back only when reconnect_after says so; any other fault (a timeout)
  // resumes where the stream was.
  Status on_recover() override {
    if (Status s = faults_.recover(); !s.is_ok()) return s;
    if (!lost_) return Status::ok();
    if (settings_.reconnect_after <= 0) {
      return Status::error(
          "camera '" + camera_name() + "' is still unreachable: its signal was lost at frame " +
          std::to_string(next_frame_) +
          " (stop_after) and it does not come back (reconnect_after: 0). Set reconnect_after to let "
          "it return");
    }
    lost_ = false;
    next_frame_ += settings_.reconnect_after;
    count_lost(static_cast<std::uint64_t>(settings_.reconnect_after));
    return Status::ok();
  }

  void on_close() override {
    camera_.reset();
    pool_.reset();
  }

  Status on_read(FramePtr& frame, std::chrono::milliseconds timeout) override {
    if (settings_.frames > 0 && next_frame_ >= settings_.frames) return Status::end_of_stream();
    if (settings_.stop_after > 0 && !signal_lost_once_ && next_frame_ >= settings_.stop_after) {
      signal_lost_once_ = true;
      lost_ = true;
      return Status::error("camera '" + camera_name() + "' lost its video signal after " +
                           std::to_string(next_frame_) +
                           " frames (stop_after = " + std::to_string(settings_.stop_after) + ")");
    }
    bool silent = false;
    if (Status s = faults_.before_read(timeout, silent); !s.is_ok() || silent) return s;
    if (settings_.pace == "realtime") {
      const auto due =
          started_at_ +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
              static_cast<double>(next_frame_ - first_frame_of_start_) / settings_.frame_rate_hz));
      if (due > Clock::now() + timeout) {
        std::this_thread::sleep_for(timeout);
        return Status::ok();
      }
      std::this_thread::sleep_until(due);
    }
    frame = Frame::create(std::string(cctv::kFrameKind));
    Plane plane = Plane::packed(PixelFormat::kRGB8, settings_.width, settings_.height);
    plane.memory = pool_->take();
    Plane& image = frame->set_plane(cctv::plane::kImage, std::move(plane));
    camera_->render(next_frame_, image.row<std::uint8_t>(0), image.stride, truth_);
    FrameMetadata& meta = frame->metadata();
    meta.capture_time_ns = camera_->capture_time_ns(next_frame_);
    meta.attributes[cctv::attr::kCamera] = camera_->camera().name;
    meta.attributes[cctv::attr::kFrameIndex] = next_frame_;
    meta.attributes[cctv::attr::kGroundTruth] = cctv::to_json_list(truth_);
    meta.attributes["site"] = camera_->site().name;
    ++next_frame_;
    faults_.deliver(frame, [this](std::uint64_t n) { count_lost(n); });
    // Like a camera's driver checking a frame's payload against the format it configured: a
    // picture cut short or garbled (fault injection) never reaches a stage.
    if (frame) {
      const Plane& image = frame->plane(cctv::plane::kImage);
      if (image.format != PixelFormat::kRGB8 || image.width != settings_.width ||
          image.height != settings_.height) {
        return Status::error("camera '" + camera_name() + "' delivered a malformed frame: the image is " +
                             std::string(to_string(image.format)) + " " + std::to_string(image.width) +
                             " x " + std::to_string(image.height) + "; the camera's format is rgb8 " +
                             std::to_string(settings_.width) + " x " + std::to_string(settings_.height));
      }
    }
    return Status::ok();
  }

 private:
  hal::DeviceSpec::Apply exposure_changed() {
    return [this] {
      if (camera_) camera_->renderer().set_exposure(settings_.exposure_us, settings_.gain_db);
      built_.exposure_us = settings_.exposure_us;
      built_.gain_db = settings_.gain_db;
      return Status::ok();
    };
  }

  std::string camera_name() const { return camera_ ? camera_->camera().name : settings_.camera; }

  // The camera's index in its site; an unknown site or camera is an error that lists them.
  Result<std::size_t> resolve_camera() const {
    const SiteLayout* layout = nullptr;
    try {
      layout = &site_layout(settings_.site);
    } catch (const std::exception& e) {
      return Status::error(e.what());
    }
    const std::optional<std::size_t> camera = layout->find_camera(settings_.camera);
    if (!camera) {
      return Status::error("unknown camera '" + settings_.camera + "' in site '" + layout->name +
                           "'; its cameras are: " + layout->camera_list() +
                           ". Set `camera` to one of these names or indices");
    }
    return *camera;
  }

  // `site` and `camera` set while Ready are checked at once; they take effect at the next start.
  hal::DeviceSpec::Apply check_camera() {
    return [this] { return resolve_camera().status(); };
  }

  Status rebuild() {
    Result<std::size_t> camera = resolve_camera();
    if (!camera.ok()) return camera.status();
    SiteCameraConfig config;
    config.site = settings_.site;
    config.camera = camera.value();
    config.seed = settings_.seed;
    config.persons_per_minute = settings_.density;
    config.frame_rate_hz = settings_.frame_rate_hz;
    config.picture.width = settings_.width;
    config.picture.height = settings_.height;
    config.picture.exposure_us = settings_.exposure_us;
    config.picture.gain_db = settings_.gain_db;
    config.picture.noise = settings_.noise;
    config.picture.jpeg_quality = settings_.jpeg_quality;
    config.picture.motion_blur = settings_.motion_blur;
    config.picture.shadows = settings_.shadows;
    try {
      camera_ = std::make_unique<SiteCamera>(config);
    } catch (const std::exception& e) {
      return Status::error(std::string("cannot build the simulated camera: ") + e.what());
    }
    const std::size_t bytes = static_cast<std::size_t>(settings_.width) * settings_.height * 3;
    if (!pool_ || pool_->bytes() != bytes) pool_ = std::make_shared<BufferPool>(bytes);
    built_ = settings_;
    return Status::ok();
  }

  Settings settings_;
  Settings built_;  // the values camera_ was built with
  std::unique_ptr<SiteCamera> camera_;
  std::shared_ptr<BufferPool> pool_;
  std::vector<cctv::GroundTruthPerson> truth_;
  std::int64_t next_frame_ = 0;  // index of the next frame on the site clock
  std::int64_t first_frame_of_start_ = 0;
  Clock::time_point started_at_;
  bool lost_ = false;                   // the signal is gone (stop_after) until recovered
  bool signal_lost_once_ = false;       // stop_after fires once per configure
  hal::FaultInjector faults_{"frame"};  // fail_after_frames, faults, fault_kind, recover_failures
};

}  // namespace
}  // namespace oi::sim_cctv

OI_REGISTER_DEVICE_DRIVER(
    oi::sim_cctv::SimCctv, "sim.cctv",
    "Simulated multi-camera site (persons walking through an arrival hall) with ground truth; "
    "needs no hardware.");
OI_PLUGIN("oi-driver-sim-cctv", "0.1.0", "Apache-2.0")
