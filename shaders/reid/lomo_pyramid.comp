#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed, LOMO on Vulkan, kernel 2 of 4: the pyramid of every crop. One invocation per
// chunk of 2^(levels - 1) rows of a crop: its pixels normalised for illumination (with
// lomo_white.comp's white points), their HSV bins and gray values, pooled 2 x 2 level by level
// in private memory (each chunk holds whole pooling blocks of every level), and every level's
// joint HSV codes and gray sums written as 16-bit pairs (pixel 2i in the low half).
// CPU reference: the first loops of lomo_counts() (plugins/stages/reid/core/lomo.cpp).
#include "oi/compute.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Crops { uint words[]; } crops;
layout(std430, set = 0, binding = 1) readonly buffer White { uint v[]; } white;
layout(std430, set = 0, binding = 2) writeonly buffer Codes { uint words[]; } codes;  // per crop level_words
layout(std430, set = 0, binding = 3) writeonly buffer Grays { uint words[]; } grays;

layout(constant_id = 0) const uint width = 48;
layout(constant_id = 1) const uint height = 128;
layout(constant_id = 2) const uint levels = 3;
layout(constant_id = 3) const uint chunk_rows = 4;      // 2^(levels - 1)
layout(constant_id = 4) const uint chunk_pixels = 192;  // chunk_rows x width
layout(constant_id = 5) const uint hue_bins = 8;
layout(constant_id = 6) const uint saturation_bins = 8;
layout(constant_id = 7) const uint value_bins = 8;
layout(constant_id = 8) const bool normalise = true;
layout(constant_id = 9) const uint crop_words = 4608;
layout(constant_id = 10) const uint level_words = 4032;  // words of all levels of a crop

layout(push_constant) uniform Push {
  uint batch;
} push;

uint bins[chunk_pixels];  // hue | saturation << 8 | value << 16
uint gray[chunk_pixels];

// Writes the chunk's rows of a level (rows first_row.. of a level w wide, `rows` of them, at
// row stride w in the private arrays) as 16-bit pairs.
void write_rows(uint crop_first, uint first_row, uint rows, uint w) {
  const uint row_words = (w + 1u) / 2u;
  for (uint r = 0u; r < rows; ++r) {
    for (uint k = 0u; k < row_words; ++k) {
      uint code2 = 0u, gray2 = 0u;
      for (uint h = 0u; h < 2u; ++h) {
        const uint x = 2u * k + h;
        if (x >= w) break;
        const uint b = bins[r * w + x];
        code2 |= (((b >> 16u) * saturation_bins + ((b >> 8u) & 255u)) * hue_bins + (b & 255u)) << (16u * h);
        gray2 |= gray[r * w + x] << (16u * h);
      }
      codes.words[crop_first + (first_row + r) * row_words + k] = code2;
      grays.words[crop_first + (first_row + r) * row_words + k] = gray2;
    }
  }
}

void main() {
  const uint chunk = gl_GlobalInvocationID.x, crop = gl_GlobalInvocationID.y;
  const uint row0 = chunk * chunk_rows;
  if (crop >= push.batch || row0 >= height) return;
  const uint rows = min(chunk_rows, height - row0);
  uint w[3] = uint[3](0u, 0u, 0u);
  if (normalise) w = uint[3](white.v[3u * crop], white.v[3u * crop + 1u], white.v[3u * crop + 2u]);

  // Level 0.
  {
    const uint first_byte = row0 * width * 3u, bytes = rows * width * 3u;
    uint word = crops.words[crop * crop_words + (first_byte >> 2u)], value = 0u, channel = 0u, pixel = 0u;
    for (uint j = first_byte; j < first_byte + bytes; ++j) {
      if ((j & 3u) == 0u) word = crops.words[crop * crop_words + (j >> 2u)];
      uint v = (word >> ((j & 3u) * 8u)) & 255u;
      if (normalise && w[channel] != 0u) v = min(255u, (510u * v + w[channel]) / (2u * w[channel]));
      value |= v << (8u * channel);
      if (++channel < 3u) continue;
      const int r = int(value & 255u), g = int((value >> 8u) & 255u), b = int(value >> 16u);
      const int mx = max(r, max(g, b)), mn = min(r, min(g, b)), d = mx - mn;
      const uint vb = uint(min(int(value_bins) - 1, mx * int(value_bins) / 255));
      const uint sb = mx == 0 ? 0u : uint(min(int(saturation_bins) - 1, int(saturation_bins) * d / mx));
      uint hb = 0u;
      if (d != 0) {
        int hue;  // 6 d h, MATLAB rgb2hsv's hue h in [0, 1); blue wins ties over green over red
        if (b == mx) {
          hue = 4 * d + (r - g);
        } else if (g == mx) {
          hue = 2 * d + (b - r);
        } else {
          hue = g - b;
        }
        if (hue < 0) hue += 6 * d;
        hb = uint(min(int(hue_bins) - 1, int(hue_bins) * hue / (6 * d)));
      }
      bins[pixel] = hb | (sb << 8u) | (vb << 16u);
      gray[pixel] = (4899u * uint(r) + 9617u * uint(g) + 1868u * uint(b) + 8192u) >> 14u;
      ++pixel;
      value = 0u;
      channel = 0u;
    }
  }
  uint crop_first = crop * level_words;
  write_rows(crop_first, row0, rows, width);

  // The other levels, pooled in place (a level's pixel i is written where nothing unread lies).
  uint lw = width, lh = height, lrows = rows, lrow0 = row0;
  for (uint s = 1u; s < levels; ++s) {
    crop_first += lh * ((lw + 1u) / 2u);
    const uint nw = lw / 2u, nh = lh / 2u;
    const uint nrow0 = lrow0 / 2u, nrows = min(lrows / 2u, nh > nrow0 ? nh - nrow0 : 0u);
    for (uint y = 0u; y < nrows; ++y)
      for (uint x = 0u; x < nw; ++x) {
        const uint a = 2u * y * lw + 2u * x;
        const uint q[4] = uint[4](a, a + 1u, a + lw, a + lw + 1u);
        uint hs = 0u, ss = 0u, vs = 0u, gs = 0u;
        for (int k = 0; k < 4; ++k) {
          const uint b = bins[q[k]];
          hs += b & 255u;
          ss += (b >> 8u) & 255u;
          vs += b >> 16u;
          gs += gray[q[k]];
        }
        bins[y * nw + x] = (hs / 4u) | ((ss / 4u) << 8u) | ((vs / 4u) << 16u);
        gray[y * nw + x] = gs;
      }
    lw = nw;
    lh = nh;
    lrows = nrows;
    lrow0 = nrow0;
    write_rows(crop_first, lrow0, lrows, lw);
  }
}
