#pragma once
/// @file
/// Frames: the unit passed between stages. A frame holds named planes and metadata.

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "oi/pixel_format.hpp"

namespace oi {

/// Where the authoritative copy of a plane's bytes lives.
enum class MemoryLocation {
  kHost,    ///< ordinary host memory
  kDevice,  ///< GPU memory; reading it from the host triggers one transfer
};

/// Storage behind a plane. Host memory is `HostMemory`; the GPU runtime provides its own
/// implementation so that consecutive GPU stages pass planes without copying. Asking for
/// host access on device-resident memory transfers it once and then stays valid until a
/// GPU stage writes the plane again.
class PlaneMemory {
 public:
  virtual ~PlaneMemory() = default;
  /// Size of the storage in bytes.
  virtual std::size_t size_bytes() const = 0;
  /// Where the current contents live.
  virtual MemoryLocation location() const = 0;
  /// Host pointer for reading and writing; makes the host copy current first.
  virtual std::byte* host_data() = 0;
  /// Host pointer for reading; makes the host copy current first.
  virtual const std::byte* host_data() const = 0;
};

/// Plain host memory, 64-byte aligned.
class HostMemory final : public PlaneMemory {
 public:
  /// Allocates `size_bytes` zero-initialised bytes.
  explicit HostMemory(std::size_t size_bytes);
  ~HostMemory() override;
  HostMemory(const HostMemory&) = delete;
  HostMemory& operator=(const HostMemory&) = delete;

  std::size_t size_bytes() const override { return size_; }
  MemoryLocation location() const override { return MemoryLocation::kHost; }
  std::byte* host_data() override { return data_; }
  const std::byte* host_data() const override { return data_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

/// A 2-D image plane: format, size, row stride and shared storage. Copying a `Plane` copies
/// the description and shares the storage.
struct Plane {
  PixelFormat format = PixelFormat::kU8;  ///< element type and channels
  int width = 0;                          ///< pixels per row
  int height = 0;                         ///< rows
  std::size_t stride = 0;                 ///< bytes from one row to the next
  std::size_t offset = 0;                 ///< byte offset of pixel (0,0) within `memory`
  std::shared_ptr<PlaneMemory> memory;    ///< storage; shared between copies

  /// Allocates a host plane with tightly packed rows.
  static Plane allocate(PixelFormat format, int width, int height);
  /// The description of a plane with tightly packed rows and no storage yet, for code that
  /// attaches its own PlaneMemory (e.g. GPU planes). Throws oi::Error for a negative size.
  static Plane packed(PixelFormat format, int width, int height);

  /// Bytes of one row's pixels (without padding).
  std::size_t row_bytes() const { return static_cast<std::size_t>(width) * bytes_per_pixel(format); }
  /// True when storage is attached.
  bool valid() const { return memory != nullptr; }

  /// Host pointer to the start of row `y`, typed. Triggers a device-to-host transfer once
  /// when the plane lives on the GPU.
  template <class T>
  T* row(int y) {
    return reinterpret_cast<T*>(memory->host_data() + offset + static_cast<std::size_t>(y) * stride);
  }
  /// Const overload of row().
  template <class T>
  const T* row(int y) const {
    const PlaneMemory& m = *memory;
    return reinterpret_cast<const T*>(m.host_data() + offset + static_cast<std::size_t>(y) * stride);
  }
};

/// Metadata carried by every frame.
struct FrameMetadata {
  std::string source_device;         ///< name of the device node that produced the data
  std::uint64_t sequence = 0;        ///< per-device sequence number, increasing
  std::int64_t capture_time_ns = 0;  ///< capture time, nanoseconds since the Unix epoch
  std::uint64_t scan_id = 0;         ///< X-ray: the object (bag, parcel) this data belongs to
  std::uint32_t block_index = 0;     ///< X-ray: index of this scan block within its scan
  bool end_of_scan = false;          ///< X-ray: last block of the scan
  bool incomplete = false;           ///< data was cut short (device fault); never silently dropped
  double pixel_pitch_mm = 0.0;       ///< size of one pixel at the detector, in millimetres
  /// Free key/value map for structured values: ground truth, detections, timings.
  nlohmann::json attributes = nlohmann::json::object();

  /// {"source_device", "sequence", "capture_time_ns", "scan_id", "block_index", "end_of_scan",
  /// "incomplete", "pixel_pitch_mm", "attributes"}: what sinks write next to their data. A
  /// pitch that is not finite is written as "nan", "inf" or "-inf" (JSON has no such numbers).
  nlohmann::json to_json() const;
};

/// Frame kinds the core knows. Each domain names its own in its contract
/// (oi::xray::frame_kind in <oi/xray/contract.hpp>).
namespace frame_kind {
inline constexpr std::string_view kAny = "any";            ///< matches every kind
inline constexpr std::string_view kVideo = "video.frame";  ///< a camera frame
}  // namespace frame_kind

/// Named planes plus metadata. Frames are reference-counted (`FramePtr`); a stage that
/// wants to change a frame it received should `clone()` it if others may still hold it.
class Frame {
 public:
  /// A new empty frame of the given kind.
  static std::shared_ptr<Frame> create(std::string kind = std::string(frame_kind::kAny));

  explicit Frame(std::string kind) : kind_(std::move(kind)) {}

  /// Frame kind, e.g. oi::xray::frame_kind::kScanBlock.
  const std::string& kind() const { return kind_; }
  /// Changes the frame kind.
  void set_kind(std::string kind) { kind_ = std::move(kind); }

  /// Allocates a new host plane and adds (or replaces) it under `name`. The returned
  /// reference stays valid while the plane is in the frame, also when more planes are added.
  Plane& add_plane(const std::string& name, PixelFormat format, int width, int height);
  /// Adds or replaces a plane.
  Plane& set_plane(const std::string& name, Plane plane);
  /// True when a plane of that name exists.
  bool has_plane(std::string_view name) const;
  /// The named plane; throws oi::Error naming the missing plane and the ones present.
  Plane& plane(std::string_view name);
  /// Const overload of plane().
  const Plane& plane(std::string_view name) const;
  /// Removes a plane; returns false when absent.
  bool remove_plane(std::string_view name);
  /// Plane names, in insertion order.
  std::vector<std::string> plane_names() const;

  /// Metadata.
  FrameMetadata& metadata() { return metadata_; }
  /// Metadata, read-only.
  const FrameMetadata& metadata() const { return metadata_; }

  /// Shallow copy: planes share storage, metadata is copied.
  std::shared_ptr<Frame> clone() const;

 private:
  std::string kind_;
  // A list, not a vector: references handed out by add_plane() survive later additions.
  std::list<std::pair<std::string, Plane>> planes_;
  FrameMetadata metadata_;
};

/// Shared frame handle passed between stages.
using FramePtr = std::shared_ptr<Frame>;

}  // namespace oi
