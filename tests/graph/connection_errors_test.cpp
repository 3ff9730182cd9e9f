// Errors in connections: endpoints, ports, directions, types, producers, cycles, queues.

#include "graph_test_util.hpp"

namespace oi::test {
namespace {

// kChainPrefix declares scanner (test.source), pass (test.pass) and sink (test.sink) on
// lines 1-8; connections start at line 9.
std::string chain_with(std::string_view connections) {
  return yaml(kChainPrefix) + "connections:\n" + std::string(connections);
}

constexpr std::string_view kPassToSink = "  - { from: pass.out, to: sink.in }\n";

TEST_F(GraphTest, ChainPrefixIsValid) {
  const PipelineSpec spec =
      load(chain_with("  - { from: scanner.out, to: pass.in }\n" + std::string(kPassToSink)));
  EXPECT_EQ(spec.connections.size(), 2u);
}

TEST_F(GraphTest, MalformedEndpoint) {
  const std::vector<Diagnostic> all =
      errors(chain_with("  - { from: scanner, to: pass.in }\n  - from: pass.out\n    to: [sink, in]\n"));
  // The malformed 'to' leaves sink.in without a producer, which is said too.
  ASSERT_EQ(all.size(), 3u);
  expect_at(all[0], 7, 3, {"input sink.in (xray.scan_block<u16>) is not connected"});
  expect_at(all[1], 10, 13, {"malformed endpoint 'scanner' in 'from': expected NODE.PORT"});
  expect_at(all[2], 12, 9, {"malformed endpoint a list in 'to'"});
}

TEST_F(GraphTest, MissingFromAndTo) {
  const std::vector<Diagnostic> all =
      errors(chain_with("  - to: pass.in\n  - from: pass.out\n    capacity: 2\n"));
  ASSERT_EQ(all.size(), 3u);
  expect_at(all[0], 7, 3, {"input sink.in (xray.scan_block<u16>) is not connected"});
  expect_at(all[1], 10, 5, {"connection has no 'from': write from: NODE.PORT"});
  expect_at(all[2], 11, 5, {"connection has no 'to'"});
}

TEST_F(GraphTest, UnknownConnectionKey) {
  const Diagnostic d = single_error(
      chain_with("  - { from: scanner.out, to: pass.in, capcity: 2 }\n" + std::string(kPassToSink)));
  expect_at(d, 10, 39, {"unknown key 'capcity' in a connection (did you mean 'capacity'?)"});
}

TEST_F(GraphTest, UnknownNodeSuggests) {
  const Diagnostic d =
      single_error(chain_with("  - { from: scaner.out, to: pass.in }\n" + std::string(kPassToSink)));
  expect_at(d, 10, 13, {"unknown node 'scaner' in 'from' (did you mean 'scanner'?)"});
}

TEST_F(GraphTest, UnknownPortSuggestsAndListsPorts) {
  const Diagnostic d =
      single_error(chain_with("  - { from: scanner.ot, to: pass.in }\n" + std::string(kPassToSink)));
  expect_at(d, 10, 13,
            {"device 'scanner' (test.source) has no output 'ot' "
             "(did you mean 'out'?); its outputs: 'out'"});
}

TEST_F(GraphTest, UnknownInputPortDoesNotAlsoReportTheInputUnconnected) {
  const Diagnostic d =
      single_error(chain_with("  - { from: scanner.out, to: pass.inn }\n" + std::string(kPassToSink)));
  expect_at(d, 10, 30, {"stage 'pass' (test.pass) has no input 'inn' (did you mean 'in'?)"});
}

TEST_F(GraphTest, ConnectingFromAnInputOrToAnOutput) {
  const std::vector<Diagnostic> all =
      errors(chain_with("  - { from: pass.in, to: sink.in }\n  - { from: scanner.out, to: pass.out }\n"));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 10, 13,
            {"pass.in is an input of stage 'pass' (test.pass); 'from' takes an "
             "output (its outputs: 'out')"});
  expect_at(all[1], 11, 30,
            {"pass.out is an output of stage 'pass' (test.pass); 'to' takes an "
             "input (its inputs: 'in')"});
}

TEST_F(GraphTest, InputFedTwice) {
  const Diagnostic d =
      single_error(chain_with("  - { from: scanner.out, to: pass.in }\n"
                              "  - { from: scanner.out, to: pass.in }\n" +
                              std::string(kPassToSink)));
  expect_at(
      d, 11, 30,
      {"input pass.in is already fed by scanner.out (line 10, column 5)", "this input takes one producer"});
}

TEST_F(GraphTest, MultiSourceInputTakesOneConnectionPerSource) {
  const PipelineSpec spec = load(yaml(R"(
devices:
  cam1: { driver: test.source }
  cam2: { driver: test.source }
  cam3: { driver: test.source }
stages:
  mux: { type: test.mux }
connections:
  - { from: cam1.out, to: mux.in }
  - { from: cam2.out, to: mux.in }
  - { from: cam3.out, to: mux.in }
)"));
  EXPECT_EQ(spec.connections.size(), 3u);
}

TEST_F(GraphTest, MultiSourceInputRefusesTheSameSourceTwice) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  cam1: { driver: test.source }
stages:
  mux: { type: test.mux }
connections:
  - { from: cam1.out, to: mux.in }
  - { from: cam1.out, to: mux.in }
)"));
  expect_at(d, 7, 27,
            {"input mux.in is already fed by cam1.out (line 6, column 5)", "connect each source once"});
}

