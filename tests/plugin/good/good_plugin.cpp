// A well-formed test plugin: two stage types and one driver type. test_good.faulty throws
// from the call its `fail_in` parameter names, to exercise the host's guards.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"

namespace {

class Gain final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe("Marks every frame with a gain factor.");
    spec.input("in");
    spec.output("out");
    spec.param("gain", oi::ParamType::kFloat)
        .default_value(2.0)
        .range(0.0, 8.0)
        .unit("x")
        .describe("Factor written into the frame's attributes.");
  }
  void start(const oi::StageConfig& config) override { gain_ = config.params.get_or<double>("gain", 2.0); }
  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(0);
    frame->metadata().attributes["gain"] = gain_;
    ctx.emit(0, std::move(frame));
    return oi::Status::ok();
  }

 private:
  double gain_ = 2.0;
};

class Faulty final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.input("in");
    spec.output("out");
    spec.param("fail_in", oi::ParamType::kEnum)
        .default_value("process")
        .allowed({"none", "start", "start_config", "process", "finish", "stop"})
        .describe("The call that throws.");
  }
  void start(const oi::StageConfig& config) override {
    fail_in_ = config.params.get_or<std::string>("fail_in", "process");
    if (fail_in_ == "start") throw std::runtime_error("detector head not found");
    if (fail_in_ == "start_config") throw oi::ConfigError("threshold must be below 0.5");
  }
  oi::Status process(oi::StageContext& ctx) override {
    if (fail_in_ == "process") throw std::runtime_error("calibration table is corrupt");
    ctx.emit(0, ctx.take(0));
    return oi::Status::ok();
  }
  oi::Status finish(oi::StageContext&) override {
    // Not a std::exception: the host must cope with anything.
    if (fail_in_ == "finish") throw 42;
    return oi::Status::ok();
  }
  void stop() override {
    if (fail_in_ == "stop") throw std::runtime_error("lamp did not switch off");
  }

 private:
  std::string fail_in_ = "process";
};

class Counter final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.output("out", oi::PortType::of(oi::xray::frame_kind::kScanBlock));
    spec.param("count", oi::ParamType::kInt).default_value(3).min(0);
  }
  void start(const oi::StageConfig& config) override {
    count_ = config.params.get_or<std::int64_t>("count", 3);
  }
  oi::Status process(oi::StageContext& ctx) override {
    if (next_ >= count_) return oi::Status::end_of_stream();
    auto frame = oi::Frame::create(std::string(oi::xray::frame_kind::kScanBlock));
    frame->metadata().sequence = static_cast<std::uint64_t>(next_++);
    ctx.emit(0, std::move(frame));
    return oi::Status::ok();
  }

 private:
  std::int64_t count_ = 3;
  std::int64_t next_ = 0;
};

}  // namespace

OI_REGISTER_STAGE(Gain, "test_good.gain", "Marks frames with a gain factor.");
OI_REGISTER_STAGE(Faulty, "test_good.faulty", "Throws from the call named by fail_in.");
OI_DETAIL_REGISTER_SOURCE(Counter, "test_good.counter", "Emits numbered scan blocks.");
OI_PLUGIN("oi-test-good", "1.2.3", "Apache-2.0");
