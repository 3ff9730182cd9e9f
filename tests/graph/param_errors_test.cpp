// Errors in parameter values: names, types, ranges, required parameters, lists.

#include "graph_test_util.hpp"

namespace oi::test {
namespace {

// test.params with a valid surrounding graph; line 6 onwards holds the params under test.
std::string tune_with(std::string_view params) {
  return yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  tune:
    type: test.params
    params:
)") + std::string(params) +
         yaml(R"(
  sink: { type: test.sink }
connections:
  - { from: scanner.out, to: tune.in }
  - { from: tune.out, to: sink.in }
)");
}

TEST_F(GraphTest, UnknownParameterSuggestsAndListsTheDeclaredOnes) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      gian: 2\n"));
  expect_at(d, 8, 7,
            {"stage 'tune' (test.params) has no parameter 'gian' "
             "(did you mean 'gain'?)",
             "its parameters are 'enabled', 'count', 'gain', 'label', 'mode', "
             "'sizes', 'table', 'threshold'"});
}

TEST_F(GraphTest, UnknownParameterOfATypeWithoutParameters) {
  const Diagnostic d = single_error(yaml(R"(
devices:
  scanner: { driver: test.source }
stages:
  join: { type: test.join, params: { mode: a } }
connections:
  - { from: scanner.out, to: join.a }
)"));
  expect_at(d, 4, 38, {"stage 'join' (test.join) has no parameter 'mode'", "it declares no parameters"});
}

TEST_F(GraphTest, StringWhereAFloatBelongsQuotesTheDeclaration) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      gain: abc\n"));
  expect_at(d, 8, 13,
            {"parameter 'gain' of stage 'tune' expects float in [0, 8] (x), "
             "got \"abc\""});
}

TEST_F(GraphTest, MapWhereAFloatBelongs) {
  const Diagnostic d = single_error(tune_with("      threshold: { value: 1 }\n"));
  expect_at(d, 7, 18, {"parameter 'threshold' of stage 'tune' expects float, got a map"});
}

TEST_F(GraphTest, QuotedNumberIsAStringWithAHint) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      count: \"3\"\n"));
  expect_at(
      d, 8, 14,
      {"parameter 'count' of stage 'tune' expects int in [1, 10], got \"3\"", "write it without quotes"});
}

TEST_F(GraphTest, FractionWhereAnIntBelongs) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      count: 3.5\n"));
  expect_at(d, 8, 14, {"expects int in [1, 10], got 3.5"});
}

TEST_F(GraphTest, EmptyValueIsNotAString) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      label:\n"));
  // An empty value has no position of its own; the key's is used.
  expect_at(d, 8, 7, {"parameter 'label' of stage 'tune' expects a string, got null"});
}

TEST_F(GraphTest, ValueOutOfRange) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      gain: 9.5\n"));
  expect_at(d, 8, 13, {"parameter 'gain' of stage 'tune': value 9.5 x is out of range"});
}

TEST_F(GraphTest, EnumValueNotAllowed) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      mode: fastest\n"));
  expect_at(d, 8, 13, {"value \"fastest\" is not allowed: expects one of {fast, accurate}"});
}

TEST_F(GraphTest, BoolMustBeTrueOrFalse) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      enabled: yes\n"));
  expect_at(d, 8, 16, {"expects a bool (true or false), got \"yes\""});
}

TEST_F(GraphTest, MissingRequiredParameterPointsAtTheNode) {
  const Diagnostic d = single_error(tune_with("      gain: 2\n"));
  expect_at(d, 4, 3,
            {"stage 'tune' (test.params) needs parameter 'threshold' (float)", "--set tune.threshold=VALUE"});
}

TEST_F(GraphTest, DuplicateParameter) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      threshold: 2\n"));
  expect_at(d, 8, 7,
            {"duplicate parameter 'threshold' in params of stage 'tune'", "first at line 7, column 7"});
}

TEST_F(GraphTest, ListElementErrorPointsAtTheElement) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      sizes: [4, x, 5]\n"));
  expect_at(d, 8, 18,
            {"parameter 'sizes' of stage 'tune': element 1: expects int in [1, 100], "
             "got \"x\""});
}

TEST_F(GraphTest, ListElementOutOfRangeInABlockList) {
  const Diagnostic d =
      single_error(tune_with("      threshold: 1\n      sizes:\n        - 4\n        - 500\n"));
  expect_at(d, 10, 11, {"element 1: value 500 is out of range"});
}

TEST_F(GraphTest, ScalarWhereAListBelongs) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      sizes: 4\n"));
  expect_at(d, 8, 14, {"expects list of int in [1, 100], got 4", "[a, b]"});
}

TEST_F(GraphTest, ParamsMustBeAMap) {
  const Diagnostic d = single_error(tune_with("      - threshold\n"));
  expect_at(d, 7, 7, {"params of stage 'tune' must be a map of name: value, got a list"});
}

TEST_F(GraphTest, TextThatIsNotUtf8) {
  const Diagnostic d = single_error(tune_with("      threshold: 1\n      label: \"a\xff\"\n"));
  expect_at(d, 8, 14, {"not valid UTF-8"});
}

TEST_F(GraphTest, MisspelledTypeAndStringForANumberAreReportedTogether) {
  const std::vector<Diagnostic> all = errors(yaml(R"(
devices:
  scanner:
    driver: test.source
    params:
      count: twenty
stages:
  relay:
    type: test.pas
  sink: { type: test.sink }
connections:
  - { from: scanner.out, to: relay.in }
  - { from: relay.out, to: sink.in }
)"));
  ASSERT_EQ(all.size(), 2u);
  expect_at(all[0], 5, 14,
            {"parameter 'count' of device 'scanner' expects int >= 0, "
             "got \"twenty\""});
  expect_at(all[1], 8, 11, {"unknown stage type 'test.pas' (did you mean 'test.pass'?)"});
}

}  // namespace
}  // namespace oi::test
