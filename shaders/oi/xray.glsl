// X-ray helpers shared by the dual-energy shaders. Include with
//   #include "oi/xray.glsl"
// The CPU references of the stages that use them compute the same formulas with OpenCV.
#ifndef OI_XRAY_GLSL
#define OI_XRAY_GLSL

// Log attenuation A = -ln((I - dark) / (air - dark)) of raw detector counts I, with the
// dark (offset) and air (unattenuated, gain) levels of the detector channel: the X-ray
// contract's formula (oi::xray::log_attenuation() in oi/xray/contract.hpp), which xray.correct
// follows too. The signal is clamped to [range * e^-12, range], range = air - dark: I <= dark
// (no signal) gives the largest attenuation the chain represents, OI_MAX_ATTENUATION = 12,
// instead of infinity, and I >= air (noise above the air level) gives 0 instead of a negative
// attenuation. Needs air >= dark + 1.
//
// Computed as ln(range) - ln(signal) with `log_range` = ln(range) precomputed on the host:
// one log per pixel and no division (on lavapipe both cost more than the memory traffic).
#define OI_MAX_ATTENUATION 12.0
float oi_log_attenuation(float counts, float dark, float range, float log_range) {
  // clamp() outside: the two logs' rounding may leave a value a hair outside [0, 12].
  return clamp(log_range - log(clamp(counts - dark, range * exp(-OI_MAX_ATTENUATION), range)), 0.0,
               OI_MAX_ATTENUATION);
}
vec4 oi_log_attenuation(vec4 counts, float dark, float range, float log_range) {
  return clamp(log_range - log(clamp(counts - dark, vec4(range * exp(-OI_MAX_ATTENUATION)), vec4(range))), 0.0,
               OI_MAX_ATTENUATION);
}

// Dual-energy ratio R = A_low / A_high, 0 where A_high < epsilon (too little material for
// the ratio to mean anything: it is then dominated by noise).
float oi_dual_energy_ratio(float a_low, float a_high, float epsilon) {
  return a_high >= epsilon ? a_low / a_high : 0.0;
}
vec4 oi_dual_energy_ratio(vec4 a_low, vec4 a_high, float epsilon) {
  // mix() with a bvec selects: the inf/NaN of a division by a_high = 0 is never used.
  return mix(vec4(0.0), a_low / a_high, greaterThanEqual(a_high, vec4(epsilon)));
}

#endif  // OI_XRAY_GLSL
