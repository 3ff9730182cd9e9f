// Checks every HAL device must pass: identity, parameters, lifecycle, streaming, stop and
// close behaviour, URI errors, and running as a pipeline source.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conformance.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/xray/contract.hpp"

namespace oi::conformance {
namespace {

using hal::Device;
using hal::DeviceState;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class DeviceConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = make_device();
    ASSERT_NE(device_, nullptr) << "the factory of " << target().driver << " returned no device";
  }
  void TearDown() override {
    if (device_ && device_->state() != DeviceState::kClosed) device_->close();
  }
  void open() {
    Status s = configure(*device_);
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_EQ(device_->state(), DeviceState::kReady);
  }
  void open_and_start() {
    ASSERT_NO_FATAL_FAILURE(open());
    Status s = device_->start();
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_EQ(device_->state(), DeviceState::kStreaming);
  }
  std::unique_ptr<Device> device_;
};

// A value other than `current` that the declaration accepts, or null when there is none.
ParamValue other_valid_value(const ParamSpec& p, const ParamValue& current) {
  switch (p.type()) {
    case ParamType::kBool:
      return !current.get<bool>();
    case ParamType::kInt:
      if (p.max_value() && current.get<double>() < *p.max_value()) return current.get<std::int64_t>() + 1;
      if (p.min_value() && current.get<double>() > *p.min_value()) return current.get<std::int64_t>() - 1;
      return p.max_value() ? ParamValue() : ParamValue(current.get<std::int64_t>() + 1);
    case ParamType::kFloat: {
      const double v = current.get<double>();
      const double hi = p.max_value().value_or(v + 1.0), lo = p.min_value().value_or(v - 1.0);
      if (hi > v) return v + std::min(1.0, (hi - v) / 2.0);
      if (lo < v) return v - std::min(1.0, (v - lo) / 2.0);
      return ParamValue();
    }
    case ParamType::kEnum:
      for (const auto& a : p.allowed_values())
        if (a != current.get<std::string>()) return a;
      return ParamValue();
    default:
      return ParamValue();
  }
}

TEST_F(DeviceConformance, IdentityIsCompleteOnceReady) {
  ASSERT_NO_FATAL_FAILURE(open());
  EXPECT_THAT(device_->identity().missing_fields(), IsEmpty());
}

TEST_F(DeviceConformance, CapabilitiesAreDeclared) {
  const hal::DeviceCapabilities& caps = device_->capabilities();
  EXPECT_FALSE(caps.frame_kind.empty());
  if (caps.kind == hal::DeviceKind::kXrayScanner) {
    EXPECT_EQ(caps.frame_kind, xray::frame_kind::kScanBlock);
  }
  if (caps.kind == hal::DeviceKind::kCamera) {
    EXPECT_EQ(caps.frame_kind, frame_kind::kVideo);
  }
}

TEST_F(DeviceConformance, ParametersEnumerateWithDescriptionsAndValidDefaults) {
  for (const ParamSpec& p : device_->params()) {
    SCOPED_TRACE(p.name());
    EXPECT_FALSE(p.description().empty()) << "every parameter needs a description for oi inspect";
    if (p.default_value()) {
      EXPECT_EQ(p.check(*p.default_value()), std::nullopt);
      auto value = device_->get(p.name());
      ASSERT_TRUE(value.ok()) << value.status().message();
      EXPECT_EQ(value.value(), *p.default_value());
    }
  }
}

TEST_F(DeviceConformance, ParametersRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(open());
  for (const ParamSpec& p : device_->params()) {
    SCOPED_TRACE(p.name());
    auto current = device_->get(p.name());
    ASSERT_TRUE(current.ok()) << current.status().message();
    const ParamValue other = other_valid_value(p, current.value());
    if (other.is_null()) continue;
    if (!device_->is_available(p.name())) {
      // Declared by the driver but not on this device (GenICam IsAvailable = false): refused
      // with a clear error, value unchanged.
      Status s = device_->set(p.name(), other);
      EXPECT_TRUE(s.is_error()) << "an unavailable parameter must be refused";
      EXPECT_THAT(s.message(), HasSubstr(p.name()));
      EXPECT_EQ(device_->get(p.name()).value(), current.value());
      continue;
    }
    Status s = device_->set(p.name(), other);
    ASSERT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(device_->get(p.name()).value(), other);
    ASSERT_TRUE(device_->set(p.name(), current.value()).is_ok());
    EXPECT_EQ(device_->get(p.name()).value(), current.value());
  }
}

