#version 450
#extension GL_GOOGLE_include_directive : require
// xray.detect, pass 2 of the box statistics and the candidate masks before morphology:
// the vertical sums over 2r+1 rows (borders replicated) of detect_box_rows.comp's sums give
// the box mean of a_high, of a_high^2 and of zeff; then the relative local std and the three
// raw masks as bits of one u8 plane: 1 impenetrable, 2 narcotics (organic, Z_eff in band,
// dense, homogeneous), 4 firearm (metal or impenetrable, dense). detect_pack.comp packs them
// for detect_morphology.comp.
// `quads` (planes whose width is a multiple of 4): one invocation per 4 pixels of `strip`
// consecutive rows, read and written as vec4 / 4 bytes in a uint, each row of sums read once
// for the whole strip; otherwise one invocation per pixel.
// CPU reference: compute_maps() in plugins/stages/xray_detect/threat_detector.cpp, which sums
// in the same order and compares the same f32 values; keep the two in step.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, float, sum_a);
OI_PLANE_IN(1, float, sum_a2);
OI_PLANE_IN(2, float, sum_zeff);
OI_PLANE_IN(3, uint8_t, mclass);
OI_PLANE_OUT(4, float, mean);
OI_PLANE_OUT(5, float, zeff_mean);
OI_PLANE_OUT(6, float, rel_std);
OI_PLANE_OUT(7, uint8_t, candidates);
// The same buffers 4 pixels at a time (quads).
OI_PLANE_IN(0, vec4, sum_a4);
OI_PLANE_IN(1, vec4, sum_a24);
OI_PLANE_IN(2, vec4, sum_zeff4);
OI_PLANE_IN(3, uint, mclass4);
OI_PLANE_OUT(4, vec4, mean4);
OI_PLANE_OUT(5, vec4, zeff_mean4);
OI_PLANE_OUT(6, vec4, rel_std4);
OI_PLANE_OUT(7, uint, candidates4);

layout(constant_id = 0) const int radius = 2;
layout(constant_id = 1) const float inverse_area = 1.0 / 25.0;  // 1 / (2r+1)^2, rounded on the host
layout(constant_id = 2) const float narcotics_zeff_min = 5.8;
layout(constant_id = 3) const float narcotics_zeff_max = 8.0;
layout(constant_id = 4) const float narcotics_min_a_high = 0.45;
layout(constant_id = 5) const float narcotics_max_a_high = 4.0;
layout(constant_id = 6) const float narcotics_max_relative_std = 0.25;
layout(constant_id = 7) const float firearm_min_a_high = 1.6;
layout(constant_id = 8) const bool quads = false;
layout(constant_id = 9) const int strip = 2;  // rows per invocation with quads

layout(push_constant) uniform Push {
  uvec2 size;  // plane size
} push;

const uint kOrganic = 1u, kMetal = 3u, kImpenetrable = 4u;  // oi::xray::MaterialClass

// One pixel from its three box sums and class: writes mean, zeff_mean and rel_std and
// returns the candidate bits.
uint classify(float s, float s2, float sz, uint cls, out float m, out float mz, out float rel) {
  precise const float mean_a = s * inverse_area;
  precise const float mean_a2 = s2 * inverse_area;
  precise const float mean_z = sz * inverse_area;
  precise const float variance = max(mean_a2 - mean_a * mean_a, 0.0);
  const float floor_mean = max(mean_a, 1e-3);
  // std / mean <= limit, as variance <= (limit * mean)^2: exactly rounded operations only,
  // so the mask does not depend on the device's sqrt and division precision.
  precise const float bound = narcotics_max_relative_std * floor_mean;
  const bool is_narcotics = cls == kOrganic && mean_z >= narcotics_zeff_min && mean_z <= narcotics_zeff_max &&
                            mean_a >= narcotics_min_a_high && mean_a <= narcotics_max_a_high &&
                            variance <= bound * bound;
  const bool is_firearm = (cls == kMetal || cls == kImpenetrable) && mean_a >= firearm_min_a_high;
  m = mean_a;
  mz = mean_z;
  rel = sqrt(variance) / floor_mean;
  return (cls == kImpenetrable ? 1u : 0u) | (is_narcotics ? 2u : 0u) | (is_firearm ? 4u : 0u);
}

void main() {
  uvec2 p;
  const int h = int(push.size.y);
  if (quads) {
    const uint quads_per_row = push.size.x / 4u;
    if (!oi_pixel(uvec2(quads_per_row, (push.size.y + uint(strip) - 1u) / uint(strip)), p)) return;
    const int y0 = int(p.y) * strip;
    // Rows y0 - r .. y0 + strip - 1 + r of the sums (clamped), each read once.
    vec4 a[strip + 2 * radius], a2[strip + 2 * radius], z[strip + 2 * radius];
    for (int j = 0; j < strip + 2 * radius; ++j) {
      const uint k = uint(clamp(y0 - radius + j, 0, h - 1)) * quads_per_row + p.x;
      a[j] = sum_a4.px[k];
      a2[j] = sum_a24.px[k];
      z[j] = sum_zeff4.px[k];
    }
    for (int row = 0; row < strip; ++row) {
      const int y = y0 + row;
      if (y >= h) break;
      precise vec4 s = vec4(0.0), s2 = vec4(0.0), sz = vec4(0.0);
      for (int dy = 0; dy <= 2 * radius; ++dy) {  // rows y - r .. y + r, in order
        s += a[row + dy];
        s2 += a2[row + dy];
        sz += z[row + dy];
      }
      const uint i = uint(y) * quads_per_row + p.x;
      const uint classes = mclass4.px[i];
      vec4 m, mz, rel;
      uint bits = 0u;
      for (int c = 0; c < 4; ++c) {
        float mc, mzc, relc;
        bits |= classify(s[c], s2[c], sz[c], (classes >> (8 * c)) & 0xFFu, mc, mzc, relc) << (8 * c);
        m[c] = mc;
        mz[c] = mzc;
        rel[c] = relc;
      }
      mean4.px[i] = m;
      zeff_mean4.px[i] = mz;
      rel_std4.px[i] = rel;
      candidates4.px[i] = bits;
    }
    return;
  }
  if (!oi_pixel(push.size, p)) return;
  const int y = int(p.y);
  precise float s = 0.0, s2 = 0.0, sz = 0.0;
  for (int dy = -radius; dy <= radius; ++dy) {
    const uint j = uint(clamp(y + dy, 0, h - 1)) * push.size.x + p.x;
    s += sum_a.px[j];
    s2 += sum_a2.px[j];
    sz += sum_zeff.px[j];
  }
  const uint i = oi_index(p, push.size.x);
  float m, mz, rel;
  candidates.px[i] = uint8_t(classify(s, s2, sz, uint(mclass.px[i]), m, mz, rel));
  mean.px[i] = m;
  zeff_mean.px[i] = mz;
  rel_std.px[i] = rel;
}
