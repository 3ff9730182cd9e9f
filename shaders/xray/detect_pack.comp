#version 450
#extension GL_GOOGLE_include_directive : require
// xray.detect: the candidate bits of detect_maps.comp (1 impenetrable, 2 narcotics,
// 4 firearm) as three bit-packed masks (detect_masks.glsl), one invocation per 32 pixels;
// with `quads` (width a multiple of 4) the candidates are read 4 a uint.
#include "oi/pixel.glsl"
#include "detect_masks.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, uint8_t, candidates);
OI_PLANE_IN(0, uint, candidates4);  // the same buffer, 4 pixels at a time (quads)
layout(std430, set = 0, binding = 1) writeonly buffer Impenetrable { uint words[]; } impenetrable;
layout(std430, set = 0, binding = 2) writeonly buffer Narcotics { uint words[]; } narcotics;
layout(std430, set = 0, binding = 3) writeonly buffer Firearm { uint words[]; } firearm;

layout(constant_id = 0) const bool quads = false;

layout(push_constant) uniform Push {
  uvec2 size;            // plane size in pixels
  uint words_per_row;    // ceil(width / 32)
} push;

void main() {
  uvec2 p;  // (word, row)
  if (!oi_pixel(uvec2(push.words_per_row, push.size.y), p)) return;
  const uint first = p.x * 32u, count = min(32u, push.size.x - first);
  const uint row = p.y * push.size.x + first;
  uint imp = 0u, narc = 0u, fire = 0u;
  if (quads) {
    for (uint b = 0u; b < count; b += 4u) {
      const uint c = candidates4.px[(row + b) / 4u];
      for (uint j = 0u; j < 4u; ++j) {
        imp |= ((c >> (8u * j)) & 1u) << (b + j);
        narc |= ((c >> (8u * j + 1u)) & 1u) << (b + j);
        fire |= ((c >> (8u * j + 2u)) & 1u) << (b + j);
      }
    }
  }
  for (uint b = 0u; !quads && b < count; ++b) {
    const uint c = uint(candidates.px[row + b]);
    imp |= (c & 1u) << b;
    narc |= ((c >> 1u) & 1u) << b;
    fire |= ((c >> 2u) & 1u) << b;
  }
  const uint w = p.y * push.words_per_row + p.x;
  impenetrable.words[w] = imp;
  narcotics.words[w] = narc;
  firearm.words[w] = fire;
}
