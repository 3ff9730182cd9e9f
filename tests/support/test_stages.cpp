#include "test_stages.hpp"

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "oi/stage.hpp"
#include "oi/xray/contract.hpp"

namespace oi::test {
namespace {

void sleep_us(std::int64_t us) {
  if (us > 0) std::this_thread::sleep_for(std::chrono::microseconds(us));
}

const PortType kBlockU16 = PortType::of(oi::xray::frame_kind::kScanBlock, {PixelFormat::kU16});

std::mutex g_scans_mutex;
std::vector<FramePtr> g_scans;  // what test.scans emits, in order

class TestScans final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe("Emits the whole scans the test queued with set_test_scans().");
    spec.output("out", PortType::of(oi::xray::frame_kind::kScan), "the test's frames");
  }
  Status process(StageContext& ctx) override {
    std::lock_guard lock(g_scans_mutex);
    if (next_ >= g_scans.size()) return Status::end_of_stream();
    ctx.emit(0, g_scans[next_++]);
    return Status::ok();
  }

 private:
  std::size_t next_ = 0;
};

class TestSource final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe("Emits numbered u16 scan blocks for tests.");
    spec.output("out", kBlockU16);
    spec.param("count", count_).min(0).describe("Frames to emit; 0 = endless.");
    spec.param("delay_us", delay_).min(0).unit("us").describe("Pause between frames.");
    spec.param("fail_at", fail_at_).describe("Frame index that fails; -1 = never.");
  }
  void start(const StageConfig& config) override { name_ = config.name; }
  Status process(StageContext& ctx) override {
    if (count_ > 0 && next_ >= static_cast<std::uint64_t>(count_)) return Status::end_of_stream();
    if (fail_at_ >= 0 && next_ == static_cast<std::uint64_t>(fail_at_)) {
      return Status::error("test source failed at frame " + std::to_string(next_));
    }
    sleep_us(delay_);
    auto frame = Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
    Plane& high = frame->add_plane("high", PixelFormat::kU16, 16, 4);
    high.row<std::uint16_t>(0)[0] = static_cast<std::uint16_t>(next_);
    frame->metadata().source_device = name_;
    frame->metadata().sequence = next_++;
    ctx.emit(0, std::move(frame));
    return Status::ok();
  }

 private:
  std::string name_;
  std::int64_t count_ = 10, delay_ = 0, fail_at_ = -1;
  std::uint64_t next_ = 0;
};

class TestVideo final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.output("out", PortType::of(frame_kind::kVideo, {PixelFormat::kRGB8}));
    spec.param("count", count_).min(0);
  }
  Status process(StageContext& ctx) override {
    if (next_ >= count_) return Status::end_of_stream();
    auto frame = Frame::create(std::string(frame_kind::kVideo));
    frame->add_plane("rgb", PixelFormat::kRGB8, 8, 8);
    frame->metadata().sequence = static_cast<std::uint64_t>(next_++);
    ctx.emit(0, std::move(frame));
    return Status::ok();
  }

 private:
  std::int64_t count_ = 3, next_ = 0;
};

class TestPass final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in");
    spec.output("out").kind_follows = "in";
    spec.param("sleep_us", sleep_).min(0).unit("us");
    spec.param("fail_at", fail_at_);
    spec.param("throw_at", throw_at_);
  }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    const auto n = seen_++;
    if (n == fail_at_) return Status::error("test.pass failed at frame " + std::to_string(n));
    if (n == throw_at_) throw std::runtime_error("test.pass threw at frame " + std::to_string(n));
    sleep_us(sleep_);
    ctx.emit(0, std::move(frame));
    return Status::ok();
  }

 private:
  std::int64_t sleep_ = 0, fail_at_ = -1, throw_at_ = -1, seen_ = 0;
};

class TestJoin final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("a");
    spec.input("b").required = false;
    spec.output("out");
  }
  Status process(StageContext& ctx) override {
    FramePtr a = ctx.take(0);
    FramePtr b = ctx.take(1);
    if (b) a->metadata().attributes["joined"] = b->metadata().sequence;
    ctx.emit(0, std::move(a));
    return Status::ok();
  }
};

class TestSink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in", kBlockU16);
    spec.param("sleep_us", sleep_).min(0).unit("us");
  }
  void start(const StageConfig& config) override { name_ = config.name; }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    sleep_us(sleep_);
    TestSinkLog::instance().record(name_, frame->metadata());
    return Status::ok();
  }
  Status finish(StageContext&) override {
    TestSinkLog::instance().mark_finished(name_);
    return Status::ok();
  }

 private:
  std::string name_;
  std::int64_t sleep_ = 0;
};

