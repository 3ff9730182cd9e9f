// xray.colorize: pseudo-colour image `rgb` from the material class and the high channel's
// attenuation (shaders/xray/colorize.comp on Vulkan, colorize_cpu.hpp on the CPU).
#include "colorize_cpu.hpp"
#include "oi/gpu/pixel_stage.hpp"
#include "oi/plugin.hpp"
#include "oi_stages_xray_gpu_shaders.hpp"
#include "xray_inspection.hpp"

namespace {

class Colorize final : public oi::gpu::PixelStage {
  void declare(oi::StageSpec& spec) override {
    spec.describe(
        "Pseudo-colour image `rgb` (rgb8) of a corrected, classified scan (planes `a_high` f32 and "
        "`mclass` u8 of xray.correct and xray.materials): orange organic, green inorganic/mixed, blue "
        "metal, black impenetrable, white empty background; brightness falls with a_high. Views: "
        "standard, organic_only and inorganic_only (the other classes in grey), high_penetration "
        "(grey of a_high stretched over [penetration_min, penetration_max]). Other planes are kept.");
    spec.param("view", oi::ParamType::kEnum)
        .allowed({"standard", "organic_only", "inorganic_only", "high_penetration"})
        .default_value("standard")
        .describe("Which image to make.");
    spec.param("black_attenuation", oi::ParamType::kFloat)
        .default_value(7.0)
        .range(0.1, 12.0)
        .describe("a_high at which colours reach black (brightness 1 - a_high / this).");
    spec.param("saturation_attenuation", oi::ParamType::kFloat)
        .default_value(0.6)
        .range(0.01, 12.0)
        .describe("a_high at which the class colour is fully saturated (thinner material is paler).");
    spec.param("penetration_min", oi::ParamType::kFloat)
        .default_value(1.5)
        .range(0.0, 12.0)
        .describe("high_penetration: a_high shown white (and below).");
    spec.param("penetration_max", oi::ParamType::kFloat)
        .default_value(11.0)
        .range(0.0, 12.0)
        .describe("high_penetration: a_high shown black (and above).");
  }
  oi::gpu::PixelKernelSpec configure(const oi::StageConfig& config) override {
    params_.view =
        static_cast<std::uint32_t>(oi::xray::parse_color_view(config.params.get<std::string>("view")));
    params_.black_attenuation = static_cast<float>(config.params.get<double>("black_attenuation"));
    params_.saturation_attenuation = static_cast<float>(config.params.get<double>("saturation_attenuation"));
    params_.penetration_min = static_cast<float>(config.params.get<double>("penetration_min"));
    params_.penetration_max = static_cast<float>(config.params.get<double>("penetration_max"));
    if (params_.penetration_max <= params_.penetration_min)
      throw oi::ConfigError("xray.colorize: penetration_max (" + std::to_string(params_.penetration_max) +
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
                {oi::xray::plane::kClass, oi::PixelFormat::kU8}};
    k.outputs = {{oi::xray::plane::kRgb, oi::PixelFormat::kRGB8}};
    k.push_constants = oi::gpu::push_block(Push{0, 0, params_});
    k.pixels_per_invocation = 16;  // vec4/uvec4 accesses, see the shader
    k.workgroup = {64, 1, 1};
    k.clear_outputs = false;  // every pixel is written
    return k;
  }
  oi::Status process_cpu(oi::gpu::PixelPlanes& p) override {
    oi::xray::colorize_reference(p.input(oi::xray::plane::kAHigh), p.input(oi::xray::plane::kClass), params_,
                                 p.output(oi::xray::plane::kRgb));
    return oi::Status::ok();
  }
  oi::xray::ColorizeParams params_;
};

}  // namespace

OI_REGISTER_STAGE(Colorize, "xray.colorize",
                  "Pseudo-colour image of a classified X-ray scan (GPU, CPU fallback).");
