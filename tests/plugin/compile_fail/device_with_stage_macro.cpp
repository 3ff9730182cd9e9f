// Must NOT compile: a class that is not an oi::Stage (a HAL device, say) registered with the
// stage macro. The test `plugin.stage_macro_refuses_what_is_not_a_stage` expects the
// compiler to print the macro's hint, not an error deep inside plugin.hpp.
#include "oi/plugin.hpp"

namespace {
class LineScanner {
 public:
  int pixels = 640;
};
}  // namespace

OI_REGISTER_STAGE(LineScanner, "acme.xray", "a scanner registered with the wrong macro");
OI_PLUGIN("compile-fail", "0.0.0", "Apache-2.0")
