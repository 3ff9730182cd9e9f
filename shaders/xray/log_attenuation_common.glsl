// The parts both variants of the xray.log_attenuation kernel share: the push-constant block,
// the planes pixel by pixel and the per-pixel computation (used for the last pixels of a
// plane whose pixel count is not a multiple of the pixels per invocation). Include after
// oi/pixel.glsl and oi/xray.glsl.
//   a_high = -ln((high - dark_high) / (air_high - dark_high))   (clamped, see oi/xray.glsl)
//   a_low  = -ln((low - dark_low) / (air_low - dark_low))
//   ratio  = a_low / a_high, 0 where a_high < epsilon
// CPU reference: plugins/stages/xray_gpu/log_attenuation_cpu.cpp (OpenCV).
#ifndef OI_XRAY_LOG_ATTENUATION_COMMON_GLSL
#define OI_XRAY_LOG_ATTENUATION_COMMON_GLSL

OI_WORKGROUP_1D;

OI_PLANE_IN(0, uint16_t, high);
OI_PLANE_IN(1, uint16_t, low);
OI_PLANE_OUT(2, float, a_high);
OI_PLANE_OUT(3, float, a_low);
OI_PLANE_OUT(4, float, ratio);

// plugins/stages/xray_gpu/log_attenuation_push.hpp fills it.
layout(push_constant) uniform Push {
  uvec2 size;  // plane size, written per frame by oi::gpu::PixelStage
  float dark_high;
  float range_high;      // air_high - dark_high
  float log_range_high;  // ln(range_high), computed on the host
  float dark_low;
  float range_low;
  float log_range_low;
  float epsilon;
} push;

vec4 attenuation_high(vec4 counts) {
  return oi_log_attenuation(counts, push.dark_high, push.range_high, push.log_range_high);
}
vec4 attenuation_low(vec4 counts) {
  return oi_log_attenuation(counts, push.dark_low, push.range_low, push.log_range_low);
}

// Four u16 pixels packed in two uints, the first in the low 16 bits.
vec4 unpack_u16x4(uvec2 packed) {
  return vec4(packed.x & 0xFFFFu, packed.x >> 16, packed.y & 0xFFFFu, packed.y >> 16);
}

// Pixels first .. pixels-1, one at a time.
void log_attenuation_tail(uint first, uint pixels) {
  for (uint i = first; i < pixels; ++i) {
    const float ah = oi_log_attenuation(float(uint(high.px[i])), push.dark_high, push.range_high, push.log_range_high);
    const float al = oi_log_attenuation(float(uint(low.px[i])), push.dark_low, push.range_low, push.log_range_low);
    a_high.px[i] = ah;
    a_low.px[i] = al;
    ratio.px[i] = oi_dual_energy_ratio(al, ah, push.epsilon);
  }
}

#endif  // OI_XRAY_LOG_ATTENUATION_COMMON_GLSL
