// The state machine the Device base class owns: every transition from every state, hook
// failures and exceptions, re-entry from hooks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tuple>

#include "hal_test_util.hpp"

namespace oi::hal::test {
namespace {

using ::testing::HasSubstr;

const std::map<std::string, ParamValue> kRequired = {{"serial_hint", "x"}};

// Drives a fresh FakeDevice into `state` through legal transitions only.
void drive_to(FakeDevice& d, DeviceState state) {
  if (state == DeviceState::kUnconfigured) return;
  if (state == DeviceState::kClosed) {
    ASSERT_TRUE(d.close().is_ok());
    return;
  }
  ASSERT_TRUE(d.configure("fake://1", kRequired).is_ok());
  if (state == DeviceState::kReady) return;
  if (state == DeviceState::kFault) {
    ASSERT_TRUE(d.fault("test").is_ok());
    return;
  }
  ASSERT_TRUE(d.start().is_ok());
  ASSERT_EQ(state, DeviceState::kStreaming) << "Recovering is transient and tested separately";
}

Status request(FakeDevice& d, Transition t) {
  switch (t) {
    case Transition::kConfigure:
      return d.configure("fake://1", kRequired);
    case Transition::kStart:
      return d.start();
    case Transition::kStop:
      return d.stop();
    case Transition::kClose:
      return d.close();
    case Transition::kFault:
      return d.fault("requested");
    case Transition::kRecover:
      return d.recover();
  }
  return Status::error("?");
}

DeviceState expected_after(DeviceState from, Transition t) {
  switch (t) {
    case Transition::kConfigure:
      return DeviceState::kReady;
    case Transition::kStart:
      return DeviceState::kStreaming;
    case Transition::kStop:
      return DeviceState::kReady;
    case Transition::kClose:
      return DeviceState::kClosed;
    case Transition::kFault:
      return DeviceState::kFault;
    case Transition::kRecover:
      return DeviceState::kReady;
  }
  return from;
}

class EveryTransition : public ::testing::TestWithParam<std::tuple<DeviceState, Transition>> {};

TEST_P(EveryTransition, IsAppliedWhenAllowedAndAnErrorNamingTheStateOtherwise) {
  const auto [from, t] = GetParam();
  FakeDevice d;
  ASSERT_NO_FATAL_FAILURE(drive_to(d, from));
  ASSERT_EQ(d.state(), from);
  Status s = request(d, t);
  if (is_allowed(from, t)) {
    EXPECT_TRUE(s.is_ok()) << s.message();
    EXPECT_EQ(d.state(), expected_after(from, t));
  } else {
    ASSERT_TRUE(s.is_error());
    EXPECT_THAT(s.message(),
                HasSubstr("cannot " + std::string(to_string(t)) + " while " + std::string(to_string(from))));
    EXPECT_THAT(s.message(), HasSubstr("allowed from " + std::string(to_string(from))));
    EXPECT_EQ(d.state(), from) << "an illegal request changes nothing";
  }
  if (d.state() != DeviceState::kClosed) d.close();
}

INSTANTIATE_TEST_SUITE_P(
    States, EveryTransition,
    ::testing::Combine(::testing::Values(DeviceState::kUnconfigured, DeviceState::kReady,
                                         DeviceState::kStreaming, DeviceState::kFault, DeviceState::kClosed),
                       ::testing::Values(Transition::kConfigure, Transition::kStart, Transition::kStop,
                                         Transition::kClose, Transition::kFault, Transition::kRecover)),
    [](const auto& info) {
      return std::string(to_string(std::get<0>(info.param))) + "_" +
             std::string(to_string(std::get<1>(info.param)));
    });

TEST(DeviceLifecycle, TheTransitionTableMatchesTheDocumentedDiagram) {
  EXPECT_EQ(allowed_transitions(DeviceState::kUnconfigured),
            (std::vector<Transition>{Transition::kConfigure, Transition::kClose}));
  EXPECT_EQ(allowed_transitions(DeviceState::kRecovering),
            (std::vector<Transition>{Transition::kClose, Transition::kFault}));
  EXPECT_TRUE(allowed_transitions(DeviceState::kClosed).empty());
}

TEST(DeviceLifecycle, ConfigureFailureLeavesTheDeviceUnconfiguredSoAnotherUriCanBeTried) {
  FakeDevice d;
  d.set_label("device 'cam' (fake)");
  d.fail_configure = true;
  Status s = d.configure("fake://nowhere", kRequired);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("device 'cam' (fake)"));
  EXPECT_THAT(s.message(), HasSubstr("no device at 'fake://nowhere'"));
  EXPECT_EQ(d.state(), DeviceState::kUnconfigured);
  d.fail_configure = false;
  EXPECT_TRUE(d.configure("fake://1", kRequired).is_ok());
  d.close();
}

TEST(DeviceLifecycle, ADriverThatReportsNoIdentityCannotBecomeReady) {
  FakeDevice d;
  d.leave_identity_empty = true;
  Status s = d.configure("fake://1", kRequired);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("set_identity()"));
  EXPECT_EQ(d.state(), DeviceState::kUnconfigured);
}

