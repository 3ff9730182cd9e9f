#version 450
#extension GL_GOOGLE_include_directive : require
// xray.detect: the three bit-packed masks after morphology (detect_masks.glsl) as the u8
// planes (0 or 255) that find_regions() reads, one invocation per 32 pixels; with `quads`
// (width a multiple of 4) written 4 pixels a uint.
#include "oi/pixel.glsl"
#include "detect_masks.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Shielding { uint words[]; } shielding_bits;
layout(std430, set = 0, binding = 1) readonly buffer Narcotics { uint words[]; } narcotics_bits;
layout(std430, set = 0, binding = 2) readonly buffer Firearm { uint words[]; } firearm_bits;
OI_PLANE_OUT(3, uint8_t, shielding);
OI_PLANE_OUT(4, uint8_t, narcotics);
OI_PLANE_OUT(5, uint8_t, firearm);
// The same buffers 4 pixels at a time (quads).
OI_PLANE_OUT(3, uint, shielding4);
OI_PLANE_OUT(4, uint, narcotics4);
OI_PLANE_OUT(5, uint, firearm4);

layout(constant_id = 0) const bool quads = false;

// Bits b..b+3 of `word` as 4 bytes of 0 or 255.
uint bytes_of(uint word, uint b) { return ((word >> b) & 1u) * 0xFFu | ((word >> (b + 1u)) & 1u) * 0xFF00u |
                                          ((word >> (b + 2u)) & 1u) * 0xFF0000u | ((word >> (b + 3u)) & 1u) * 0xFF000000u; }

layout(push_constant) uniform Push {
  uvec2 size;            // plane size in pixels
  uint words_per_row;    // ceil(width / 32)
} push;

void main() {
  uvec2 p;  // (word, row)
  if (!oi_pixel(uvec2(push.words_per_row, push.size.y), p)) return;
  const uint w = p.y * push.words_per_row + p.x;
  const uint s = shielding_bits.words[w], n = narcotics_bits.words[w], f = firearm_bits.words[w];
  const uint first = p.x * 32u, count = min(32u, push.size.x - first);
  const uint row = p.y * push.size.x + first;
  if (quads) {
    for (uint b = 0u; b < count; b += 4u) {
      const uint q = (row + b) / 4u;
      shielding4.px[q] = bytes_of(s, b);
      narcotics4.px[q] = bytes_of(n, b);
      firearm4.px[q] = bytes_of(f, b);
    }
    return;
  }
  for (uint b = 0u; b < count; ++b) {
    shielding.px[row + b] = uint8_t(((s >> b) & 1u) * 255u);
    narcotics.px[row + b] = uint8_t(((n >> b) & 1u) * 255u);
    firearm.px[row + b] = uint8_t(((f >> b) & 1u) * 255u);
  }
}
