// Errors in the document as a whole: syntax, shapes of the top-level sections, unknown keys,
// plugin folders. Every test pins the exact line and column.

#include <algorithm>
#include <filesystem>

#include "graph_test_util.hpp"

namespace oi::test {
namespace {

TEST_F(GraphTest, MalformedYamlPointsAtTheParserMark) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source
stages:
)"));
  // yaml-cpp notices the unclosed flow map at the next ':'.
  expect_at(d, 3, 7, {"invalid YAML: end of map flow not found"});
}

TEST_F(GraphTest, EmptyDocumentIsAnError) {
  const Diagnostic d = single_error("# nothing here\n");
  EXPECT_EQ(d.where.file, "p.yaml");
  EXPECT_EQ(d.where.line, 0);
  EXPECT_THAT(d.message, testing::HasSubstr("the pipeline is empty"));
}

TEST_F(GraphTest, TopLevelMustBeAMap) {
  expect_at(single_error("\n- devices\n- stages\n"), 2, 1, {"expected a map", "got a list"});
}

TEST_F(GraphTest, NoNodesAtAllIsAnError) {
  expect_at(single_error("name: empty\n"), 1, 1, {"declares no devices and no stages"});
}

TEST_F(GraphTest, UnknownTopLevelKeySuggestsTheRightOne) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source }
conections: []
)"));
  expect_at(d, 3, 1,
            {"unknown key 'conections' in the pipeline", "(did you mean 'connections'?)",
             "expected 'name', 'description'"});
}

TEST_F(GraphTest, DuplicateTopLevelKeyPointsAtTheSecond) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source }
name: a
name: b
)"));
  expect_at(d, 4, 1, {"duplicate key 'name'", "first at line 3, column 1"});
}

TEST_F(GraphTest, SectionsOfTheWrongShape) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
name: [not, text]
devices:
  - scanner
stages: just text
connections: { from: a.out }
)"));
  ASSERT_EQ(all.size(), 4u);
  expect_at(all[0], 1, 7, {"'name' must be text, got a list"});
  expect_at(all[1], 3, 3, {"'devices' must be a map of node name -> device, got a list"});
  expect_at(all[2], 4, 9, {"'stages' must be a map of node name -> stage, got a value"});
  expect_at(all[3], 5, 14, {"'connections' must be a list", "got a map"});
}

TEST_F(GraphTest, MissingPluginFolderPointsAtTheEntry) {
  const Diagnostic d = single_error(yaml(R"(
plugins:
  - ../no_such_plugins
devices:
  scanner: { driver: test.source }
)"));
  expect_at(d, 2, 5,
            {"plugin folder '../no_such_plugins' (/pipelines/no_such_plugins) "
             "does not exist"});
}

TEST_F(GraphTest, PluginsMustBeAList) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source }
plugins: ../my_plugins
)"));
  expect_at(d, 3, 10, {"'plugins' must be a list of folders"});
}

TEST_F(GraphTest, PluginFolderIsLoadedAndRecorded) {
  // An empty folder of our own: load_directory() loads every *.so it finds.
  const std::filesystem::path dir = std::filesystem::path(testing::TempDir()) / "oi_graph_no_plugins";
  std::filesystem::create_directories(dir);
  const PipelineSpec spec =
      load("plugins: [\"" + dir.string() + "\"]\n" + "devices:\n  scanner: { driver: test.source }\n");
  ASSERT_EQ(spec.plugin_dirs.size(), 1u);
  EXPECT_EQ(spec.plugin_dirs[0], dir.lexically_normal());
  const auto& searched = registry_.searched_directories();
  EXPECT_NE(std::find(searched.begin(), searched.end(), dir.lexically_normal()), searched.end());
  std::filesystem::remove_all(dir);
}

TEST_F(GraphTest, ErrorsAreSortedByPosition) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
stages:
  sink: { type: test.snk }
devices:
  scanner: { drivr: test.source }
colors: []
)"));
  ASSERT_EQ(all.size(), 4u);
  expect_at(all[0], 2, 17, {"unknown stage type 'test.snk'"});
  expect_at(all[1], 4, 3, {"device 'scanner' has no 'driver'"});
  expect_at(all[2], 4, 14, {"unknown key 'drivr'", "did you mean 'driver'?"});
  expect_at(all[3], 5, 1, {"unknown key 'colors'"});
}

}  // namespace
}  // namespace oi::test
