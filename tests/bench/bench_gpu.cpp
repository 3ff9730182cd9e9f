// The dual-energy kernel of xray.log_attenuation (log attenuation of two u16 planes with
// dark/air correction, and their ratio) on 2048 x 2048 pixels: on Vulkan (lavapipe on a
// machine without GPU), on its OpenCV CPU reference, and memcpy moving as many bytes as the
// kernel reads and writes (16 B/px: 2 x u16 in, 3 x f32 out), which is the machine's memory
// bandwidth limit. Plus cold and warm kernel start. docs/performance.md has the figures.
//
// Counters: MPix_s (million pixels per second), GB_s (bytes the kernel reads + writes per
// second, 16 B/px; for memcpy the bytes it reads + writes).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <opencv2/core.hpp>
#include <random>
#include <span>
#include <thread>
#include <vector>

#include "log_attenuation_cpu.hpp"
#include "log_attenuation_push.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/gpu.hpp"
#include "oi/plugin_registry.hpp"

namespace {

constexpr int kSize = 2048;
constexpr double kPixels = double(kSize) * kSize;
constexpr double kBytesPerPixel = 16;  // reads 2 x 2 B, writes 3 x 4 B
const oi::xray::DualEnergyLevels kLevels{100, 60000, 120, 58000, 0.01f};

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

// The stage's kernel: 8 pixels per invocation with 64-bit accesses (devices with
// shaderInt64, lavapipe included), or the 32-bit variant with 4.
oi::gpu::KernelDesc kernel_desc(int pixels_per_invocation = 8) {
  oi::gpu::KernelDesc desc;
  desc.name = "xray.log_attenuation";
  desc.source = oi::gpu::ShaderSource::from_file(
      oi::gpu::shader_directory() / "xray" /
      (pixels_per_invocation == 8 ? "log_attenuation.comp" : "log_attenuation_32bit.comp"));
  desc.bindings = {{"high", oi::gpu::Access::kRead},
                   {"low", oi::gpu::Access::kRead},
                   {"a_high", oi::gpu::Access::kWrite},
                   {"a_low", oi::gpu::Access::kWrite},
                   {"ratio", oi::gpu::Access::kWrite}};
  desc.push_constant_bytes = sizeof(oi::xray::LogAttenuationPush);
  desc.workgroup = {64, 1, 1};
  return desc;
}

// The kernel alone on planes already in GPU memory: what consecutive GPU stages see. Linear
// dispatch as the stage runs it; args: pixels per invocation (kernel variant), workgroup size.
void BM_VulkanResident(benchmark::State& state) {
  if (!oi::gpu::available()) return state.SkipWithError(oi::gpu::unavailable_reason().c_str());
  auto device = oi::gpu::default_device();
  const int pixels_per_invocation = static_cast<int>(state.range(0));
  oi::gpu::KernelDesc desc = kernel_desc(pixels_per_invocation);
  desc.workgroup = {static_cast<std::uint32_t>(state.range(1)), 1, 1};
  auto kernel = device->create_kernel(desc);
  auto recorder = device->create_recorder();
  oi::Plane high = oi::gpu::make_gpu_plane(device, oi::PixelFormat::kU16, kSize, kSize);
  oi::Plane low = oi::gpu::make_gpu_plane(device, oi::PixelFormat::kU16, kSize, kSize);
  fill_random(high, 1);
  fill_random(low, 2);
  std::vector<oi::Plane> out;
  for (int i = 0; i < 3; ++i)
    out.push_back(oi::gpu::make_gpu_plane(device, oi::PixelFormat::kF32, kSize, kSize));
  const auto push = oi::xray::LogAttenuationPush::from(kLevels, kSize, kSize);
  const std::uint32_t groups = kernel->groups_for(kSize * kSize / pixels_per_invocation, 1)[0];
  const std::vector<oi::gpu::BufferRef> refs{high, low, out[0], out[1], out[2]};
  // lavapipe compiles the pipeline with LLVM at its first dispatch: keep that out of the loop.
  if (!recorder->dispatch(*kernel, refs, std::as_bytes(std::span(&push, 1)), {groups, 1, 1}).is_ok() ||
      !recorder->submit_and_wait().is_ok()) {
    return state.SkipWithError("dispatch failed");
  }
  for (auto _ : state) {
    if (!recorder->dispatch(*kernel, refs, std::as_bytes(std::span(&push, 1)), {groups, 1, 1}).is_ok() ||
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

// The xray.log_attenuation stage (plugin) per frame, the previous frame released before the
// next (so on the GPU its output planes are recycled), and with arg 1 the inputs arrive in
// host memory (a CPU driver in front) and are copied in.
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
  stage->start(oi::StageConfig{"bench", "xray.log_attenuation", "", params, {}, {}});
  auto frame = oi::Frame::create();
  fill_random(frame->add_plane("high", oi::PixelFormat::kU16, kSize, kSize), 1);
  fill_random(frame->add_plane("low", oi::PixelFormat::kU16, kSize, kSize), 2);
  if (!host_input && std::string(backend) == "gpu") {
    auto device = oi::gpu::default_device();
    frame->set_plane("high", oi::gpu::to_gpu_plane(device, frame->plane("high")));
    frame->set_plane("low", oi::gpu::to_gpu_plane(device, frame->plane("low")));
  }
  {  // first frame out of the loop: lavapipe compiles the pipeline at its first dispatch
    OneFrame ctx(frame, spec);
    if (!stage->process(ctx).is_ok()) return state.SkipWithError("process failed");
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
      workers.emplace_back(
          [&, t] { std::memcpy(destination.data() + t * part, source.data() + t * part, part); });
    }
    std::memcpy(destination.data(), source.data(), part);
    for (auto& w : workers) w.join();
    benchmark::DoNotOptimize(destination.data());
  }
  set_rates(state);
}

// Mesa's on-disk shader cache, where lavapipe keeps the machine code LLVM made for a
// pipeline. It must be chosen before the Vulkan instance exists, so main() sets it once for
// the whole run; the cold start empties it.
std::filesystem::path g_mesa_cache_dir;

// Removes the cache entries under `dir`, keeping the folders and Mesa's `index` file (Mesa
// creates the entry folders again, not its top folder).
void clear_cache_entries(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != decltype(it)();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().filename() != "index") files.push_back(it->path());
  }
  for (const auto& f : files) std::filesystem::remove(f, ec);
}

