// Device parameters bound to members: the base class writes them before on_configure() and
// on set(); a live parameter's apply pushes the new value, and a refusal restores the old.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oi/hal/device.hpp"
#include "oi/hal/xray_scanner.hpp"

namespace oi::hal {
namespace {

class BoundDevice final : public Device {
 public:
  int width = 64;
  double exposure_us = 100.0;
  std::string mode = "a";
  int width_seen_in_configure = 0;
  std::vector<double> pushed;  // exposures apply() sent to the "hardware"
  bool refuse = false;

 protected:
  void on_setup(DeviceSpec& spec) override {
    spec.describe("bound");
    spec.param("width", width).range(8, 4096).describe("Width.");
    spec.live_param("exposure_us", exposure_us,
                    [this] {
                      if (refuse) return Status::error("the sensor refused " + std::to_string(exposure_us));
                      pushed.push_back(exposure_us);
                      return Status::ok();
                    })
        .range(1.0, 1e6)
        .unit("us")
        .describe("Exposure.");
    spec.param("mode", mode).one_of({"a", "b"}).describe("Mode.");
  }
  Status on_configure(const std::string&, const ParamSet&) override {
    width_seen_in_configure = width;
    set_identity({"OpenInspect tests", "bound", "1", "n/a", "1"});
    return Status::ok();
  }
  Status on_start() override { return Status::ok(); }
  Status on_stop() override { return Status::ok(); }
  Status on_read(FramePtr& frame, std::chrono::milliseconds) override {
    frame = nullptr;
    return Status::ok();
  }
};

TEST(DeviceBinding, MembersHoldTheValuesBeforeOnConfigure) {
  BoundDevice d;
  ASSERT_TRUE(d.configure("x://1", {{"width", 512}, {"mode", "b"}}).is_ok());
  EXPECT_EQ(d.width_seen_in_configure, 512);
  EXPECT_EQ(d.mode, "b");
  EXPECT_DOUBLE_EQ(d.exposure_us, 100.0) << "unset: the default";
  d.close();
}

TEST(DeviceBinding, LiveSetWritesTheMemberAndApplies) {
  BoundDevice d;
  ASSERT_TRUE(d.configure("x://1").is_ok());
  ASSERT_TRUE(d.start().is_ok());
  ASSERT_TRUE(d.set("exposure_us", 250.0).is_ok());
  EXPECT_DOUBLE_EQ(d.exposure_us, 250.0);
  EXPECT_EQ(d.pushed, std::vector<double>{250.0});
  EXPECT_DOUBLE_EQ(d.get("exposure_us").value().get<double>(), 250.0);
  d.close();
}

TEST(DeviceBinding, ARefusedValueRestoresTheMemberAndKeepsTheOldValue) {
  BoundDevice d;
  ASSERT_TRUE(d.configure("x://1", {{"exposure_us", 300.0}}).is_ok());
  d.refuse = true;
  const Status s = d.set("exposure_us", 900.0);
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("the sensor refused 900"), std::string::npos) << s.message();
  EXPECT_DOUBLE_EQ(d.exposure_us, 300.0);
  EXPECT_DOUBLE_EQ(d.get("exposure_us").value().get<double>(), 300.0);
  d.close();
}

TEST(DeviceBinding, AValueSetInFaultReachesTheMemberOnRecovery) {
  BoundDevice d;
  ASSERT_TRUE(d.configure("x://1", {{"width", 256}}).is_ok());
  ASSERT_TRUE(d.fault("cable pulled").is_ok());
  ASSERT_TRUE(d.set("width", 1024).is_ok());
  ASSERT_TRUE(d.recover().is_ok());
  EXPECT_EQ(d.width_seen_in_configure, 1024)
      << "the default on_recover() configures again with the new value";
  d.close();
}

TEST(DeviceBinding, ScannerParamsDeclareTheStandardNamesAndRenameTheOldOnes) {
  DeviceSpec spec;
  ScanGeometry g;
  XraySource source;
  ScannerParams standard(spec);
  standard.pixels_per_line(g.pixels_per_line).range(16, 4096).default_value(768);
  standard.source_kv(source.kv).default_value(140.0);
  EXPECT_NE(spec.find_param("pixels_per_line"), nullptr);
  EXPECT_EQ(spec.find_param("pixels_per_line")->unit(), "pixels");
  EXPECT_TRUE(spec.is_live("source_kv"));
  EXPECT_EQ(spec.renamed_params().at("pixels"), "pixels_per_line");
  EXPECT_EQ(spec.renamed_params().at("kv"), "source_kv");
  EXPECT_TRUE(check_standard_scanner_params(spec).empty());

  DeviceSpec old;
  int pixels = 64;
  old.param("pixels", pixels);
  const std::vector<std::string> problems = check_standard_scanner_params(old);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("call it 'pixels_per_line'"), std::string::npos) << problems[0];
}

}  // namespace
}  // namespace oi::hal