TEST_F(GraphTest, OneOutputMayFeedSeveralInputs) {
  const PipelineSpec spec = load(yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  a: { type: test.sink }
  b: { type: test.sink }
connections:
  - { from: scanner.out, to: a.in }
  - { from: scanner.out, to: b.in }
)"));
  EXPECT_EQ(spec.connections.size(), 2u);
}

TEST_F(GraphTest, PortTypeMismatchNamesBothTypes) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  camera: { driver: test.video }
stages:
  sink: { type: test.sink }
connections:
  - from: camera.out
    to: sink.in
)"));
  expect_at(d, 6, 5,
            {"camera.out produces video.frame<rgb8> but sink.in accepts "
             "xray.scan_block<u16>"});
}

// test.pass passes frames on as the kind they came in (kind_follows), so what follows it is
// checked against what really reaches it, through any number of such stages.
TEST_F(GraphTest, AnOutputThatFollowsItsInputIsCheckedAgainstWhatReachesIt) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  camera: { driver: test.video }
stages:
  first: { type: test.pass }
  second: { type: test.pass }
  sink: { type: test.sink }
connections:
  - { from: camera.out, to: first.in }
  - { from: first.out, to: second.in }
  - { from: second.out, to: sink.in }
)"));
  expect_at(d, 10, 5,
            {"second.out passes on frames of the kind that reaches second.in, which here is video.frame, "
             "but sink.in accepts xray.scan_block<u16>; connect sink.in after a stage that produces "
             "xray.scan_block<u16>"});
  // Scan blocks through the same stages are accepted.
  const PipelineSpec spec =
      load(chain_with("  - { from: scanner.out, to: pass.in }\n" + std::string(kPassToSink)));
  EXPECT_EQ(spec.connections.size(), 2u);
}

TEST_F(GraphTest, UnconnectedRequiredInputPointsAtTheNode) {
  const Diagnostic d = single_error(chain_with("  - { from: scanner.out, to: pass.in }\n"));
  expect_at(d, 7, 3, {"input sink.in (xray.scan_block<u16>) is not connected", "to: sink.in"});
}

TEST_F(GraphTest, OptionalInputMayStayUnconnected) {
  const PipelineSpec spec = load(yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  join: { type: test.join }
connections:
  - { from: scanner.out, to: join.a }
)"));
  EXPECT_EQ(spec.nodes.size(), 2u);
}

TEST_F(GraphTest, CycleNamesTheNodesOnIt) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  join: { type: test.join }
  a: { type: test.pass }
  b: { type: test.pass }
connections:
  - { from: scanner.out, to: join.a }
  - { from: join.out, to: a.in }
  - { from: a.out, to: b.in }
  - { from: b.out, to: join.b }
)"));
  expect_at(d, 4, 3, {"the connections form a cycle: join -> a -> b -> join"});
}

TEST_F(GraphTest, SelfLoopIsACycle) {
  const Diagnostic d = single_error(yaml(R"(
stages:
  join: { type: test.join }
connections:
  - { from: join.out, to: join.a }
)"));
  expect_at(d, 2, 3, {"cycle: join -> join"});
}

TEST_F(GraphTest, BadCapacityAndPolicy) {
  const std::vector<Diagnostic> all =
      errors(chain_with("  - { from: scanner.out, to: pass.in, capacity: 0, policy: drop_olds }\n"
                        "  - { from: pass.out, to: sink.in, capacity: \"8\", policy: [block] }\n"));
  ASSERT_EQ(all.size(), 4u);
  expect_at(all[0], 10, 49, {"capacity must be a whole number of frames >= 1, got 0"});
  expect_at(all[1], 10, 60,
            {"unknown queue policy 'drop_olds' (did you mean 'drop_oldest'?)",
             "expected 'block', 'drop_oldest', 'latest'"});
  expect_at(all[2], 11, 46, {"got \"8\""});
  expect_at(all[3], 11, 59, {"unknown queue policy a list"});
}

TEST_F(GraphTest, ConnectionMustBeAMap) {
  const std::vector<Diagnostic> all =
      errors(chain_with("  - scanner.out -> pass.in\n" + std::string(kPassToSink)));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 5, 3, {"input pass.in (any) is not connected"});
  expect_at(all[1], 10, 5, {"a connection is a map with 'from' and 'to', got a value"});
}

}  // namespace
}  // namespace oi::test
