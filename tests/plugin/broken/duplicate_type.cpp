// Offers a type that good.so offers too, next to one of its own.

#include "oi/plugin.hpp"

namespace {

class Copycat final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};

}  // namespace

OI_REGISTER_STAGE(Copycat, "test_duplicate.unique", "Would load alone.");
OI_REGISTER_STAGE(Copycat, "test_good.gain", "Clashes with good.so.");
OI_PLUGIN("oi-test-duplicate-type", "0.0.1", "Apache-2.0");
