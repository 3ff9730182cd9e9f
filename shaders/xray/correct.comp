#version 450
#extension GL_GOOGLE_include_directive : require
// xray.correct: offset (dark) and gain (air) correction per detector pixel, dead-pixel repair
// across the line and log attenuation, for both channels of a whole scan. Mirrors
// oi::xray::log_attenuation() of the X-ray contract (oi/xray/contract.hpp):
//   i0 = max(air - dark, 1);  i = max(raw - dark, i0 * e^-12);  A = clamp(-ln(i / i0), 0, 12)
// A dead column x takes (1 - w) * A(left) + w * A(right) of its nearest good columns on the
// same line. CPU reference: plugins/stages/xray_gpu/correct_cpu.cpp.
//
// Work split: invocation (s, b) of a width_in_strips x ceil(lines / kLines) grid handles
// columns 4s .. 4s + 3 of lines kLines * b .. kLines * b + kLines - 1, reading the strip's
// references once. Where the width is a multiple of 4 the 4 pixels of a line are read as one
// uvec2 per channel and written as one vec4 per plane: lavapipe runs every buffer access as a
// loop over its SIMD lanes, so fewer, wider accesses are what makes the kernel fast there.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, uint16_t, high);
OI_PLANE_IN(1, uint16_t, low);
// correct_stage.cpp's GPU table: per strip of 4 columns five vec4, the strip's dark_high,
// air_high, dark_low, air_low and dead flags (1 = dead); then per column two vec4
// (CorrectionTable::Column): (dark_high, air_high, dark_low, air_low) and
// (left, right, weight, dead).
OI_PLANE_IN(2, vec4, table);
OI_PLANE_OUT(3, float, a_high);
OI_PLANE_OUT(4, float, a_low);
// The same buffers 4 pixels per element (scans whose width is a multiple of 4).
OI_PLANE_IN(0, uvec2, high4);
OI_PLANE_IN(1, uvec2, low4);
OI_PLANE_OUT(3, vec4, a_high4);
OI_PLANE_OUT(4, vec4, a_low4);

layout(push_constant) uniform Push {
  uvec2 size;  // scan size: pixels a line, lines
} push;

// Lines per invocation; set by correct_stage.cpp, which sizes the dispatch with the same value.
layout(constant_id = 0) const uint kLines = 8u;

// kMaxAttenuation of the contract and e^-kMaxAttenuation as the float std::exp(-12.0f) gives.
const float kMaxAttenuation = 12.0;
const float kExpMinusMax = 6.14421235e-06;

vec4 log_attenuation(vec4 raw, vec4 dark, vec4 air) {
  const vec4 i0 = max(air - dark, vec4(1.0));
  const vec4 i = max(raw - dark, i0 * kExpMinusMax);
  return clamp(-log(i / i0), vec4(0.0), vec4(kMaxAttenuation));
}

// Both channels' attenuation of column `x` on the line starting at pixel `row`, from the
// per-column table that starts at element `columns`.
vec2 column_attenuation(uint row, uint x, uint columns) {
  const vec4 ref = table.px[columns + 2u * x];
  const vec4 raw = vec4(float(uint(high.px[row + x])), float(uint(low.px[row + x])), 0.0, 0.0);
  return log_attenuation(raw, vec4(ref.x, ref.z, 0.0, 0.0), vec4(ref.y, ref.w, 1.0, 1.0)).xy;
}

// Dead column `x`: interpolated from its nearest good columns on the line.
vec2 repaired(uint row, uint x, uint columns) {
  const vec4 repair = table.px[columns + 2u * x + 1u];
  const uint left = uint(repair.x), right = uint(repair.y);
  vec2 a = column_attenuation(row, left, columns);
  if (right != left) a = (1.0 - repair.z) * a + repair.z * column_attenuation(row, right, columns);
  return a;
}

vec4 unpack_u16x4(uvec2 packed) {
  return vec4(packed.x & 0xFFFFu, packed.x >> 16, packed.y & 0xFFFFu, packed.y >> 16);
}

void main() {
  const uint w = push.size.x, h = push.size.y;
  const uint strips = (w + 3u) / 4u;
  uvec2 p;
  if (!oi_pixel(uvec2(strips, (h + kLines - 1u) / kLines), p)) return;
  const uint x0 = 4u * p.x;
  const vec4 dark_high = table.px[5u * p.x], air_high = table.px[5u * p.x + 1u];
  const vec4 dark_low = table.px[5u * p.x + 2u], air_low = table.px[5u * p.x + 3u];
  const vec4 dead = table.px[5u * p.x + 4u];
  const bool any_dead = any(greaterThan(dead, vec4(0.0)));
  const uint columns = 5u * strips;
  const bool vectorised = (w & 3u) == 0u;
  for (uint line = 0u; line < kLines; ++line) {
    const uint y = kLines * p.y + line;
    if (y >= h) break;
    const uint row = y * w;
    // The rarely taken paths are loops over the pixels that run 0 times in the common case,
    // not `if`s: lavapipe runs the body of an `if` (masked) for every SIMD batch of
    // invocations, even when none of them takes it, but skips a loop that none of them enters.
    vec4 raw_high, raw_low;
    if (vectorised) {
      raw_high = unpack_u16x4(high4.px[(row + x0) / 4u]);
      raw_low = unpack_u16x4(low4.px[(row + x0) / 4u]);
    }
    for (uint q = vectorised ? 4u : 0u; q < 4u; ++q) {
      const uint i = row + min(x0 + q, w - 1u);  // columns past the width: computed, not written
      raw_high[q] = float(uint(high.px[i]));
      raw_low[q] = float(uint(low.px[i]));
    }
    vec4 ah = log_attenuation(raw_high, dark_high, air_high);
    vec4 al = log_attenuation(raw_low, dark_low, air_low);
    for (uint q = any_dead ? 0u : 4u; q < 4u; ++q) {
      if (dead[q] > 0.0) {
        const vec2 a = repaired(row, x0 + q, columns);
        ah[q] = a.x;
        al[q] = a.y;
      }
    }
    if (vectorised) {
      a_high4.px[(row + x0) / 4u] = ah;
      a_low4.px[(row + x0) / 4u] = al;
    }
    for (uint q = vectorised ? 4u : 0u; q < 4u && x0 + q < w; ++q) {
      a_high.px[row + x0 + q] = ah[q];
      a_low.px[row + x0 + q] = al[q];
    }
  }
}
