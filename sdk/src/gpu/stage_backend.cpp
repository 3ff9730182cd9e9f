#include "oi/gpu/stage_backend.hpp"

#include <algorithm>
#include <atomic>

#include "oi/gpu/backend.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/runtime.hpp"

namespace oi::gpu {
namespace {

// Output planes kept per slot: enough for the frames in flight between this stage and the
// ones after it (queues of a few frames).
constexpr std::size_t kPooledPlanesPerSlot = 4;

}  // namespace

StageBackend::~StageBackend() = default;

void StageBackend::declare(StageSpec& spec, std::string description) {
  if (cpu_ == CpuImplementation::kNo) return;
  if (description.empty()) {
    description =
        "Where to run: `auto` uses the Vulkan device when there is one and the CPU implementation "
        "otherwise; `gpu` fails at start without a device; `cpu` never touches Vulkan.";
  }
  spec.param("backend", choice_).one_of({"auto", "gpu", "cpu"}).describe(std::move(description));
}

bool StageBackend::start(const StageConfig& config) {
  stop();
  backend_ = Backend::kCpu;
  device_name_.clear();
  if (cpu_ == CpuImplementation::kNo) {
    if (!available())
      throw ConfigError("this stage runs only on a Vulkan device and none is usable: " +
                        unavailable_reason());
    device_ = default_device();
    reason_ = "GPU only, Vulkan device available";
  } else {
    BackendChoice where = choose_backend(choice_, config.name, config.type);
    reason_ = std::move(where.reason);
    if (!where.device) return false;
    device_ = std::move(where.device);
  }
  backend_ = Backend::kGpu;
  device_name_ = device_->info().name;
  recorder_ = device_->create_recorder();
  return true;
}

void StageBackend::stop() {
  pools_.clear();
  kernels_.clear();
  recorder_.reset();
  device_.reset();
}

CommandRecorder& StageBackend::recorder() {
  if (!recorder_) throw Error("StageBackend::recorder(): the stage is not running on the GPU");
  return *recorder_;
}

std::shared_ptr<Kernel> StageBackend::kernel(const KernelDesc& desc) {
  if (!device_) throw Error("StageBackend::kernel(" + desc.name + "): the stage is not running on the GPU");
  kernels_.push_back(device_->create_kernel(desc));
  return kernels_.back();
}

Result<Plane> StageBackend::input(Frame& frame, const std::string& name, bool tight, Residency residency) {
  if (!frame.has_plane(name)) {
    std::string present;
    for (const std::string& n : frame.plane_names()) present += (present.empty() ? "'" : ", '") + n + "'";
    return Status::error("the frame has no plane '" + name + "' (it has " +
                         (present.empty() ? "none" : present) + "); feed it frames that carry it");
  }
  const Plane& plane = std::as_const(frame).plane(name);
  if (tight && gpu_memory_of(plane) != nullptr && (plane.offset != 0 || plane.stride != plane.row_bytes())) {
    return Status::error("GPU plane '" + name +
                         "' has padded rows or an offset; the kernel needs tightly packed planes");
  }
  try {
    Plane gpu = to_gpu_plane(device_, plane, residency);
    frame.set_plane(name, gpu);
    return gpu;
  } catch (const std::exception& e) {
    return Status::error("plane '" + name + "' to GPU memory: " + e.what());
  }
}

Plane StageBackend::output(std::size_t slot, PixelFormat format, int width, int height, bool cleared,
                           Residency residency) {
  if (cleared) return make_gpu_plane(device_, format, width, height, residency);
  if (pools_.size() <= slot) pools_.resize(slot + 1);
  std::vector<Plane>& pool = pools_[slot];
  // Planes of another size or format (the frame size changed) are dropped once free.
  std::erase_if(pool, [&](const Plane& p) {
    return p.memory.use_count() == 1 && (p.width != width || p.height != height || p.format != format);
  });
  for (const Plane& p : pool) {
    if (p.memory.use_count() == 1 && p.width == width && p.height == height && p.format == format) {
      // Only the pool holds it: the frame that carried it is gone. The fence pairs with the
      // release of the last other reference, so that holder's accesses happen before ours.
      std::atomic_thread_fence(std::memory_order_acquire);
      return p;
    }
  }
  Plane plane = make_gpu_plane(device_, format, width, height, residency, InitialContents::kUndefined);
  if (pool.size() < kPooledPlanesPerSlot) pool.push_back(plane);
  return plane;
}

Status StageBackend::submit() { return recorder().submit_and_wait(); }

nlohmann::json StageBackend::summary() const {
  return {{"backend", backend_ == Backend::kGpu ? "gpu" : "cpu"},
          {"device", device_name_.empty() ? nlohmann::json(nullptr) : nlohmann::json(device_name_)},
          {"reason", reason_}};
}

}  // namespace oi::gpu
