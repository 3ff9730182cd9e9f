// X-ray helpers shared by the dual-energy shaders. Include with
//   #include "oi/xray.glsl"
// The CPU references of the stages that use them compute the same formulas with OpenCV.
#ifndef OI_XRAY_GLSL
#define OI_XRAY_GLSL

// Log attenuation A = -ln((I - dark) / (air - dark)) of raw detector counts I, with the
// dark (offset) and air (unattenuated, gain) levels of the detector channel. The signal is
// clamped to [1, air - dark] counts: I <= dark (no signal, or noise below the offset) gives
// the largest measurable attenuation ln(air - dark) instead of infinity, and I >= air (noise
// above the air level) gives 0 instead of a negative attenuation. Needs air >= dark + 1.
float oi_log_attenuation(float counts, float dark, float air) {
  const float range = air - dark;
  const float signal = clamp(counts - dark, 1.0, range);
  // max(): signal / range may round to just above 1.
  return max(-log(signal / range), 0.0);
}

// Dual-energy ratio R = A_low / A_high, 0 where A_high < epsilon (too little material for
// the ratio to mean anything: it is then dominated by noise).
float oi_dual_energy_ratio(float a_low, float a_high, float epsilon) {
  return a_high >= epsilon ? a_low / a_high : 0.0;
}

#endif  // OI_XRAY_GLSL
