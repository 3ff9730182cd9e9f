// xray.materials: effective atomic number, material class and areal density per pixel from
// the corrected attenuations and a calibration written by `oi calibrate-materials`
// (docs/materials.md). Kernel: shaders/xray/materials.comp; CPU reference: materials_cpu.cpp.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "material_model.hpp"
#include "materials_cpu.hpp"
#include "oi/error.hpp"
#include "oi/frame_cv.hpp"
#include "oi/gpu/pixel_stage.hpp"
#include "oi/gpu/shader_compiler.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"

namespace {

// A GLSL array constructor with every value as a float literal (exponent form, 9 digits:
// exact for f32, so the kernel's tables equal the CPU reference's).
std::string glsl_array(const float* values, int count) {
  std::string s = "float[" + std::to_string(count) + "](";
  char buf[32];
  for (int i = 0; i < count; ++i) {
    std::snprintf(buf, sizeof buf, "%s%.9e", i ? ", " : "", static_cast<double>(values[i]));
    s += buf;
  }
  return s + ")";
}

class Materials final : public oi::gpu::PixelStage {
  void on_setup(oi::StageSpec& spec) override {
    spec.describe(
        "Per-pixel effective atomic number `zeff` (f32, 0 = empty or impenetrable), material class "
        "`material_class` (u8, oi::xray::MaterialClass) and areal density `areal_density` (f32, g/cm²) from "
        "the f32 planes `a_high` and `a_low` (xray.correct) and a calibration file written by "
        "`oi calibrate-materials`. Both attenuations are box-smoothed before their ratio is taken. "
        "Inputs are kept. docs/materials.md.");
    spec.param("calibration", calibration_)
        .without_default()
        .describe("Calibration JSON written by `oi calibrate-materials` for this scanner and tube setting.");
    spec.param("smoothing_radius", radius_)
        .range(0, 4)
        .unit("pixels")
        .describe(
            "Radius r of the (2r+1)x(2r+1) box mean of a_high and a_low taken before the ratio; 0 = none.");
    spec.param("empty_attenuation", thresholds_.empty_attenuation)
        .default_value(0.05)  // documented as 0.05, not as the float field's 0.050000001
        .range(0.0, 2.0)
        .describe("Smoothed a_high below this is empty (class 0): about 3 mm of polyethylene.");
    spec.param("organic_max_z", thresholds_.organic_max_z)
        .range(1.0, 100.0)
        .describe("Z_eff below this is organic.");
    spec.param("inorganic_max_z", thresholds_.inorganic_max_z)
        .range(1.0, 100.0)
        .describe("Z_eff below this (and at least organic_max_z) is inorganic / mixed; above, metal.");
  }

  // The calibration is small: loading it here lets `oi validate` report a missing, unreadable
  // or out-of-range file before a run, with the node's position.
  std::vector<std::string> validate(const oi::StageConfig&) const override {
    try {
      (void)oi::xray::MaterialCalibration::load(calibration_);
    } catch (const oi::ConfigError& e) {
      return {e.what()};
    }
    return {};
  }

  oi::gpu::PixelKernelSpec on_start(const oi::StageConfig&) override {
    table_ = oi::xray::MaterialTable::build(oi::xray::MaterialCalibration::load(calibration_));
    if (thresholds_.inorganic_max_z < thresholds_.organic_max_z) {
      throw oi::ConfigError("inorganic_max_z = " + std::to_string(thresholds_.inorganic_max_z) +
                            " is below organic_max_z = " + std::to_string(thresholds_.organic_max_z) +
                            "; the inorganic range would be empty: raise inorganic_max_z");
    }
    namespace xr = oi::xray;
    oi::gpu::PixelKernelSpec k;
    k.name = "xray.materials";
    k.source = oi::gpu::ShaderSource::from_file(oi::gpu::shader_directory() / "xray" / "materials.comp");
    std::array<float, xr::kMaxCurves> z = table_.z;
    k.options.defines = {
        {"OI_MATERIALS_RATIO", glsl_array(table_.ratio.data(), xr::kMaxCurves * xr::kGridPoints)},
        {"OI_MATERIALS_MASS_ATTENUATION",
         glsl_array(table_.mass_attenuation.data(), xr::kMaxCurves * xr::kGridPoints)},
        {"OI_MATERIALS_Z", glsl_array(z.data(), xr::kMaxCurves)}};
    k.inputs = {{xr::plane::kAHigh, oi::PixelFormat::kF32}, {xr::plane::kALow, oi::PixelFormat::kF32}};
    k.outputs = {{xr::plane::kZeff, oi::PixelFormat::kF32},
                 {xr::plane::kMaterialClass, oi::PixelFormat::kU8},
                 {xr::plane::kArealDensity, oi::PixelFormat::kF32}};
    k.push_constants = oi::gpu::push_block(std::array<std::uint32_t, 2>{});  // uvec2 size
    k.spec_constants = {oi::gpu::SpecConstant::i32(0, table_.curves),
                        oi::gpu::SpecConstant::f32(1, table_.grid_max),
                        oi::gpu::SpecConstant::f32(2, table_.a_high_max),
                        oi::gpu::SpecConstant::f32(3, table_.a_low_max),
                        oi::gpu::SpecConstant::f32(4, thresholds_.empty_attenuation),
                        oi::gpu::SpecConstant::f32(5, thresholds_.organic_max_z),
                        oi::gpu::SpecConstant::f32(6, thresholds_.inorganic_max_z),
                        oi::gpu::SpecConstant::i32(7, radius_)};
    // Strips 4 pixels wide and 16 lines tall per invocation (see the shader).
    k.pixels_per_invocation = 4 * 16;
    k.workgroup = {64, 1, 1};
    k.clear_outputs = false;  // every pixel of every output is written
    // The box mean reads `radius` lines above and below: scan blocks are processed as they
    // arrive, each with its neighbours' lines (equal to the whole scan at once).
    k.line_halo = radius_;
    return k;
  }

  oi::Status process_cpu(oi::gpu::PixelPlanes& p) override {
    namespace xr = oi::xray;
    cv::Mat zeff = oi::as_mat(p.output(xr::plane::kZeff)),
            material_class = oi::as_mat(p.output(xr::plane::kMaterialClass));
    cv::Mat density = oi::as_mat(p.output(xr::plane::kArealDensity));
    xr::materials_reference(oi::as_mat(p.input(xr::plane::kAHigh)), oi::as_mat(p.input(xr::plane::kALow)),
                            table_, thresholds_, radius_, zeff, material_class, density);
    return oi::Status::ok();
  }

  std::filesystem::path calibration_;     // parameter `calibration`
  int radius_ = 2;                        // parameter `smoothing_radius`
  oi::xray::ClassThresholds thresholds_;  // parameters empty_attenuation, organic_max_z, inorganic_max_z
  oi::xray::MaterialTable table_;
};

}  // namespace

OI_REGISTER_STAGE(Materials, "xray.materials",
                  "Effective atomic number, material class and areal density from a material calibration "
                  "(GPU, CPU fallback).");
