// The dual-energy kernel of xray.log_attenuation (log attenuation of two u16 planes with
// dark/air correction, and their ratio) on 2048 x 2048 pixels: on Vulkan (lavapipe on a
// machine without GPU), on its OpenCV CPU reference, and memcpy moving as many bytes as the
// kernel reads and writes (16 B/px: 2 x u16 in, 3 x f32 out), which is the machine's memory
// bandwidth limit. Plus cold and warm kernel start. docs/performance.md has the figures.
//
// Counters: MPix_s (million pixels per second), GB_s (bytes the kernel reads + writes per
// second, 16 B/px; for memcpy the bytes it reads + writes).

#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>
#include <unistd.h>

#include "log_attenuation_cpu.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/gpu.hpp"
#include "oi/plugin_registry.hpp"

namespace {

constexpr int kSize = 2048;
constexpr double kPixels = double(kSize) * kSize;
constexpr double kBytesPerPixel = 16;  // reads 2 x 2 B, writes 3 x 4 B
const oi::xray::DualEnergyLevels kLevels{100, 60000, 120, 58000, 0.01f};

struct Push {
  std::uint32_t width = 0, height = 0;
  oi::xray::DualEnergyLevels levels;
};

void set_rates(benchmark::State& state, double bytes_per_pixel = kBytesPerPixel) {
  state.counters["MPix_s"] = benchmark::Counter(kPixels / 1e6, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GB_s"] =
      benchmark::Counter(kPixels * bytes_per_pixel / 1e9, benchmark::Counter::kIsIterationInvariantRate);
}

void fill_random(oi::Plane& plane, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> counts(0, 65535);
  for (int y = 0; y < plane.height; ++y) {
    auto* row = plane.row<std::uint16_t>(y);
    for (int x = 0; x < plane.width; ++x) row[x] = static_cast<std::uint16_t>(counts(rng));
  }
}

oi::gpu::KernelDesc kernel_desc() {
  oi::gpu::KernelDesc desc;
  desc.name = "xray.log_attenuation";
  desc.source = oi::gpu::ShaderSource::from_file(oi::gpu::shader_directory() / "xray" / "log_attenuation.comp");
  desc.bindings = {{"high", oi::gpu::Access::kRead},
                   {"low", oi::gpu::Access::kRead},
                   {"a_high", oi::gpu::Access::kWrite},
                   {"a_low", oi::gpu::Access::kWrite},
                   {"ratio", oi::gpu::Access::kWrite}};
  desc.push_constant_bytes = sizeof(Push);
  return desc;
}

// The kernel alone on planes already in GPU memory: what consecutive GPU stages see.
void BM_VulkanResident(benchmark::State& state) {
  if (!oi::gpu::available()) return state.SkipWithError(oi::gpu::unavailable_reason().c_str());
  auto device = oi::gpu::default_device();
  oi::gpu::KernelDesc desc = kernel_desc();
  desc.workgroup = {static_cast<std::uint32_t>(state.range(0)), static_cast<std::uint32_t>(state.range(1)), 1};
  auto kernel = device->create_kernel(desc);
  auto recorder = device->create_recorder();
  oi::Plane high = oi::gpu::make_gpu_plane(device, oi::PixelFormat::kU16, kSize, kSize);
  oi::Plane low = oi::gpu::make_gpu_plane(device, oi::PixelFormat::kU16, kSize, kSize);
  fill_random(high, 1);
  fill_random(low, 2);
  std::vector<oi::Plane> out;
  for (int i = 0; i < 3; ++i) out.push_back(oi::gpu::make_gpu_plane(device, oi::PixelFormat::kF32, kSize, kSize));
  const Push push{kSize, kSize, kLevels};
  for (auto _ : state) {
    if (!recorder->dispatch_grid(*kernel, {high, low, out[0], out[1], out[2]}, push, kSize, kSize).is_ok() ||
        !recorder->submit_and_wait().is_ok()) {
      return state.SkipWithError("dispatch failed");
    }
  }
  set_rates(state);
  state.SetLabel(device->info().name);
}

// A stage's view of one frame.
class OneFrame final : public oi::StageContext {
 public:
  OneFrame(oi::FramePtr in, const oi::StageSpec& spec) : in_(std::move(in)), spec_(spec) {}
  oi::FramePtr take(std::size_t) override { return std::exchange(in_, nullptr); }
  void emit(std::size_t, oi::FramePtr frame) override { out = std::move(frame); }
  bool stop_requested() const override { return false; }
  const std::string& stage_name() const override { return name_; }
  const oi::StageSpec& spec() const override { return spec_; }
  oi::FramePtr out;

 private:
  oi::FramePtr in_;
  const oi::StageSpec& spec_;
  std::string name_ = "bench";
};

// The xray.log_attenuation stage (plugin) per frame: new output planes every frame, and with
// arg 1 the inputs arrive in host memory (a CPU driver in front) and are copied in.
void BM_LogAttenuationStage(benchmark::State& state, const char* backend) {
  const bool host_input = state.range(0) == 1;
  static oi::PluginRegistry registry;
  static const bool loaded = (registry.load_default_locations(), true);
  (void)loaded;
  std::unique_ptr<oi::Stage> stage = registry.create("xray.log_attenuation");
  oi::StageSpec spec;
  stage->setup(spec);
  oi::ParamSet params;
  for (const oi::ParamSpec& p : spec.params()) params.set(p.name(), *p.default_value());
  params.set("dark_high", 100.0);
  params.set("air_high", 60000.0);
  params.set("dark_low", 120.0);
  params.set("air_low", 58000.0);
  params.set("backend", backend);
  stage->start(oi::StageConfig{"bench", "xray.log_attenuation", "", params, {}});
  auto frame = oi::Frame::create();
  fill_random(frame->add_plane("high", oi::PixelFormat::kU16, kSize, kSize), 1);
  fill_random(frame->add_plane("low", oi::PixelFormat::kU16, kSize, kSize), 2);
  if (!host_input && std::string(backend) == "gpu") {
    auto device = oi::gpu::default_device();
    frame->set_plane("high", oi::gpu::to_gpu_plane(device, frame->plane("high")));
    frame->set_plane("low", oi::gpu::to_gpu_plane(device, frame->plane("low")));
  }
  for (auto _ : state) {
    OneFrame ctx(frame, spec);
    if (!stage->process(ctx).is_ok()) return state.SkipWithError("process failed");
  }
  stage->stop();
  set_rates(state);
}

// The OpenCV reference on preallocated outputs: the CPU fallback's cost.
void BM_OpenCvReference(benchmark::State& state) {
  oi::Plane high = oi::Plane::allocate(oi::PixelFormat::kU16, kSize, kSize);
  oi::Plane low = oi::Plane::allocate(oi::PixelFormat::kU16, kSize, kSize);
  fill_random(high, 1);
  fill_random(low, 2);
  cv::Mat a_high(kSize, kSize, CV_32F), a_low(kSize, kSize, CV_32F), ratio(kSize, kSize, CV_32F);
  for (auto _ : state) {
    oi::xray::dual_energy_reference(oi::as_mat(std::as_const(high)), oi::as_mat(std::as_const(low)), kLevels,
                                    a_high, a_low, ratio);
    benchmark::DoNotOptimize(ratio.data);
  }
  set_rates(state);
  state.SetLabel(std::to_string(cv::getNumThreads()) + " OpenCV threads");
}

// memcpy of 8 B/px (reads 8 + writes 8 = the kernel's 16 B/px), on 1 or 2 threads.
void BM_Memcpy(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const std::size_t bytes = static_cast<std::size_t>(kPixels) * 8;
  std::vector<std::byte> source(bytes, std::byte{1}), destination(bytes);
  for (auto _ : state) {
    const std::size_t part = bytes / threads;
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) {
      workers.emplace_back([&, t] { std::memcpy(destination.data() + t * part, source.data() + t * part, part); });
    }
    std::memcpy(destination.data(), source.data(), part);
    for (auto& w : workers) w.join();
    benchmark::DoNotOptimize(destination.data());
  }
  set_rates(state);
}

// Kernel start (compile or SPIR-V cache, then vkCreateComputePipelines with the device's
// pipeline cache) on a freshly opened device: cold with an empty OI_CACHE_DIR each time,
// warm with the same folder again. Device opening is not timed (see `oi gpu`).
void BM_KernelStart(benchmark::State& state, bool warm) {
  if (!oi::gpu::available()) return state.SkipWithError(oi::gpu::unavailable_reason().c_str());
  const int index = oi::gpu::default_device()->info().index;
  const auto root = std::filesystem::temp_directory_path() / ("oi-bench-gpu-" + std::to_string(::getpid()));
  int run = 0;
  const auto warm_dir = root / "warm";
  if (warm) {  // fill the caches once
    ::setenv("OI_CACHE_DIR", warm_dir.c_str(), 1);
    auto device = oi::gpu::open_device(index);
    device->create_kernel(kernel_desc());
  }
  double total_ms = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const auto dir = warm ? warm_dir : root / ("cold-" + std::to_string(run++));
    ::setenv("OI_CACHE_DIR", dir.c_str(), 1);
    auto device = oi::gpu::open_device(index);
    state.ResumeTiming();
    const auto started = std::chrono::steady_clock::now();
    auto kernel = device->create_kernel(kernel_desc());
    total_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    state.PauseTiming();
    if (warm != kernel->timing().spirv_from_cache) return state.SkipWithError("unexpected SPIR-V cache result");
    kernel.reset();
    device.reset();
    state.ResumeTiming();
  }
  std::filesystem::remove_all(root);
  state.counters["start_ms"] = total_ms / static_cast<double>(state.iterations());
}

}  // namespace

// Workgroup x, y: 16x16 is what the stages use (KernelDesc default).
BENCHMARK(BM_VulkanResident)->ArgNames({"wg_x", "wg_y"})->Args({16, 16})->Args({64, 4})->Args({256, 1})
    ->Args({8, 8})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAttenuationStage, gpu, "gpu")->ArgName("host_input")->Arg(0)->Arg(1)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAttenuationStage, cpu, "cpu")->ArgName("host_input")->Arg(1)
    ->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_OpenCvReference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Memcpy)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_KernelStart, cold, false)->Iterations(10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_KernelStart, warm, true)->Iterations(10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
