#version 450
#extension GL_GOOGLE_include_directive : require
// xray.correct: offset (dark) and gain (air) correction per detector pixel, dead-pixel repair
// across the line and log attenuation, for both channels of a whole scan. Mirrors
// oi::xray::log_attenuation() of plugins/common/xray/xray_inspection.hpp:
//   i0 = max(air - dark, 1);  i = max(raw - dark, i0 * e^-12);  A = clamp(-ln(i / i0), 0, 12)
// A dead column x takes (1 - w) * A(left) + w * A(right) of its nearest good columns on the
// same line. CPU reference: plugins/stages/xray_gpu/correct_cpu.cpp.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, uint16_t, high);
OI_PLANE_IN(1, uint16_t, low);
// Per column two vec4 (CorrectionTable::Column): (dark_high, air_high, dark_low, air_low) and
// (left, right, weight, dead).
OI_PLANE_IN(2, vec4, table);
OI_PLANE_OUT(3, float, a_high);
OI_PLANE_OUT(4, float, a_low);

layout(push_constant) uniform Push {
  uvec2 size;  // scan size: pixels a line, lines
} push;

// kMaxAttenuation of the contract and e^-kMaxAttenuation as the float std::exp(-12.0f) gives.
const float kMaxAttenuation = 12.0;
const float kExpMinusMax = 6.14421235e-06;

float log_attenuation(float raw, float dark, float air) {
  const float i0 = max(air - dark, 1.0);
  const float i = max(raw - dark, i0 * kExpMinusMax);
  return clamp(-log(i / i0), 0.0, kMaxAttenuation);
}

// Both channels' attenuation of column `x` on the line starting at pixel `row`.
vec2 attenuation(uint row, uint x) {
  const vec4 ref = table.px[2u * x];
  return vec2(log_attenuation(float(uint(high.px[row + x])), ref.x, ref.y),
              log_attenuation(float(uint(low.px[row + x])), ref.z, ref.w));
}

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint row = p.y * push.size.x;
  const vec4 repair = table.px[2u * p.x + 1u];
  const uint left = uint(repair.x), right = uint(repair.y);
  vec2 a = attenuation(row, left);
  if (right != left) a = (1.0 - repair.z) * a + repair.z * attenuation(row, right);
  a_high.px[row + p.x] = a.x;
  a_low.px[row + p.x] = a.y;
}
