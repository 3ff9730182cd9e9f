#version 450
#extension GL_GOOGLE_include_directive : require
// Test kernel: f32 in, u8 out; 255 where the value exceeds the specialization constant.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

layout(constant_id = 0) const float kThreshold = 0.5;

OI_PLANE_IN(0, float, value);
OI_PLANE_OUT(1, uint8_t, mask);

layout(push_constant) uniform Push { uvec2 size; } push;

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  mask.px[i] = uint8_t(value.px[i] > kThreshold ? 255u : 0u);
}
