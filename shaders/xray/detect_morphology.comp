#version 450
#extension GL_GOOGLE_include_directive : require
// xray.detect: binary erosion or dilation of a bit-packed mask (detect_masks.glsl) by a
// structuring element that is symmetric and convex along each row (OpenCV's MORPH_ELLIPSE:
// row dy spans [-span[dy], span[dy]]), one invocation per 32 pixels: for each row dy of the
// element inside the image, the row's word and its two neighbours, shifted by 1..span[dy]
// and combined (AND for erosion, OR for dilation), then combined over the rows. Pixels
// outside the image are ignored, as OpenCV's default morphology border does: they count as
// set for erosion and unset for dilation. CPU reference: cv::morphologyEx in compute_maps()
// (plugins/stages/xray_detect/threat_detector.cpp).
#include "oi/pixel.glsl"
#include "detect_masks.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Source { uint words[]; } source;
layout(std430, set = 0, binding = 1) writeonly buffer Target { uint words[]; } target;

const int kMaxRadius = 8;  // spans fit in one neighbouring word
layout(push_constant) uniform Push {
  uvec2 size;                      // plane size in pixels
  uint words_per_row;              // ceil(width / 32)
  int radius;                      // r: the element is (2r+1) x (2r+1)
  int erode;                       // 1: erosion, 0: dilation
  int span[2 * kMaxRadius + 1];    // half-width of the element's row dy at [dy + r]
} push;

// Word k of row y with the bits outside the image set to what erosion or dilation ignores.
uint word_at(int k, int y, bool erode) {
  const uint outside = erode ? 0xFFFFFFFFu : 0u;
  if (k < 0 || k >= int(push.words_per_row)) return outside;
  const uint valid = oi_valid_bits(uint(k), push.size.x);
  return (source.words[uint(y) * push.words_per_row + uint(k)] & valid) | (outside & ~valid);
}

void main() {
  uvec2 p;  // (word, row)
  if (!oi_pixel(uvec2(push.words_per_row, push.size.y), p)) return;
  const bool erode = push.erode != 0;
  const int k = int(p.x), y = int(p.y), h = int(push.size.y), r = push.radius;
  uint result = erode ? 0xFFFFFFFFu : 0u;
  for (int dy = -r; dy <= r; ++dy) {
    const int yy = y + dy;
    if (yy < 0 || yy >= h) continue;
    const uint previous = word_at(k - 1, yy, erode), current = word_at(k, yy, erode), next = word_at(k + 1, yy, erode);
    uint row = current;
    for (int d = 1; d <= push.span[dy + r]; ++d) {
      // Bit b of `right` is pixel 32k + b + d; of `left`, pixel 32k + b - d.
      const uint right = (current >> d) | (next << (32 - d));
      const uint left = (current << d) | (previous >> (32 - d));
      row = erode ? row & right & left : row | right | left;
    }
    result = erode ? result & row : result | row;
  }
  target.words[p.y * push.words_per_row + p.x] = result;
}
