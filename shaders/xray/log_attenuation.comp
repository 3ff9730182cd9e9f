#version 450
#extension GL_GOOGLE_include_directive : require
// xray.log_attenuation: per-pixel dual-energy log attenuation and ratio.
//   a_high = -ln((high - dark_high) / (air_high - dark_high))   (clamped, see oi/xray.glsl)
//   a_low  = -ln((low - dark_low) / (air_low - dark_low))
//   ratio  = a_low / a_high, 0 where a_high < epsilon
// CPU reference: plugins/stages/xray_gpu/log_attenuation_cpu.cpp (OpenCV).
#include "oi/pixel.glsl"
#include "oi/xray.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, uint16_t, high);
OI_PLANE_IN(1, uint16_t, low);
OI_PLANE_OUT(2, float, a_high);
OI_PLANE_OUT(3, float, a_low);
OI_PLANE_OUT(4, float, ratio);

layout(push_constant) uniform Push {
  uvec2 size;  // plane size, written per frame by oi::gpu::PixelStage
  float dark_high;
  float air_high;
  float dark_low;
  float air_low;
  float epsilon;
} push;

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  const float ah = oi_log_attenuation(float(uint(high.px[i])), push.dark_high, push.air_high);
  const float al = oi_log_attenuation(float(uint(low.px[i])), push.dark_low, push.air_low);
  a_high.px[i] = ah;
  a_low.px[i] = al;
  ratio.px[i] = oi_dual_energy_ratio(al, ah, push.epsilon);
}
