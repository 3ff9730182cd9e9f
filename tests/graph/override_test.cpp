// `--set NODE.PARAM=VALUE` overrides: parsing, applying, and errors that quote the override.

#include <filesystem>

#include "graph_test_util.hpp"

namespace oi::test {
namespace {

const std::string kPipeline = yaml(R"(
devices:
  scanner: { driver: test.source, params: { count: 2 } }
stages:
  tune: { type: test.params, params: { threshold: 0.5 } }
  sink: { type: test.sink }
connections:
  - { from: scanner.out, to: tune.in }
  - { from: tune.out, to: sink.in }
)");

std::vector<ParamOverride> set(std::initializer_list<std::string_view> texts) {
  std::vector<ParamOverride> out;
  for (std::string_view t : texts) out.push_back(parse_override(t));
  return out;
}

TEST(ParseOverride, SplitsNodeParamAndValue) {
  const ParamOverride o = parse_override("scanner.kv=140");
  EXPECT_EQ(o.node, "scanner");
  EXPECT_EQ(o.param, "kv");
  EXPECT_EQ(o.value, "140");
  // Only the first '=' separates; the value may contain more.
  EXPECT_EQ(parse_override("tune.label=a=b").value, "a=b");
  EXPECT_EQ(parse_override("tune.label=").value, "");
  EXPECT_EQ(parse_override("tune.sizes=[1, 2]").value, "[1, 2]");
}

TEST(ParseOverride, RejectsOtherForms) {
  for (const char* bad : {"scanner", "scanner=1", "scanner.kv", ".kv=1", "scanner.=1", "1x.kv=2", ""}) {
    try {
      parse_override(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_THAT(e.what(), testing::HasSubstr("expected NODE.PARAM=VALUE")) << bad;
    }
  }
}

TEST_F(GraphTest, OverridesReplaceFileValuesAndDefaults) {
  const PipelineSpec spec =
      load(kPipeline, set({"scanner.count=7", "tune.sizes=[5, 6, 7]", "tune.mode=accurate", "tune.gain=3"}));
  EXPECT_EQ(spec.find_node("scanner")->params.get<std::int64_t>("count"), 7);
  const NodeSpec& tune = *spec.find_node("tune");
  EXPECT_EQ(tune.params.get<std::vector<int>>("sizes"), (std::vector<int>{5, 6, 7}));
  EXPECT_EQ(tune.params.get<std::string>("mode"), "accurate");
  EXPECT_DOUBLE_EQ(tune.params.get<double>("gain"), 3.0);
  EXPECT_DOUBLE_EQ(tune.params.get<double>("threshold"), 0.5);  // untouched
}

TEST_F(GraphTest, OverrideCanSupplyARequiredParameter) {
  std::string text = kPipeline;
  text.replace(text.find("params: { threshold: 0.5 }"), 26, "params: {}");
  const PipelineSpec spec = load(text, set({"tune.threshold=0.25"}));
  EXPECT_DOUBLE_EQ(spec.find_node("tune")->params.get<double>("threshold"), 0.25);
}

TEST_F(GraphTest, OverridePathsAreRelativeToTheWorkingDirectory) {
  const PipelineSpec spec = load(kPipeline, set({"tune.table=data/t.csv"}));
  EXPECT_EQ(std::filesystem::path(spec.find_node("tune")->params.get<std::string>("table")),
            (std::filesystem::current_path() / "data/t.csv").lexically_normal());
}

TEST_F(GraphTest, InvalidOverrideValueQuotesTheOverride) {
  try {
    load(kPipeline, set({"tune.gain=abc"}));
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.diagnostics().size(), 1u) << e.what();
    const Diagnostic& d = e.diagnostics()[0];
    EXPECT_EQ(d.where.file, "--set tune.gain=abc");
    EXPECT_EQ(d.where.line, 0);
    EXPECT_EQ(std::string(e.what()),
              "--set tune.gain=abc: parameter 'gain' of stage 'tune' expects float in [0, 8] (x), "
              "got \"abc\"");
  }
}

TEST_F(GraphTest, InvalidOverrideListElement) {
  const Diagnostic d = single_error(kPipeline, set({"tune.sizes=[1, 200]"}));
  EXPECT_EQ(d.where.file, "--set tune.sizes=[1, 200]");
  EXPECT_THAT(d.message, testing::HasSubstr("element 1: value 200 is out of range"));
}

TEST_F(GraphTest, OverrideOfAnUnknownParameterSuggests) {
  const Diagnostic d = single_error(kPipeline, set({"scanner.cout=100"}));
  EXPECT_EQ(d.str(),
            "--set scanner.cout=100: device 'scanner' (test.source) has no parameter "
            "'cout' (did you mean 'count'?); its parameters are 'count', 'delay_us', "
            "'fail_at'");
}

TEST_F(GraphTest, OverrideOfAnUnknownNodeIsAnError) {
  const Diagnostic d = single_error(kPipeline, set({"scaner.count=1"}));
  EXPECT_EQ(d.str(),
            "--set scaner.count=1: no device or stage is named 'scaner' "
            "(did you mean 'scanner'?)");
}

TEST_F(GraphTest, OverrideValueThatIsNotYaml) {
  const Diagnostic d = single_error(kPipeline, set({"tune.sizes=[1, 2"}));
  EXPECT_EQ(d.where.file, "--set tune.sizes=[1, 2");
  EXPECT_THAT(d.message, testing::HasSubstr("cannot read the value of parameter 'sizes'"));
}

TEST_F(GraphTest, OverrideErrorsFollowFileErrors) {
  std::string text = kPipeline;
  text.replace(text.find("count: 2"), 8, "count: x");
  const std::vector<Diagnostic> all = errors(text, set({"tune.gain=abc", "sink.nope=1"}));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].where.file, "p.yaml");
  EXPECT_EQ(all[0].where.line, 2);
  EXPECT_EQ(all[1].where.file, "--set tune.gain=abc");
  EXPECT_EQ(all[2].where.file, "--set sink.nope=1");
}

}  // namespace
}  // namespace oi::test
