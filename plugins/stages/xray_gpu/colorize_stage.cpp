// xray.colorize: pseudo-colour image `rgb` from the material class and the high channel's
// attenuation (shaders/xray/colorize.comp on Vulkan, colorize_cpu.hpp on the CPU).
#include "colorize_cpu.hpp"
#include "oi/gpu/pixel_stage.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"
#include "oi_stages_xray_gpu_shaders.hpp"

namespace {

class Colorize final : public oi::gpu::PixelStage {
  void on_setup(oi::StageSpec& spec) override {
    spec.describe(
        "Pseudo-colour image `rgb` (rgb8) of a corrected, classified scan (planes `a_high` f32 and "
        "`material_class` u8 of xray.correct and xray.materials): orange organic, green inorganic/mixed, "
        "blue "
        "metal, black impenetrable, white empty background; brightness falls with a_high. Views: "
        "standard, organic_only and inorganic_only (the other classes in grey), high_penetration "
        "(grey of a_high stretched over [penetration_min, penetration_max]). Other planes are kept.");
    spec.param("view", view_)
        .one_of({"standard", "organic_only", "inorganic_only", "high_penetration"})
        .describe("Which image to make.");
    spec.param("black_attenuation", params_.black_attenuation)
        .range(0.1, 12.0)
        .describe("a_high at which colours reach black (brightness 1 - a_high / this).");
    spec.param("saturation_attenuation", params_.saturation_attenuation)
        .default_value(0.6)  // documented as 0.6, not as the float field's 0.60000002
        .range(0.01, 12.0)
        .describe("a_high at which the class colour is fully saturated (thinner material is paler).");
    spec.param("penetration_min", params_.penetration_min)
        .range(0.0, 12.0)
        .describe("high_penetration: a_high shown white (and below).");
    spec.param("penetration_max", params_.penetration_max)
        .range(0.0, 12.0)
        .describe("high_penetration: a_high shown black (and above).");
  }
  oi::gpu::PixelKernelSpec on_start(const oi::StageConfig&) override {
    params_.view = static_cast<std::uint32_t>(oi::xray::parse_color_view(view_));
    if (params_.penetration_max <= params_.penetration_min)
      throw oi::ConfigError("penetration_max (" + std::to_string(params_.penetration_max) +
                            ") must be above penetration_min (" + std::to_string(params_.penetration_min) +
                            ")");
    struct Push {
      std::uint32_t width = 0, height = 0;
      oi::xray::ColorizeParams p;
    };
    oi::gpu::PixelKernelSpec k;
    k.name = "xray.colorize";
    k.spirv = oi_stages_xray_gpu_shaders::words("xray/colorize.comp");
    k.inputs = {{oi::xray::plane::kAHigh, oi::PixelFormat::kF32},
                {oi::xray::plane::kMaterialClass, oi::PixelFormat::kU8}};
    k.outputs = {{oi::xray::plane::kRgb, oi::PixelFormat::kRGB8}};
    k.push_constants = oi::gpu::push_block(Push{0, 0, params_});
    k.pixels_per_invocation = 16;  // vec4/uvec4 accesses, see the shader
    k.workgroup = {64, 1, 1};
    k.clear_outputs = false;  // every pixel is written
    return k;
  }
  oi::Status process_cpu(oi::gpu::PixelPlanes& p) override {
    oi::xray::colorize_reference(p.input(oi::xray::plane::kAHigh), p.input(oi::xray::plane::kMaterialClass),
                                 params_, p.output(oi::xray::plane::kRgb));
    return oi::Status::ok();
  }
  std::string view_ = "standard";    // parameter `view`
  oi::xray::ColorizeParams params_;  // the other parameters, by field name
};

}  // namespace

OI_REGISTER_STAGE(Colorize, "xray.colorize",
                  "Pseudo-colour image of a classified X-ray scan (GPU, CPU fallback).");
