// A type whose parameter declarations contradict themselves is refused at registration, so
// no stage receives (and no reference page prints) a default that validation would reject.
#include <gtest/gtest.h>

#include "oi/error.hpp"
#include "oi/plugin_registry.hpp"

namespace oi {
namespace {

class DeclaresWith final : public Stage {
 public:
  explicit DeclaresWith(void (*declare)(StageSpec&)) : declare_(declare) {}
  void setup(StageSpec& spec) override {
    spec.input("in");
    declare_(spec);
  }
  Status process(StageContext&) override { return Status::ok(); }

 private:
  void (*declare_)(StageSpec&);
};

std::string registration_error(void (*declare)(StageSpec&)) {
  PluginRegistry registry;
  try {
    registry.register_type("test.declares", FactoryKind::kStage, "",
                           [declare] { return std::make_unique<DeclaresWith>(declare); });
  } catch (const PluginError& e) {
    EXPECT_EQ(registry.find("test.declares"), nullptr);
    return e.what();
  }
  return {};
}

TEST(DeclarationChecks, DefaultOutOfItsOwnRangeIsRefused) {
  const std::string error = registration_error(
      [](StageSpec& s) { s.param("gain", ParamType::kFloat).default_value(9.0).range(0.0, 8.0); });
  EXPECT_NE(error.find("parameter 'gain': its declared default is invalid"), std::string::npos) << error;
}

TEST(DeclarationChecks, DefaultOfAnotherTypeIsRefused) {
  const std::string error =
      registration_error([](StageSpec& s) { s.param("count", ParamType::kInt).default_value("three"); });
  EXPECT_NE(error.find("parameter 'count'"), std::string::npos) << error;
}

TEST(DeclarationChecks, EnumWithoutAllowedValuesIsRefused) {
  const std::string error =
      registration_error([](StageSpec& s) { s.param("mode", ParamType::kEnum).default_value("fast"); });
  EXPECT_NE(error.find("enum without allowed values"), std::string::npos) << error;
}

TEST(DeclarationChecks, ConsistentDeclarationsRegister) {
  EXPECT_EQ(registration_error([](StageSpec& s) {
              s.param("mode", ParamType::kEnum).allowed({"fast", "slow"}).default_value("slow");
              s.param("gain", ParamType::kFloat).default_value(2).range(0.0, 8.0);
              s.param("threshold", ParamType::kFloat);
            }),
            "");
}

}  // namespace
}  // namespace oi
