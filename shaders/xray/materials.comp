#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// xray.materials: per-pixel effective atomic number, material class and areal density from
// the corrected attenuations a_high and a_low and a calibration (docs/materials.md).
//
// 1. Noise: a (2r+1)^2 box mean of a_high and a_low (borders clamped) before the ratio: the
//    ratio of two noisy small numbers is biased and wide, the ratio of their means is not.
// 2. Empty below empty_attenuation; impenetrable beyond the calibrated noise floor of either
//    channel (areal density then a lower bound).
// 3. Each calibrated curve's R and mass attenuation at this A_high (grid uniform in sqrt(A));
//    curves out of Z order (lead's K edge) own the band halfway to their R neighbours; the
//    others give Z_eff linear in R between the two that bracket the pixel's R.
// CPU reference: plugins/stages/xray_materials/material_model.cpp (classify_pixel) and
// materials_cpu.cpp; keep the three in step.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, float, a_high);
OI_PLANE_IN(1, float, a_low);
OI_PLANE_OUT(2, float, zeff);
OI_PLANE_OUT(3, uint8_t, mclass);
OI_PLANE_OUT(4, float, areal_density);

layout(push_constant) uniform Push {
  uvec2 size;  // plane size, written per frame by oi::gpu::PixelStage
} push;

const int kMaxCurves = 6;
const int kGridPoints = 32;

layout(constant_id = 0) const int curves = 2;
layout(constant_id = 1) const float grid_max = 1.0;
layout(constant_id = 2) const float a_high_max = 12.0;
layout(constant_id = 3) const float a_low_max = 12.0;
layout(constant_id = 4) const float empty_attenuation = 0.05;
layout(constant_id = 5) const float organic_max_z = 10.0;
layout(constant_id = 6) const float inorganic_max_z = 17.0;
layout(constant_id = 7) const int radius = 2;
// The calibration tables (oi::xray::MaterialTable: R and mass attenuation of up to 6 curves at
// 32 grid points each, Z_eff per curve), defined by the stage when it compiles the shader at
// start. They are #defines, not specialization constants, because glslang accepts no
// specialization-constant array as a const initializer. The defaults here only let the
// build check the GLSL (oi_add_shaders).
#ifndef OI_MATERIALS_RATIO
#define OI_ZEROS_6 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
#define OI_ZEROS_32 OI_ZEROS_6, OI_ZEROS_6, OI_ZEROS_6, OI_ZEROS_6, OI_ZEROS_6, 0.0, 0.0
#define OI_ZEROS_192 OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32
#define OI_MATERIALS_RATIO float[kMaxCurves * kGridPoints](OI_ZEROS_192)
#define OI_MATERIALS_MASS_ATTENUATION float[kMaxCurves * kGridPoints](OI_ZEROS_192)
#define OI_MATERIALS_Z float[kMaxCurves](OI_ZEROS_6)
#endif
const float kRatio[kMaxCurves * kGridPoints] = OI_MATERIALS_RATIO;
const float kMassAttenuation[kMaxCurves * kGridPoints] = OI_MATERIALS_MASS_ATTENUATION;
const float kZ[kMaxCurves] = OI_MATERIALS_Z;

// The tables in workgroup memory: indexing a constant array with a run-time index makes
// lavapipe's compiler expand every access into a tree of selects (seconds of compile time at
// the first dispatch); shared memory is indexed directly.
shared float ratio_table[kMaxCurves * kGridPoints];
shared float mass_attenuation_table[kMaxCurves * kGridPoints];

const uint kEmpty = 0u, kOrganic = 1u, kInorganic = 2u, kMetal = 3u, kImpenetrable = 4u;

