// Parameters bound to members: declared once, typed by the member, defaulted by its initial
// value, written by the host before validate() and start().
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "oi/error.hpp"
#include "oi/stage.hpp"

namespace {

using oi::ParamSet;
using oi::ParamType;
using oi::StageSpec;

struct Members {
  bool enabled = true;
  int count = 3;
  std::uint8_t small = 7;
  float gain = 1.5f;
  double rate = 0.25;
  std::string mode = "fast";
  std::filesystem::path file;
  std::vector<int> sizes{1, 2};
  std::vector<std::filesystem::path> files;
};

StageSpec declare(Members& m) {
  StageSpec spec;
  spec.param("enabled", m.enabled);
  spec.param("count", m.count).range(0, 100);
  spec.param("small", m.small);
  spec.param("gain", m.gain);
  spec.param("rate", m.rate);
  spec.param("mode", m.mode).one_of({"fast", "exact"});
  spec.param("file", m.file);
  spec.param("sizes", m.sizes);
  spec.param("files", m.files);
  return spec;
}

TEST(ParamBinding, TypeFollowsTheMemberAndTheDefaultIsItsInitialValue) {
  Members m;
  const StageSpec spec = declare(m);
  EXPECT_EQ(spec.find_param("enabled")->type(), ParamType::kBool);
  EXPECT_EQ(spec.find_param("count")->type(), ParamType::kInt);
  EXPECT_EQ(spec.find_param("small")->type(), ParamType::kInt);
  EXPECT_EQ(spec.find_param("gain")->type(), ParamType::kFloat);
  EXPECT_EQ(spec.find_param("mode")->type(), ParamType::kEnum);
  EXPECT_EQ(spec.find_param("file")->type(), ParamType::kPath);
  EXPECT_EQ(spec.find_param("sizes")->type(), ParamType::kList);
  EXPECT_EQ(spec.find_param("sizes")->element_type(), ParamType::kInt);
  EXPECT_EQ(spec.find_param("files")->element_type(), ParamType::kPath);
  EXPECT_EQ(*spec.find_param("count")->default_value(), 3);
  EXPECT_DOUBLE_EQ(spec.find_param("gain")->default_value()->get<double>(), 1.5);
  EXPECT_EQ(*spec.find_param("mode")->default_value(), "fast");
  EXPECT_EQ(*spec.find_param("sizes")->default_value(), nlohmann::json::array({1, 2}));
  EXPECT_FALSE(spec.find_param("file")->required());
  for (const auto& p : spec.params()) {
    ASSERT_TRUE(p.default_value()) << p.name();
    EXPECT_EQ(p.check(*p.default_value()), std::nullopt) << p.name() << ": its default passes its own check";
  }
}

TEST(ParamBinding, RequiredRemovesTheDefault) {
  std::string serial;
  StageSpec spec;
  spec.param("serial", serial).without_default();
  EXPECT_TRUE(spec.find_param("serial")->required());
}

TEST(ParamBinding, AssignWritesEveryBoundMemberAndResolvesRelativePaths) {
  Members m;
  const StageSpec spec = declare(m);
  ParamSet values;
  values.set("enabled", false);
  values.set("count", 42);
  values.set("small", 200);
  values.set("gain", 2);  // an integer literal for a float parameter
  values.set("rate", 0.5);
  values.set("mode", "exact");
  values.set("file", "model.yml");
  values.set("sizes", nlohmann::json::array({4, 5, 6}));
  values.set("files", nlohmann::json::array({"/abs/a", "b"}));
  spec.assign(values, "/pipelines");
  EXPECT_FALSE(m.enabled);
  EXPECT_EQ(m.count, 42);
  EXPECT_EQ(m.small, 200);
  EXPECT_FLOAT_EQ(m.gain, 2.0f);
  EXPECT_DOUBLE_EQ(m.rate, 0.5);
  EXPECT_EQ(m.mode, "exact");
  EXPECT_EQ(m.file, std::filesystem::path("/pipelines/model.yml"));
  EXPECT_EQ(m.sizes, (std::vector<int>{4, 5, 6}));
  EXPECT_EQ(m.files, (std::vector<std::filesystem::path>{"/abs/a", "/pipelines/b"}));
}

TEST(ParamBinding, AnEmptyPathStaysEmptyAndAbsentValuesLeaveMembersAlone) {
  Members m;
  const StageSpec spec = declare(m);
  ParamSet values;
  values.set("file", "");
  spec.assign(values, "/pipelines");
  EXPECT_TRUE(m.file.empty());
  EXPECT_EQ(m.count, 3);
}

TEST(ParamBinding, AValueTheMemberCannotHoldIsAConfigErrorNamingTheParameter) {
  Members m;
  const StageSpec spec = declare(m);
  ParamSet values;
  values.set("small", 300);
  try {
    spec.assign(values, {});
    FAIL() << "300 does not fit a uint8 member";
  } catch (const oi::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("parameter 'small' = 300"), std::string::npos) << e.what();
  }
  EXPECT_EQ(m.small, 7) << "the member keeps its value";
}

TEST(ParamBinding, UnbindKeepsTheDeclarationAndForgetsTheMember) {
  Members m;
  StageSpec spec = declare(m);
  spec.unbind();
  ParamSet values;
  values.set("count", 9);
  spec.assign(values, {});
  EXPECT_EQ(m.count, 3);
  EXPECT_FALSE(spec.find_param("count")->bound());
  EXPECT_EQ(*spec.find_param("count")->default_value(), 3);
}

TEST(ParamBinding, RenamedParametersAreKnownByTheirOldName) {
  StageSpec spec;
  int width = 64;
  spec.param("pixels_per_line", width);
  spec.renamed("pixels", "pixels_per_line");
  ASSERT_NE(spec.new_name_of("pixels"), nullptr);
  EXPECT_EQ(*spec.new_name_of("pixels"), "pixels_per_line");
  EXPECT_EQ(spec.new_name_of("pixels_per_line"), nullptr);
}

}  // namespace
