#include "oi/params.hpp"

#include <gtest/gtest.h>

#include "oi/error.hpp"

namespace oi {
namespace {

using nlohmann::json;

TEST(ParamSpec, IntRange) {
  ParamSpec p("count", ParamType::kInt);
  p.range(1, 10).default_value(3);
  EXPECT_FALSE(p.check(5));
  EXPECT_FALSE(p.check(1));
  EXPECT_FALSE(p.check(10));
  ASSERT_TRUE(p.check(11));
  EXPECT_NE(p.check(11)->find("out of range"), std::string::npos) << *p.check(11);
  EXPECT_NE(p.check(11)->find("[1, 10]"), std::string::npos) << *p.check(11);
  ASSERT_TRUE(p.check(2.5));
  EXPECT_NE(p.check(2.5)->find("expects int in [1, 10], got 2.5"), std::string::npos) << *p.check(2.5);
  EXPECT_TRUE(p.check("3"));
  EXPECT_FALSE(p.required());
}

TEST(ParamSpec, FloatAcceptsIntegersAndStoresFloatDefaults) {
  ParamSpec p("kv", ParamType::kFloat);
  p.range(80, 160).unit("kV").default_value(160);
  EXPECT_TRUE(p.default_value()->is_number_float());
  EXPECT_FALSE(p.check(100));
  EXPECT_FALSE(p.check(100.5));
  auto problem = p.check("abc");
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "expects float in [80, 160] (kV), got \"abc\"");
  problem = p.check(200);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("200 kV"), std::string::npos) << *problem;
}

TEST(ParamSpec, BoolStringPath) {
  EXPECT_FALSE(ParamSpec("on", ParamType::kBool).check(true));
  EXPECT_TRUE(ParamSpec("on", ParamType::kBool).check(1));
  EXPECT_FALSE(ParamSpec("label", ParamType::kString).check("x"));
  EXPECT_TRUE(ParamSpec("label", ParamType::kString).check(3));
  EXPECT_FALSE(ParamSpec("file", ParamType::kPath).check("/tmp/x"));
  ParamSpec restricted("label", ParamType::kString);
  restricted.allowed({"a", "b"});
  EXPECT_TRUE(restricted.check("c"));
}

TEST(ParamSpec, Enum) {
  ParamSpec p("mode", ParamType::kEnum);
  p.allowed({"fast", "accurate"}).default_value("fast");
  EXPECT_FALSE(p.check("accurate"));
  auto problem = p.check("slow");
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "value \"slow\" is not allowed: expects one of {fast, accurate}");
  EXPECT_EQ(p.type_description(), "enum {fast, accurate}");
}

TEST(ParamSpec, ListChecksEveryElement) {
  ParamSpec p("sizes", ParamType::kList);
  p.element_type(ParamType::kInt).range(1, 100);
  EXPECT_FALSE(p.check(json::array({1, 2, 100})));
  auto problem = p.check(json::array({1, 200}));
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->rfind("element 1:", 0), 0u) << *problem;
  EXPECT_TRUE(p.check(5));
  EXPECT_EQ(p.type_description(), "list of int in [1, 100]");
}

TEST(ParamSpec, RequiredWithoutDefault) {
  ParamSpec p("threshold", ParamType::kFloat);
  EXPECT_TRUE(p.required());
  EXPECT_TRUE(p.to_json()["required"].get<bool>());
  EXPECT_TRUE(p.to_json()["default"].is_null());
}

TEST(ParamSpec, JsonDescribesEverything) {
  ParamSpec p("kv", ParamType::kFloat);
  p.range(80, 160).unit("kV").default_value(160.0).describe("Tube voltage.");
  json j = p.to_json();
  EXPECT_EQ(j["name"], "kv");
  EXPECT_EQ(j["type"], "float");
  EXPECT_EQ(j["min"], 80.0);
  EXPECT_EQ(j["max"], 160.0);
  EXPECT_EQ(j["unit"], "kV");
  EXPECT_EQ(j["default"], 160.0);
  EXPECT_EQ(j["description"], "Tube voltage.");
}

TEST(ParamSet, TypedAccess) {
  ParamSet set;
  set.set("gain", 2.5);
  set.set("count", 3);
  set.set("sizes", json::array({1, 2}));
  set.set("mode", "fast");
  EXPECT_DOUBLE_EQ(set.get<double>("gain"), 2.5);
  EXPECT_EQ(set.get<std::int64_t>("count"), 3);
  EXPECT_EQ(set.get<std::vector<int>>("sizes"), (std::vector<int>{1, 2}));
  EXPECT_EQ(set.get<std::string>("mode"), "fast");
  EXPECT_EQ(set.get_or<int>("missing", 7), 7);
  EXPECT_THROW(set.get<std::string>("gain"), ConfigError);
  EXPECT_THROW(set.get<double>("missing"), ConfigError);
}

}  // namespace
}  // namespace oi
