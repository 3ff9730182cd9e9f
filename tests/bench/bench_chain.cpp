// bench_inspection_chain: scans per second and decision latency of the X-ray inspection chain
// xray.correct -> xray.materials -> xray.detect -> xray.colorize on 1024-pixel x 2000-line
// dual-energy scans, run by the pipeline scheduler, on the Vulkan path and on the CPU reference
// path side by side (docs/performance.md, "X-ray inspection chain"). xray.detect runs with the
// region classifier that ships with OpenInspect, and (the *_rules_only runs) with its rule
// scores alone, so the classifier's cost shows in the same run.
//
//   bench_inspection_chain [--benchmark_repetitions=3 --benchmark_report_aggregates_only=true]
//
// Input: simulated parcels (sim.xray, seed 7000, half of them carrying threats) stitched along
// the belt into 2000-line scans, held in memory, so the scanner's own speed does not count.
// The material calibration is fitted once on simulated step wedges with `oi calibrate-materials`
// and kept in the build tree (bench-chain/; delete it to refit).
//
// Two ways of feeding the chain:
//   whole       scan.assemble before xray.correct: the chain starts when a scan's last line has
//               arrived (the *_whole runs, and the runs before streaming existed);
//   streaming   the scanner's 64-line blocks go straight into xray.correct and xray.materials,
//               which work on each block as it arrives (materials holds a block until the 2
//               lines below it have come), then scan.assemble, xray.detect and xray.colorize on
//               the whole scan. The results are the same (XrayStreaming tests).
//
// Two measurements per path:
//   Throughput  the source emits every scan at once (back-pressure only); scans/s from the
//               first emission to the last colorized scan.
//   Latency     closed loop: the next scan is emitted when the previous one has its decision;
//               decision latency = time from the scan's last line leaving the source to
//               xray.detect's output, p50 and max. Streaming: the blocks leave the source at
//               40,000 lines/s, the rate at which 1024 x 2000 scans arrive at 20 scans/s
//               (OI_BENCH_LINE_RATE=N sets another rate), and the latency counts from when the
//               last line was scanned at that pace, so a chain that falls behind pays for it.
//               Throughput counts from the first scan's first frame.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oi/frame.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kLines = 2000;
constexpr int kDistinctScans = 4;
constexpr int kBlockLines = 64;            // the simulator's default lines_per_block
constexpr double kStreamLineRate = 40000;  // lines/s: 2000-line scans at 20 scans/s

// ---- what the in-process stages share with the benchmark ----
struct Shared {
  std::vector<oi::FramePtr> references;           // dark and air frames, emitted first
  std::vector<oi::FramePtr> scans;                // the stitched 2000-line scans
  std::vector<std::vector<oi::FramePtr>> blocks;  // the same scans in kBlockLines-line blocks
  std::vector<oi::FramePtr> collected;            // data preparation: whatever reached bench.collect
  std::mutex mutex;
  std::condition_variable decided_cv;
  std::vector<Clock::time_point> emitted, decided, done;  // per scan: last line out, decision, end
  Clock::time_point started;                              // the first scan's first frame out
  std::size_t decided_count = 0;
  bool closed_loop = false;

  void reset(std::size_t count, bool loop) {
    std::lock_guard lock(mutex);
    emitted.assign(count, {});
    decided.assign(count, {});
    done.assign(count, {});
    decided_count = 0;
    closed_loop = loop;
  }
};
Shared& shared() {
  static Shared s;
  return s;
}

