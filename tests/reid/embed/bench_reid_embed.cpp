// Crops per second of reid.embed's embedding (LOMO descriptor, then the learnt projection and
// L2 normalisation) on batches of 32 person crops: the CPU reference on one thread
// (lomo_descriptor() + apply_reid_model()) and the Vulkan path (LomoGpu, lavapipe here), both
// from crops already cut from the frame, resizing to 128x48 included. The model is the shipped
// one when it is built (build/lib/openinspect/models/reid_lomo_xqda.oirm), else a random
// projection to 64 values; `embedding_size` says which size ran. docs/performance.md quotes:
//
//   build/bin/bench_reid_embed --benchmark_counters_tabular=true
//
// `crops_per_s` is the throughput; `cpu_ms_per_crop` the process's CPU time per crop (every
// thread: lavapipe uses all cores).

#include <benchmark/benchmark.h>

#include <ctime>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "lomo.hpp"
#include "lomo_gpu.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/gpu/stage_backend.hpp"
#include "reid_model.hpp"

namespace {

namespace rd = oi::reid;
constexpr int kBatch = 32;

const rd::ReidModel& model() {
  static const rd::ReidModel m = [] {
    const std::filesystem::path shipped = OI_REID_SHIPPED_MODEL;
    if (std::filesystem::exists(shipped)) return rd::load_reid_model(shipped);
    rd::ReidModel r;
    const std::size_t d = rd::lomo_dimension(r.descriptor);
    cv::RNG rng(7);
    r.mean.assign(d, 0.01f);
    r.projection.create(static_cast<int>(d), 64, CV_32F);
    rng.fill(r.projection, cv::RNG::NORMAL, 0.0, 0.05);
    return r;
  }();
  return m;
}

// 32 crops of person size in a 768x576 camera (40..70 x 100..170 pixels), textured.
const std::vector<cv::Mat>& crops() {
  static const std::vector<cv::Mat> c = [] {
    std::vector<cv::Mat> out;
    cv::RNG rng(11);
    for (int i = 0; i < kBatch; ++i) {
      cv::Mat crop(rng.uniform(100, 171), rng.uniform(40, 71), CV_8UC3);
      rng.fill(crop, cv::RNG::UNIFORM, 0, 256);
      cv::GaussianBlur(crop, crop, {5, 5}, 1.5);
      cv::rectangle(crop, cv::Rect(0, crop.rows / 5, crop.cols, crop.rows * 2 / 5),
                    cv::Scalar(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256)), -1);
      out.push_back(crop);
    }
    return out;
  }();
  return c;
}

double process_cpu_ms() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

void report(benchmark::State& state, double cpu_ms) {
  const auto n = static_cast<double>(state.iterations()) * kBatch;
  state.SetItemsProcessed(static_cast<std::int64_t>(n));
  state.counters["crops_per_s"] = benchmark::Counter(n, benchmark::Counter::kIsRate);
  state.counters["cpu_ms_per_crop"] = cpu_ms / n;
  state.counters["embedding_size"] = model().embedding_size();
}

void BM_EmbedCpu(benchmark::State& state) {
  const rd::ReidModel& m = model();
  const double cpu0 = process_cpu_ms();
  for (auto _ : state) {
    for (const cv::Mat& crop : crops()) {
      const std::vector<float> d = rd::lomo_descriptor(crop, m.descriptor);
      benchmark::DoNotOptimize(rd::apply_reid_model(m, d.data()));
    }
  }
  report(state, process_cpu_ms() - cpu0);
}

// The descriptor alone (its target: under 2 ms per crop on one core).
void BM_DescriptorCpu(benchmark::State& state) {
  const double cpu0 = process_cpu_ms();
  for (auto _ : state)
    for (const cv::Mat& crop : crops()) benchmark::DoNotOptimize(rd::lomo_descriptor(crop));
  report(state, process_cpu_ms() - cpu0);
}

void BM_EmbedVulkan(benchmark::State& state) {
  if (!oi::gpu::available()) {
    state.SkipWithError("no Vulkan device");
    return;
  }
  oi::gpu::StageBackend backend;
  backend.start(oi::StageConfig{"embed", "reid.embed", "", {}, {}, {}});
  rd::LomoGpu gpu(backend, model(), kBatch);
  std::vector<cv::Mat> resized(kBatch);
  std::vector<std::vector<float>> embeddings;
  const double cpu0 = process_cpu_ms();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i)
      resized[static_cast<std::size_t>(i)] =
          rd::lomo_resize(crops()[static_cast<std::size_t>(i)], model().descriptor);
    if (!gpu.embed(resized, embeddings).is_ok()) {
      state.SkipWithError("embed failed");
      break;
    }
  }
  report(state, process_cpu_ms() - cpu0);
}

}  // namespace

BENCHMARK(BM_DescriptorCpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EmbedCpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_EmbedVulkan)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
