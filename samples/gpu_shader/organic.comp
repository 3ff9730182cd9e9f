#version 450
#extension GL_GOOGLE_include_directive : require
// Marks organic material (Z_eff below about 10: water, plastics, narcotics) in dual-energy
// scans: pixels whose ratio R = A_low / A_high lies in [ratio_min, ratio_max] and that
// attenuate at least `min_attenuation`. Planes and constants are bound by name by the
// gpu.shader stage; see pipeline.yaml and docs/writing-a-gpu-stage.md.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, float, ratio);      // from xray.log_attenuation
OI_PLANE_IN(1, float, a_high);     // from xray.log_attenuation
OI_PLANE_OUT(2, uint8_t, organic); // 255 organic, 0 otherwise

// A specialization constant: fixed when the pipeline starts, folded into the kernel.
layout(constant_id = 0) const float min_attenuation = 0.05;

layout(push_constant) uniform Push {
  uvec2 size;       // the plane size, written by the stage every frame
  float ratio_min;  // from `constants:` in the YAML
  float ratio_max;
} push;

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  const float r = ratio.px[i];
  const bool is_organic = a_high.px[i] >= min_attenuation && r >= push.ratio_min && r <= push.ratio_max;
  organic.px[i] = uint8_t(is_organic ? 255u : 0u);
}
