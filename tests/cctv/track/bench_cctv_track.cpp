// Frames per second of cctv.track's tracker (docs/performance.md): 20 persons walking in a
// 768 x 576 view, 5 % missed detections; the tracker alone, and with the stage's JSON
// reading and writing of detections and tracks; with and without embeddings.
// Run: build/bin/bench_cctv_track
#include <benchmark/benchmark.h>

#include <random>

#include "byte_tracker.hpp"
#include "camera_trackers.hpp"
#include "synthetic_walkers.hpp"

namespace {

using namespace oi::cctv;

std::vector<test::SyntheticFrame> crowd(int persons, int frames, int embedding_size) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> x(0, 700), y(0, 450), speed(-3, 3), height(60, 140), unit(0, 1);
  std::vector<test::Walker> walkers;
  for (int i = 0; i < persons; ++i) {
    test::Walker w = test::straight_walker(i + 1, x(rng), y(rng), speed(rng), speed(rng) * 0.3, 0, frames);
    w.h = height(rng);
    w.w = w.h * 0.4;
    for (int k = 0; k < embedding_size; ++k) w.appearance.push_back(static_cast<float>(unit(rng)));
    walkers.push_back(std::move(w));
  }
  test::DetectorModel model;
  model.miss_rate = 0.05;
  return test::render(walkers, frames, model);
}

void BM_TrackerUpdate(benchmark::State& state) {
  const int persons = static_cast<int>(state.range(0));
  const int embedding = static_cast<int>(state.range(1));
  const std::vector<test::SyntheticFrame> frames = crowd(persons, 400, embedding);
  ByteTracker tracker;
  std::size_t f = 0, reported = 0;
  for (auto _ : state) {
    if (f == frames.size()) {
      state.PauseTiming();
      tracker = ByteTracker();
      f = 0;
      state.ResumeTiming();
    }
    reported += tracker.update(frames[f++].detections).size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["tracks/frame"] = static_cast<double>(reported) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_TrackerUpdate)->Args({20, 0})->Args({20, 128})->Args({50, 0})->Args({5, 0});

// What the stage does per frame besides the tracker: read `detections` from JSON, track,
// write `tracks` back; four cameras interleaved through one CameraTrackers.
void BM_StagePathFourCameras(benchmark::State& state) {
  const int persons = static_cast<int>(state.range(0));
  const std::vector<test::SyntheticFrame> frames = crowd(persons, 400, 0);
  std::vector<oi::FrameMetadata> metadata(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i)
    metadata[i].attributes[attr::kDetections] = to_json_list(frames[i].detections);
  CameraTrackers trackers;
  const char* cameras[] = {"cam-1", "cam-2", "cam-3", "cam-4"};
  std::int64_t n = 0;
  for (auto _ : state) {
    const std::size_t f = static_cast<std::size_t>(n / 4) % frames.size();
    if (f == 0 && n % 4 == 0 && n > 0) {
      state.PauseTiming();
      trackers = CameraTrackers();
      state.ResumeTiming();
    }
    oi::FrameMetadata meta = metadata[f];
    const std::vector<Detection> detections = detections_of(meta);
    const SourceUpdate update =
        trackers.update(cameras[n % 4], FrameClock{static_cast<std::uint64_t>(f), 0}, detections);
    meta.attributes[attr::kTracks] = to_json_list(update.tracks);
    benchmark::DoNotOptimize(meta);
    ++n;
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StagePathFourCameras)->Arg(20);

}  // namespace

BENCHMARK_MAIN();
