// image.gain: multiplies the pixels of chosen u16 planes by a constant, saturating at 65535.
// The smallest useful stage: ports and parameters bound to members in setup(), the work in
// process(), one registration line and one plugin line.
#include <algorithm>
#include <cstdint>
#include <oi/plugin.hpp>
#include <oi/xray/contract.hpp>

namespace {

class Gain final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe("Multiplies every pixel of the chosen u16 planes by `gain`, saturating at 65535.");
    spec.input("in", oi::PortType::any(), "frames with u16 planes");
    spec.output("out", oi::PortType::any(), "the same frames, scaled");
    spec.param("gain", gain_).range(0.0, 64.0).unit("x").describe("Multiplier applied to every pixel.");
    spec.param("planes", planes_).describe("Planes to scale.");
  }

  oi::Status process(oi::StageContext& ctx) override {
    // Frames are shared between stages: scale a copy so other consumers see the original.
    oi::FramePtr in = ctx.take(0);
    oi::FramePtr out = in->clone();
    for (const std::string& name : planes_) {
      if (!in->has_plane(name)) continue;
      const oi::Plane& src = in->plane(name);
      if (src.format != oi::PixelFormat::kU16) {
        return oi::Status::error("plane '" + name + "' is " + std::string(oi::to_string(src.format)) +
                                 ", this stage scales u16 planes only; remove it from `planes`");
      }
      oi::Plane& dst = out->add_plane(name, src.format, src.width, src.height);
      for (int y = 0; y < src.height; ++y) {
        const auto* s = src.row<std::uint16_t>(y);
        auto* d = dst.row<std::uint16_t>(y);
        for (int x = 0; x < src.width; ++x) {
          d[x] = static_cast<std::uint16_t>(std::min(65535.0, s[x] * gain_));
        }
      }
    }
    ctx.emit(0, std::move(out));
    return oi::Status::ok();
  }

 private:
  double gain_ = 1.0;                                                                  // parameter `gain`
  std::vector<std::string> planes_ = {oi::xray::plane::kHigh, oi::xray::plane::kLow};  // parameter `planes`
};

}  // namespace

OI_REGISTER_STAGE(Gain, "image.gain", "Multiplies u16 planes by a constant.");
OI_PLUGIN("skeleton-gain", "1.0.0", "Apache-2.0")
