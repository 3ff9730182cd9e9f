#include "scheduler_test_stages.hpp"

#include <algorithm>
#include <stdexcept>

#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"
#include "test_stages.hpp"

namespace oi::test {

std::atomic<std::int64_t> LiveFrames::live_{0};
std::atomic<std::int64_t> LiveFrames::peak_{0};
std::mutex ProbeLog::mutex_;
std::map<std::string, ProbeCounts> ProbeLog::counts_;

void LiveFrames::reset() {
  live_.store(0);
  peak_.store(0);
}
std::int64_t LiveFrames::now() { return live_.load(); }
std::int64_t LiveFrames::peak() { return peak_.load(); }
void LiveFrames::created() {
  const std::int64_t live = live_.fetch_add(1) + 1;
  std::int64_t peak = peak_.load();
  while (live > peak && !peak_.compare_exchange_weak(peak, live)) {
  }
}
void LiveFrames::destroyed() { live_.fetch_sub(1); }

ProbeCounts ProbeLog::get(const std::string& node) {
  std::lock_guard lock(mutex_);
  auto it = counts_.find(node);
  return it == counts_.end() ? ProbeCounts{} : it->second;
}
void ProbeLog::clear() {
  std::lock_guard lock(mutex_);
  counts_.clear();
}
void ProbeLog::update(const std::string& node, void (*change)(ProbeCounts&)) {
  std::lock_guard lock(mutex_);
  change(counts_[node]);
}

namespace {

const PortType kBlockU16 = PortType::of(oi::xray::frame_kind::kScanBlock, {PixelFormat::kU16});

/// Plane storage that counts itself, so a test sees how many frames are alive.
class CountedMemory final : public PlaneMemory {
 public:
  CountedMemory() { LiveFrames::created(); }
  ~CountedMemory() override { LiveFrames::destroyed(); }
  std::size_t size_bytes() const override { return sizeof(bytes_); }
  MemoryLocation location() const override { return MemoryLocation::kHost; }
  std::byte* host_data() override { return bytes_; }
  const std::byte* host_data() const override { return bytes_; }

 private:
  std::byte bytes_[8]{};
};

class BurstSource final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.output("out", kBlockU16);
    spec.param("count", count_).min(0);
    spec.param("burst", burst_).min(0);
  }
  Status process(StageContext& ctx) override {
    if (count_ > 0 && firings_ >= count_) return Status::end_of_stream();
    ++firings_;
    for (std::int64_t i = 0; i < burst_; ++i) {
      auto frame = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
      Plane plane{PixelFormat::kU16, 2, 2, 4, 0, std::make_shared<CountedMemory>()};
      frame->set_plane("high", std::move(plane));
      frame->metadata().sequence = next_++;
      ctx.emit(0, std::move(frame));
    }
    return Status::ok();
  }

 private:
  std::int64_t count_ = 10, burst_ = 1, firings_ = 0;
  std::uint64_t next_ = 0;
};

class DupPass final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in");
    spec.output("out");
    spec.param("copies", copies_).min(0);
  }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    for (std::int64_t i = 0; i < copies_; ++i) ctx.emit(0, frame);
    return Status::ok();
  }

 private:
  std::int64_t copies_ = 2;
};

class ProbePass final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in");
    spec.output("out");
    spec.param("fail_in_finish", fail_in_finish_);
    spec.param("throw_in_start", throw_in_start_);
    spec.param("config_error_in_start", config_error_in_start_);
  }
  void start(const StageConfig& config) override {
    name_ = config.name;
    ProbeLog::update(name_, [](ProbeCounts& c) { ++c.starts; });
    if (throw_in_start_) throw std::runtime_error("probe refused to start");
    if (config_error_in_start_) throw ConfigError("probe dislikes its parameters");
  }
  Status process(StageContext& ctx) override {
    ProbeLog::update(name_, [](ProbeCounts& c) { ++c.processes; });
    ctx.emit(0, ctx.take(0));
    return Status::ok();
  }
  Status finish(StageContext&) override {
    ProbeLog::update(name_, [](ProbeCounts& c) { ++c.finishes; });
    return fail_in_finish_ ? Status::error("probe failed in finish") : Status::ok();
  }
  void stop() override {
    ProbeLog::update(name_, [](ProbeCounts& c) { ++c.stops; });
  }

 private:
  std::string name_;
  bool fail_in_finish_ = false;
  bool throw_in_start_ = false;
  bool config_error_in_start_ = false;
};

template <class T>
StageFactory factory() {
  return [] { return std::make_unique<T>(); };
}

std::pair<std::string, std::string> split_endpoint(const std::string& endpoint) {
  const std::size_t dot = endpoint.find('.');
  return {endpoint.substr(0, dot), endpoint.substr(dot + 1)};
}

}  // namespace

void register_scheduler_test_stages(PluginRegistry& registry) {
  registry.register_type("burst.source", FactoryKind::kDriver, "bursts of counted frames",
                         factory<BurstSource>());
  registry.register_type("dup.pass", FactoryKind::kStage, "emits each frame several times",
                         factory<DupPass>());
  registry.register_type("probe.pass", FactoryKind::kStage, "counts lifecycle calls", factory<ProbePass>());
}

SchedulerTest::SchedulerTest() {
  register_test_stages(registry_);
  register_scheduler_test_stages(registry_);
  TestSinkLog::instance().clear();
  ProbeLog::clear();
  LiveFrames::reset();
  spec_.file = "/pipelines/scheduler_test.yaml";
}

void SchedulerTest::node(const std::string& name, const std::string& type,
                         const std::map<std::string, ParamValue>& params) {
  const TypeInfo* info = registry_.find(type);
  ASSERT_NE(info, nullptr) << type;
  NodeSpec node;
  node.name = name;
  node.type = type;
  node.is_device = info->kind == FactoryKind::kDriver;
  // What the loader does: every declared parameter gets a value, explicit or default.
  for (const ParamSpec& p : info->spec.params()) {
    auto given = params.find(p.name());
    if (given != params.end()) {
      node.params.set(p.name(), given->second);
    } else if (p.default_value()) {
      node.params.set(p.name(), *p.default_value());
    }
  }
  for (const auto& [param, value] : params) {
    ASSERT_NE(info->spec.find_param(param), nullptr) << type << " has no parameter " << param;
  }
  spec_.nodes.push_back(std::move(node));
}

void SchedulerTest::connect(const std::string& from, const std::string& to, std::size_t capacity,
                            QueuePolicy policy) {
  ConnectionSpec c;
  std::tie(c.from_node, c.from_port) = split_endpoint(from);
  std::tie(c.to_node, c.to_port) = split_endpoint(to);
  c.capacity = capacity;
  c.policy = policy;
  spec_.connections.push_back(std::move(c));
}

RunResult SchedulerTest::run(RunOptions options) {
  Pipeline pipeline(spec_, registry_);
  return pipeline.run(options);
}

const StageMetrics& SchedulerTest::stage(const RunMetrics& m, const std::string& name) {
  auto it =
      std::find_if(m.stages.begin(), m.stages.end(), [&](const StageMetrics& s) { return s.name == name; });
  if (it == m.stages.end()) throw std::out_of_range("no stage " + name);
  return *it;
}

const ConnectionMetrics& SchedulerTest::connection(const RunMetrics& m, const std::string& to) {
  auto it = std::find_if(m.connections.begin(), m.connections.end(),
                         [&](const ConnectionMetrics& c) { return c.to == to; });
  if (it == m.connections.end()) throw std::out_of_range("no connection to " + to);
  return *it;
}

}  // namespace oi::test