TEST_F(DeviceConformance, InvalidValuesAreRejectedAndLeaveTheValueUnchanged) {
  ASSERT_NO_FATAL_FAILURE(open());
  Status unknown = device_->set("no_such_parameter_xyz", 1);
  EXPECT_TRUE(unknown.is_error());
  EXPECT_THAT(unknown.message(), HasSubstr("no_such_parameter_xyz"));
  for (const ParamSpec& p : device_->params()) {
    SCOPED_TRACE(p.name());
    const ParamValue before = device_->get(p.name()).value();
    std::vector<ParamValue> bad;
    switch (p.type()) {
      case ParamType::kBool:
        bad = {"yes please"};
        break;
      case ParamType::kInt:
      case ParamType::kFloat:
        bad = {"not a number"};
        // Out of range by one unit, of the parameter's own type, so only the range can fail.
        if (p.min_value())
          bad.push_back(p.type() == ParamType::kInt
                            ? ParamValue(static_cast<std::int64_t>(*p.min_value()) - 1)
                            : ParamValue(*p.min_value() - 1.0));
        if (p.max_value())
          bad.push_back(p.type() == ParamType::kInt
                            ? ParamValue(static_cast<std::int64_t>(*p.max_value()) + 1)
                            : ParamValue(*p.max_value() + 1.0));
        break;
      case ParamType::kEnum:
        bad = {"no-such-choice-xyz", 42};
        break;
      default:
        bad = {ParamValue::object()};
        break;
    }
    for (const auto& v : bad) {
      Status s = device_->set(p.name(), v);
      EXPECT_TRUE(s.is_error()) << p.name() << " accepted " << v.dump();
      EXPECT_THAT(s.message(), HasSubstr(p.name()));
      EXPECT_EQ(device_->get(p.name()).value(), before);
    }
  }
}

TEST_F(DeviceConformance, LegalTransitionsReachTheirStates) {
  EXPECT_EQ(device_->state(), DeviceState::kUnconfigured);
  ASSERT_NO_FATAL_FAILURE(open_and_start());
  Status s = device_->stop();
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(device_->state(), DeviceState::kReady);
  s = device_->close();
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(device_->state(), DeviceState::kClosed);
}

TEST_F(DeviceConformance, IllegalTransitionsAreErrorsNamingTheState) {
  auto expect_illegal = [&](Status s, const char* state) {
    EXPECT_TRUE(s.is_error());
    EXPECT_THAT(s.message(), HasSubstr(std::string("while ") + state));
    EXPECT_THAT(s.message(), HasSubstr("allowed"));
  };
  expect_illegal(device_->start(), "Unconfigured");
  expect_illegal(device_->stop(), "Unconfigured");
  expect_illegal(device_->recover(), "Unconfigured");
  EXPECT_EQ(device_->state(), DeviceState::kUnconfigured);
  ASSERT_NO_FATAL_FAILURE(open());
  expect_illegal(device_->configure(target().uri), "Ready");
  expect_illegal(device_->stop(), "Ready");
  expect_illegal(device_->recover(), "Ready");
  EXPECT_EQ(device_->state(), DeviceState::kReady);
  ASSERT_TRUE(device_->start().is_ok());
  expect_illegal(device_->start(), "Streaming");
  expect_illegal(device_->recover(), "Streaming");
  EXPECT_EQ(device_->state(), DeviceState::kStreaming);
  ASSERT_TRUE(device_->close().is_ok());
  expect_illegal(device_->start(), "Closed");
  expect_illegal(device_->close(), "Closed");
  FramePtr frame;
  EXPECT_TRUE(device_->read(frame, std::chrono::milliseconds(1)).is_error());
}

TEST_F(DeviceConformance, FramesHaveIncreasingSequencesAndTimestamps) {
  ASSERT_NO_FATAL_FAILURE(open_and_start());
  std::uint64_t last_sequence = 0;
  std::int64_t last_time = 0;
  for (int i = 0; i < 10; ++i) {
    Status s;
    FramePtr frame = read_frame(*device_, &s);
    ASSERT_NE(frame, nullptr) << "no frame " << i << " within " << kBound.count() << " ms: " << s.message();
    const auto& meta = frame->metadata();
    if (i > 0) {
      EXPECT_GT(meta.sequence, last_sequence);
    }
    EXPECT_GT(meta.capture_time_ns, 0);
    EXPECT_GE(meta.capture_time_ns, last_time);
    // The declared kind is what the loader checks connections against; "any" (a replay of
    // whatever was recorded) admits every kind, otherwise the frame must be of that kind.
    const PortType declared =
        PortType::of(device_->capabilities().frame_kind, device_->capabilities().formats);
    EXPECT_TRUE(declared.accepts(PortType::of(frame->kind())))
        << "frame kind " << frame->kind() << " but the device declares " << declared.str();
    last_sequence = meta.sequence;
    last_time = meta.capture_time_ns;
  }
}

TEST_F(DeviceConformance, StartStopStartAgainKeepsStreaming) {
  ASSERT_NO_FATAL_FAILURE(open_and_start());
  FramePtr first = read_frame(*device_);
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(device_->stop().is_ok());
  Status s = device_->start();
  ASSERT_TRUE(s.is_ok()) << s.message();
  FramePtr second = read_frame(*device_);
  ASSERT_NE(second, nullptr);
  EXPECT_GT(second->metadata().sequence, first->metadata().sequence);
}

