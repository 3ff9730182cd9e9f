// Run metrics: the counters and the exact `--stats` JSON shape.

#include <gtest/gtest.h>

#include <set>

#include "latency_histogram.hpp"
#include "scheduler_test_stages.hpp"
#include "test_stages.hpp"

namespace oi::test {
namespace {

std::set<std::string> keys(const nlohmann::json& object) {
  std::set<std::string> names;
  for (const auto& [key, value] : object.items()) names.insert(key);
  return names;
}

class SchedulerMetrics : public SchedulerTest {};

TEST_F(SchedulerMetrics, JsonHasExactlyTheDocumentedShape) {
  node("src", "test.source", {{"count", 30}});
  node("work", "test.pass", {{"sleep_us", 100}});
  node("sink", "test.sink");
  connect("src.out", "work.in", 3);
  connect("work.out", "sink.in", 2, QueuePolicy::kDropOldest);

  const RunResult result = run();
  ASSERT_TRUE(result.ok) << result.error;
  const nlohmann::json j = result.metrics.to_json();

  EXPECT_EQ(keys(j), (std::set<std::string>{"stages", "connections", "wall_s"}));
  ASSERT_TRUE(j["stages"].is_object());
  EXPECT_EQ(keys(j["stages"]), (std::set<std::string>{"src", "work", "sink"}));
  for (const auto& [name, s] : j["stages"].items()) {
    EXPECT_EQ(keys(s), (std::set<std::string>{"frames_in", "frames_out", "dropped", "latency_ms"})) << name;
    EXPECT_EQ(keys(s["latency_ms"]), (std::set<std::string>{"p50", "p99"})) << name;
    EXPECT_TRUE(s["frames_in"].is_number_unsigned()) << name;
    EXPECT_TRUE(s["latency_ms"]["p50"].is_number_float()) << name;
  }
  EXPECT_EQ(j["stages"]["work"]["frames_in"], 30);
  EXPECT_EQ(j["stages"]["work"]["frames_out"], 30);
  EXPECT_EQ(j["stages"]["src"]["frames_in"], 0);
  // work sleeps 100 us per frame; the median lies within the histogram's precision of that.
  EXPECT_GE(j["stages"]["work"]["latency_ms"]["p50"].get<double>(), 0.09);
  EXPECT_GE(j["stages"]["work"]["latency_ms"]["p99"].get<double>(),
            j["stages"]["work"]["latency_ms"]["p50"].get<double>());

  ASSERT_TRUE(j["connections"].is_array());
  ASSERT_EQ(j["connections"].size(), 2u);
  const nlohmann::json& c0 = j["connections"][0];
  const nlohmann::json& c1 = j["connections"][1];
  EXPECT_EQ(keys(c0), (std::set<std::string>{"from", "to", "capacity", "policy", "high_water", "dropped"}));
  EXPECT_EQ(c0["from"], "src.out");
  EXPECT_EQ(c0["to"], "work.in");
  EXPECT_EQ(c0["capacity"], 3);
  EXPECT_EQ(c0["policy"], "block");
  EXPECT_EQ(c1["policy"], "drop_oldest");
  EXPECT_LE(c0["high_water"].get<int>(), 3);
  EXPECT_TRUE(j["wall_s"].is_number_float());
  EXPECT_GT(j["wall_s"].get<double>(), 0.0);
}

TEST_F(SchedulerMetrics, LatestPolicyIsNamedInJson) {
  node("src", "test.source", {{"count", 3}});
  node("sink", "test.sink");
  connect("src.out", "sink.in", 1, QueuePolicy::kLatest);
  const RunResult result = run();
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.metrics.to_json()["connections"][0]["policy"], "latest");
}

TEST_F(SchedulerMetrics, StagesAndConnectionsKeepSpecOrder) {
  node("z_src", "test.source", {{"count", 2}});
  node("a_sink", "test.sink");
  connect("z_src.out", "a_sink.in");
  Pipeline pipeline(spec_, registry_);
  const RunMetrics before = pipeline.metrics();
  ASSERT_EQ(before.stages.size(), 2u);
  EXPECT_EQ(before.stages[0].name, "z_src");
  EXPECT_EQ(before.stages[1].name, "a_sink");
  EXPECT_EQ(before.wall_s, 0.0);
  const RunResult result = pipeline.run();
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.metrics.stages[1].frames_in, 2u);
}

TEST(SchedulerLatencyHistogram, QuantilesAreWithinTheBucketPrecision) {
  LatencyHistogram h;
  EXPECT_EQ(h.quantile_ms(0.5), 0.0);
  for (int i = 0; i < 98; ++i) h.record(100'000);  // 0.1 ms
  h.record(5'000'000);                             // 5 ms
  h.record(5'000'000);
  EXPECT_EQ(h.count(), 100u);
  EXPECT_NEAR(h.quantile_ms(0.5), 0.1, 0.1 * 0.07);
  EXPECT_NEAR(h.quantile_ms(0.98), 0.1, 0.1 * 0.07);
  EXPECT_NEAR(h.quantile_ms(0.99), 5.0, 5.0 * 0.07);
  EXPECT_NEAR(h.quantile_ms(1.0), 5.0, 5.0 * 0.07);
}

TEST(SchedulerLatencyHistogram, ExtremesLandInTheEndBuckets) {
  LatencyHistogram h;
  h.record(0);
  h.record(7);
  h.record(~std::uint64_t{0});
  EXPECT_EQ(h.quantile_ms(0.0), 0.0);
  EXPECT_NEAR(h.quantile_ms(0.5), 7e-6, 1e-9);
  EXPECT_GT(h.quantile_ms(1.0), 60'000.0);  // beyond a minute: "very long", not a wrap-around
}

}  // namespace
}  // namespace oi::test
