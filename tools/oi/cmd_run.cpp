#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "commands.hpp"
#include "loading.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/runtime.hpp"
#include "oi/pipeline.hpp"
#include "terminal.hpp"

namespace oi::cli {
namespace {

// Signal handlers may only touch lock-free atomics; a watcher thread turns the count into
// Pipeline::request_stop().
std::atomic<int> g_signals{0};

extern "C" void on_signal(int) {
  // The first signal drains; a second one means "now". Only write() may be used here. Sinks
  // write each file whole or not at all (oi::write_file_atomically), so what they wrote is
  // intact; a file being written at this moment stays behind as NAME.partial.
  if (g_signals.fetch_add(1) >= 1) {
    static const char kMessage[] =
        "\noi: second interrupt: exiting at once without draining; frames still queued are lost and a file "
        "being written is left as *.partial (press Ctrl-C once to stop cleanly)\n";
    [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    std::_Exit(130);
  }
}

class SignalDrain {
 public:
  SignalDrain(Pipeline& pipeline, bool quiet) : pipeline_(pipeline), quiet_(quiet) {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &old_int_);
    sigaction(SIGTERM, &action, &old_term_);
    watcher_ = std::thread([this] {
      while (!done_.load()) {
        if (g_signals.load() > 0) {
          if (!quiet_) {
            fmt::print(stderr, "\nstopping: draining queued frames (Ctrl-C again exits at once)\n");
            std::fflush(stderr);
          }
          pipeline_.request_stop();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  ~SignalDrain() {
    done_.store(true);
    watcher_.join();
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  Pipeline& pipeline_;
  const bool quiet_;
  std::atomic<bool> done_{false};
  std::thread watcher_;
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// `--resources FILE`: while the pipeline runs, appends one JSON line every `every` seconds
// (and a last one when it stops) with what a soak watches besides the process's own memory:
// the GPU device's pooled memory and object counters (null until a stage opens the device).
class ResourceSampler {
 public:
  ResourceSampler(std::ofstream& out, double every) : out_(out), every_(every) {
    thread_ = std::thread([this] { loop(); });
  }
  ~ResourceSampler() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
    write_line();
  }
  ResourceSampler(const ResourceSampler&) = delete;
  ResourceSampler& operator=(const ResourceSampler&) = delete;

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::duration<double>(every_), [this] { return done_; })) {
      lock.unlock();
      write_line();
      lock.lock();
    }
  }
  // Never throws: a sample that cannot be taken or written is skipped (the run goes on; a
  // write error leaves the stream failed and later lines are not written either).
  void write_line() noexcept {
    try {
      write_line_or_throw();
    } catch (const std::exception& e) {
      spdlog::warn("--resources: cannot write a sample: {}", e.what());
    }
  }
  void write_line_or_throw() {
    nlohmann::json line = {
        {"time_s", std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count()},
        {"gpu", nullptr}};
    if (const std::shared_ptr<gpu::Device> device = gpu::opened_default_device()) {
      const gpu::DeviceStats s = device->stats();
      line["gpu"] = {{"device", device->info().name},
                     {"memory_bytes_reserved", s.memory_bytes_reserved},
                     {"memory_blocks_allocated", s.memory_blocks_allocated},
                     {"buffers_created", s.buffers_created},
                     {"command_buffers_created", s.command_buffers_created},
                     {"descriptor_pools_created", s.descriptor_pools_created},
                     {"submissions", s.submissions}};
    }
    out_ << line.dump() << '\n';
    out_.flush();
  }

  std::ofstream& out_;
  const double every_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_;
};

std::uint64_t source_frames(const RunMetrics& metrics, const PipelineSpec& spec) {
  std::uint64_t frames = 0;
  for (const StageMetrics& s : metrics.stages) {
    const NodeSpec* node = spec.find_node(s.name);
    if (node && node->is_device) frames += s.frames_out;
  }
  return frames;
}

void print_table(const RunResult& result) {
  const RunMetrics& m = result.metrics;
  fmt::print("{:<20} {:>10} {:>10} {:>8} {:>10} {:>10}\n", "stage", "in", "out", "dropped", "p50 ms",
             "p99 ms");
  for (const StageMetrics& s : m.stages) {
    fmt::print("{:<20} {:>10} {:>10} {:>8} {:>10.3f} {:>10.3f}\n", s.name, s.frames_in, s.frames_out,
               s.dropped, s.latency_p50_ms, s.latency_p99_ms);
  }
  for (const ConnectionMetrics& c : m.connections) {
    if (c.dropped > 0) {
      fmt::print("connection {} -> {} ({}): {} frames dropped\n", c.from, c.to, to_string(c.policy),
                 c.dropped);
    }
  }
}

}  // namespace

int run_pipeline(const RunArgs& args) {
  PluginRegistry registry;
  std::optional<PipelineSpec> spec = load_pipeline_or_report(args.pipeline, args.sets, registry);
  if (!spec) return kExitInvalid;

  std::unique_ptr<Pipeline> pipeline;
  try {
    pipeline = std::make_unique<Pipeline>(*spec, registry);
  } catch (const ConfigError& e) {
    print_config_error(e);
    return kExitInvalid;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return kExitRuntime;
  }

  // Open the stats file before running: a bad path is invalid input, found before a long run.
  std::unique_ptr<std::ofstream> stats_out;
  if (!args.stats_file.empty()) {
    stats_out = std::make_unique<std::ofstream>(args.stats_file);
    if (!*stats_out) {
      fmt::print(stderr, "error: cannot open --stats file {}: {}\n", args.stats_file, std::strerror(errno));
      return kExitInvalid;
    }
  }

  std::ofstream resources_out;
  if (!args.resources_file.empty()) {
    resources_out.open(args.resources_file, std::ios::trunc);
    if (!resources_out) {
      fmt::print(stderr, "error: cannot open --resources file {}: {}\n", args.resources_file,
                 std::strerror(errno));
      return kExitInvalid;
    }
  }

  RunOptions options;
  options.max_frames = args.max_frames;
  options.threads = args.threads;
  const bool show_progress = !args.quiet && stderr_is_terminal();
  if (show_progress) {
    const auto started = std::chrono::steady_clock::now();
    options.progress = [&spec, started](const RunMetrics& m) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const std::uint64_t frames = source_frames(m, *spec);
      fmt::print(stderr, "\r{} frames  {:.1f} frames/s  {}   ", frames, elapsed > 0 ? frames / elapsed : 0.0,
                 format_duration(elapsed));
      std::fflush(stderr);
    };
  }

  RunResult result;
  {
    std::optional<ResourceSampler> sampler;
    if (resources_out.is_open()) sampler.emplace(resources_out, args.resources_every);
    SignalDrain drain(*pipeline, args.quiet);
    result = pipeline->run(options);
  }
  if (show_progress) fmt::print(stderr, "\r\033[K");

  nlohmann::json summaries = nlohmann::json::object();
  for (const auto& [name, summary] : pipeline->stage_summaries()) summaries[name] = summary;

  if (!args.quiet) {
    print_table(result);
    for (const auto& [name, summary] : summaries.items()) {
      // A summary may carry "table": [[label, value], ...] rows for the user to read at the
      // end of the run (sink.summary: scans, decisions, recall, ...); printed before its output.
      if (summary.is_object() && summary.contains("table") && summary["table"].is_array()) {
        fmt::print("{}:\n", name);
        for (const auto& row : summary["table"]) {
          if (row.is_array() && row.size() == 2 && row[0].is_string() && row[1].is_string()) {
            fmt::print("  {:<24} {}\n", row[0].get<std::string>(), row[1].get<std::string>());
          } else {
            fmt::print("  {}\n", json_text(row));
          }
        }
      }
      // "output" names where a stage writes; "written": false says nothing got there (a run
      // that failed before any frame arrived), and then the tool must not claim otherwise.
      if (summary.is_object() && summary.contains("output") && summary["output"].is_string()) {
        const bool written = !summary.contains("written") || summary["written"] != false;
        if (written) {
          fmt::print("{}: output written to {}\n", name, summary["output"].get<std::string>());
        } else {
          std::string why;
          if (summary.contains("error") && summary["error"].is_string())
            why = ": " + summary["error"].get<std::string>();
          fmt::print("{}: nothing written to {}{}\n", name, summary["output"].get<std::string>(), why);
        }
      } else {
        fmt::print("{}: {}\n", name, json_text(summary));
      }
    }
    fmt::print("{} frames from sources in {}\n", source_frames(result.metrics, *spec),
               format_duration(result.metrics.wall_s));
  }
  // The run's own error first: a stats file that cannot be written must not hide it.
  if (!result.ok) fmt::print(stderr, "error: {}\n", result.error);
  if (stats_out) {
    nlohmann::json stats = result.metrics.to_json();
    stats["summaries"] = summaries;
    nlohmann::json events = nlohmann::json::array();
    for (const PipelineEvent& e : pipeline->events()) events.push_back(e.to_json());
    stats["events"] = events;
    *stats_out << json_text(stats, 2) << '\n';
    stats_out->flush();
    if (!*stats_out) {
      fmt::print(stderr, "error: cannot write stats to {}: {}\n", args.stats_file, std::strerror(errno));
      return kExitRuntime;
    }
  }
  if (!result.ok) return kExitRuntime;
  if (result.interrupted) fmt::print(stderr, "stopped by signal; queued frames were drained\n");
  return kExitOk;
}

}  // namespace oi::cli
