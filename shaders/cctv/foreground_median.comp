#version 450
#extension GL_GOOGLE_include_directive : require
// cctv.detect: the 3x3 median of a bit-packed mask (foreground_bits.glsl) with the border
// replicated, one invocation per 32 pixels: a pixel is set when at least 5 of the 9 pixels
// of its neighbourhood are, counted for 32 pixels at once by bit-sliced adders.
// CPU reference: cv::medianBlur(mask, 3) in clean_foreground()
// (plugins/stages/cctv_detect/background_model.cpp): the median of 9 binary values.
#include "oi/pixel.glsl"
#include "foreground_bits.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Source { uint words[]; } source;
layout(std430, set = 0, binding = 1) writeonly buffer Target { uint words[]; } target;

layout(push_constant) uniform Push {
  uvec2 size;          // mask size in pixels
  uint words_per_row;  // ceil(width / 32)
} push;

// Word k of row y, the bits beyond the width cleared.
uint word_at(uint k, uint y) { return source.words[y * push.words_per_row + k] & oi_valid_bits(k, push.size.x); }

void full_add(uint a, uint b, uint c, out uint sum, out uint carry) {
  sum = a ^ b ^ c;
  carry = (a & b) | (c & (a ^ b));
}

void main() {
  uvec2 p;  // (word, row)
  if (!oi_pixel(uvec2(push.words_per_row, push.size.y), p)) return;
  const uint k = p.x, last = push.size.x - 1u;
  uint left[3], centre[3], right[3];
  for (int r = 0; r < 3; ++r) {
    const uint y = uint(clamp(int(p.y) + r - 1, 0, int(push.size.y) - 1));  // replicated rows
    const uint c = word_at(k, y);
    // Pixel -1 is pixel 0: the first word's "previous" word holds pixel 0 in bit 31. (Not a
    // bit insert into `l` under `if (k == 0u)`: LLVM on AVX-512 hosts, as lavapipe uses it,
    // miscompiles that masked bit select (vpternlogd with a broadcast constant).)
    const uint previous = k > 0u ? word_at(k - 1u, y) : c << 31u;
    const uint next = k + 1u < push.words_per_row ? word_at(k + 1u, y) : 0u;
    const uint l = (c << 1u) | (previous >> 31u);  // bit b: pixel 32k + b - 1
    uint rr = (c >> 1u) | (next << 31u);           // bit b: pixel 32k + b + 1
    if (last / 32u == k) {                   // pixel width is pixel width - 1
      const uint bit = 1u << (last % 32u);
      rr = (rr & ~bit) | (c & bit);
    }
    left[r] = l;
    centre[r] = c;
    right[r] = rr;
  }
  // Count the 9 bits of every pixel: s0 + 2 s1 + 4 s2 + 8 s3.
  uint sa, ca, sb, cb, sc, cc, s0, c0, t, u;
  full_add(left[0], centre[0], right[0], sa, ca);
  full_add(left[1], centre[1], right[1], sb, cb);
  full_add(left[2], centre[2], right[2], sc, cc);
  full_add(sa, sb, sc, s0, c0);  // weight 1: s0; carry c0 of weight 2
  full_add(ca, cb, cc, t, u);    // weight 2: t, carry u of weight 4
  const uint s1 = t ^ c0, v = t & c0;  // weight 2: s1, carry v of weight 4
  const uint s2 = u ^ v, s3 = u & v;   // weight 4 and 8
  target.words[p.y * push.words_per_row + k] = s3 | (s2 & (s1 | s0));  // at least 5
}
