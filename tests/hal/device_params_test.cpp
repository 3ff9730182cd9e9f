// Typed device parameters: enumerate, get, set with validation and units, live parameters,
// a driver refusing a value, required values at configure().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hal_test_util.hpp"

namespace oi::hal::test {
namespace {

using ::testing::HasSubstr;

TEST(DeviceParams, EnumerateInDeclarationOrderWithDefaults) {
  FakeDevice d;
  std::vector<std::string> names;
  for (const auto& p : d.params()) names.push_back(p.name());
  EXPECT_EQ(names, (std::vector<std::string>{"gain", "exposure_us", "mode", "serial_hint"}));
  EXPECT_EQ(d.get("gain").value(), 1.0);
  EXPECT_FALSE(d.get("serial_hint").ok()) << "required without a value";
  EXPECT_THAT(d.get("nope").status().message(),
              HasSubstr("has no parameter 'nope'; it has: gain, exposure_us"));
}

TEST(DeviceParams, SetValidatesTypeRangeAndAllowedValuesQuotingTheUnit) {
  FakeDevice d;
  EXPECT_TRUE(d.set("gain", 2.5).is_ok());
  EXPECT_EQ(d.get("gain").value(), 2.5);
  Status s = d.set("gain", 9.0);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("parameter 'gain'"));
  EXPECT_THAT(s.message(), HasSubstr("x"));
  EXPECT_EQ(d.get("gain").value(), 2.5) << "a rejected value leaves the old one";
  EXPECT_TRUE(d.set("gain", "loud").is_error());
  EXPECT_TRUE(d.set("mode", "c").is_error());
  EXPECT_TRUE(d.set("mode", "b").is_ok());
}

TEST(DeviceParams, ConfigureReportsEveryProblemAtOnce) {
  FakeDevice d;
  Status s = d.configure("fake://1", {{"gain", 100.0}, {"bogus", 1}});
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("parameter 'gain'"));
  EXPECT_THAT(s.message(), HasSubstr("unknown parameter 'bogus'"));
  EXPECT_THAT(s.message(), HasSubstr("parameter 'serial_hint' is required"));
  EXPECT_EQ(d.state(), DeviceState::kUnconfigured);
}

TEST(DeviceParams, OnlyLiveParametersChangeWhileStreaming) {
  FakeDevice d;
  ASSERT_TRUE(d.configure("fake://1", {{"serial_hint", "x"}}).is_ok());
  ASSERT_TRUE(d.start().is_ok());
  EXPECT_TRUE(d.set("exposure_us", 500.0).is_ok());
  Status s = d.set("gain", 2.0);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("cannot change while Streaming; stop() first"));
  ASSERT_TRUE(d.stop().is_ok());
  EXPECT_TRUE(d.set("gain", 2.0).is_ok());
  d.close();
  EXPECT_TRUE(d.set("gain", 3.0).is_error()) << "nothing is set on a closed device";
}

TEST(DeviceParams, ADriverRefusingAValueKeepsTheOldOne) {
  FakeDevice d;
  ASSERT_TRUE(d.configure("fake://1", {{"serial_hint", "x"}}).is_ok());
  d.refuse_set = true;
  Status s = d.set("exposure_us", 200.0);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("hardware refused"));
  EXPECT_EQ(d.get("exposure_us").value(), 100.0);
  EXPECT_EQ(d.exposure_us, 100.0) << "the member gets the old value back";
  d.close();
}

TEST(DeviceParams, AFailedConfigureKeepsNoneOfItsValues) {
  FakeDevice device;
  device.fail_configure = true;
  ASSERT_TRUE(device.configure("fake://missing", {{"serial_hint", "a"}, {"gain", 4.0}}).is_error());
  device.fail_configure = false;
  // The retry names no gain: it must get the default, not the failed attempt's 4.0.
  ASSERT_TRUE(device.configure("fake://0001", {{"serial_hint", "a"}}).is_ok());
  EXPECT_EQ(device.get("gain").value(), 1.0);
}

TEST(DeviceParams, AParameterTheOpenDeviceDoesNotHaveIsRefusedWithItsName) {
  FakeDevice device;
  device.unavailable = {"exposure_us"};
  EXPECT_TRUE(device.is_available("exposure_us")) << "before Ready every declared parameter may apply";
  ASSERT_TRUE(device.configure("fake://0001", {{"serial_hint", "a"}}).is_ok());
  EXPECT_FALSE(device.is_available("exposure_us"));
  EXPECT_TRUE(device.is_available("gain"));
  EXPECT_FALSE(device.is_available("no_such"));
  Status s = device.set("exposure_us", 200.0);
  ASSERT_TRUE(s.is_error());
  EXPECT_THAT(s.message(), HasSubstr("'exposure_us' is not available"));
  EXPECT_EQ(device.get("exposure_us").value(), 100.0);
}

TEST(DeviceParams, PasswordsInUrisAreNeverShown) {
  EXPECT_EQ(redact_uri("rtsp://cam:s3cret@10.0.0.5:554/live"), "rtsp://cam:***@10.0.0.5:554/live");
  EXPECT_EQ(redact_uri("rtsp://10.0.0.5/live"), "rtsp://10.0.0.5/live");
  EXPECT_EQ(redact_uri("http://host/path@v2"), "http://host/path@v2") << "an @ after the host is not a login";
  EXPECT_EQ(redact_uri("rtsp://user@host/x"), "rtsp://user@host/x");
  EXPECT_EQ(redact_uri("/videos/clip.mp4"), "/videos/clip.mp4");
  FakeDevice device;
  device.fail_configure = true;
  Status s = device.configure("rtsp://cam:s3cret@10.0.0.5/live", {{"serial_hint", "a"}});
  ASSERT_TRUE(s.is_error());
  EXPECT_EQ(s.message().find("s3cret"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace oi::hal::test
