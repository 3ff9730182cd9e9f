// Frames per second of the simulated site (issue 13: at least 100 frames/s of 768x576 on the
// 2-core reference machine). Everything the driver does per frame except wrapping it in a
// Frame: advance the crowd, copy the background, paint the persons in view, motion blur,
// ground truth, sensor noise and compression. Recorded in docs/cctv.md; run on a quiet machine:
//   build/bin/bench_sim_cctv --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "site_camera.hpp"

namespace {

using namespace oi::sim_cctv;

SiteCameraConfig config(std::size_t camera) {
  SiteCameraConfig c;
  c.camera = camera;
  c.seed = 7;
  return c;  // 768 x 576, default density, noise and compression
}

// One camera, frame after frame. Arg 0: the camera (0 gate, 1 corridor, 2 baggage, 3 exit).
void BM_RenderCamera(benchmark::State& state) {
  SiteCamera camera(config(static_cast<std::size_t>(state.range(0))));
  std::vector<std::uint8_t> image(static_cast<std::size_t>(768) * 576 * 3);
  std::vector<oi::cctv::GroundTruthPerson> truth;
  std::int64_t frame = 0;
  std::int64_t persons = 0;
  for (auto _ : state) {
    camera.render(frame++, image.data(), 768 * 3, truth);
    persons += static_cast<std::int64_t>(truth.size());
    benchmark::DoNotOptimize(image.data());
  }
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(frame), benchmark::Counter::kIsRate);
  state.counters["persons_per_frame"] = static_cast<double>(persons) / static_cast<double>(frame);
}
BENCHMARK(BM_RenderCamera)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

// The four cameras of the site, each on the thread that owns it (camera k on thread k mod T),
// as four device nodes run in a pipeline. Arg 0: threads T. frames_per_s counts the frames
// of all four cameras together.
void BM_RenderFourCameras(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  constexpr int kFramesPerIteration = 10;  // per camera, so thread start-up is amortised
  std::vector<std::unique_ptr<SiteCamera>> cameras;
  std::vector<std::vector<std::uint8_t>> images(
      4, std::vector<std::uint8_t>(static_cast<std::size_t>(768) * 576 * 3));
  std::vector<std::vector<oi::cctv::GroundTruthPerson>> truths(4);
  for (std::size_t c = 0; c < 4; ++c) cameras.push_back(std::make_unique<SiteCamera>(config(c)));
  std::int64_t next = 0;
  std::int64_t frames = 0;
  for (auto _ : state) {
    const std::int64_t first = next;
    auto work = [&](int t) {
      for (int c = t; c < 4; c += threads)
        for (int i = 0; i < kFramesPerIteration; ++i)
          cameras[c]->render(first + i, images[c].data(), 768 * 3, truths[c]);
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
    work(0);
    for (std::thread& th : pool) th.join();
    next += kFramesPerIteration;
    frames += 4 * kFramesPerIteration;
  }
  state.counters["frames_per_s"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RenderFourCameras)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// What configuring a camera costs: the crowd's warm-up and the background's ray casting.
void BM_BuildCamera(benchmark::State& state) {
  for (auto _ : state) {
    SiteCamera camera(config(static_cast<std::size_t>(state.range(0))));
    benchmark::DoNotOptimize(&camera);
  }
}
BENCHMARK(BM_BuildCamera)->Arg(0)->Arg(3)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
