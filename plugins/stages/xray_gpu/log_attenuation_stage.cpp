// xray.log_attenuation: dual-energy log attenuation and ratio, per pixel on the GPU, with
// the OpenCV reference as CPU implementation. Shader: shaders/xray/log_attenuation.comp.
#include <string_view>

#include "log_attenuation_cpu.hpp"
#include "log_attenuation_push.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/pixel_stage.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"
#include "oi_stages_xray_gpu_shaders.hpp"

namespace {

class LogAttenuation final : public oi::gpu::PixelStage {
  void on_setup(oi::StageSpec& spec) override {
    spec.describe(
        "Log attenuation A = -ln((I - dark) / (air - dark)) of the u16 planes `high` and "
        "`low` into f32 `a_high` and `a_low`, clamped to [0, 12] as the X-ray contract says (the formula "
        "xray.correct follows), "
        "and the dual-energy ratio `ratio` = a_low / a_high (0 where a_high < epsilon).");
    for (const char* channel : {oi::xray::plane::kHigh, oi::xray::plane::kLow}) {
      const bool high = std::string_view(channel) == oi::xray::plane::kHigh;
      spec.param(std::string("dark_") + channel, high ? levels_.dark_high : levels_.dark_low)
          .range(0.0, 65534.0)
          .unit("counts")
          .describe(std::string("Offset of the ") + channel + "-energy channel (beam off).");
      spec.param(std::string("air_") + channel, high ? levels_.air_high : levels_.air_low)
          .range(1.0, 65535.0)
          .unit("counts")
          .describe(std::string("Counts of the ") + channel + "-energy channel with nothing in the beam.");
    }
    spec.param("epsilon", levels_.epsilon)
        .default_value(0.01)  // documented as 0.01, not as the float field's 0.0099999998
        .range(1e-6, 10.0)
        .describe("The ratio is 0 where a_high is below this (too little material to tell).");
  }
  oi::gpu::PixelKernelSpec on_start(const oi::StageConfig&) override {
    levels_.check();
    oi::gpu::PixelKernelSpec k;
    // Without 64-bit integers in shaders; adapt_to_device() picks the faster variant.
    k.spirv = oi_stages_xray_gpu_shaders::words("xray/log_attenuation_32bit.comp");  // embedded at build time
    k.inputs = {{oi::xray::plane::kHigh, oi::PixelFormat::kU16},
                {oi::xray::plane::kLow, oi::PixelFormat::kU16}};
    k.outputs = {{oi::xray::plane::kAHigh, oi::PixelFormat::kF32},
                 {oi::xray::plane::kALow, oi::PixelFormat::kF32},
                 {"ratio", oi::PixelFormat::kF32}};
    k.push_constants = oi::gpu::push_block(oi::xray::LogAttenuationPush::from(levels_));
    k.pixels_per_invocation = 4;  // uvec2/vec4 accesses, see the shader
    k.workgroup = {64, 1, 1};
    k.clear_outputs = false;  // every pixel is written: recycle outputs, never clear them
    return k;
  }
  void adapt_to_device(const oi::gpu::DeviceInfo& device, oi::gpu::PixelKernelSpec& k) override {
    if (!device.shader_int64) return;
    k.spirv = oi_stages_xray_gpu_shaders::words("xray/log_attenuation.comp");  // 64-bit accesses, 1.5x faster
    k.pixels_per_invocation = 8;
  }
  oi::Status process_cpu(oi::gpu::PixelPlanes& p) override {
    cv::Mat a_high = oi::as_mat(p.output(oi::xray::plane::kAHigh)),
            a_low = oi::as_mat(p.output(oi::xray::plane::kALow));
    cv::Mat ratio = oi::as_mat(p.output("ratio"));
    oi::xray::dual_energy_reference(oi::as_mat(p.input(oi::xray::plane::kHigh)),
                                    oi::as_mat(p.input(oi::xray::plane::kLow)), levels_, a_high, a_low,
                                    ratio);
    return oi::Status::ok();
  }
  oi::xray::DualEnergyLevels levels_;  // parameters dark_high, air_high, dark_low, air_low, epsilon
};

}  // namespace

OI_REGISTER_STAGE(LogAttenuation, "xray.log_attenuation",
                  "Dual-energy log attenuation and ratio (GPU, CPU fallback).");
