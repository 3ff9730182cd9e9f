#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
// xray.log_attenuation: per-pixel dual-energy log attenuation and ratio (formulas in
// log_attenuation_common.glsl), for devices with shaderInt64; log_attenuation_32bit.comp is
// the variant for the others.
//
// Linear dispatch, 8 consecutive pixels per invocation (PixelKernelSpec::pixels_per_invocation):
// each u16 plane is read as one u64vec2 (8 x u16) and each f32 plane written as one u64vec4
// (8 x f32 bits). lavapipe runs every buffer access as a loop over its SIMD lanes with one
// scalar load or store per component, so few wide components are what makes the kernel fast
// there (1.5x over the 32-bit variant); GPUs coalesce the accesses either way.
#include "oi/pixel.glsl"
#include "oi/xray.glsl"
#include "log_attenuation_common.glsl"

// The same buffers as in log_attenuation_common.glsl, 8 pixels per element.
OI_PLANE_IN(0, u64vec2, high8);
OI_PLANE_IN(1, u64vec2, low8);
OI_PLANE_OUT(2, u64vec4, a_high8);
OI_PLANE_OUT(3, u64vec4, a_low8);
OI_PLANE_OUT(4, u64vec4, ratio8);

vec4 unpack_u16x4(uint64_t packed) { return unpack_u16x4(unpackUint2x32(packed)); }

// Two vec4 as the bits of four uint64 (little endian: pixel 0 in the low half).
u64vec4 pack_f32x8(vec4 a, vec4 b) {
  return u64vec4(packUint2x32(floatBitsToUint(a.xy)), packUint2x32(floatBitsToUint(a.zw)),
                 packUint2x32(floatBitsToUint(b.xy)), packUint2x32(floatBitsToUint(b.zw)));
}

void main() {
  const uint pixels = push.size.x * push.size.y;
  const uint first = oi_linear_id() * 8u;
  if (first + 8u > pixels) {
    log_attenuation_tail(first, pixels);
    return;
  }
  const uint k = first / 8u;
  const u64vec2 h = high8.px[k];
  const u64vec2 l = low8.px[k];
  const vec4 ah0 = attenuation_high(unpack_u16x4(h.x)), ah1 = attenuation_high(unpack_u16x4(h.y));
  const vec4 al0 = attenuation_low(unpack_u16x4(l.x)), al1 = attenuation_low(unpack_u16x4(l.y));
  a_high8.px[k] = pack_f32x8(ah0, ah1);
  a_low8.px[k] = pack_f32x8(al0, al1);
  ratio8.px[k] = pack_f32x8(oi_dual_energy_ratio(al0, ah0, push.epsilon), oi_dual_energy_ratio(al1, ah1, push.epsilon));
}
