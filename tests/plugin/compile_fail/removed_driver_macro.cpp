// Must not compile: OI_REGISTER_DRIVER is gone (it registered a bare source without the
// supervisor, `oi devices` or conformance); the error must name OI_REGISTER_DEVICE_DRIVER.
#include <oi/plugin.hpp>

namespace {

class Source final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override { spec.output("out"); }
  oi::Status process(oi::StageContext&) override { return oi::Status::end_of_stream(); }
};

}  // namespace

OI_REGISTER_DRIVER(Source, "test.removed_macro", "A source registered with the removed macro.");