TEST_F(DeviceConformance, StopReturnsWithinABoundedTime) {
  ASSERT_NO_FATAL_FAILURE(open_and_start());
  ASSERT_NE(read_frame(*device_), nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  Status s = device_->stop();
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kBound) << "stop() must not block on the device";
}

TEST_F(DeviceConformance, CloseWhileStreamingIsSafe) {
  ASSERT_NO_FATAL_FAILURE(open_and_start());
  ASSERT_NE(read_frame(*device_), nullptr);
  Status s = device_->close();
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_EQ(device_->state(), DeviceState::kClosed);
  FramePtr frame;
  EXPECT_TRUE(device_->read(frame, std::chrono::milliseconds(1)).is_error());
  EXPECT_EQ(frame, nullptr);
}

TEST_F(DeviceConformance, BadUriIsAClearErrorAndTheDeviceStaysUnconfigured) {
  const std::string bad = "oi-conformance-invalid://no/such/device";
  Status s = device_->configure(bad, target().params);
  ASSERT_TRUE(s.is_error()) << "a driver must refuse a URI it cannot open";
  EXPECT_THAT(s.message(), HasSubstr(bad));
  EXPECT_EQ(device_->state(), DeviceState::kUnconfigured);
  ASSERT_NO_FATAL_FAILURE(open());  // another URI may be tried
}

TEST_F(DeviceConformance, DiscoveryOpensNothingAndListsUsableUris) {
  const auto t0 = std::chrono::steady_clock::now();
  hal::Result<std::vector<hal::DeviceInfo>> found = device_->enumerate();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, kBound) << "enumerate() must not block on the network";
  EXPECT_EQ(device_->state(), DeviceState::kUnconfigured) << "enumerate() opens nothing";
  if (!found.ok()) {
    // Discovery may fail (no network interface, no permission); it must say why.
    EXPECT_FALSE(found.status().message().empty());
  } else {
    for (const hal::DeviceInfo& d : found.value()) {
      EXPECT_FALSE(d.uri.empty()) << "every listed device has the URI that opens it";
    }
  }
  ASSERT_NO_FATAL_FAILURE(open());  // discovery leaves the device usable
}

// The driver type also runs as a pipeline source: the adapter's start/process/stop.
class RecordingContext final : public StageContext {
 public:
  explicit RecordingContext(const StageSpec& spec) : spec_(spec) {}
  FramePtr take(std::size_t) override { return nullptr; }
  void emit(std::size_t, FramePtr frame) override { frames.push_back(std::move(frame)); }
  bool stop_requested() const override { return false; }
  const std::string& stage_name() const override { return name_; }
  const StageSpec& spec() const override { return spec_; }
  void post_event(PipelineEvent event) override { events.push_back(std::move(event)); }
  std::vector<FramePtr> frames;
  std::vector<PipelineEvent> events;

 private:
  const StageSpec& spec_;
  std::string name_ = "dut";
};

TEST(DriverConformance, RunsAsAPipelineSourceAndReportsASummary) {
  std::unique_ptr<Stage> stage = registry().create(target().driver);
  StageSpec spec;
  stage->setup(spec);
  ASSERT_EQ(spec.inputs().size(), 0u) << "a driver is a source";
  ASSERT_EQ(spec.outputs().size(), 1u);
  for (const char* name : {"frame_timeout_ms", "on_fault", "max_retries", "retry_backoff_ms"}) {
    EXPECT_NE(spec.find_param(name), nullptr) << "supervisor parameter " << name;
  }
  ParamSet params;
  for (const auto& p : spec.params())
    if (p.default_value()) params.set(p.name(), *p.default_value());
  for (const auto& [k, v] : target().params) params.set(k, v);
  stage->start(StageConfig{"dut", target().driver, target().uri, params, {}, {}});
  RecordingContext ctx(spec);
  for (int i = 0; i < 50 && ctx.frames.size() < 3; ++i) {
    Status s = stage->process(ctx);
    ASSERT_FALSE(s.is_error()) << s.message();
    if (s.is_end_of_stream()) break;
  }
  EXPECT_FALSE(ctx.frames.empty());
  for (const auto& f : ctx.frames) EXPECT_EQ(f->metadata().source_device, "dut");
  stage->stop();
  const nlohmann::json summary = stage->summary();
  ASSERT_TRUE(summary.is_object());
  EXPECT_TRUE(summary.contains("device"));
  EXPECT_EQ(summary.value("faults", -1), 0);
  for (const PipelineEvent& e : ctx.events) {
    EXPECT_EQ(e.severity, EventSeverity::kInfo)
        << "a healthy run posts no warnings: [" << e.kind << "] " << e.message;
  }
}

}  // namespace
}  // namespace oi::conformance
