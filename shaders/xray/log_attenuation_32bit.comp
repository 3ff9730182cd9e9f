#version 450
#extension GL_GOOGLE_include_directive : require
// xray.log_attenuation without 64-bit integers (devices without shaderInt64): formulas in
// log_attenuation_common.glsl; log_attenuation.comp is the faster variant.
//
// Linear dispatch, 4 consecutive pixels per invocation (PixelKernelSpec::pixels_per_invocation):
// each u16 plane is read as one uvec2 (4 x u16) and each f32 plane written as one vec4.
#include "oi/pixel.glsl"
#include "oi/xray.glsl"
#include "log_attenuation_common.glsl"

// The same buffers as in log_attenuation_common.glsl, 4 pixels per element.
OI_PLANE_IN(0, uvec2, high4);
OI_PLANE_IN(1, uvec2, low4);
OI_PLANE_OUT(2, vec4, a_high4);
OI_PLANE_OUT(3, vec4, a_low4);
OI_PLANE_OUT(4, vec4, ratio4);

void main() {
  const uint pixels = push.size.x * push.size.y;
  const uint first = oi_linear_id() * 4u;
  if (first + 4u > pixels) {
    log_attenuation_tail(first, pixels);
    return;
  }
  const uint k = first / 4u;
  const vec4 ah = attenuation_high(unpack_u16x4(high4.px[k]));
  const vec4 al = attenuation_low(unpack_u16x4(low4.px[k]));
  a_high4.px[k] = ah;
  a_low4.px[k] = al;
  ratio4.px[k] = oi_dual_energy_ratio(al, ah, push.epsilon);
}
