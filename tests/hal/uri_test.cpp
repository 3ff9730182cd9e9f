// The one URI parser drivers use.
#include "oi/hal/uri.hpp"

#include <gtest/gtest.h>

#include "oi/hal/device.hpp"

namespace oi::hal {
namespace {

TEST(Uri, SplitsSchemeCredentialsHostAndPath) {
  const Uri u = Uri::parse("RTSP://admin:secret@10.0.0.5:554/stream1");
  EXPECT_EQ(u.scheme, "rtsp");
  EXPECT_EQ(u.userinfo, "admin:secret");
  EXPECT_EQ(u.host, "10.0.0.5:554");
  EXPECT_EQ(u.path, "/stream1");
  EXPECT_EQ(u.rest, "admin:secret@10.0.0.5:554/stream1");
  EXPECT_EQ(u.redacted(), "rtsp://admin:***@10.0.0.5:554/stream1");
  EXPECT_EQ(u.without_credentials(), "rtsp://10.0.0.5:554/stream1");
  EXPECT_EQ(redact_uri("rtsp://admin:secret@cam/x"), "rtsp://admin:***@cam/x");
}

TEST(Uri, ABarePathHasNoScheme) {
  const Uri u = Uri::parse("/data/clip.mp4");
  EXPECT_EQ(u.scheme, "");
  EXPECT_EQ(u.path, "/data/clip.mp4");
  EXPECT_EQ(u.redacted(), "/data/clip.mp4");
  const Uri file = Uri::parse("file:///data/clip.mp4");
  EXPECT_EQ(file.scheme, "file");
  EXPECT_EQ(file.host, "");
  EXPECT_EQ(file.path, "/data/clip.mp4");
}

constexpr const char* kSim = "'sim://NAME', e.g. 'sim://xray'";

TEST(Uri, TargetOfGivesWhatFollowsTheScheme) {
  EXPECT_EQ(Uri::target_of("sim://lane2", "sim", kSim).value(), "lane2");
  EXPECT_EQ(Uri::target_of("SIM://lane2", "sim", kSim).value(), "lane2") << "schemes are case-insensitive";
  EXPECT_EQ(Uri::target_of("", "sim", kSim, "xray").value(), "xray");
  EXPECT_EQ(Uri::target_of("genicam://", "genicam", "x", {}, true).value(), "");
}

TEST(Uri, TargetOfRefusesAnotherSchemeOrNothingAfterIt) {
  const Result<std::string> other = Uri::target_of("mock://x", "sim", kSim);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().message(),
            "unsupported URI 'mock://x': the driver opens 'sim://NAME', e.g. 'sim://xray'");
  EXPECT_FALSE(Uri::target_of("sim://", "sim", kSim).ok()) << "nothing after the scheme";
  EXPECT_FALSE(Uri::target_of("", "sim", kSim).ok()) << "no fallback: an empty URI is an error";
  const Result<std::string> secret = Uri::target_of("rtsp://u:pw@h/x", "sim", kSim);
  EXPECT_EQ(secret.status().message().find("pw"), std::string::npos) << "a password is never quoted";
}

}  // namespace
}  // namespace oi::hal
