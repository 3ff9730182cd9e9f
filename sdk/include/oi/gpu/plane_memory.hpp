#pragma once
/// @file
/// Plane storage in GPU memory. A plane whose `memory` is a GpuPlaneMemory passes between
/// consecutive GPU stages without copies; a CPU stage that touches it through
/// `Plane::row()` / `host_data()` triggers at most one transfer.
///
/// Residency rules:
/// - In place (unified memory: lavapipe, integrated GPUs, resizable BAR): the device buffer
///   is mapped; the host reads and writes it directly. Only cache maintenance happens
///   (flush before GPU use after host writes, invalidate before host reads after GPU
///   writes) and only for non-coherent memory.
/// - Staged (discrete GPUs): the host copy lives in a staging buffer. A kernel that reads
///   the plane uploads it first if the host wrote it since; host access after a kernel wrote
///   it downloads it once. `location()` tells which copy is current.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "oi/frame.hpp"
#include "oi/gpu/buffer.hpp"

namespace oi::gpu {

class Device;
class CommandRecorder;

/// How a GPU plane keeps its host copy.
enum class Residency {
  kAuto,    ///< in place when the device has unified memory, else staged
  kStaged,  ///< always a separate staging copy (tests use it to exercise the discrete-GPU
            ///< path on a CPU device)
};

/// What a new GPU plane holds.
enum class InitialContents {
  kZero,       ///< all zeros (the default)
  kUndefined,  ///< whatever the pooled memory held before: only for planes that are
               ///< overwritten completely (a kernel writing every pixel, a full copy) before
               ///< anything reads them; saves clearing them
};

/// oi::PlaneMemory backed by a device-local Buffer. Thread-safe; must not be accessed from
/// the host while a submitted command buffer that uses it is still running.
class GpuPlaneMemory final : public PlaneMemory {
 public:
  /// Allocates `size_bytes` on `device`, zero-filled unless `contents` is kUndefined.
  /// @throws GpuError when the memory cannot be allocated.
  GpuPlaneMemory(std::shared_ptr<Device> device, std::size_t size_bytes,
                 Residency residency = Residency::kAuto, InitialContents contents = InitialContents::kZero);
  ~GpuPlaneMemory() override;

  std::size_t size_bytes() const override { return size_; }
  /// kDevice while the GPU holds the newest contents the host has not seen yet, else kHost.
  MemoryLocation location() const override;
  /// Makes the host copy current (one download when staged) and assumes the caller writes
  /// it: the next kernel that reads the plane sees the host's bytes.
  std::byte* host_data() override;
  /// Makes the host copy current for reading.
  const std::byte* host_data() const override;

  /// True when the host accesses the device buffer directly (no staging copy).
  bool in_place() const { return staging_ == nullptr; }
  /// The buffer kernels bind.
  const Buffer& device_buffer() const { return *device_buffer_; }
  /// The device the memory belongs to.
  Device& device() const { return device_buffer_->device(); }
  /// Host-to-device copies made so far (always 0 in place).
  std::uint64_t upload_count() const;
  /// Device-to-host copies made so far (always 0 in place).
  std::uint64_t download_count() const;

 private:
  friend class CommandRecorder;
  // Called by CommandRecorder while recording a kernel that binds this plane: uploads (or
  // flushes) host writes; returns true when it recorded a transfer into `cmd`.
  bool prepare_for_gpu(VkCommandBuffer cmd);
  // True when prepare_for_gpu() would record an upload.
  bool upload_pending() const;
  // Called once the command buffer that wrote this plane completed.
  void mark_written_by_gpu();
  void sync_to_host(bool will_write) const;

  std::shared_ptr<Buffer> device_buffer_;
  std::shared_ptr<Buffer> staging_;  // null when in place
  std::size_t size_;
  mutable std::mutex mutex_;
  mutable bool host_dirty_ = false;    // the host may have written since the GPU last saw it
  mutable bool device_dirty_ = false;  // the GPU wrote since the host last saw it
  // Still all zeros, never written by host or GPU: a staged plane is then cleared on the
  // device (vkCmdFillBuffer) instead of uploading zeros, so a new output plane costs no
  // transfer over the bus.
  mutable bool fresh_ = true;
  mutable std::uint64_t uploads_ = 0;
  mutable std::uint64_t downloads_ = 0;
};

/// A new GPU plane with tightly packed rows (contents zero, or undefined with
/// InitialContents::kUndefined for a plane a kernel overwrites completely).
/// @throws GpuError when the memory cannot be allocated.
Plane make_gpu_plane(const std::shared_ptr<Device>& device, PixelFormat format, int width, int height,
                     Residency residency = Residency::kAuto,
                     InitialContents contents = InitialContents::kZero);

/// `plane` itself when its memory already is a GpuPlaneMemory of `device`; otherwise a new
/// GPU plane with the same format, size and pixels (one host copy).
/// @throws GpuError when the memory cannot be allocated.
Plane to_gpu_plane(const std::shared_ptr<Device>& device, const Plane& plane,
                   Residency residency = Residency::kAuto);

/// The plane's GpuPlaneMemory, or nullptr when it is host memory.
GpuPlaneMemory* gpu_memory_of(const Plane& plane);

}  // namespace oi::gpu
