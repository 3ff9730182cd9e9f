// Scheduler overhead: tiny frames through source -> 8 pass-through stages -> sink, run by
// oi::Pipeline, against the same ten stage objects called one after another in a plain loop.
// The difference is what the scheduler costs per frame and stage; docs/performance.md has
// the figures and how to run this.
//
// Counters:
//   per_frame_stage   wall time / (frames x 10 stages): the whole cost of one stage firing
//   frames_per_s      frames through the chain per second

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "oi/pipeline.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/stage.hpp"

namespace {

constexpr int kPassStages = 8;
constexpr int kStages = kPassStages + 2;  // with the source and the sink

// Enough frames that building the pipeline and starting threads do not count, few enough
// that one run stays well under a second.
std::int64_t frames_per_run(std::int64_t spin_ns) { return spin_ns > 0 ? 2'000 : 50'000; }

class BenchSource final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.output("out");
    spec.param("count", count_);
  }
  oi::Status process(oi::StageContext& ctx) override {
    if (next_ >= count_) return oi::Status::end_of_stream();
    auto frame = oi::Frame::create();
    frame->metadata().sequence = static_cast<std::uint64_t>(next_++);
    ctx.emit(std::size_t{0}, std::move(frame));
    return oi::Status::ok();
  }

 private:
  std::int64_t count_ = 1000, next_ = 0;
};

class BenchPass final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.input("in");
    spec.output("out");
    spec.param("spin_ns", spin_ns_);
    spec.param("sleep_us", sleep_us_);
  }
  void start(const oi::StageConfig&) override {
    spin_ = std::chrono::nanoseconds(spin_ns_);
    sleep_ = std::chrono::microseconds(sleep_us_);
  }
  oi::Status process(oi::StageContext& ctx) override {
    // Stands in for real per-frame work without sleeping, so that it occupies a core.
    if (spin_.count() > 0) {
      const auto until = std::chrono::steady_clock::now() + spin_;
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    // Stands in for waiting on a device or on I/O.
    if (sleep_.count() > 0) std::this_thread::sleep_for(sleep_);
    ctx.emit(std::size_t{0}, ctx.take(std::size_t{0}));
    return oi::Status::ok();
  }

 private:
  std::int64_t spin_ns_ = 0, sleep_us_ = 0;
  std::chrono::nanoseconds spin_{0};
  std::chrono::microseconds sleep_{0};
};

class BenchSink final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(std::size_t{0});
    benchmark::DoNotOptimize(frame->metadata().sequence);
    return oi::Status::ok();
  }
};

void register_bench_types(oi::PluginRegistry& registry) {
  registry.register_type("bench.source", oi::FactoryKind::kDriver, "tiny frames",
                         [] { return std::make_unique<BenchSource>(); });
  registry.register_type("bench.pass", oi::FactoryKind::kStage, "pass-through",
                         [] { return std::make_unique<BenchPass>(); });
  registry.register_type("bench.sink", oi::FactoryKind::kStage, "drops frames",
                         [] { return std::make_unique<BenchSink>(); });
}

oi::PipelineSpec chain_spec(std::int64_t frames, std::size_t capacity, std::int64_t spin_ns,
                            std::int64_t sleep_us = 0) {
  oi::PipelineSpec spec;
  spec.file = "bench.yaml";
  oi::NodeSpec source{"src", "bench.source", true, {}, {}, {}};
  source.params.set("count", frames);
  spec.nodes.push_back(source);
  std::string previous = "src";
  for (int i = 0; i < kPassStages; ++i) {
    const std::string name = "pass" + std::to_string(i);
    spec.nodes.push_back(oi::NodeSpec{name, "bench.pass", false, {}, {}, {}});
    spec.nodes.back().params.set("spin_ns", spin_ns);
    spec.nodes.back().params.set("sleep_us", sleep_us);
    spec.connections.push_back(
        oi::ConnectionSpec{previous, "out", name, "in", capacity, oi::QueuePolicy::kBlock, {}});
    previous = name;
  }
  spec.nodes.push_back(oi::NodeSpec{"sink", "bench.sink", false, {}, {}, {}});
  spec.connections.push_back(
      oi::ConnectionSpec{previous, "out", "sink", "in", capacity, oi::QueuePolicy::kBlock, {}});
  return spec;
}