// Emits the reference frames, then `count` scans cycling through Shared::scans (scan_id = the
// scan's ordinal), whole or (`blocks: true`) block by block, at most `line_rate` lines a second
// (0: as fast as the chain takes them); in closed loop, waits for each scan's decision before
// the next.
class ScanSource final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.output("out",
                oi::PortType::of_kinds({oi::xray::frame_kind::kScanBlock, oi::xray::frame_kind::kScan}));
    spec.param("count", count_).min(1);
    spec.param("blocks", blocks_);
    spec.param("line_rate", line_rate_).min(0.0);
  }
  oi::Status process(oi::StageContext& ctx) override {
    Shared& s = shared();
    if (next_ref_ < s.references.size()) {
      ctx.emit(0, s.references[next_ref_++]);
      return oi::Status::ok();
    }
    if (next_ >= static_cast<std::uint64_t>(count_)) return oi::Status::end_of_stream();
    if (s.closed_loop && block_ == 0) {
      std::unique_lock lock(s.mutex);
      s.decided_cv.wait(lock, [&] { return s.decided_count >= next_ || ctx.stop_requested(); });
      paced_from_ = Clock::now();
      lines_out_ = 0;
    }
    const std::size_t which = next_ % s.scans.size();
    oi::FramePtr frame = (blocks_ ? s.blocks[which][block_] : s.scans[which])->clone();
    const int lines = std::as_const(*frame).plane("high").height;
    // When the frame's last line has been scanned: at the pace of the belt, or now. A chain
    // that falls behind the pace delays the emission (back-pressure), not this time, so its
    // backlog counts in the latency.
    Clock::time_point scanned = Clock::now();
    if (line_rate_ > 0) {
      if (lines_out_ == 0 && !s.closed_loop && next_ == 0) paced_from_ = Clock::now();
      lines_out_ += lines;
      scanned = paced_from_ + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(lines_out_ / line_rate_));
      std::this_thread::sleep_until(scanned);
    }
    // Scan ids from 1: scan id 0 is a scanner's reference frames, never a block of a scan.
    frame->metadata().scan_id = next_ + 1;
    frame->metadata().sequence = sequence_++;
    const bool last = !blocks_ || block_ + 1 == s.blocks[which].size();
    {
      std::lock_guard lock(s.mutex);
      if (next_ == 0 && block_ == 0) s.started = scanned;
      if (last) s.emitted[next_] = scanned;
    }
    block_ = last ? 0 : block_ + 1;
    if (last) ++next_;
    ctx.emit(0, std::move(frame));
    return oi::Status::ok();
  }

 private:
  std::int64_t count_ = 8;
  bool blocks_ = false;
  double line_rate_ = 0.0;
  std::size_t next_ref_ = 0;
  std::uint64_t next_ = 0, sequence_ = 0;
  std::size_t block_ = 0;  // the next block of scan next_
  Clock::time_point paced_from_;
  double lines_out_ = 0;
};

// Pass-through that stamps the time a scan reached it: `decided` after xray.detect, `done`
// at the end of the chain.
template <bool kDecided>
class Stamp final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.input("in", oi::PortType::of(oi::xray::frame_kind::kScan));
    if (kDecided) spec.output("out", oi::PortType::of(oi::xray::frame_kind::kScan));
  }
  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr f = ctx.take(0);
    if (!f) return oi::Status::ok();
    Shared& s = shared();
    const std::uint64_t id = f->metadata().scan_id - 1;  // wraps for scan id 0: not counted
    {
      std::lock_guard lock(s.mutex);
      if (id < s.done.size()) (kDecided ? s.decided : s.done)[id] = Clock::now();
      if (kDecided) ++s.decided_count;
    }
    if (kDecided) {
      s.decided_cv.notify_all();
      ctx.emit(0, std::move(f));
    }
    return oi::Status::ok();
  }
};

// Data preparation: keeps every frame it receives.
class Collect final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext& ctx) override {
    if (oi::FramePtr f = ctx.take(0)) shared().collected.push_back(std::move(f));
    return oi::Status::ok();
  }
};

template <class T>
oi::StageFactory factory() {
  return [] { return std::make_unique<T>(); };
}

oi::PluginRegistry& registry() {
  static oi::PluginRegistry r;
  static const bool loaded = [] {
    r.load_default_locations();
    r.register_type("bench.scans", oi::FactoryKind::kDriver, "stitched scans from memory",
                    factory<ScanSource>());
    r.register_type("bench.decided", oi::FactoryKind::kStage, "stamps decision time", factory<Stamp<true>>());
    r.register_type("bench.done", oi::FactoryKind::kStage, "stamps completion time", factory<Stamp<false>>());
    r.register_type("bench.collect", oi::FactoryKind::kStage, "keeps frames", factory<Collect>());
    return true;
  }();
  (void)loaded;
  return r;
}

// `extra_thread`: one more worker than cores, for the closed loop, whose source sleeps on a
// worker while it waits for the previous decision.
oi::RunResult run_yaml(const std::string& yaml, bool extra_thread = false) {
  oi::PipelineSpec spec =
      oi::load_pipeline_text(yaml, "bench_inspection_chain", fs::current_path(), registry());
  oi::Pipeline pipeline(spec, registry());
  oi::RunOptions options;
  options.threads = std::max(1u, std::thread::hardware_concurrency()) + (extra_thread ? 1 : 0);
  return pipeline.run(options);
}

