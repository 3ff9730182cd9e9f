// xray.correct and xray.colorize (the plugin stages) on a 1024 x 2000 dual-energy scan, Vulkan
// vs the CPU reference, ms per scan. Inputs arrive in host memory (a CPU driver in front), as in
// a pipeline whose first GPU stage is xray.correct; colorize gets host planes too.
//   bench_inspection --benchmark_filter='Correct|Colorize'
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <utility>

#include "oi/frame.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"

namespace {

constexpr int kWidth = 1024, kLines = 2000;

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

oi::PluginRegistry& registry() {
  static oi::PluginRegistry r;
  static const bool loaded = (r.load_default_locations(), true);
  (void)loaded;
  return r;
}

std::unique_ptr<oi::Stage> make(const std::string& type, oi::StageSpec& spec, nlohmann::json params) {
  std::unique_ptr<oi::Stage> stage = registry().create(type);
  stage->setup(spec);
  oi::ParamSet set;
  for (const oi::ParamSpec& p : spec.params())
    set.set(p.name(), params.contains(p.name()) ? params[p.name()] : *p.default_value());
  stage->start(oi::StageConfig{"bench", type, "", set, {}, {}});
  return stage;
}

oi::FramePtr raw_frame(std::uint16_t lo, std::uint16_t hi, const char* calibration) {
  auto f = oi::Frame::create("xray.scan");
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> d(lo, hi);
  const int lines = calibration ? 16 : kLines;
  for (const char* name : {"high", "low"}) {
    oi::Plane& p = f->add_plane(name, oi::PixelFormat::kU16, kWidth, lines);
    for (int y = 0; y < lines; ++y)
      for (int x = 0; x < kWidth; ++x) p.row<std::uint16_t>(y)[x] = static_cast<std::uint16_t>(d(rng));
  }
  if (calibration) f->metadata().attributes["calibration"] = calibration;
  return f;
}

bool run(oi::Stage& stage, const oi::StageSpec& spec, oi::FramePtr in) {
  OneFrame ctx(std::move(in), spec);
  return stage.process(ctx).is_ok();
}

void BM_Correct(benchmark::State& state, const char* backend) {
  oi::StageSpec spec;
  auto stage = make("xray.correct", spec, {{"backend", backend}});
  if (!run(*stage, spec, raw_frame(90, 110, "dark")) || !run(*stage, spec, raw_frame(59000, 61000, "air")))
    return state.SkipWithError("references failed");
  oi::FramePtr scan = raw_frame(0, 65535, nullptr);
  if (!run(*stage, spec, scan)) return state.SkipWithError("process failed");  // lavapipe compiles here
  for (auto _ : state)
    if (!run(*stage, spec, scan)) return state.SkipWithError("process failed");
  stage->stop();
  state.counters["scans_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Colorize(benchmark::State& state, const char* backend) {
  oi::StageSpec spec;
  auto stage = make("xray.colorize", spec, {{"backend", backend}});
  auto f = oi::Frame::create("xray.scan");
  oi::Plane& a = f->add_plane("a_high", oi::PixelFormat::kF32, kWidth, kLines);
  oi::Plane& c = f->add_plane(oi::xray::plane::kMaterialClass, oi::PixelFormat::kU8, kWidth, kLines);
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> ad(0.0f, 12.0f);
  for (int y = 0; y < kLines; ++y)
    for (int x = 0; x < kWidth; ++x) {
      a.row<float>(y)[x] = ad(rng);
      c.row<std::uint8_t>(y)[x] = static_cast<std::uint8_t>(rng() % 5);
    }
  if (!run(*stage, spec, f)) return state.SkipWithError("process failed");
  for (auto _ : state)
    if (!run(*stage, spec, f)) return state.SkipWithError("process failed");
  stage->stop();
  state.counters["scans_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Correct, vulkan, "gpu")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Correct, cpu, "cpu")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Colorize, vulkan, "gpu")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Colorize, cpu, "cpu")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