TEST(DeviceLifecycle, FailingOrThrowingHooksMoveToFaultWithTheReason) {
  FakeDevice d;
  ASSERT_TRUE(d.configure("fake://1", kRequired).is_ok());
  d.throw_in_start = true;
  Status s = d.start();
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("on_start() threw: boom"));
  EXPECT_EQ(d.state(), DeviceState::kFault);
  EXPECT_THAT(d.fault_reason(), HasSubstr("boom"));
  d.throw_in_start = false;
  ASSERT_TRUE(d.recover().is_ok());
  ASSERT_TRUE(d.start().is_ok());
  d.fail_read = true;
  FramePtr frame;
  s = d.read(frame, std::chrono::milliseconds(1));
  EXPECT_THAT(s.message(), HasSubstr("cable pulled"));
  EXPECT_EQ(d.state(), DeviceState::kFault);
  d.fail_recover = true;
  s = d.recover();
  EXPECT_THAT(s.message(), HasSubstr("recovery failed: still unplugged"));
  EXPECT_EQ(d.state(), DeviceState::kFault);
  EXPECT_TRUE(d.close().is_ok());
  EXPECT_EQ(d.closes, 1);
}

TEST(DeviceLifecycle, CloseWhileStreamingStopsAndClosesOnce) {
  FakeDevice d;
  ASSERT_TRUE(d.configure("fake://1", kRequired).is_ok());
  ASSERT_TRUE(d.start().is_ok());
  EXPECT_TRUE(d.close().is_ok());
  EXPECT_EQ(d.state(), DeviceState::kClosed);
  EXPECT_EQ(d.closes, 1);
}

TEST(DeviceLifecycle, ReadStampsIncreasingSequencesAndTimestamps) {
  FakeDevice d;
  ASSERT_TRUE(d.configure("fake://1", kRequired).is_ok());
  ASSERT_TRUE(d.start().is_ok());
  FramePtr a, b;
  ASSERT_TRUE(d.read(a, std::chrono::milliseconds(1)).is_ok());
  ASSERT_TRUE(d.stop().is_ok());
  ASSERT_TRUE(d.start().is_ok());
  ASSERT_TRUE(d.read(b, std::chrono::milliseconds(1)).is_ok());
  EXPECT_EQ(a->metadata().sequence, 0u);
  EXPECT_EQ(b->metadata().sequence, 1u) << "sequences continue across restarts";
  EXPECT_GT(a->metadata().capture_time_ns, 0);
  EXPECT_EQ(d.frames_read(), 2u);
  d.close();
}

TEST(DeviceLifecycle, ALifecycleCallFromInsideAHookIsRefusedNotDeadlocked) {
  FakeDevice d;
  ASSERT_TRUE(d.configure("fake://1", kRequired).is_ok());
  d.reenter_in_start = true;
  ASSERT_TRUE(d.start().is_ok());
  EXPECT_THAT(d.reentry_status.message(), HasSubstr("stop() was called from inside a driver hook"));
  d.close();
}

}  // namespace
}  // namespace oi::hal::test
