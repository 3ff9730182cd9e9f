// frame.pass: forwards frames unchanged. Useful as a tap point and for measuring scheduling
// overhead.
#include "oi/plugin.hpp"

namespace {

class FramePass final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe("Forwards every frame unchanged.");
    spec.input("in", oi::PortType::any(), "any frame");
    spec.output("out", oi::PortType::any(), "the same frame");
  }
  oi::Status process(oi::StageContext& ctx) override {
    ctx.emit(0, ctx.take(0));
    return oi::Status::ok();
  }
};

}  // namespace

OI_REGISTER_STAGE(FramePass, "frame.pass", "Forwards every frame unchanged.");
