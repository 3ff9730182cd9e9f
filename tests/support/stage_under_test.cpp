#include "stage_under_test.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "oi/error.hpp"

namespace oi::test {
namespace {

// The context of one process() call: one frame in on port 0, what comes out on port 0 kept
// (the last in `output`, all in `outputs`).
class OneFrameContext final : public StageContext {
 public:
  OneFrameContext(FramePtr input, const StageSpec& spec, const std::string& name)
      : input_(std::move(input)), spec_(spec), name_(name) {}
  FramePtr take(std::size_t) override { return std::exchange(input_, nullptr); }
  void emit(std::size_t index, FramePtr frame) override {
    if (index == 0) {
      output = frame;
      outputs.push_back(std::move(frame));
    }
  }
  bool stop_requested() const override { return false; }
  const std::string& stage_name() const override { return name_; }
  const StageSpec& spec() const override { return spec_; }
  FramePtr output;
  std::vector<FramePtr> outputs;

 private:
  FramePtr input_;
  const StageSpec& spec_;
  const std::string& name_;
};

}  // namespace

const PluginRegistry& plugin_registry(const std::string& file) {
  static std::mutex mutex;
  static auto* registries = new std::map<std::string, PluginRegistry*>();  // never freed: plugins stay loaded
  std::lock_guard lock(mutex);
  PluginRegistry*& registry = (*registries)[file];
  if (!registry) {
    auto loaded = std::make_unique<PluginRegistry>();
    const PluginRecord& record = loaded->load_file(file);
    if (record.error) throw Error("cannot load " + file + ": " + *record.error);
    registry = loaded.release();
  }
  return *registry;
}

StageUnderTest::StageUnderTest(const PluginRegistry& registry, const std::string& type,
                               const nlohmann::json& params, const std::string& name)
    : name_(name) {
  stage_ = registry.create(type);
  stage_->setup(spec_);
  ParamSet set;
  for (const ParamSpec& p : spec_.params()) {
    if (p.default_value()) set.set(p.name(), *p.default_value());
  }
  for (const auto& [key, value] : params.items()) set.set(key, value);
  stage_->start(StageConfig{name, type, "", set, {}, {}});
}

StageUnderTest::~StageUnderTest() { stage_->stop(); }

Status StageUnderTest::run(FramePtr input, FramePtr& output) {
  OneFrameContext ctx(std::move(input), spec_, name_);
  const Status status = stage_->process(ctx);
  output = ctx.output;
  return status;
}

Status StageUnderTest::run(FramePtr input, std::vector<FramePtr>& outputs) {
  OneFrameContext ctx(std::move(input), spec_, name_);
  const Status status = stage_->process(ctx);
  outputs = std::move(ctx.outputs);
  return status;
}

Status StageUnderTest::finish() {
  std::vector<FramePtr> dropped;
  return finish(dropped);
}

Status StageUnderTest::finish(std::vector<FramePtr>& outputs) {
  OneFrameContext ctx(nullptr, spec_, name_);
  const Status status = stage_->finish(ctx);
  outputs = std::move(ctx.outputs);
  return status;
}

}  // namespace oi::test
