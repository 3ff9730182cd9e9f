// Stage::validate(): checks a single declaration cannot express run in the loader, so
// `oi validate` reports them with the node's position, after every value is known valid.
#include "graph_test_util.hpp"

namespace oi::test {
namespace {

// A window whose lower edge must stay below its upper edge.
class Window final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.input("in");
    spec.output("out");
    spec.param("low", ParamType::kInt).default_value(0);
    spec.param("high", ParamType::kInt).default_value(10);
    spec.param("throw", ParamType::kBool).default_value(false);
  }
  std::vector<std::string> validate(const StageConfig& config) const override {
    if (config.params.get<bool>("throw")) throw std::runtime_error("validator crashed");
    if (config.params.get<std::int64_t>("low") >= config.params.get<std::int64_t>("high")) {
      return {"'low' must be below 'high'; got low " +
              std::to_string(config.params.get<std::int64_t>("low")) + " and high " +
              std::to_string(config.params.get<std::int64_t>("high"))};
    }
    return {};
  }
  Status process(StageContext& ctx) override {
    ctx.emit(0, ctx.take(0));
    return Status::ok();
  }
};

class StageValidate : public GraphTest {
 protected:
  StageValidate() {
    registry_.register_type("test.window", FactoryKind::kStage, "",
                            [] { return std::make_unique<Window>(); });
  }
  static std::string pipeline(const std::string& window_params) {
    return yaml(R"(
devices:
  src:
    driver: test.source
stages:
  window:
    type: test.window
    params: )" + window_params +
                R"(
  sink:
    type: test.sink
connections:
  - {from: src.out, to: window.in}
  - {from: window.out, to: sink.in}
)");
  }
};

TEST_F(StageValidate, ValidCombinationLoads) { EXPECT_NO_THROW(load(pipeline("{low: 2, high: 5}"))); }

TEST_F(StageValidate, InvalidCombinationIsReportedAtTheNode) {
  expect_at(single_error(pipeline("{low: 7, high: 5}")), 5, 3,
            {"stage 'window' (test.window): 'low' must be below 'high'", "low 7 and high 5"});
}

TEST_F(StageValidate, OverridesAreValidatedToo) {
  expect_at(single_error(pipeline("{low: 2, high: 5}"), {parse_override("window.low=9")}), 5, 3,
            {"'low' must be below 'high'"});
}

TEST_F(StageValidate, AThrowingValidatorIsAProblemNotACrash) {
  expect_at(single_error(pipeline("{throw: true}")), 5, 3, {"validate() threw", "validator crashed"});
}

TEST_F(StageValidate, RunsOnlyOnceEveryValueIsValid) {
  // The wrong type is reported; the validator never sees a value it cannot read.
  const Diagnostic d = single_error(pipeline("{low: seven, high: 5}"));
  EXPECT_THAT(d.message, ::testing::HasSubstr("expects int"));
}

}  // namespace
}  // namespace oi::test
