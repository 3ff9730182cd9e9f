#pragma once
/// @file
/// Records a frame's dispatches into one command buffer and submits it with a fence.
///
/// A stage keeps one CommandRecorder (made in start()) and per frame calls dispatch() for
/// each kernel, then submit_and_wait(). The recorder inserts buffer memory barriers only
/// where a dispatch reads or overwrites what an earlier one wrote (or overwrites what an
/// earlier one read), uploads staged planes the host changed, and after completion marks
/// written planes as device-resident. Its command pool, command buffer, fence and
/// descriptor pools are reused: in steady state nothing is created per frame.
///
/// Data-path calls return oi::Status; after an error the recorder discards what it recorded
/// and is ready for the next frame. Not thread-safe: one recorder per stage (or thread).
///
/// @code
/// auto& rec = *recorder_;   // std::unique_ptr<CommandRecorder> from device->create_recorder()
/// Push push{width, height};
/// if (Status s = rec.dispatch_grid(*kernel_, {in, out}, push, width, height); !s.is_ok()) return s;
/// return rec.submit_and_wait();
/// @endcode

#include <vulkan/vulkan.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <type_traits>
#include <vector>

#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/gpu/buffer.hpp"

namespace oi::gpu {

class Device;
class Kernel;
class GpuPlaneMemory;

/// What a kernel binding refers to: a Buffer, or a plane in GPU memory. Holds a reference so
/// the storage stays alive until the command buffer completed.
class BufferRef {
 public:
  /// The whole buffer.
  BufferRef(std::shared_ptr<Buffer> buffer);  // NOLINT(google-explicit-constructor)
  /// The plane's bytes (offset .. offset + stride * height). A plane in host memory is an
  /// error reported by dispatch(); convert it with to_gpu_plane() first.
  BufferRef(const Plane& plane);  // NOLINT(google-explicit-constructor)

  /// The buffer this refers to, or nullptr (host plane).
  const Buffer* buffer() const { return buffer_.get(); }
  /// The GPU plane memory, or nullptr when a plain Buffer.
  GpuPlaneMemory* plane_memory() const { return plane_.get(); }
  /// Byte offset within buffer() (not counting Buffer::offset()).
  std::uint64_t offset() const { return offset_; }
  /// Bytes referred to.
  std::uint64_t size() const { return size_; }

 private:
  friend class CommandRecorder;
  std::shared_ptr<Buffer> buffer_;
  std::shared_ptr<GpuPlaneMemory> plane_;
  std::shared_ptr<PlaneMemory> host_plane_;  // only to name it in the error
  std::uint64_t offset_ = 0;
  std::uint64_t size_ = 0;
};

/// Records dispatches and transfers for one frame; see the file comment.
class CommandRecorder {
 public:
  /// Internal: made by Device::create_recorder().
  explicit CommandRecorder(std::shared_ptr<Device> device);
  ~CommandRecorder();
  CommandRecorder(const CommandRecorder&) = delete;
  CommandRecorder& operator=(const CommandRecorder&) = delete;

  /// Records one dispatch of `groups` workgroups. `bindings` must match the kernel's
  /// declared bindings in number; `push` must be exactly its push-constant size.
  Status dispatch(const Kernel& kernel, std::span<const BufferRef> bindings, std::span<const std::byte> push,
                  std::array<std::uint32_t, 3> groups);
  /// Records a dispatch covering `width` x `height` invocations (one per pixel).
  /// A grid needing more workgroups than maxComputeWorkGroupCount, or a binding larger than
  /// maxStorageBufferRange, is rejected with an error naming the limit, never truncated.
  Status dispatch_grid(const Kernel& kernel, std::span<const BufferRef> bindings,
                       std::span<const std::byte> push, std::uint32_t width, std::uint32_t height);
  /// dispatch_grid() with a push-constant struct.
  template <class Push>
  requires std::is_trivially_copyable_v<Push> Status dispatch_grid(const Kernel& kernel,
                                                                   std::initializer_list<BufferRef> bindings,
                                                                   const Push& push, std::uint32_t width,
                                                                   std::uint32_t height) {
    return dispatch_grid(kernel, std::span<const BufferRef>(bindings.begin(), bindings.size()),
                         std::as_bytes(std::span<const Push, 1>(&push, 1)), width, height);
  }
  /// Records a copy of `size` bytes (the smaller of both when 0) between two references.
  Status copy(const BufferRef& source, const BufferRef& destination, std::uint64_t size = 0);

  /// Ends recording and submits; returns without waiting. A recorder with nothing recorded
  /// submits nothing.
  Status submit();
  /// Waits for the submitted work (at most `timeout_ns`), then marks written planes as
  /// device-resident and makes host-visible results readable.
  Status wait(std::uint64_t timeout_ns = 10'000'000'000ULL);
  /// submit() then wait().
  Status submit_and_wait();
  /// Drops anything recorded and not submitted.
  void reset();

  /// Dispatches recorded since the last submit.
  std::size_t dispatch_count() const { return dispatches_; }
  /// Pipeline barriers recorded since the last submit (tests check none are redundant).
  std::size_t barrier_count() const { return barriers_; }

 private:
  struct TrackedAccess;
  struct Impl;
  Status begin_if_needed();
  Status fail(std::string message);

  std::shared_ptr<Device> device_;
  std::unique_ptr<Impl> impl_;
  std::size_t dispatches_ = 0;
  std::size_t barriers_ = 0;
};

}  // namespace oi::gpu
