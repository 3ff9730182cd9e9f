// xray.materials on a 1024 x 2000 scan: the Vulkan kernel (inputs already GPU planes, as
// behind xray.correct) against the CPU reference, side by side, for smoothing radius 1 and 2.
//   ninja -C BUILD bench_xray_materials && BUILD/tests/bin/bench_xray_materials
// Never run by ctest.
#include <benchmark/benchmark.h>

#include <opencv2/core.hpp>
#include <random>

#include "materials_test_support.hpp"
#include "oi/gpu/gpu.hpp"
#include "oi/xray/contract.hpp"

namespace {

using namespace oi::xray::testing;

// A scan-like input: attenuation rising across the belt, ratios between the organic and the
// metal curves down the scan, quantum-like noise; some empty and impenetrable pixels.
oi::FramePtr scan_frame(bool gpu) {
  const int w = 1024, h = 2000;
  cv::Mat ah(h, w, CV_32F), al(h, w, CV_32F);
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const float a = 6.8f * x / w;
      const float sigma = 0.016f * std::exp(a / 2);
      ah.at<float>(y, x) = std::max(0.0f, a + sigma * noise(rng));
      al.at<float>(y, x) = std::max(0.0f, a * (1.15f + 1.2f * y / h) + sigma * noise(rng));
    }
  oi::FramePtr frame = make_attenuation_frame(ah, al);
  if (gpu) {
    auto device = oi::gpu::default_device();
    for (const char* p : {oi::xray::plane::kAHigh, oi::xray::plane::kALow})
      frame->set_plane(p, oi::gpu::to_gpu_plane(device, std::as_const(*frame).plane(p)));
  }
  return frame;
}

void BM_Materials(benchmark::State& state, const char* backend) {
  const int radius = static_cast<int>(state.range(0));
  const auto cal =
      write_text(std::filesystem::temp_directory_path() / "oi_bench_materials" / "calibration.json",
                 synthetic_calibration().dump());
  MaterialsStage stage({{"calibration", cal.string()}, {"backend", backend}, {"smoothing_radius", radius}});
  const oi::FramePtr frame = scan_frame(std::string(backend) == "gpu");
  benchmark::DoNotOptimize(stage.run(frame));  // lavapipe compiles the kernel at its first dispatch
  for (auto _ : state) {
    oi::FramePtr out = stage.run(frame);
    benchmark::DoNotOptimize(out);
  }
  state.counters["scans_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["Mpixel_per_s"] = benchmark::Counter(
      1024.0 * 2000.0 * static_cast<double>(state.iterations()) / 1e6, benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Materials, vulkan, "gpu")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Materials, cpu_reference, "cpu")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