// Kernel start on a freshly opened device, until the kernel has run once: create_kernel()
// (glslang or the SPIR-V cache, then vkCreateComputePipelines with the device's pipeline
// cache) plus the first dispatch of a 256-pixel frame, because lavapipe compiles the pipeline
// with LLVM at its first dispatch, not in vkCreateComputePipelines. Cold: empty OI_CACHE_DIR
// and empty Mesa shader cache every time. Warm: both filled by an earlier start. Device
// opening is not timed (see `oi gpu`); once-per-process costs (glslang and LLVM
// initialisation, the Vulkan instance) are paid before the first iteration.
void BM_KernelStart(benchmark::State& state, bool warm) {
  if (!oi::gpu::available()) return state.SkipWithError(oi::gpu::unavailable_reason().c_str());
  const int index = oi::gpu::default_device()->info().index;
  const auto root = std::filesystem::temp_directory_path() / ("oi-bench-gpu-" + std::to_string(::getpid()));
  int run = 0;
  const auto warm_dir = root / "warm";
  const auto push = oi::xray::LogAttenuationPush::from(kLevels, 64, 4);
  double create_ms = 0, dispatch_ms = 0;
  auto start_once = [&](bool timed) {
    auto device = oi::gpu::open_device(index);
    auto recorder = device->create_recorder();
    std::vector<oi::Plane> planes;
    for (auto format : {oi::PixelFormat::kU16, oi::PixelFormat::kU16, oi::PixelFormat::kF32,
                        oi::PixelFormat::kF32, oi::PixelFormat::kF32}) {
      planes.push_back(oi::gpu::make_gpu_plane(device, format, 64, 4));
    }
    const std::vector<oi::gpu::BufferRef> refs(planes.begin(), planes.end());
    if (timed) state.ResumeTiming();
    const auto started = std::chrono::steady_clock::now();
    auto kernel = device->create_kernel(kernel_desc());
    const auto created = std::chrono::steady_clock::now();
    const bool ok =
        recorder->dispatch(*kernel, refs, std::as_bytes(std::span(&push, 1)), {1, 1, 1}).is_ok() &&
        recorder->submit_and_wait().is_ok();
    const auto ran = std::chrono::steady_clock::now();
    if (timed) state.PauseTiming();
    create_ms += std::chrono::duration<double, std::milli>(created - started).count();
    dispatch_ms += std::chrono::duration<double, std::milli>(ran - created).count();
    return ok && warm == kernel->timing().spirv_from_cache;
  };
  // Mesa writes its cache files on a background thread: give it time before the next start.
  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); };
  settle();
  if (warm) {  // fill both caches once
    ::setenv("OI_CACHE_DIR", warm_dir.c_str(), 1);
    start_once(false);
    settle();
    create_ms = dispatch_ms = 0;
  }
  for (auto _ : state) {
    state.PauseTiming();
    ::setenv("OI_CACHE_DIR", (warm ? warm_dir : root / ("cold-" + std::to_string(run++))).c_str(), 1);
    if (!warm) clear_cache_entries(g_mesa_cache_dir);
    if (!start_once(true)) return state.SkipWithError("start failed or unexpected SPIR-V cache result");
    settle();
    state.ResumeTiming();
  }
  std::filesystem::remove_all(root);
  const auto n = static_cast<double>(state.iterations());
  state.counters["create_ms"] = create_ms / n;
  state.counters["first_dispatch_ms"] = dispatch_ms / n;
}

}  // namespace

// Pixels per invocation 8 (64-bit variant) or 4 (32-bit variant); workgroup size (1-D): 64 is
// what the stage uses.
BENCHMARK(BM_VulkanResident)
    ->ArgNames({"px_per_inv", "wg_x"})
    ->Args({8, 64})
    ->Args({8, 128})
    ->Args({8, 256})
    ->Args({8, 32})
    ->Args({4, 64})
    ->Args({4, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAttenuationStage, gpu, "gpu")
    ->ArgName("host_input")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_LogAttenuationStage, cpu, "cpu")
    ->ArgName("host_input")
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_OpenCvReference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Memcpy)->ArgName("threads")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_KernelStart, cold, false)->Iterations(10)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_KernelStart, warm, true)->Iterations(10)->Unit(benchmark::kMillisecond)->UseRealTime();
int main(int argc, char** argv) {
  // Before anything creates the Vulkan instance (lavapipe opens Mesa's cache with it): a
  // private Mesa shader cache, so that "cold" is cold and the user's cache is left alone.
  g_mesa_cache_dir =
      std::filesystem::temp_directory_path() / ("oi-bench-gpu-mesa-" + std::to_string(::getpid()));
  std::filesystem::create_directories(g_mesa_cache_dir);
  ::setenv("MESA_SHADER_CACHE_DIR", g_mesa_cache_dir.c_str(), 1);
  ::benchmark::Initialize(&argc, argv);
  if (::benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  ::benchmark::RunSpecifiedBenchmarks();
  ::benchmark::Shutdown();
  std::filesystem::remove_all(g_mesa_cache_dir);
  return 0;
}
