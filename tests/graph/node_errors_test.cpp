// Errors in device and stage declarations: types, kinds, keys, names.

#include "graph_test_util.hpp"

namespace oi::test {
namespace {

TEST_F(GraphTest, UnknownStageTypeSuggestsAndSaysHowToList) {
  const Diagnostic d = single_error(yaml(R"(
stages:
  relay:
    type: test.pas
)"));
  expect_at(d, 3, 11,
            {"unknown stage type 'test.pas' (did you mean 'test.pass'?)",
             "run `oi plugins` to see what is loaded"});
}

TEST_F(GraphTest, UnknownDriverTypeSuggestsOnlyDrivers) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  camera:
    driver: test.vdeo
)"));
  expect_at(d, 3, 13, {"unknown driver type 'test.vdeo' (did you mean 'test.video'?)"});
}

TEST_F(GraphTest, StageTypeUnderDevicesAndDriverTypeUnderStages) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
devices:
  relay:
    driver: test.pass
stages:
  scanner:
    type: test.source
)"));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 3, 13,
            {"'test.pass' is a stage type, not a driver type",
             "declare 'relay' under stages: with type: test.pass"});
  expect_at(all[1], 6, 11,
            {"'test.source' is a driver type, not a stage type",
             "declare 'scanner' under devices: with driver: test.source"});
}

TEST_F(GraphTest, MissingTypeAndDriverPointAtTheNode) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
devices:
  scanner:
    uri: sim://1
stages:
  relay:
    params: {}
)"));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 2, 3, {"device 'scanner' has no 'driver'", "driver: sim.xray"});
  expect_at(all[1], 5, 3, {"stage 'relay' has no 'type'"});
}

TEST_F(GraphTest, UnknownNodeKeySuggests) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner:
    driver: test.source
    parms: { count: 2 }
)"));
  expect_at(d, 4, 5,
            {"unknown key 'parms' in device 'scanner' (did you mean 'params'?)",
             "expected 'driver', 'uri', 'params'"});
}

TEST_F(GraphTest, TypeKeyUnderADeviceIsUnknown) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
devices:
  scanner:
    type: test.source
)"));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 2, 3, {"has no 'driver'"});
  expect_at(all[1], 3, 5, {"unknown key 'type' in device 'scanner'"});
}

TEST_F(GraphTest, NodeMustBeAMap) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
devices:
  scanner: test.source
  camera:
)"));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 2, 12,
            {"device 'scanner' must be a map with 'driver', 'uri' and 'params'", "got a value"});
  expect_at(all[1], 3, 3, {"device 'camera' must be a map", "got nothing"});
}

TEST_F(GraphTest, TypeMustBeAName) {
  const Diagnostic d = single_error(yaml(R"(
stages:
  relay:
    type: [test.pass]
)"));
  expect_at(d, 3, 11, {"expected a stage type name, got a list"});
}

TEST_F(GraphTest, UriMustBeText) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner:
    driver: test.source
    uri: { host: a }
)"));
  expect_at(d, 4, 10, {"the uri of device 'scanner' must be text, got a map"});
}

TEST_F(GraphTest, DuplicateNodeInOneSection) {
  // yaml-cpp keeps both entries of a repeated key; the loader must not silently pick one.
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source }
  scanner: { driver: test.video }
)"));
  expect_at(d, 3, 3, {"duplicate device 'scanner' in 'devices'", "first at line 2, column 3"});
}

TEST_F(GraphTest, DuplicateNodeAcrossSections) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  scanner: { type: test.sink }
)"));
  ASSERT_EQ(all.size(), 1u);
  expect_at(all[0], 4, 3,
            {"node name 'scanner' is already used by the device at line 2, "
             "column 3",
             "unique across devices and stages"});
}

TEST_F(GraphTest, InvalidNodeName) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  1st.scanner: { driver: test.source }
)"));
  expect_at(d, 2, 3, {"invalid node name '1st.scanner'"});
}

}  // namespace
}  // namespace oi::test
