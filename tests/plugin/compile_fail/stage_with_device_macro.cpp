// Must NOT compile: an oi::Stage registered with the device-driver macro. The test
// `plugin.device_macro_refuses_what_is_not_a_device` expects the macro's hint.
#include "oi/hal/driver.hpp"

namespace {
class Gain final : public oi::Stage {
 public:
  void setup(oi::StageSpec&) override {}
  oi::Status process(oi::StageContext&) override { return oi::Status::ok(); }
};
}  // namespace

OI_REGISTER_DEVICE_DRIVER(Gain, "image.gain", "a stage registered with the wrong macro");
OI_PLUGIN("compile-fail", "0.0.0", "Apache-2.0")
