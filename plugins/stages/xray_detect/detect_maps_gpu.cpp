// xray.detect's maps on Vulkan (detect_maps_gpu.hpp): two box passes, the candidate masks
// packed 32 pixels a word, each mask's opening and closing as one pass per erosion or
// dilation on the packed words, and the masks unpacked to u8: 14 dispatches in one command
// buffer.
#include "detect_maps_gpu.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <opencv2/imgproc.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "oi/frame_cv.hpp"
#include "oi/gpu/buffer.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi/xray/contract.hpp"
#include "oi_stages_xray_detect_shaders.hpp"

namespace oi::xray {
namespace {

constexpr int kMaxMorphologyRadius = 8;  // shaders/xray/detect_morphology.comp, kMaxRadius
constexpr int kMapsStripRows = 2;  // rows per invocation of detect_maps.comp with quads (fastest on lavapipe)

struct SizePush {
  std::uint32_t width, height;
};

struct PackPush {
  std::uint32_t width, height, words_per_row;
};

struct MorphologyPush {
  std::uint32_t width, height, words_per_row;
  std::int32_t radius, erode;
  std::array<std::int32_t, 2 * kMaxMorphologyRadius + 1> span;
};

std::shared_ptr<gpu::Kernel> build(gpu::StageBackend& backend, const char* shader,
                                   std::vector<gpu::BindingDecl> bindings, std::uint32_t push_bytes,
                                   std::vector<gpu::SpecConstant> constants) {
  gpu::KernelDesc desc;
  desc.name = std::string("xray.detect:") + shader;
  desc.spirv = oi_stages_xray_detect_shaders::words(shader);
  desc.bindings = std::move(bindings);
  desc.push_constant_bytes = push_bytes;
  desc.spec_constants = std::move(constants);
  return backend.kernel(desc);
}

// Words of a bit-packed mask (shaders/xray/detect_masks.glsl) of one row.
std::uint32_t words_per_row(int width) { return (static_cast<std::uint32_t>(width) + 31u) / 32u; }

}  // namespace

// One erosion or dilation by OpenCV's elliptical element of `size` pixels.
struct DetectionMapsGpu::Morphology {
  bool erode = false;
  int radius = 0;
  std::array<std::int32_t, 2 * kMaxMorphologyRadius + 1> span{};

