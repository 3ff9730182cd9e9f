#version 450
#extension GL_GOOGLE_include_directive : require
// cctv.detect: binary erosion or dilation of a bit-packed mask (foreground_bits.glsl) by a
// (2 rx + 1) x (2 ry + 1) rectangle, one invocation per 32 pixels: for each row of the window
// inside the image, the row's word and its neighbours shifted by 1..rx and combined (AND for
// erosion, OR for dilation), then combined over the rows. Pixels outside the image are
// ignored, as OpenCV's default morphology border does: they count as set for erosion and
// unset for dilation. CPU reference: cv::morphologyEx with a MORPH_RECT element in
// clean_foreground() (plugins/stages/cctv_detect/background_model.cpp).
#include "oi/pixel.glsl"
#include "foreground_bits.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Source { uint words[]; } source;
layout(std430, set = 0, binding = 1) writeonly buffer Target { uint words[]; } target;

layout(push_constant) uniform Push {
  uvec2 size;          // mask size in pixels
  uint words_per_row;  // ceil(width / 32)
  int radius_x;        // rx <= 31: the shifted bits come from one neighbouring word
  int radius_y;        // ry
  int erode;           // 1: erosion, 0: dilation
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
  const int k = int(p.x), y = int(p.y), h = int(push.size.y);
  // Rows: the window's rows inside the image.
  uint rows = erode ? 0xFFFFFFFFu : 0u;
  for (int yy = max(y - push.radius_y, 0); yy <= min(y + push.radius_y, h - 1); ++yy) {
    const uint previous = word_at(k - 1, yy, erode), current = word_at(k, yy, erode), next = word_at(k + 1, yy, erode);
    uint row = current;
    for (int d = 1; d <= push.radius_x; ++d) {
      // Bit b of `right` is pixel 32k + b + d; of `left`, pixel 32k + b - d.
      const uint right = (current >> d) | (next << (32 - d));
      const uint left = (current << d) | (previous >> (32 - d));
      row = erode ? row & right & left : row | right | left;
    }
    rows = erode ? rows & row : rows | row;
  }
  target.words[p.y * push.words_per_row + p.x] = rows;
}
