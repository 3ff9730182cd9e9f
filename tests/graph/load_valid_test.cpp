// Valid pipelines: what the loader returns.

#include <cmath>
#include <filesystem>
#include <fstream>

#include "graph_test_util.hpp"

namespace oi::test {
namespace {

namespace fs = std::filesystem;

TEST_F(GraphTest, LoadsNodesConnectionsAndFillsDefaults) {
  const PipelineSpec spec = load(yaml(R"(
name: "lane 1"
description: "a test pipeline"
devices:
  scanner:
    driver: test.source
    uri: "sim://lane1"
    params: { count: 5 }
stages:
  tune:
    type: test.params
    params:
      threshold: 2          # an int is accepted for a float
      sizes: [3, 4]
      table: tables/z.csv
      label: "42"
  sink:
    type: test.sink
connections:
  - from: scanner.out
    to: tune.in
  - from: tune.out
    to: sink.in
    capacity: 16
    policy: drop_oldest
)"));
  EXPECT_EQ(spec.file, "p.yaml");
  ASSERT_EQ(spec.nodes.size(), 3u);
  const NodeSpec& scanner = spec.nodes[0];
  EXPECT_EQ(scanner.name, "scanner");
  EXPECT_EQ(scanner.type, "test.source");
  EXPECT_TRUE(scanner.is_device);
  EXPECT_EQ(scanner.uri, "sim://lane1");
  EXPECT_EQ(scanner.where.line, 4);
  EXPECT_EQ(scanner.where.column, 3);
  EXPECT_EQ(scanner.params.get<std::int64_t>("count"), 5);
  EXPECT_EQ(scanner.params.get<std::int64_t>("delay_us"), 0);  // default

  const NodeSpec* tune = spec.find_node("tune");
  ASSERT_NE(tune, nullptr);
  EXPECT_FALSE(tune->is_device);
  EXPECT_DOUBLE_EQ(tune->params.get<double>("threshold"), 2.0);
  EXPECT_TRUE(tune->params.raw("threshold").is_number_float());
  EXPECT_EQ(tune->params.get<std::vector<int>>("sizes"), (std::vector<int>{3, 4}));
  EXPECT_EQ(tune->params.get<std::string>("table"), "/pipelines/lane1/tables/z.csv");
  EXPECT_EQ(tune->params.get<std::string>("label"), "42");
  EXPECT_EQ(tune->params.get<std::string>("mode"), "fast");  // defaults
  EXPECT_TRUE(tune->params.get<bool>("enabled"));
  EXPECT_DOUBLE_EQ(tune->params.get<double>("gain"), 1.0);
  EXPECT_EQ(spec.find_node("nope"), nullptr);

  ASSERT_EQ(spec.connections.size(), 2u);
  EXPECT_EQ(spec.connections[0].from(), "scanner.out");
  EXPECT_EQ(spec.connections[0].to(), "tune.in");
  EXPECT_EQ(spec.connections[0].capacity, 4u);
  EXPECT_EQ(spec.connections[0].policy, QueuePolicy::kBlock);
  EXPECT_EQ(spec.connections[0].where.line, 19);
  EXPECT_EQ(spec.connections[0].where.column, 5);
  EXPECT_EQ(spec.connections[1].capacity, 16u);
  EXPECT_EQ(spec.connections[1].policy, QueuePolicy::kDropOldest);
}

TEST_F(GraphTest, DevicesComeFirstWhateverTheSectionOrder) {
  const PipelineSpec spec = load(yaml(R"(
stages:
  sink: { type: test.sink }
devices:
  scanner: { driver: test.source }
connections:
  - { from: scanner.out, to: sink.in, policy: latest }
)"));
  ASSERT_EQ(spec.nodes.size(), 2u);
  EXPECT_EQ(spec.nodes[0].name, "scanner");
  EXPECT_EQ(spec.nodes[1].name, "sink");
  EXPECT_EQ(spec.connections[0].policy, QueuePolicy::kLatest);
}

TEST_F(GraphTest, ValueSpellingsFollowTheDeclaredType) {
  const PipelineSpec spec = load(yaml(R"(
devices:
  scanner: { driver: test.source, params: { count: 0x10, fail_at: -1 } }
stages:
  tune:
    type: test.params
    params:
      enabled: False
      count: +7
      gain: .5e1
      mode: accurate
      label: true
      table: /abs/../data/t.csv
      threshold: -.inf
      sizes:
        - 1
        - 0o17
  sink: { type: test.sink }
connections:
  - { from: scanner.out, to: tune.in }
  - { from: tune.out, to: sink.in }
)"));
  const NodeSpec& tune = *spec.find_node("tune");
  EXPECT_EQ(spec.find_node("scanner")->params.get<std::int64_t>("count"), 16);
  EXPECT_FALSE(tune.params.get<bool>("enabled"));
  EXPECT_EQ(tune.params.get<std::int64_t>("count"), 7);
  EXPECT_DOUBLE_EQ(tune.params.get<double>("gain"), 5.0);
  EXPECT_EQ(tune.params.get<std::string>("mode"), "accurate");
  EXPECT_EQ(tune.params.get<std::string>("label"), "true");  // a string takes any scalar as text
  EXPECT_EQ(tune.params.get<std::string>("table"), "/data/t.csv");
  EXPECT_TRUE(std::isinf(tune.params.get<double>("threshold")));
  EXPECT_EQ(tune.params.get<std::vector<int>>("sizes"), (std::vector<int>{1, 15}));
}

TEST_F(GraphTest, LoadsFromAFileAndResolvesPathsAgainstItsFolder) {
  const fs::path dir = fs::path(testing::TempDir()) / "oi_graph_file_test";
  fs::create_directories(dir / "sub");
  const fs::path file = dir / "sub" / "pipeline.yaml";
  std::ofstream(file) << yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  tune:
    type: test.params
    params: { threshold: 0.5 }
  sink: { type: test.sink }
connections:
  - { from: scanner.out, to: tune.in }
  - { from: tune.out, to: sink.in }
)");
  const PipelineSpec spec = load_pipeline(file, registry_);
  EXPECT_EQ(spec.file, file);
  // The declared default "table.csv" is relative to the pipeline's folder, like a YAML value.
  EXPECT_EQ(fs::path(spec.find_node("tune")->params.get<std::string>("table")),
            (fs::absolute(dir) / "sub" / "table.csv").lexically_normal());
  EXPECT_EQ(spec.find_node("tune")->where.file, file.string());
  fs::remove_all(dir);
}

TEST_F(GraphTest, ReportsFileErrorsWithTheFileName) {
  const fs::path dir = fs::path(testing::TempDir()) / "oi_graph_file_error_test";
  fs::create_directories(dir);
  const fs::path file = dir / "broken.yaml";
  std::ofstream(file) << "devices:\n  scanner:\n    driver: test.sorce\n";
  try {
    load_pipeline(file, registry_);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u) << e.what();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.where.file, file.string());
    EXPECT_EQ(d.where.line, 3);
    EXPECT_EQ(d.where.column, 13);
    EXPECT_THAT(d.message, testing::HasSubstr("did you mean 'test.source'?"));
    EXPECT_THAT(e.what(), testing::StartsWith(file.string() + ":3:13: unknown driver type"));
  }
  fs::remove_all(dir);
}

TEST_F(GraphTest, UnreadableFileSaysWhy) {
  const fs::path missing = fs::path(testing::TempDir()) / "oi_no_such_dir" / "p.yaml";
  try {
    load_pipeline(missing, registry_);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u);
    EXPECT_EQ(e.diagnostics()[0].where.file, missing.string());
    EXPECT_EQ(e.diagnostics()[0].where.line, 0);
    EXPECT_THAT(e.diagnostics()[0].message, testing::HasSubstr("No such file or directory"));
  }
  try {
    load_pipeline(testing::TempDir(), registry_);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("it is a folder"));
  }
}

TEST(QueuePolicy, HasYamlNames) {
  EXPECT_EQ(to_string(QueuePolicy::kBlock), "block");
  EXPECT_EQ(to_string(QueuePolicy::kDropOldest), "drop_oldest");
  EXPECT_EQ(to_string(QueuePolicy::kLatest), "latest");
}

}  // namespace
}  // namespace oi::test
