// cctv.detect's background model and clean-up on Vulkan (foreground_gpu.hpp): one dispatch of
// background_model.comp, one of foreground_pack.comp (the foreground as bits, 32 pixels a
// word), then one per clean-up step (foreground_median.comp; foreground_morphology.comp for
// the opening's erosion and dilation and the closing's dilation and erosion) ping-ponging
// between two bit masks, in one command buffer per frame; the host unpacks the final bits.
// Bit-packed masks make the clean-up a few word operations per 32 pixels: on a CPU device
// (lavapipe) the per-pixel version of these windows cost more than the model.
#include "foreground_gpu.hpp"

#include <cstdint>
#include <string>
#include <utility>

#include "oi/cctv/contract.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/kernel.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "oi_cctv_detect_gpu_shaders.hpp"

namespace oi::cctv {
namespace {

// background_model.comp's push-constant block.
struct ModelPush {
  std::uint32_t size[2];
  std::uint32_t reset;
  std::uint32_t pad0;
  float background[3];  // alpha, 1 - alpha, prune
  float pad1;
  float person[3];
  float pad2;
};

// foreground_pack.comp's and foreground_median.comp's push-constant block.
struct BitsPush {
  std::uint32_t size[2];
  std::uint32_t words_per_row;
};

// foreground_morphology.comp's push-constant block.
struct MorphologyPush {
  std::uint32_t size[2];
  std::uint32_t words_per_row;
  std::int32_t radius_x;
  std::int32_t radius_y;
  std::int32_t erode;
};

enum CleanOp : std::int32_t { kMedian, kDilate, kErode };

// Words of a bit-packed mask row (shaders/cctv/foreground_bits.glsl).
std::uint32_t words_per_row(int width) { return (static_cast<std::uint32_t>(width) + 31u) / 32u; }

}  // namespace

struct ForegroundGpu::CleanStep {
  CleanOp op;
  int radius;
};

std::vector<std::uint32_t> GpuSourceModel::state_on_host() const {
  const auto* first = std::as_const(state).row<std::uint32_t>(0);
  return {first, first + static_cast<std::size_t>(state.width / 4) * static_cast<std::size_t>(state.height)};
}

ForegroundGpu::ForegroundGpu(gpu::StageBackend& backend, const ForegroundParams& params)
    : params_(params), device_(backend.device()), recorder_(&backend.recorder()) {
  using gpu::Access;
  using gpu::SpecConstant;
  gpu::KernelDesc model;
  model.name = "cctv.detect:cctv/background_model.comp";
  model.spirv = oi_cctv_detect_gpu_shaders::words("cctv/background_model.comp");
  model.bindings = {{"image", Access::kRead},
                    {"model", Access::kReadWrite},
                    {"persons", Access::kRead},
                    {"mask", Access::kWrite}};
  model.push_constant_bytes = sizeof(ModelPush);
  model.push_layout = {OI_PUSH_MEMBER(ModelPush, size), OI_PUSH_MEMBER(ModelPush, reset),
                       OI_PUSH_MEMBER(ModelPush, pad0), OI_PUSH_MEMBER(ModelPush, background),
                       OI_PUSH_MEMBER(ModelPush, pad1), OI_PUSH_MEMBER(ModelPush, person),
                       OI_PUSH_MEMBER(ModelPush, pad2)};
  model.spec_constants = {
      SpecConstant::i32(0, params.mixtures),
      SpecConstant::f32(1, params.variance_threshold),
      SpecConstant::f32(2, params.variance_threshold * params.match_ratio),
      SpecConstant::f32(3, params.background_ratio),
      SpecConstant::f32(4, params.initial_variance),
      SpecConstant::f32(5, params.min_variance),
      SpecConstant::f32(6, params.max_variance),
      SpecConstant::u32(7, params.shadow ? 1u : 0u),
      SpecConstant::f32(8, params.shadow_threshold),
  };
  model.workgroup = {16, 8, 1};
  model_kernel_ = backend.kernel(model);

  const auto bits_kernel = [&](const char* shader, std::uint32_t push_bytes,
                               std::vector<gpu::PushMember> layout) {
    gpu::KernelDesc k;
    k.name = std::string("cctv.detect:") + shader;
    k.spirv = oi_cctv_detect_gpu_shaders::words(shader);
    k.bindings = {{"source", Access::kRead}, {"target", Access::kWrite}};
    k.push_constant_bytes = push_bytes;
    k.push_layout = std::move(layout);
    k.workgroup = {4, 32, 1};  // rows of words are short: more rows per workgroup
    return backend.kernel(k);
  };
  const std::vector<gpu::PushMember> bits_layout = {OI_PUSH_MEMBER(BitsPush, size),
                                                    OI_PUSH_MEMBER(BitsPush, words_per_row)};
  pack_kernel_ = bits_kernel("cctv/foreground_pack.comp", sizeof(BitsPush), bits_layout);
  median_kernel_ = bits_kernel("cctv/foreground_median.comp", sizeof(BitsPush), bits_layout);
  morphology_kernel_ =
      bits_kernel("cctv/foreground_morphology.comp", sizeof(MorphologyPush),
                  {OI_PUSH_MEMBER(MorphologyPush, size), OI_PUSH_MEMBER(MorphologyPush, words_per_row),
                   OI_PUSH_MEMBER(MorphologyPush, radius_x), OI_PUSH_MEMBER(MorphologyPush, radius_y),
                   OI_PUSH_MEMBER(MorphologyPush, erode)});

  // clean_foreground()'s steps: median; opening = erode, dilate; closing = dilate, erode.
  if (params.median) clean_steps_.push_back({kMedian, 1});
  if (params.open_size > 1) {
    clean_steps_.push_back({kErode, params.open_size / 2});
    clean_steps_.push_back({kDilate, params.open_size / 2});
  }
  if (params.close_size > 1) {
    clean_steps_.push_back({kDilate, params.close_size / 2});
    clean_steps_.push_back({kErode, params.close_size / 2});
  }
}

ForegroundGpu::~ForegroundGpu() = default;

void ForegroundGpu::allocate(GpuSourceModel& model, cv::Size image_size, gpu::Residency residency) const {
  const cv::Size size = processing_size(image_size, params_.factor);
  model.size = size;
  // Every kernel writes every pixel it owns before anything reads it (the model after a
  // reset): no clearing.
  // The model's words (ModelLayout) as a u8 plane, 4 bytes a word.
  model.image = gpu::make_gpu_plane(device_, PixelFormat::kU8, 4 * size.width, size.height, residency,
                                    gpu::InitialContents::kUndefined);
  model.state =
      gpu::make_gpu_plane(device_, PixelFormat::kU8, 4 * model_words_per_pixel(params_.mixtures) * size.width,
                          size.height, residency, gpu::InitialContents::kUndefined);
  model.persons = gpu::make_gpu_plane(device_, PixelFormat::kU8, size.width, size.height, residency);
  model.raw = gpu::make_gpu_plane(device_, PixelFormat::kU8, size.width, size.height, residency,
                                  gpu::InitialContents::kUndefined);
  // Bit masks: rows of words_per_row 32-bit words, held as u8 planes 4 bytes a word.
  for (Plane& p : model.bits)
    p = gpu::make_gpu_plane(device_, PixelFormat::kU8, static_cast<int>(4 * words_per_row(size.width)),
                            size.height, residency, gpu::InitialContents::kUndefined);
}

Status ForegroundGpu::segment(const cv::Mat& rgba, const LearningStep& step, const cv::Mat& persons,
                              GpuSourceModel& model, cv::Mat& cleaned, cv::Mat* raw) {
  if (rgba.type() != CV_8UC4 || rgba.size() != model.size || model.size.area() == 0)
    return Status::error("image of " + std::to_string(rgba.cols) + "x" + std::to_string(rgba.rows) +
                         " does not fit the model of " + std::to_string(model.size.width) + "x" +
                         std::to_string(model.size.height) + " (reallocate the model first)");
  if (!persons.empty() && (persons.type() != CV_8U || persons.size() != model.size))
    return Status::error("the person mask must be u8 of the model's size");
  try {
    const auto w = static_cast<std::uint32_t>(model.size.width),
               h = static_cast<std::uint32_t>(model.size.height);
    const auto rate = [&](float alpha, float(&out)[3]) {
      out[0] = alpha;
      out[1] = 1.0f - alpha;
      out[2] = alpha * params_.complexity_reduction;
    };
    ModelPush push{{w, h}, step.reset ? 1u : 0u, 0u, {}, 0.0f, {}, 0.0f};
    rate(step.alpha_background, push.background);
    rate(step.alpha_person, push.person);
    // The image at processing size, written by the host (uploaded by the recorder where memory
    // is staged).
    cv::Mat image = as_mat(model.image).reshape(4, model.size.height);
    rgba.copyTo(image);
    // The person boxes, written by the host (uploaded by the recorder where memory is staged).
    {
      cv::Mat target = as_mat(model.persons);
      if (persons.empty()) {
        target.setTo(0);
      } else {
        persons.copyTo(target);
      }
    }
    Status s = recorder_->dispatch_grid(*model_kernel_, {model.image, model.state, model.persons, model.raw},
                                        push, w, h);
    const BitsPush bits{{w, h}, words_per_row(model.size.width)};
    if (s.is_ok())
      s = recorder_->dispatch_grid(*pack_kernel_, {model.raw, model.bits[0]}, bits, bits.words_per_row, h);
    int current = 0;  // the bits holding the mask so far
    for (const CleanStep& c : clean_steps_) {
      if (!s.is_ok()) break;
      const Plane& source = model.bits[current];
      const Plane& target = model.bits[1 - current];
      if (c.op == kMedian) {
        s = recorder_->dispatch_grid(*median_kernel_, {source, target}, bits, bits.words_per_row, h);
      } else {
        const MorphologyPush morphology{
            {w, h}, bits.words_per_row, c.radius, c.radius, c.op == kErode ? 1 : 0};
        s = recorder_->dispatch_grid(*morphology_kernel_, {source, target}, morphology, bits.words_per_row,
                                     h);
      }
      current = 1 - current;
    }
    if (!s.is_ok()) {
      recorder_->reset();
      return s;
    }
    if (s = recorder_->submit_and_wait(); !s.is_ok()) {
      // A failed wait may leave the work running: never reuse this model's memory.
      model = GpuSourceModel{};
      return s;
    }
    // Unpack the final bits (a few thousand words) on the host.
    const Plane& result = std::as_const(model.bits[current]);
    cleaned.create(model.size, CV_8U);
    for (int y = 0; y < model.size.height; ++y) {
      const std::uint32_t* words = result.row<std::uint32_t>(y);
      std::uint8_t* out = cleaned.ptr<std::uint8_t>(y);
      for (int x = 0; x < model.size.width; ++x) out[x] = (words[x >> 5] >> (x & 31)) & 1u ? 255 : 0;
    }
    if (raw) *raw = as_mat(std::as_const(model.raw)).clone();
    return Status::ok();
  } catch (const std::exception& e) {
    recorder_->reset();
    return Status::error(e.what());
  }
}

}  // namespace oi::cctv