// Parcels from the simulator, stitched along the belt into kLines-line scans (the last parcel
// cut where the scan is full). Ground truth is dropped: its boxes would need shifting, and
// this benchmark measures speed only.
void prepare_scans() {
  Shared& s = shared();
  if (!s.scans.empty()) return;
  const oi::RunResult r = run_yaml(R"(
devices:
  scanner:
    driver: sim.xray
    params: {scene: parcels, seed: 7000, scans: 24, threat_rate: 0.5, pixels_per_line: 1024, references: start}
stages:
  assemble: {type: scan.assemble}
  collect: {type: bench.collect}
connections:
  - {from: scanner.out, to: assemble.in, capacity: 8}
  - {from: assemble.out, to: collect.in, capacity: 8}
)");
  if (!r.ok) throw std::runtime_error("simulating parcels failed: " + r.error);
  std::vector<oi::FramePtr> parcels;
  for (oi::FramePtr& f : s.collected) {
    if (f->metadata().attributes.contains("calibration"))
      s.references.push_back(f);
    else
      parcels.push_back(f);
  }
  s.collected.clear();
  if (s.references.size() < 2 || parcels.empty())
    throw std::runtime_error("the simulator gave no references or no parcels");
  std::size_t next = 0;
  for (int n = 0; n < kDistinctScans; ++n) {
    const oi::Plane& first = parcels[next % parcels.size()]->plane("high");
    auto scan = oi::Frame::create(std::string(oi::xray::frame_kind::kScan));
    scan->metadata() = parcels[next % parcels.size()]->metadata();
    scan->metadata().attributes.erase("ground_truth");
    for (const char* name : {"high", "low"})
      scan->add_plane(name, oi::PixelFormat::kU16, first.width, kLines);
    for (int line = 0; line < kLines; ++next) {
      const oi::Frame& parcel = *parcels[next % parcels.size()];
      const int take = std::min(parcel.plane("high").height, kLines - line);
      for (const char* name : {"high", "low"})
        for (int y = 0; y < take; ++y)
          std::copy_n(parcel.plane(name).row<std::uint16_t>(y), first.width,
                      scan->plane(name).row<std::uint16_t>(line + y));
      line += take;
    }
    // The same scan as the scanner sends it: blocks of kBlockLines lines.
    std::vector<oi::FramePtr> blocks;
    for (int line = 0, index = 0; line < kLines; line += kBlockLines, ++index) {
      const int lines = std::min(kBlockLines, kLines - line);
      auto block = oi::Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
      block->metadata() = scan->metadata();
      block->metadata().block_index = static_cast<std::uint32_t>(index);
      block->metadata().end_of_scan = line + lines == kLines;
      block->metadata().attributes[oi::xray::attr::kFirstLine] = line;
      block->metadata().attributes[oi::xray::attr::kScanLines] = kLines;
      for (const char* name : {"high", "low"}) {
        oi::Plane& p = block->add_plane(name, oi::PixelFormat::kU16, first.width, lines);
        for (int y = 0; y < lines; ++y)
          std::copy_n(std::as_const(*scan).plane(name).row<std::uint16_t>(line + y), first.width,
                      p.row<std::uint16_t>(y));
      }
      blocks.push_back(std::move(block));
    }
    s.blocks.push_back(std::move(blocks));
    s.scans.push_back(std::move(scan));
  }
}

// The calibration file, fitted once with the `oi` tool and kept under the build tree.
std::string calibration() {
  static const std::string file = [] {
    const fs::path dir = fs::path(OI_BENCH_CHAIN_DIR);
    const fs::path cal = dir / "calibration.json";
    if (fs::exists(cal)) return cal.string();
    fs::create_directories(dir);
    const std::string oi = OI_EXE;
    const std::string cmd =
        oi + " run --quiet " + OI_CALIBRATION_PIPELINE + " --set dataset.dir=" + (dir / "wedges").string() +
        " && " + oi + " calibrate-materials " + (dir / "wedges").string() + " -o " +
        (dir / "partial.json").string() + " > " + (dir / "calibrate.log").string() + " 2>&1";
    if (std::system(cmd.c_str()) != 0)
      throw std::runtime_error("fitting the material calibration failed; see " +
                               (dir / "calibrate.log").string());
    fs::rename(dir / "partial.json", cal);
    return cal.string();
  }();
  return file;
}