void main() {
  // One invocation copies the tables (constant indices: folded into stores) for its group.
  if (gl_LocalInvocationIndex == 0u) {
    [[unroll]] for (int j = 0; j < kMaxCurves * kGridPoints; ++j) {
      ratio_table[j] = kRatio[j];
      mass_attenuation_table[j] = kMassAttenuation[j];
    }
  }
  barrier();
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  const int w = int(push.size.x), h = int(push.size.y);

  // 1. Box mean, rows then columns in the same order as the CPU reference.
  float sum_high = 0.0, sum_low = 0.0;
  for (int dy = -radius; dy <= radius; ++dy) {
    const int y = clamp(int(p.y) + dy, 0, h - 1);
    for (int dx = -radius; dx <= radius; ++dx) {
      const uint j = uint(y * w + clamp(int(p.x) + dx, 0, w - 1));
      sum_high += a_high.px[j];
      sum_low += a_low.px[j];
    }
  }
  const float n = float((2 * radius + 1) * (2 * radius + 1));
  const float ah = sum_high / n, al = sum_low / n;

  // 2. Empty.
  if (ah < empty_attenuation) {
    zeff.px[i] = 0.0;
    mclass.px[i] = uint8_t(kEmpty);
    areal_density.px[i] = 0.0;
    return;
  }
  const float u = sqrt(clamp(ah / grid_max, 0.0, 1.0)) * float(kGridPoints - 1);
  const int i0 = min(int(u), kGridPoints - 2);
  const float f = u - float(i0);
  if (ah > a_high_max || al > a_low_max) {
    float k_max = 0.0;
    for (int c = 0; c < kMaxCurves && c < curves; ++c) {
      const float k0 = mass_attenuation_table[c * kGridPoints + i0], k1 = mass_attenuation_table[c * kGridPoints + i0 + 1];
      k_max = max(k_max, k0 + f * (k1 - k0));
    }
    zeff.px[i] = 0.0;
    mclass.px[i] = uint8_t(kImpenetrable);
    areal_density.px[i] = k_max > 0.0 ? ah / k_max : 0.0;
    return;
  }

  // 3. The curves at this A_high.
  const float r = al / ah;
  float rc[kMaxCurves], kc[kMaxCurves];
  bool valid[kMaxCurves], main_sequence[kMaxCurves];
  for (int c = 0; c < kMaxCurves; ++c) {
    const float r0 = ratio_table[c * kGridPoints + i0], r1 = ratio_table[c * kGridPoints + i0 + 1];
    const float k0 = mass_attenuation_table[c * kGridPoints + i0], k1 = mass_attenuation_table[c * kGridPoints + i0 + 1];
    valid[c] = c < curves && r0 >= 0.0 && r1 >= 0.0;
    rc[c] = r0 + f * (r1 - r0);
    kc[c] = k0 + f * (k1 - k0);
  }
  for (int c = 0; c < kMaxCurves; ++c) {
    bool in_order = valid[c];
    for (int d = 0; d < c; ++d) in_order = in_order && !(valid[d] && rc[d] >= rc[c]);
    main_sequence[c] = in_order;
  }
  float z = 0.0, k = 0.0;
  bool found = false;
  for (int c = 0; c < kMaxCurves && !found; ++c) {
    if (!valid[c] || main_sequence[c]) continue;
    float below = -1e30, above = 1e30;
    for (int d = 0; d < kMaxCurves; ++d) {
      if (d == c || !valid[d]) continue;
      if (rc[d] < rc[c]) below = max(below, rc[d]);
      else above = min(above, rc[d]);
    }
    if (r >= 0.5 * (below + rc[c]) && r <= 0.5 * (rc[c] + above)) {
      z = kZ[c];
      k = kc[c];
      found = true;
    }
  }
  int prev = -1;
  for (int c = 0; c < kMaxCurves && !found; ++c) {
    if (!main_sequence[c]) continue;
    if (r <= rc[c]) {
      if (prev < 0) {
        z = kZ[c];
        k = kc[c];
      } else {
        const float t = (r - rc[prev]) / (rc[c] - rc[prev]);
        z = kZ[prev] + t * (kZ[c] - kZ[prev]);
        k = kc[prev] + t * (kc[c] - kc[prev]);
      }
      found = true;
    }
    prev = c;
  }
  if (!found && prev >= 0) {
    z = kZ[prev];
    k = kc[prev];
  }
  zeff.px[i] = z;
  mclass.px[i] = uint8_t(z < organic_max_z ? kOrganic : z < inorganic_max_z ? kInorganic : kMetal);
  areal_density.px[i] = k > 0.0 ? ah / k : 0.0;
}
