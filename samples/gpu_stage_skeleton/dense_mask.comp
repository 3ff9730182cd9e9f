#version 450
#extension GL_GOOGLE_include_directive : require
// xray.dense_mask: 255 where the high-energy log attenuation a_high exceeds the threshold
// (dense material: metal, or thick organic), else 0. The stage's CPU implementation,
// DenseMask::process_cpu() in dense_mask_stage.cpp, computes the same.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;
OI_PLANE_IN(0, float, a_high);
OI_PLANE_OUT(1, uint8_t, dense);

// DenseMaskPush in dense_mask_stage.cpp; checked member by member when the kernel is built.
layout(push_constant) uniform Push {
  uvec2 size;  // plane size, written per frame by oi::gpu::PixelStage
  float threshold;
} push;

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  dense.px[i] = uint8_t(a_high.px[i] > push.threshold ? 255u : 0u);
}