std::string chain_yaml(const std::string& backend, int count, bool classifier, bool streaming,
                       double line_rate) {
  // xray.detect has a backend parameter only where its per-pixel work has a kernel.
  std::string detect_params = classifier ? "" : "classifier: false";
  if (const oi::TypeInfo* t = registry().find("xray.detect"); t && t->spec.find_param("backend"))
    detect_params += (detect_params.empty() ? "" : ", ") + std::string("backend: ") + backend;
  if (!detect_params.empty()) detect_params = "params: {" + detect_params + "}";
  return "devices:\n"
         "  source: {driver: bench.scans, params: {count: " +
         std::to_string(count) + ", blocks: " + (streaming ? "true" : "false") +
         ", line_rate: " + std::to_string(line_rate) +
         "}}\n"
         "stages:\n"
         "  correct: {type: xray.correct, params: {backend: " +
         backend +
         "}}\n"
         "  materials: {type: xray.materials, params: {backend: " +
         backend + ", calibration: '" + calibration() +
         "'}}\n"
         "  detect: {type: xray.detect" +
         (detect_params.empty() ? "" : ", " + detect_params) +
         "}\n"
         "  decided: {type: bench.decided}\n"
         "  colorize: {type: xray.colorize, params: {backend: " +
         backend +
         "}}\n"
         "  done: {type: bench.done}\n" +
         std::string(streaming ? "  assemble: {type: scan.assemble}\n" : "") + "connections:\n" +
         (streaming ? "  - {from: source.out, to: correct.in, capacity: 8}\n"
                      "  - {from: correct.out, to: materials.in, capacity: 8}\n"
                      "  - {from: materials.out, to: assemble.in, capacity: 8}\n"
                      "  - {from: assemble.out, to: detect.in, capacity: 2}\n"
                    : "  - {from: source.out, to: correct.in, capacity: 2}\n"
                      "  - {from: correct.out, to: materials.in, capacity: 2}\n"
                      "  - {from: materials.out, to: detect.in, capacity: 2}\n") +
         "  - {from: detect.out, to: decided.in, capacity: 2}\n"
         "  - {from: decided.out, to: colorize.in, capacity: 2}\n"
         "  - {from: colorize.out, to: done.in, capacity: 2}\n";
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// One benchmark iteration = one pipeline run over `count` scans (kernels are compiled by a
// first, unmeasured run).
void BM_Chain(benchmark::State& state, const char* backend, bool closed_loop, bool classifier = true,
              bool streaming = false) {
  const int count = closed_loop ? 6 : 12;
  std::string yaml;
  try {
    prepare_scans();
    double line_rate = kStreamLineRate;
    if (const char* rate = std::getenv("OI_BENCH_LINE_RATE")) {
      char* end = nullptr;
      line_rate = std::strtod(rate, &end);
      if (end == rate || *end != '\0' || !(line_rate > 0))
        return state.SkipWithError("OI_BENCH_LINE_RATE must be a number of lines per second above 0");
    }
    yaml = chain_yaml(backend, count, classifier, streaming, streaming && closed_loop ? line_rate : 0.0);
    shared().reset(count, closed_loop);
    if (const oi::RunResult r = run_yaml(yaml, closed_loop); !r.ok)
      return state.SkipWithError(("warm-up run failed: " + r.error).c_str());
  } catch (const std::exception& e) {
    return state.SkipWithError(e.what());
  }
  std::vector<double> latencies;
  double scans = 0, seconds = 0;
  for (auto _ : state) {
    Shared& s = shared();
    s.reset(count, closed_loop);
    const oi::RunResult r = run_yaml(yaml, closed_loop);
    if (!r.ok) return state.SkipWithError(r.error.c_str());
    std::lock_guard lock(s.mutex);
    const auto last = *std::max_element(s.done.begin(), s.done.end());
    const double wall = ms(last - s.started);  // from the first scan's first line
    state.SetIterationTime(wall / 1000.0);
    scans += count;
    seconds += wall / 1000.0;
    for (int i = 0; i < count; ++i) latencies.push_back(ms(s.decided[i] - s.emitted[i]));
  }
  state.counters["scans_per_s"] = scans / seconds;
  if (closed_loop) {  // with every scan emitted at once, queueing would dominate the latency
    std::sort(latencies.begin(), latencies.end());
    state.counters["decision_p50_ms"] = latencies[latencies.size() / 2];
    state.counters["decision_max_ms"] = latencies.back();
  }
}

}  // namespace

BENCHMARK_CAPTURE(BM_Chain, throughput_vulkan, "gpu", false)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, throughput_cpu, "cpu", false)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
// The same chains with xray.detect's rule scores alone (`classifier: false`, no region
// classifier): what the shipped classifier costs, side by side.
BENCHMARK_CAPTURE(BM_Chain, throughput_vulkan_rules_only, "gpu", false, false)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, throughput_cpu_rules_only, "cpu", false, false)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_vulkan, "gpu", true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_cpu, "cpu", true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
// Streaming: correction and materials on each block as it arrives, detection after the last
// block; with the shipped classifier and with the rule scores alone.
BENCHMARK_CAPTURE(BM_Chain, throughput_vulkan_streaming, "gpu", false, true, true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, throughput_cpu_streaming, "cpu", false, true, true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_vulkan_streaming, "gpu", true, true, true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_cpu_streaming, "cpu", true, true, true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_vulkan_rules_only, "gpu", true, false)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_cpu_rules_only, "cpu", true, false)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_vulkan_streaming_rules_only, "gpu", true, false, true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_CAPTURE(BM_Chain, latency_cpu_streaming_rules_only, "cpu", true, false, true)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(2);
BENCHMARK_MAIN();
