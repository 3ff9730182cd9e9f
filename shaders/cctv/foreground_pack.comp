#version 450
#extension GL_GOOGLE_include_directive : require
// cctv.detect: the foreground pixels (255) of background_model.comp's raw mask as a bit-packed
// mask (foreground_bits.glsl; shadows, 127, and background are 0), one invocation per 32
// pixels. CPU reference: the cv::compare() in clean_foreground()
// (plugins/stages/cctv_detect/background_model.cpp).
#include "oi/pixel.glsl"
#include "foreground_bits.glsl"

OI_WORKGROUP_2D;

// The raw mask, read 4 bytes a load (raw8: the last bytes when its size is no multiple of 4).
OI_PLANE_IN(0, uint, raw);
OI_PLANE_IN(0, uint8_t, raw8);
layout(std430, set = 0, binding = 1) writeonly buffer Target { uint words[]; } target;

layout(push_constant) uniform Push {
  uvec2 size;          // mask size in pixels
  uint words_per_row;  // ceil(width / 32)
} push;

void main() {
  uvec2 p;  // (word, row)
  if (!oi_pixel(uvec2(push.words_per_row, push.size.y), p)) return;
  const uint first = p.x * 32u, count = min(32u, push.size.x - first);
  const uint start = p.y * push.size.x + first, end = start + count, bytes = push.size.x * push.size.y;
  uint bits = 0u;
  for (uint word = start >> 2u; word <= (end - 1u) >> 2u; ++word) {
    uint four;
    if (word * 4u + 4u <= bytes) {
      four = raw.px[word];
    } else {
      four = 0u;
      for (uint j = 0u; word * 4u + j < bytes; ++j) four |= uint(raw8.px[word * 4u + j]) << (8u * j);
    }
    for (uint j = 0u; j < 4u; ++j) {
      const uint at = word * 4u + j;
      if (at >= start && at < end && ((four >> (8u * j)) & 255u) == 255u) bits |= 1u << (at - start);
    }
  }
  target.words[p.y * push.words_per_row + p.x] = bits;
}
