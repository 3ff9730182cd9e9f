#version 450
#extension GL_GOOGLE_include_directive : require
// Test kernel: log attenuation of raw detector counts, A = -ln((I - dark) / (air - dark)),
// with counts at or below `dark` clamped to one count above it. u16 in, f32 out.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, uint16_t, counts);
OI_PLANE_OUT(1, float, attenuation);

layout(push_constant) uniform Push {
  uvec2 size;
  float dark;
  float air;
} push;

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  const float signal = max(float(uint(counts.px[i])) - push.dark, 1.0);
  attenuation.px[i] = -log(signal / (push.air - push.dark));
}