void set_counters(benchmark::State& state, std::int64_t frames) {
  const auto total = static_cast<double>(frames) * static_cast<double>(state.iterations());
  // An inverted rate is time per item: printed with an SI prefix, "262n" is 262 ns.
  state.counters["per_frame_stage"] =
      benchmark::Counter(total * kStages, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["frames_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
}

/// A StageContext with one slot: what one stage emits, the next one takes.
class HandOverContext final : public oi::StageContext {
 public:
  explicit HandOverContext(const oi::StageSpec& spec) : spec_(spec) {}
  oi::FramePtr take(std::size_t) override { return std::move(slot_); }
  void emit(std::size_t, oi::FramePtr frame) override { slot_ = std::move(frame); }
  bool stop_requested() const override { return false; }
  const std::string& stage_name() const override { return name_; }
  const oi::StageSpec& spec() const override { return spec_; }
  bool has_frame() const { return slot_ != nullptr; }

 private:
  const oi::StageSpec& spec_;
  std::string name_ = "loop";
  oi::FramePtr slot_;
};

// The baseline: the same (guarded) stage objects, called directly. Arg: work per pass
// stage in ns.
void BM_PlainLoop(benchmark::State& state) {
  const std::int64_t spin_ns = state.range(0);
  const std::int64_t frames = frames_per_run(spin_ns);
  oi::PluginRegistry registry;
  register_bench_types(registry);
  oi::StageSpec spec;
  std::vector<std::unique_ptr<oi::Stage>> stages;
  stages.push_back(registry.create("bench.source"));
  for (int i = 0; i < kPassStages; ++i) stages.push_back(registry.create("bench.pass"));
  stages.push_back(registry.create("bench.sink"));
  for (auto& stage : stages) {
    oi::StageSpec declared;
    stage->setup(declared);
  }
  oi::ParamSet source_params;
  source_params.set("count", std::numeric_limits<std::int64_t>::max());
  stages.front()->start(oi::StageConfig{"src", "bench.source", {}, source_params, {}, {}});
  oi::ParamSet pass_params;
  pass_params.set("spin_ns", spin_ns);
  for (int i = 1; i <= kPassStages; ++i)
    stages[i]->start(oi::StageConfig{"p", "bench.pass", {}, pass_params, {}, {}});
  HandOverContext ctx(spec);

  for (auto _ : state) {
    for (std::int64_t f = 0; f < frames; ++f) {
      for (auto& stage : stages) {
        if (!stage->process(ctx).is_ok()) state.SkipWithError("stage failed");
      }
    }
  }
  set_counters(state, frames);
}

// Args: worker threads, queue capacity, work per pass stage in ns.
void BM_Pipeline(benchmark::State& state) {
  oi::PluginRegistry registry;
  register_bench_types(registry);
  const auto threads = static_cast<std::size_t>(state.range(0));
  const auto capacity = static_cast<std::size_t>(state.range(1));
  const std::int64_t spin_ns = state.range(2);
  const std::int64_t frames = frames_per_run(spin_ns);
  const oi::PipelineSpec spec = chain_spec(frames, capacity, spin_ns);

  for (auto _ : state) {
    state.PauseTiming();
    auto pipeline = std::make_unique<oi::Pipeline>(spec, registry);
    state.ResumeTiming();
    oi::RunOptions options;
    options.threads = threads;
    const oi::RunResult result = pipeline->run(options);
    if (!result.ok) state.SkipWithError(result.error.c_str());
    state.PauseTiming();
    pipeline.reset();
    state.ResumeTiming();
  }
  set_counters(state, frames);
}

// Arg: worker threads. Every pass stage sleeps 200 us per frame, as a stage waiting on I/O.
void BM_PipelineBlocking(benchmark::State& state) {
  oi::PluginRegistry registry;
  register_bench_types(registry);
  constexpr std::int64_t kFrames = 200;
  const oi::PipelineSpec spec = chain_spec(kFrames, 4, 0, 200);
  for (auto _ : state) {
    state.PauseTiming();
    auto pipeline = std::make_unique<oi::Pipeline>(spec, registry);
    state.ResumeTiming();
    oi::RunOptions options;
    options.threads = static_cast<std::size_t>(state.range(0));
    const oi::RunResult result = pipeline->run(options);
    if (!result.ok) state.SkipWithError(result.error.c_str());
    state.PauseTiming();
    pipeline.reset();
    state.ResumeTiming();
  }
  set_counters(state, kFrames);
}

// Tiny frames and no work: what the scheduler itself costs.
BENCHMARK(BM_PlainLoop)->ArgNames({"work_ns"})->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pipeline)
    ->ArgNames({"threads", "capacity", "work_ns"})
    ->Args({1, 4, 0})
    ->Args({2, 4, 0})
    ->Args({1, 64, 0})
    ->Args({2, 64, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// 5 us of work per pass stage: whether a second worker pays off once stages do something.
BENCHMARK(BM_PlainLoop)->ArgNames({"work_ns"})->Arg(5000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Pipeline)
    ->ArgNames({"threads", "capacity", "work_ns"})
    ->Args({1, 4, 5000})
    ->Args({2, 4, 5000})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK(BM_PipelineBlocking)
    ->ArgNames({"threads"})
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
