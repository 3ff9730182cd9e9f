// Frames per second of cctv.detect on 768x576 frames, four cameras interleaved on one stage
// (as four cameras feed one multi-source input), on the Vulkan backend (lavapipe here) and the
// CPU backend; and, when the cctv.track plugin is built, of detect followed by track. The
// frames are synthetic (synthetic_scene.hpp: walking person shapes over a noisy textured
// floor), rendered before timing. docs/performance.md quotes the figures:
//
//   build/bin/bench_cctv_detect --benchmark_counters_tabular=true
//
// `frames_per_s` counts the frames of all four cameras; the target is >= 100 (25 per
// camera) for detect + track. `cpu_ms_per_frame` is the process's CPU time per frame (every
// thread): the 2-core machine has 2000 ms of it a second.

#include <benchmark/benchmark.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/gpu/runtime.hpp"
#include "stage_under_test.hpp"
#include "synthetic_scene.hpp"

namespace {

using oi::cctv::testing::make_frame;
using oi::cctv::testing::SyntheticScene;
using oi::cctv::testing::walkers;

constexpr int kCameras = 4;
constexpr int kFramesPerCamera = 48;  // rendered once; the run cycles through them

struct Frames {
  std::vector<std::vector<oi::FramePtr>> by_camera;
};

const Frames& frames() {
  static const Frames f = [] {
    Frames out;
    const cv::Size size(768, 576);
    for (int c = 0; c < kCameras; ++c) {
      const SyntheticScene scene(size, 100 + c);
      out.by_camera.emplace_back();
      for (int i = 0; i < kFramesPerCamera; ++i)
        out.by_camera.back().push_back(make_frame(scene.render(i, walkers(size, i + 40 * c, 4, 0.4, 20.0)),
                                                  "camera_" + std::to_string(c), i));
    }
    return out;
  }();
  return f;
}

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

std::unique_ptr<oi::test::StageUnderTest> stage_of(const char* plugin, const char* type,
                                                   const nlohmann::json& params) {
  return std::make_unique<oi::test::StageUnderTest>(oi::test::plugin_registry(plugin), type, params, type);
}

void run(benchmark::State& state, const std::string& backend, double scale, bool track) {
  if (backend == "gpu" && !oi::gpu::available()) {
    state.SkipWithError(("no Vulkan device: " + oi::gpu::unavailable_reason()).c_str());
    return;
  }
  if (track && !std::filesystem::exists(OI_CCTV_TRACK_PLUGIN)) {
    state.SkipWithError("the cctv.track plugin is not built");
    return;
  }
  const Frames& f = frames();
  auto detect = stage_of(OI_CCTV_DETECT_PLUGIN, "cctv.detect", {{"backend", backend}, {"scale", scale}});
  std::unique_ptr<oi::test::StageUnderTest> tracker;
  if (track) tracker = stage_of(OI_CCTV_TRACK_PLUGIN, "cctv.track", nlohmann::json::object());
  int index = 0;
  std::int64_t detections = 0;
  const auto one_round = [&] {
    for (int c = 0; c < kCameras; ++c) {
      oi::FramePtr out, tracked;
      const oi::Status s = detect->run(f.by_camera[c][index % kFramesPerCamera], out);
      if (!s.is_ok()) {
        state.SkipWithError(s.message().c_str());
        return false;
      }
      detections += static_cast<std::int64_t>(out->metadata().attributes["detections"].size());
      if (tracker && !tracker->run(out, tracked).is_ok()) {
        state.SkipWithError("cctv.track failed");
        return false;
      }
    }
    ++index;
    return true;
  };
  // Past the warm-up (25 frames a camera), so that every timed frame is detected.
  for (int i = 0; i < 30; ++i)
    if (!one_round()) return;
  detections = 0;
  const double cpu0 = process_cpu_ms();
  for (auto _ : state)
    if (!one_round()) return;
  // CPU time of the whole process (lavapipe's and OpenCV's threads included) per frame: on a
  // machine shared with other work the wall-clock rate drops, this hardly moves.
  state.counters["cpu_ms_per_frame"] = (process_cpu_ms() - cpu0) / static_cast<double>(std::max<std::int64_t>(
                                                                       1, state.iterations() * kCameras));
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kCameras), benchmark::Counter::kIsRate);
  state.counters["per_camera_fps"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["detections_per_frame"] =
      static_cast<double>(detections) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations() * kCameras));
  const nlohmann::json summary = detect->summary();
  state.SetLabel(summary["backend"] == "gpu" ? summary["device"].get<std::string>() : "cpu");
}

void BM_Detect(benchmark::State& state, const char* backend, double scale) {
  run(state, backend, scale, false);
}
void BM_DetectTrack(benchmark::State& state, const char* backend) { run(state, backend, 0.5, true); }

}  // namespace

BENCHMARK_CAPTURE(BM_Detect, gpu_scale_0_5, "gpu", 0.5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(BM_Detect, cpu_scale_0_5, "cpu", 0.5)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(BM_Detect, gpu_scale_0_33, "gpu", 1.0 / 3.0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(BM_Detect, cpu_scale_0_33, "cpu", 1.0 / 3.0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(BM_Detect, gpu_scale_1, "gpu", 1.0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(BM_Detect, cpu_scale_1, "cpu", 1.0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3.0);
BENCHMARK_CAPTURE(BM_DetectTrack, gpu, "gpu")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK_CAPTURE(BM_DetectTrack, cpu, "cpu")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

BENCHMARK_MAIN();