class TestMux final : public Stage {
 public:
  void setup(StageSpec& spec) override { spec.input("in").multi_source = true; }
  void start(const StageConfig& config) override { name_ = config.name; }
  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    TestSinkLog::instance().record(name_ + "/" + frame->metadata().source_device, frame->metadata().sequence);
    TestSinkLog::instance().record(name_, frame->metadata());
    return Status::ok();
  }
  Status finish(StageContext&) override {
    TestSinkLog::instance().mark_finished(name_);
    return Status::ok();
  }

 private:
  std::string name_;
};

class TestParams final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in");
    spec.output("out");
    spec.param("enabled", ParamType::kBool).default_value(true).describe("A switch.");
    spec.param("count", ParamType::kInt).default_value(3).range(1, 10).describe("An integer in [1, 10].");
    spec.param("gain", ParamType::kFloat)
        .default_value(1.0)
        .range(0.0, 8.0)
        .unit("x")
        .describe("A float in [0, 8].");
    spec.param("label", ParamType::kString).default_value("none").describe("Free text.");
    spec.param("mode", ParamType::kEnum)
        .default_value("fast")
        .allowed({"fast", "accurate"})
        .describe("An enum.");
    spec.param("sizes", ParamType::kList)
        .element_type(ParamType::kInt)
        .default_value(nlohmann::json::array({1, 2}))
        .range(1, 100)
        .describe("A list of integers.");
    spec.param("table", ParamType::kPath).default_value("table.csv").describe("A path.");
    spec.param("threshold", ParamType::kFloat).describe("A required float.");
  }
  Status process(StageContext& ctx) override {
    ctx.emit(0, ctx.take(0));
    return Status::ok();
  }
};

template <class T>
StageFactory factory() {
  return [] { return std::make_unique<T>(); };
}

}  // namespace

void register_test_scans(PluginRegistry& registry) {
  registry.register_type("test.scans", FactoryKind::kDriver, "frames from the test", factory<TestScans>());
}

void set_test_scans(std::vector<FramePtr> frames) {
  std::lock_guard lock(g_scans_mutex);
  g_scans = std::move(frames);
}

void register_test_stages(PluginRegistry& registry) {
  registry.register_type("test.source", FactoryKind::kDriver, "numbered u16 scan blocks",
                         factory<TestSource>());
  registry.register_type("test.video", FactoryKind::kDriver, "RGB video frames", factory<TestVideo>());
  registry.register_type("test.pass", FactoryKind::kStage, "pass-through with fault injection",
                         factory<TestPass>());
  registry.register_type("test.join", FactoryKind::kStage, "joins two inputs", factory<TestJoin>());
  registry.register_type("test.sink", FactoryKind::kStage, "records sequence numbers", factory<TestSink>());
  registry.register_type("test.mux", FactoryKind::kStage, "records sequence numbers per source",
                         factory<TestMux>());
  registry.register_type("test.params", FactoryKind::kStage, "declares every parameter type",
                         factory<TestParams>());
}

TestSinkLog& TestSinkLog::instance() {
  static TestSinkLog log;
  return log;
}
void TestSinkLog::record(const std::string& node, std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  sequences_[node].push_back(sequence);
}
void TestSinkLog::record(const std::string& node, const FrameMetadata& meta) {
  std::lock_guard lock(mutex_);
  sequences_[node].push_back(meta.sequence);
  frames_[node].push_back(meta);
}
std::vector<FrameMetadata> TestSinkLog::frames(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = frames_.find(node);
  return it == frames_.end() ? std::vector<FrameMetadata>{} : it->second;
}
std::vector<std::uint64_t> TestSinkLog::sequences(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = sequences_.find(node);
  return it == sequences_.end() ? std::vector<std::uint64_t>{} : it->second;
}
bool TestSinkLog::finished(const std::string& node) const {
  std::lock_guard lock(mutex_);
  auto it = finished_.find(node);
  return it != finished_.end() && it->second;
}
void TestSinkLog::mark_finished(const std::string& node) {
  std::lock_guard lock(mutex_);
  finished_[node] = true;
}
void TestSinkLog::clear() {
  std::lock_guard lock(mutex_);
  sequences_.clear();
  frames_.clear();
  finished_.clear();
}

}  // namespace oi::test
