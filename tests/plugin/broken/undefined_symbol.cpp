// Calls a function defined nowhere. A MODULE links with the symbol undefined; loading with
// RTLD_NOW must fail at once instead of in the middle of a scan.

#include "oi/plugin.hpp"

extern "C" int oi_test_function_defined_nowhere(int value);

namespace {

class Dangling final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.input("in"); }
  oi::Status process(oi::StageContext&) override {
    return oi_test_function_defined_nowhere(1) == 0 ? oi::Status::ok() : oi::Status::error("unreachable");
  }
};

}  // namespace

OI_REGISTER_STAGE(Dangling, "test_undefined_symbol.dangling", "Never loaded.");
OI_PLUGIN("oi-test-undefined-symbol", "0.0.1", "Apache-2.0");
