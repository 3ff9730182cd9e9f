// xray.detect (the plugin stage) on a 1024 x 2000 classified scan: maps (and the candidates'
// in-painting sweeps) on Vulkan vs on the CPU reference, regions on the CPU in both, ms per
// scan, side by side; with the shipped region classifier, and with the rule scores alone. `gpu_resident`
// feeds planes already in GPU memory (as behind xray.materials on the GPU); the others host planes.
//   cmake --build BUILD --target bench_detect oi_stages_xray_detect && BUILD/bin/bench_detect
// Never run by ctest.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <utility>

#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/gpu/plane_memory.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "stage_under_test.hpp"

namespace {

constexpr int kWidth = 1024, kLines = 2000;
enum Class : std::uint8_t {
  kEmpty = 0,
  kOrganic = 1,
  kInorganic = 2,
  kMetal = 3,
  kImpenetrable = 4
};  // MaterialClass

const oi::PluginRegistry& registry() { return oi::test::plugin_registry(OI_DETECT_PLUGIN); }

// A parcel scan: light organic clutter everywhere with noise, and a grid of objects that
// exercise every mask: dense organic bricks, steel L shapes, impenetrable blocks, thin wires.
oi::FramePtr classified_scan(bool gpu_resident) {
  oi::FramePtr f = oi::Frame::create("xray.scan");
  oi::Plane& a_high = f->add_plane("a_high", oi::PixelFormat::kF32, kWidth, kLines);
  oi::Plane& a_low = f->add_plane("a_low", oi::PixelFormat::kF32, kWidth, kLines);
  oi::Plane& zeff = f->add_plane("zeff", oi::PixelFormat::kF32, kWidth, kLines);
  oi::Plane& material_class =
      f->add_plane(oi::xray::plane::kMaterialClass, oi::PixelFormat::kU8, kWidth, kLines);
  oi::Plane& density = f->add_plane("areal_density", oi::PixelFormat::kF32, kWidth, kLines);
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(1.0f, 0.05f);
  for (int y = 0; y < kLines; ++y)
    for (int x = 0; x < kWidth; ++x) {
      const int cx = x % 256, cy = y % 250;
      std::uint8_t c = kOrganic;
      float a = 0.3f, z = 7.2f;
      if (cx >= 20 && cx < 120 && cy >= 20 && cy < 100)
        c = kOrganic, a = 1.0f, z = 6.8f;  // brick
      else if (cx >= 140 && cx < 240 && cy >= 20 && cy < 45)
        c = kMetal, a = 2.7f, z = 26.0f;  // slide
      else if (cx >= 140 && cx < 165 && cy >= 45 && cy < 120)
        c = kMetal, a = 2.7f, z = 26.0f;  // grip
      else if (cx >= 20 && cx < 80 && cy >= 140 && cy < 200)
        c = kImpenetrable, a = 8.0f, z = 0.0f;
      else if (cx >= 100 && cx < 240 && cy >= 160 && cy < 162)
        c = kMetal, a = 1.9f, z = 26.0f;  // wire
      else if (cx >= 100 && cx < 240 && cy >= 200 && cy < 240)
        c = kInorganic, a = 0.8f, z = 13.0f;
      const float v = a * noise(rng);
      a_high.row<float>(y)[x] = v;
      a_low.row<float>(y)[x] = v * 1.3f;
      zeff.row<float>(y)[x] = c == kImpenetrable ? 0.0f : z * noise(rng);
      material_class.row<std::uint8_t>(y)[x] = c;
      density.row<float>(y)[x] = v * 5.0f;
    }
  if (gpu_resident) {
    const auto device = oi::gpu::default_device();
    for (const char* name : {"a_high", "a_low", "zeff", oi::xray::plane::kMaterialClass, "areal_density"})
      f->set_plane(name, oi::gpu::to_gpu_plane(device, std::as_const(*f).plane(name)));
  }
  return f;
}

void BM_Detect(benchmark::State& state, const char* backend, bool gpu_resident, bool classifier = true,
               const char* inpaint = "auto") {
  if (std::string(backend) == "gpu" && !oi::gpu::available())
    return state.SkipWithError(("no Vulkan device: " + oi::gpu::unavailable_reason()).c_str());
  oi::test::StageUnderTest stage(registry(), "xray.detect",
                                 {{"backend", backend}, {"classifier", classifier}}, "detect");
  const oi::FramePtr scan = classified_scan(gpu_resident);
  oi::FramePtr out;
  if (oi::Status s = stage.run(scan, out); !s.is_ok())
    return state.SkipWithError(s.message().c_str());  // lavapipe compiles here
  for (auto _ : state) {
    if (oi::Status s = stage.run(scan, out); !s.is_ok()) return state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetLabel(stage.summary()["backend"].get<std::string>() + ", " +
                 std::to_string(out->metadata().attributes["detections"].size()) + " detections");
  state.counters["scans_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

BENCHMARK_CAPTURE(BM_Detect, vulkan, "gpu", false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Detect, vulkan_gpu_resident, "gpu", true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Detect, cpu_reference, "cpu", false)->Unit(benchmark::kMillisecond)->UseRealTime();
// The candidates' in-painting on the Vulkan device too (`auto` keeps it on the CPU on lavapipe).
BENCHMARK_CAPTURE(BM_Detect, vulkan_inpaint_on_gpu, "gpu", false, true, "gpu")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The rule scores alone (no region classifier, so no region features and no in-painting).
BENCHMARK_CAPTURE(BM_Detect, vulkan_rules_only, "gpu", false, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(BM_Detect, cpu_reference_rules_only, "cpu", false, false)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
