// LOMO descriptors and embeddings on Vulkan (lomo_gpu.hpp). Every buffer is a GPU plane
// allocated once for the largest batch: the host writes the crops into one and reads the
// embeddings (and, for tests, counts and descriptors) from others; the recorder uploads and
// downloads where the device's memory is not the host's.
#include "lomo_gpu.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <string>
#include <utility>

#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi_reid_embed_gpu_shaders.hpp"

namespace oi::reid {
namespace {

// The push-constant block of every kernel here.
struct BatchPush {
  std::uint32_t batch;
};

constexpr std::uint32_t kProjectCrops = 16;   // reid_project.comp's kCrops
constexpr std::uint32_t kProjectColumns = 8;  // projection columns per reid_project.comp invocation
constexpr int kLargestBatch = 1024;
constexpr int kMaxRadii = 4;                 // lomo_rows.comp's radius1..radius4
constexpr int kMaxScales = 5;                // gray sums of 4^4 pixels fit 16 bits
constexpr std::uint32_t kMaxPrivate = 1024;  // words of private memory per invocation
constexpr std::uint32_t kSiltpWords = (kSiltpBins + 3) / 4;
constexpr std::uint64_t kWarmUpNs = 300'000'000'000ULL;  // the first batch compiles the kernels

std::uint32_t u32(std::size_t v) { return static_cast<std::uint32_t>(v); }
std::uint32_t words_of(std::size_t values) { return u32((values + 3) / 4); }

}  // namespace

LomoGpu::LomoGpu(gpu::StageBackend& backend, const ReidModel& model, int max_batch, gpu::Residency residency)
    : params_(model.descriptor),
      layout_(lomo_layout(model.descriptor)),
      max_batch_(max_batch),
      device_(backend.device()),
      recorder_(&backend.recorder()) {
  using gpu::Access;
  using gpu::SpecConstant;
  const auto refuse = [](const std::string& what) {
    throw ConfigError("reid.embed on Vulkan: " + what + "; use `backend: cpu`");
  };
  if (max_batch < 1 || max_batch > kLargestBatch)
    throw ConfigError("reid.embed: a batch of " + std::to_string(max_batch) + " crops is outside 1.." +
                      std::to_string(kLargestBatch));
  if (params_.window * params_.window > 255)
    refuse("windows of " + std::to_string(params_.window) + " x " + std::to_string(params_.window) +
           " pixels count past 255, which the kernels pack in bytes");
  if (params_.scales > kMaxScales)
    refuse(std::to_string(params_.scales) + " scales are more than the kernels' " +
           std::to_string(kMaxScales));
  if (static_cast<int>(params_.siltp_radii.size()) > kMaxRadii)
    refuse(std::to_string(params_.siltp_radii.size()) + " SILTP radii are more than the kernels' " +
           std::to_string(kMaxRadii));
  if (!model.projection.empty()) {
    if (model.projection.type() != CV_32F ||
        static_cast<std::size_t>(model.projection.rows) != layout_.dimension ||
        model.mean.size() != layout_.dimension)
      throw ConfigError("reid.embed: the model's projection (" + std::to_string(model.projection.rows) +
                        " x " + std::to_string(model.projection.cols) + ") and mean (" +
                        std::to_string(model.mean.size()) + " values) do not fit its descriptor of " +
                        std::to_string(layout_.dimension) + " values");
    size_ = model.projection.cols;
  }
  const auto width = static_cast<std::uint32_t>(params_.width),
             height = static_cast<std::uint32_t>(params_.height);
  const auto window = static_cast<std::uint32_t>(params_.window);
  const auto max_radius =
      static_cast<std::uint32_t>(*std::max_element(params_.siltp_radii.begin(), params_.siltp_radii.end()));
  const auto hsv_bins = static_cast<std::uint32_t>(layout_.hsv_bins);
  const auto rows = static_cast<std::uint32_t>(layout_.rows);
  const auto blocks = static_cast<std::uint32_t>(layout_.blocks);
  const std::uint32_t chunk_rows = 1u << (params_.scales - 1);
  const std::uint32_t row_words = (width + 1) / 2;
  // lomo_rows.comp's private memory: the rows it covers, then a histogram and its maxima.
  const std::uint32_t memory_words =
      std::max(window * row_words + 2 * words_of(hsv_bins),
               std::min(window + 2 * max_radius, height) * row_words + 2 * kSiltpWords);
  if (memory_words > kMaxPrivate || chunk_rows * width > kMaxPrivate)
    refuse("a crop " + std::to_string(width) + " pixels wide with windows of " + std::to_string(window) +
           " rows, SILTP radius " + std::to_string(max_radius) + " and " + std::to_string(params_.scales) +
           " scales needs more private memory than the kernels have");
  crop_words_ = words_of(3 * std::size_t{width} * height);
  hsv_words_ = rows * words_of(hsv_bins);
  siltp_words_ = rows * kSiltpWords;
  count_words_ = hsv_words_ + (blocks - 1) * siltp_words_;
  // Every level's rows as 16-bit pairs, one level after the other.
  std::vector<std::uint32_t> level_first;
  std::uint32_t level_words = 0;
  for (const LomoLevel& l : layout_.levels) {
    level_first.push_back(level_words);
    level_words += static_cast<std::uint32_t>(l.height) * ((static_cast<std::uint32_t>(l.width) + 1) / 2);
  }
  const std::vector<float> table = lomo_log_table(params_);
  const auto table_size = u32(table.size());
  const auto radius = [&](std::size_t i) {
    return i < params_.siltp_radii.size() ? static_cast<std::uint32_t>(params_.siltp_radii[i]) : 0u;
  };

  const auto desc = [](const char* shader, std::vector<gpu::BindingDecl> bindings) {
    gpu::KernelDesc k;
    k.name = std::string("reid.embed:") + shader;
    k.spirv = oi_reid_embed_gpu_shaders::words(shader);
    k.bindings = std::move(bindings);
    k.push_constant_bytes = sizeof(BatchPush);
    k.push_layout = {OI_PUSH_MEMBER(BatchPush, batch)};
    k.workgroup = {8, 1, 1};  // one SIMD vector of a CPU device
    return k;
  };
  {
    gpu::KernelDesc k = desc("reid/lomo_white.comp", {{"crops", Access::kRead}, {"white", Access::kWrite}});
    k.spec_constants = {SpecConstant::u32(0, width * height), SpecConstant::u32(1, crop_words_)};
    white_kernel_ = backend.kernel(k);
  }
  {
    gpu::KernelDesc k = desc("reid/lomo_pyramid.comp", {{"crops", Access::kRead},
                                                        {"white", Access::kRead},
                                                        {"codes", Access::kWrite},
                                                        {"grays", Access::kWrite}});
    k.spec_constants = {SpecConstant::u32(0, width),
                        SpecConstant::u32(1, height),
                        SpecConstant::u32(2, static_cast<std::uint32_t>(params_.scales)),
                        SpecConstant::u32(3, chunk_rows),
                        SpecConstant::u32(4, chunk_rows * width),
                        SpecConstant::u32(5, static_cast<std::uint32_t>(params_.hue_bins)),
                        SpecConstant::u32(6, static_cast<std::uint32_t>(params_.saturation_bins)),
                        SpecConstant::u32(7, static_cast<std::uint32_t>(params_.value_bins)),
                        SpecConstant::u32(8, params_.illumination_normalisation ? 1u : 0u),
                        SpecConstant::u32(9, crop_words_),
                        SpecConstant::u32(10, level_words)};
    pyramid_kernel_ = backend.kernel(k);
  }
  {
    gpu::KernelDesc k = desc("reid/lomo_rows.comp", {{"tasks", Access::kRead},
                                                     {"codes", Access::kRead},
                                                     {"grays", Access::kRead},
                                                     {"table", Access::kRead},
                                                     {"counts", Access::kWrite},
                                                     {"row_sums", Access::kWrite}});
    tasks_ = 2 * rows;
    k.spec_constants = {SpecConstant::u32(0, window),
                        SpecConstant::u32(1, static_cast<std::uint32_t>(params_.step)),
                        SpecConstant::u32(2, hsv_bins),
                        SpecConstant::f32(3, 1.0f - params_.siltp_tau),  // as lomo_counts() rounds them
                        SpecConstant::f32(4, 1.0f + params_.siltp_tau),
                        SpecConstant::u32(5, blocks - 1),
                        SpecConstant::u32(6, radius(0)),
                        SpecConstant::u32(7, radius(1)),
                        SpecConstant::u32(8, radius(2)),
                        SpecConstant::u32(9, radius(3)),
                        SpecConstant::u32(10, max_radius),
                        SpecConstant::u32(11, memory_words),
                        SpecConstant::u32(12, table_size),
                        SpecConstant::u32(13, level_words),
                        SpecConstant::u32(14, count_words_),
                        SpecConstant::u32(15, siltp_words_),
                        SpecConstant::u32(16, rows),
                        SpecConstant::u32(17, tasks_)};
    rows_kernel_ = backend.kernel(k);
  }
  {
    gpu::KernelDesc k =
        desc("reid/lomo_scales.comp", {{"row_sums", Access::kRead}, {"scales", Access::kWrite}});
    k.spec_constants = {SpecConstant::u32(0, blocks), SpecConstant::u32(1, rows)};
    scales_kernel_ = backend.kernel(k);
  }
  {
    gpu::KernelDesc k = desc("reid/lomo_descriptors.comp", {{"counts", Access::kRead},
                                                            {"scales", Access::kRead},
                                                            {"table", Access::kRead},
                                                            {"descriptors", Access::kWrite}});
    k.spec_constants = {SpecConstant::u32(0, u32(layout_.dimension)),
                        SpecConstant::u32(1, blocks),
                        SpecConstant::u32(2, u32(layout_.hsv_size)),
                        SpecConstant::u32(3, u32(layout_.siltp_size)),
                        SpecConstant::u32(4, count_words_),
                        SpecConstant::u32(5, hsv_words_),
                        SpecConstant::u32(6, siltp_words_),
                        SpecConstant::u32(7, table_size),
                        SpecConstant::u32(8, hsv_bins)};
    descriptors_kernel_ = backend.kernel(k);
  }
  const std::uint32_t columns =
      (static_cast<std::uint32_t>(size_) + kProjectColumns - 1) / kProjectColumns * kProjectColumns;
  if (size_ > 0) {
    gpu::KernelDesc k = desc("reid/reid_project.comp", {{"counts", Access::kRead},
                                                        {"scales", Access::kRead},
                                                        {"mean", Access::kRead},
                                                        {"projection", Access::kRead},
                                                        {"projected", Access::kWrite}});
    k.spec_constants = {
        SpecConstant::u32(0, blocks),      SpecConstant::u32(1, count_words_),
        SpecConstant::u32(2, hsv_words_),  SpecConstant::u32(3, siltp_words_),
        SpecConstant::u32(4, columns / 4), SpecConstant::u32(5, static_cast<std::uint32_t>(size_))};
    project_ = backend.kernel(k);
    gpu::KernelDesc n =
        desc("reid/reid_normalise.comp", {{"projected", Access::kRead}, {"embeddings", Access::kWrite}});
    n.spec_constants = {SpecConstant::u32(0, static_cast<std::uint32_t>(size_))};
    embed_normalise_ = backend.kernel(n);
  }

  // Memory. Every kernel writes all it owns before anything reads it: no clearing.
  using gpu::InitialContents;
  const auto plane = [&](PixelFormat format, std::size_t w, std::size_t h,
                         InitialContents contents = InitialContents::kUndefined) {
    return gpu::make_gpu_plane(device_, format, static_cast<int>(w), static_cast<int>(h), residency,
                               contents);
  };
  const auto batch = static_cast<std::size_t>(max_batch);
  crops_ = plane(PixelFormat::kU8, 4 * std::size_t{crop_words_}, batch);
  // Without the normalisation lomo_pyramid.comp does not read it; it is bound all the same.
  white_ = plane(PixelFormat::kU8, 4 * 3, batch, InitialContents::kZero);
  codes_ = plane(PixelFormat::kU8, 4 * std::size_t{level_words}, batch);
  grays_ = plane(PixelFormat::kU8, 4 * std::size_t{level_words}, batch);
  counts_ = plane(PixelFormat::kU8, 4 * std::size_t{count_words_}, batch);
  row_sums_ = plane(PixelFormat::kF32, std::size_t{blocks} * rows, batch);
  scales_ = plane(PixelFormat::kF32, blocks, batch);
  descriptors_ = plane(PixelFormat::kF32, layout_.dimension, batch);
  table_ = plane(PixelFormat::kF32, table.size(), 1);
  std::memcpy(table_.row<float>(0), table.data(), table.size() * sizeof(float));

  // lomo_rows.comp's tasks: the HSV block's rows, then SILTP's.
  std::vector<std::uint32_t> tasks;
  for (std::uint32_t siltp = 0; siltp < 2; ++siltp) {
    std::uint32_t row = 0;
    for (std::size_t level = 0; level < layout_.levels.size(); ++level) {
      const LomoLevel& l = layout_.levels[level];
      for (int r = 0; r < l.rows; ++r, ++row) {
        const std::uint32_t out_word = siltp ? hsv_words_ + row * kSiltpWords : row * words_of(hsv_bins);
        tasks.insert(tasks.end(),
                     {siltp, level_first[level], static_cast<std::uint32_t>(l.width),
                      static_cast<std::uint32_t>(l.height), static_cast<std::uint32_t>(r * params_.step),
                      static_cast<std::uint32_t>(l.columns), out_word, row});
      }
    }
  }
  tasks_plane_ = plane(PixelFormat::kU8, 4 * tasks.size(), 1);
  std::memcpy(tasks_plane_.row<std::uint32_t>(0), tasks.data(), tasks.size() * sizeof(std::uint32_t));

  if (size_ > 0) {
    // The mean and the projection's rows laid out as the count words: per block and row of
    // windows, the bins padded to a multiple of 4 with zeros.
    const std::size_t padded_rows = 4 * std::size_t{count_words_};
    mean_ = plane(PixelFormat::kF32, padded_rows, 1, InitialContents::kZero);
    projection_ = plane(PixelFormat::kF32, columns, padded_rows, InitialContents::kZero);
    float* mean = mean_.row<float>(0);
    std::size_t padded = 0;
    for (int b = 0; b < layout_.blocks; ++b) {
      const std::size_t bins = b == 0 ? hsv_bins : kSiltpBins, stride = 4 * std::size_t{words_of(bins)};
      for (std::uint32_t r = 0; r < rows; ++r, padded += stride) {
        for (std::size_t k = 0; k < bins; ++k) {
          const std::size_t i = layout_.block_offset(b) + r * bins + k;
          mean[padded + k] = model.mean[i];
          std::memcpy(projection_.row<float>(static_cast<int>(padded + k)),
                      model.projection.ptr<float>(static_cast<int>(i)),
                      static_cast<std::size_t>(size_) * sizeof(float));
        }
      }
    }
    projected_ = plane(PixelFormat::kF32, static_cast<std::size_t>(size_), batch);
    embeddings_ = plane(PixelFormat::kF32, static_cast<std::size_t>(size_), batch);
  }

  // A CPU device (lavapipe) compiles a kernel at its first dispatch, seconds for these: one
  // batch of a gray crop now, with time to spare, rather than in the first frame's batch.
  std::memset(crops_.row<std::uint8_t>(0), 128, 4 * std::size_t{crop_words_});
  Status s = record(1, true);
  if (s.is_ok()) s = recorder_->submit();
  if (s.is_ok()) s = recorder_->wait(kWarmUpNs);
  if (!s.is_ok()) {
    recorder_->reset();
    throw gpu::GpuError("reid.embed: the Vulkan kernels did not run: " + s.message());
  }
}

LomoGpu::~LomoGpu() = default;

Status LomoGpu::record(std::uint32_t batch, bool descriptors) {
  const auto blocks = static_cast<std::uint32_t>(layout_.blocks);
  const BatchPush push{batch};
  Status s = Status::ok();
  if (params_.illumination_normalisation)
    s = recorder_->dispatch_grid(*white_kernel_, {crops_, white_}, push, batch, 1);
  const std::uint32_t chunks =
      (static_cast<std::uint32_t>(params_.height) + (1u << (params_.scales - 1)) - 1) >> (params_.scales - 1);
  if (s.is_ok())
    s = recorder_->dispatch_grid(*pyramid_kernel_, {crops_, white_, codes_, grays_}, push, chunks, batch);
  if (s.is_ok())
    s = recorder_->dispatch_grid(*rows_kernel_, {tasks_plane_, codes_, grays_, table_, counts_, row_sums_},
                                 push, batch, tasks_);
  if (s.is_ok()) s = recorder_->dispatch_grid(*scales_kernel_, {row_sums_, scales_}, push, batch, blocks);
  if (s.is_ok() && descriptors)
    s = recorder_->dispatch_grid(*descriptors_kernel_, {counts_, scales_, table_, descriptors_}, push, batch,
                                 blocks);
  if (s.is_ok() && size_ > 0) {
    const std::uint32_t groups = (static_cast<std::uint32_t>(size_) + kProjectColumns - 1) / kProjectColumns;
    s = recorder_->dispatch_grid(*project_, {counts_, scales_, mean_, projection_, projected_}, push, groups,
                                 (batch + kProjectCrops - 1) / kProjectCrops);
    if (s.is_ok()) s = recorder_->dispatch_grid(*embed_normalise_, {projected_, embeddings_}, push, batch, 1);
  }
  return s;
}

Status LomoGpu::embed(const std::vector<cv::Mat>& crops, std::vector<std::vector<float>>& embeddings,
                      LomoGpuOutputs* outputs) {
  embeddings.clear();
  if (outputs) *outputs = {};
  if (!broken_.empty())
    return Status::error("the Vulkan device failed an earlier batch (" + broken_ + "); restart the pipeline");
  if (crops.empty()) return Status::ok();
  if (crops.size() > static_cast<std::size_t>(max_batch_))
    return Status::error(std::to_string(crops.size()) + " crops are more than a batch of " +
                         std::to_string(max_batch_));
  const cv::Size size(params_.width, params_.height);
  for (std::size_t i = 0; i < crops.size(); ++i) {
    if (crops[i].type() != CV_8UC3 || crops[i].size() != size)
      return Status::error("crop " + std::to_string(i) + " of the batch is not 8-bit RGB of " +
                           std::to_string(size.width) + "x" + std::to_string(size.height) +
                           " (resize it with lomo_resize())");
  }
  const auto batch = static_cast<std::uint32_t>(crops.size());
  try {
    // The crops' bytes, one crop per row, written by the host.
    const std::size_t row_bytes = static_cast<std::size_t>(size.width) * 3;
    for (std::size_t i = 0; i < crops.size(); ++i) {
      std::uint8_t* target = crops_.row<std::uint8_t>(static_cast<int>(i));
      for (int y = 0; y < size.height; ++y)
        std::memcpy(target + static_cast<std::size_t>(y) * row_bytes, crops[i].ptr<std::uint8_t>(y),
                    row_bytes);
    }
    Status s = record(batch, outputs != nullptr);
    if (!s.is_ok()) {
      recorder_->reset();
      return s;
    }
    if (s = recorder_->submit_and_wait(); !s.is_ok()) {
      // A failed wait may leave the work running: never reuse this memory.
      broken_ = s.message();
      return s;
    }

    embeddings.resize(crops.size());
    for (std::size_t i = 0; i < crops.size() && size_ > 0; ++i) {
      const float* e = std::as_const(embeddings_).row<float>(static_cast<int>(i));
      embeddings[i].assign(e, e + size_);
    }
    if (outputs) {
      outputs->counts.resize(crops.size());
      outputs->descriptors.resize(crops.size());
      for (std::size_t i = 0; i < crops.size(); ++i) {
        const auto* packed =
            std::as_const(counts_).row<std::uint8_t>(static_cast<int>(i));  // little-endian words
        std::vector<std::uint32_t>& c = outputs->counts[i];
        c.reserve(layout_.dimension);
        for (int b = 0; b < layout_.blocks; ++b) {
          const std::size_t bins = b == 0 ? static_cast<std::size_t>(layout_.hsv_bins) : kSiltpBins;
          const std::size_t first =
              b == 0 ? 0 : 4 * (std::size_t{hsv_words_} + (b - 1) * std::size_t{siltp_words_});
          const std::size_t stride = 4 * std::size_t{words_of(bins)};
          for (int r = 0; r < layout_.rows; ++r)
            for (std::size_t k = 0; k < bins; ++k)
              c.push_back(packed[first + static_cast<std::size_t>(r) * stride + k]);
        }
        const float* d = std::as_const(descriptors_).row<float>(static_cast<int>(i));
        outputs->descriptors[i].assign(d, d + layout_.dimension);
      }
    }
    return Status::ok();
  } catch (const std::exception& e) {
    recorder_->reset();
    return Status::error(e.what());
  }
}

}  // namespace oi::reid