  // The element's rows as half-widths, read off cv::getStructuringElement itself so that the
  // kernel uses exactly the CPU reference's element.
  static Morphology of(bool erode, int size) {
    if (size < 1 || size > 2 * kMaxMorphologyRadius + 1)
      throw ConfigError("morphology element of " + std::to_string(size) + " px exceeds the kernel's " +
                        std::to_string(2 * kMaxMorphologyRadius + 1));
    const cv::Mat element = cv::getStructuringElement(cv::MORPH_ELLIPSE, {size, size});
    Morphology m;
    m.erode = erode;
    m.radius = size / 2;
    for (int y = 0; y < size; ++y) m.span[y] = (cv::countNonZero(element.row(y)) - 1) / 2;
    return m;
  }
};

DetectionMapsGpu::DetectionMapsGpu(gpu::StageBackend& backend, const DetectorParams& params)
    : device_(backend.device()), recorder_(&backend.recorder()) {
  using gpu::Access;
  using gpu::SpecConstant;
  const int r = params.smoothing_radius;
  // Two variants of the per-pixel kernels: `quads` (4 pixels an invocation, vector accesses)
  // for planes whose width is a multiple of 4, and one pixel an invocation for the others.
  for (std::uint32_t quads : {0u, 1u}) {
    box_rows_[quads] = build(backend, "xray/detect_box_rows.comp",
                             {{plane::kAHigh, Access::kRead},
                              {plane::kZeff, Access::kRead},
                              {"sum_a", Access::kWrite},
                              {"sum_a2", Access::kWrite},
                              {"sum_zeff", Access::kWrite}},
                             sizeof(SizePush), {SpecConstant::i32(0, r), SpecConstant::u32(1, quads)});
    maps_[quads] = build(
        backend, "xray/detect_maps.comp",
        {{"sum_a", Access::kRead},
         {"sum_a2", Access::kRead},
         {"sum_zeff", Access::kRead},
         {plane::kMaterialClass, Access::kRead},
         {"mean", Access::kWrite},
         {"zeff_mean", Access::kWrite},
         {"rel_std", Access::kWrite},
         {"candidates", Access::kWrite}},
        sizeof(SizePush),
        {SpecConstant::i32(0, r), SpecConstant::f32(1, 1.0f / static_cast<float>((2 * r + 1) * (2 * r + 1))),
         SpecConstant::f32(2, params.narcotics_zeff_min), SpecConstant::f32(3, params.narcotics_zeff_max),
         SpecConstant::f32(4, params.narcotics_min_a_high), SpecConstant::f32(5, params.narcotics_max_a_high),
         SpecConstant::f32(6, params.narcotics_max_relative_std),
         SpecConstant::f32(7, params.firearm_min_a_high), SpecConstant::u32(8, quads),
         SpecConstant::i32(9, kMapsStripRows)});
    pack_[quads] = build(backend, "xray/detect_pack.comp",
                         {{"candidates", Access::kRead},
                          {"impenetrable_bits", Access::kWrite},
                          {"narcotics_bits", Access::kWrite},
                          {"firearm_bits", Access::kWrite}},
                         sizeof(PackPush), {SpecConstant::u32(0, quads)});
    unpack_[quads] = build(backend, "xray/detect_unpack.comp",
                           {{"shielding_bits", Access::kRead},
                            {"narcotics_bits", Access::kRead},
                            {"firearm_bits", Access::kRead},
                            {"shielding", Access::kWrite},
                            {"narcotics", Access::kWrite},
                            {"firearm", Access::kWrite}},
                           sizeof(PackPush), {SpecConstant::u32(0, quads)});
  }
  morphology_ = build(backend, "xray/detect_morphology.comp",
                      {{"source", Access::kRead}, {"target", Access::kWrite}}, sizeof(MorphologyPush), {});
}

DetectionMapsGpu::~DetectionMapsGpu() = default;

// Recycling: a scan of 1024 x 2000 pixels needs about 80 MB of planes; allocating them anew
// for every scan costs more than the kernels on a CPU device (fresh pages to fault in and
// clear). A pooled plane or mask is reused once nothing but the pool holds it (the caller
// dropped the DetectionMapPlanes of an earlier scan).
Plane DetectionMapsGpu::new_plane(PixelFormat format, int width, int height) {
  for (const Plane& p : plane_pool_) {
    if (p.memory.use_count() == 1 && p.format == format && p.width == width && p.height == height) return p;
  }
  std::erase_if(plane_pool_, [&](const Plane& p) { return p.width != width || p.height != height; });
  // Every kernel writes every pixel of its output: no clearing.
  plane_pool_.push_back(gpu::make_gpu_plane(device_, format, width, height, gpu::Residency::kAuto,
                                            gpu::InitialContents::kUndefined));
  return plane_pool_.back();
}

std::shared_ptr<gpu::Buffer> DetectionMapsGpu::new_mask(int width, int height) {
  const std::size_t bytes = std::size_t{words_per_row(width)} * static_cast<std::size_t>(height) * 4u;
  for (const std::shared_ptr<gpu::Buffer>& b : mask_pool_) {
    if (b.use_count() == 1 && b->size() == bytes) return b;
  }
  std::erase_if(mask_pool_, [&](const std::shared_ptr<gpu::Buffer>& b) { return b->size() != bytes; });
  mask_pool_.push_back(device_->create_buffer(bytes));
  return mask_pool_.back();
}

Plane DetectionMapsGpu::on_gpu(const Plane& plane) {
  if (gpu::gpu_memory_of(plane) != nullptr) return plane;
  Plane copy = new_plane(plane.format, plane.width, plane.height);
  for (int y = 0; y < plane.height; ++y)
    std::memcpy(copy.row<std::byte>(y), plane.row<std::byte>(y), plane.row_bytes());
  return copy;
}

Status DetectionMapsGpu::morphology(const std::shared_ptr<gpu::Buffer>& source, const Morphology& op,
                                    std::shared_ptr<gpu::Buffer>& target, int width, int height) {
  target = new_mask(width, height);
  const MorphologyPush push{static_cast<std::uint32_t>(width),
                            static_cast<std::uint32_t>(height),
                            words_per_row(width),
                            op.radius,
                            op.erode ? 1 : 0,
                            op.span};
  return recorder_->dispatch_grid(*morphology_, {source, target}, push, words_per_row(width),
                                  static_cast<std::uint32_t>(height));
}

Status DetectionMapsGpu::compute(const Plane& a_high, const Plane& zeff, const Plane& material_class,
                                 DetectionMapPlanes& out) {
  const int width = a_high.width, height = a_high.height;
  const std::pair<const char*, const Plane*> inputs[] = {
      {plane::kAHigh, &a_high}, {plane::kZeff, &zeff}, {plane::kMaterialClass, &material_class}};
  std::vector<Plane> gpu_inputs;
  try {
    for (const auto& [name, p] : inputs) {
      const PixelFormat expected = p == &material_class ? PixelFormat::kU8 : PixelFormat::kF32;
      if (p->format != expected || p->width != width || p->height != height) {
        return Status::error(std::string("plane '") + name + "' must be " +
                             (expected == PixelFormat::kU8 ? "u8" : "f32") + " and of a_high's size " +
                             std::to_string(width) + "x" + std::to_string(height) +
                             "; put xray.correct and xray.materials before xray.detect");
      }
      if (gpu::gpu_memory_of(*p) != nullptr && (p->offset != 0 || p->stride != p->row_bytes())) {
        return Status::error(std::string("GPU plane '") + name +
                             "' has padded rows or an offset; the kernels need tightly packed planes");
      }
      gpu_inputs.push_back(on_gpu(*p));
    }
    Plane sum_a = new_plane(PixelFormat::kF32, width, height);
    Plane sum_a2 = new_plane(PixelFormat::kF32, width, height);
    Plane sum_zeff = new_plane(PixelFormat::kF32, width, height);
    out.mean = new_plane(PixelFormat::kF32, width, height);
    out.zeff_mean = new_plane(PixelFormat::kF32, width, height);
    out.rel_std = new_plane(PixelFormat::kF32, width, height);
    const Plane candidates = new_plane(PixelFormat::kU8, width, height);
    std::shared_ptr<gpu::Buffer> impenetrable = new_mask(width, height), narcotics = new_mask(width, height),
                                 firearm = new_mask(width, height);
    out.shielding = new_plane(PixelFormat::kU8, width, height);
    out.narcotics = new_plane(PixelFormat::kU8, width, height);
    out.firearm = new_plane(PixelFormat::kU8, width, height);

    const auto w = static_cast<std::uint32_t>(width), h = static_cast<std::uint32_t>(height);
    const SizePush size{w, h};
    const std::size_t quads = width % 4 == 0 ? 1 : 0;
    const std::uint32_t columns = quads ? w / 4 : w;  // invocations per row of the per-pixel kernels
    Status s = recorder_->dispatch_grid(
        *box_rows_[quads], {gpu_inputs[0], gpu_inputs[1], sum_a, sum_a2, sum_zeff}, size, columns, h);
    if (s.is_ok()) {
      s = recorder_->dispatch_grid(
          *maps_[quads],
          {sum_a, sum_a2, sum_zeff, gpu_inputs[2], out.mean, out.zeff_mean, out.rel_std, candidates}, size,
          columns, quads ? (h + kMapsStripRows - 1) / kMapsStripRows : h);
    }
    const PackPush packed{w, h, words_per_row(width)};
    if (s.is_ok()) {
      s = recorder_->dispatch_grid(*pack_[quads], {candidates, impenetrable, narcotics, firearm}, packed,
                                   packed.words_per_row, h);
    }
    // The morphology of compute_maps(): shielding closed 5 px; narcotics opened 3 px and
    // closed 7 px; firearm opened 3 px and closed 9 px (open = erode, dilate; close = dilate,
    // erode).
    const auto chain = [&](std::shared_ptr<gpu::Buffer>& mask, std::initializer_list<Morphology> ops) {
      for (const Morphology& op : ops) {
        if (!s.is_ok()) return;
        std::shared_ptr<gpu::Buffer> next;
        s = morphology(mask, op, next, width, height);
        mask = std::move(next);
      }
    };
    static const Morphology erode3 = Morphology::of(true, 3), dilate3 = Morphology::of(false, 3),
                            erode5 = Morphology::of(true, 5), dilate5 = Morphology::of(false, 5),
                            erode7 = Morphology::of(true, 7), dilate7 = Morphology::of(false, 7),
                            erode9 = Morphology::of(true, 9), dilate9 = Morphology::of(false, 9);
    chain(impenetrable, {dilate5, erode5});
    chain(narcotics, {erode3, dilate3, dilate7, erode7});
    chain(firearm, {erode3, dilate3, dilate9, erode9});
    if (s.is_ok()) {
      s = recorder_->dispatch_grid(
          *unpack_[quads], {impenetrable, narcotics, firearm, out.shielding, out.narcotics, out.firearm},
          packed, packed.words_per_row, h);
    }
    if (!s.is_ok()) {
      recorder_->reset();
      return s;
    }
    s = recorder_->submit_and_wait();
    // A failed wait (a timeout, a lost device) may leave the work running: never hand out its
    // planes and masks again; the recorder keeps them alive until its fence.
    if (!s.is_ok()) {
      plane_pool_.clear();
      mask_pool_.clear();
    }
    return s;
  } catch (const std::exception& e) {
    recorder_->reset();
    return Status::error(e.what());
  }
}

InpaintGpu::InpaintGpu(gpu::StageBackend& backend)
    : device_(backend.device()), recorder_(&backend.recorder()) {
  kernel_ = build(
      backend, "xray/detect_inpaint.comp",
      {{"values", gpu::Access::kReadWrite}, {"unknown", gpu::Access::kRead}, {"dims", gpu::Access::kRead}},
      sizeof(std::uint32_t),
      {gpu::SpecConstant::i32(0, kInpaintSweeps), gpu::SpecConstant::f32(1, kInpaintOmega)});
}

InpaintGpu::~InpaintGpu() = default;

Status InpaintGpu::solve(const std::vector<InpaintGrid*>& grids) {
  if (grids.empty()) return Status::ok();
  constexpr int kCells = kInpaintSide * kInpaintSide;  // shaders/xray/detect_inpaint.comp, kCells
  const int n = static_cast<int>(grids.size());
  for (int g = 0; g < n; ++g) {
    const InpaintGrid& grid = *grids[g];
    if (grid.high.type() != CV_32F || grid.low.type() != CV_32F || grid.unknown.type() != CV_8U ||
        grid.high.size() != grid.unknown.size() || grid.low.size() != grid.unknown.size() ||
        !grid.high.isContinuous() || !grid.low.isContinuous() || !grid.unknown.isContinuous() ||
        grid.high.rows > kInpaintSide || grid.high.cols > kInpaintSide || grid.high.empty())
      return Status::error("in-painting grid " + std::to_string(g) + " (" + std::to_string(grid.high.cols) +
                           "x" + std::to_string(grid.high.rows) +
                           ") is not two continuous f32 channels and a u8 mask of one size of at most " +
                           std::to_string(kInpaintSide) + " cells a side");
  }
  try {
    Plane values = gpu::make_gpu_plane(device_, PixelFormat::kF32, kCells, 2 * n, gpu::Residency::kAuto,
                                       gpu::InitialContents::kUndefined);
    Plane unknown = gpu::make_gpu_plane(device_, PixelFormat::kU8, kCells, n, gpu::Residency::kAuto,
                                        gpu::InitialContents::kUndefined);
    Plane dims = gpu::make_gpu_plane(device_, PixelFormat::kF32, 2, n, gpu::Residency::kAuto,
                                     gpu::InitialContents::kUndefined);
    for (int g = 0; g < n; ++g) {
      const InpaintGrid& grid = *grids[g];
      const std::size_t cells = grid.high.total();
      std::memcpy(values.row<float>(2 * g), grid.high.ptr<float>(), cells * sizeof(float));
      std::memcpy(values.row<float>(2 * g + 1), grid.low.ptr<float>(), cells * sizeof(float));
      std::memcpy(unknown.row<std::uint8_t>(g), grid.unknown.ptr<std::uint8_t>(), cells);
      float* d = dims.row<float>(g);
      d[0] = static_cast<float>(grid.high.rows);
      d[1] = static_cast<float>(grid.high.cols);
    }
    const std::uint32_t push = static_cast<std::uint32_t>(n);
    const gpu::BufferRef bindings[] = {values, unknown, dims};
    Status s = recorder_->dispatch(*kernel_, bindings, std::as_bytes(std::span(&push, 1)),
                                   {static_cast<std::uint32_t>(2 * n), 1, 1});
    if (!s.is_ok()) {
      recorder_->reset();
      return s;
    }
    if (s = recorder_->submit_and_wait(); !s.is_ok()) return s;
    const Plane& result = values;
    for (int g = 0; g < n; ++g) {
      InpaintGrid& grid = *grids[g];
      const std::size_t cells = grid.high.total();
      std::memcpy(grid.high.ptr<float>(), result.row<float>(2 * g), cells * sizeof(float));
      std::memcpy(grid.low.ptr<float>(), result.row<float>(2 * g + 1), cells * sizeof(float));
    }
    return Status::ok();
  } catch (const std::exception& e) {
    recorder_->reset();
    return Status::error(std::string("in-painting on the GPU: ") + e.what());
  }
}

DetectionMaps DetectionMapPlanes::maps() const {
  return {as_mat(mean),      as_mat(zeff_mean), as_mat(rel_std),
          as_mat(shielding), as_mat(narcotics), as_mat(firearm)};
}

}  // namespace oi::xray
