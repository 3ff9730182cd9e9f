// Links a library the dynamic loader cannot find at run time.

#include "oi/plugin.hpp"

extern "C" int oi_test_vanishing_answer();

namespace {

class Needy final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override {
    return oi_test_vanishing_answer() == 42 ? oi::Status::ok() : oi::Status::error("unreachable");
  }
};

}  // namespace

OI_REGISTER_STAGE(Needy, "test_missing_dependency.needy", "Never loaded.");
OI_PLUGIN("oi-test-missing-dependency", "0.0.1", "Apache-2.0");
