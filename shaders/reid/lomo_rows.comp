#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed, LOMO on Vulkan, kernel 3 of 4: one invocation per crop and row of windows, for
// the joint HSV histogram or for SILTP of every radius (crops side by side: the invocations of
// a SIMD vector take the same path). It copies the rows of the level the
// windows (and SILTP's neighbours) cover into private memory, then counts window by window,
// sliding by one step (the columns that leave are taken out, those that enter are added, and
// only the bins they touch can raise the row's maxima), with counts held as bytes. It writes
// the row's maxima, 4 a word (a row padded to whole words), and the row's sum of
// log(count + 1)^2 for lomo_scales.comp.
// Every storage-buffer access costs a loop over the SIMD lanes on a CPU device (lavapipe),
// private memory does not: each invocation reads its rows once and writes its counts once.
// CPU reference: lomo_counts() (plugins/stages/reid/core/lomo.cpp): the same codes (SILTP's
// comparisons are correctly rounded float products on both sides), the same counts.
#include "oi/compute.glsl"

OI_WORKGROUP_2D;

// Per row of windows: (SILTP: 1, HSV: 0; first word of its level; level width; level height),
// (top row of its windows; windows in the row; its first count word in the HSV block or in
// the first SILTP block; its index among the rows of its block).
layout(std430, set = 0, binding = 0) readonly buffer Tasks { uvec4 v[]; } tasks;
layout(std430, set = 0, binding = 1) readonly buffer Codes { uint words[]; } codes;  // lomo_pyramid.comp's
layout(std430, set = 0, binding = 2) readonly buffer Grays { uint words[]; } grays;
layout(std430, set = 0, binding = 3) readonly buffer Table { float v[]; } table;    // log(k + 1)
layout(std430, set = 0, binding = 4) writeonly buffer Counts { uint words[]; } counts;
// Per crop, block and row: the row's sum of log(count + 1)^2.
layout(std430, set = 0, binding = 5) writeonly buffer RowSums { float v[]; } row_sums;

layout(constant_id = 0) const uint window = 10;
layout(constant_id = 1) const uint step = 5;
layout(constant_id = 2) const uint hsv_bins = 512;
layout(constant_id = 3) const float lower = 0.7;  // 1 - tau, rounded to float on the host
layout(constant_id = 4) const float upper = 1.3;  // 1 + tau
layout(constant_id = 5) const uint radii = 2;
layout(constant_id = 6) const uint radius1 = 3;
layout(constant_id = 7) const uint radius2 = 5;
layout(constant_id = 8) const uint radius3 = 0;
layout(constant_id = 9) const uint radius4 = 0;
layout(constant_id = 10) const uint max_radius = 5;
layout(constant_id = 11) const uint memory_words = 576;  // private memory of an invocation
layout(constant_id = 12) const uint table_size = 101;
layout(constant_id = 13) const uint level_words = 4032;  // per crop, lomo_pyramid.comp's
layout(constant_id = 14) const uint count_words = 6760;  // per crop
layout(constant_id = 15) const uint siltp_words = 840;   // of one SILTP block
layout(constant_id = 16) const uint rows = 40;           // rows of windows of a block
layout(constant_id = 17) const uint tasks_count = 80;

layout(push_constant) uniform Push {
  uint batch;
} push;

uint mem[memory_words];  // the level's rows, then per histogram: counts, maxima (bytes)
float tab[table_size];

uint radius, band_first_row, band_row_words, level_width, level_height, hist_at, best_at;

// The 16-bit value (HSV code or gray sum) of pixel (x, y) of the level, from the copied rows.
uint value_at(uint x, uint y) {
  return (mem[(y - band_first_row) * band_row_words + x / 2u] >> (16u * (x & 1u))) & 0xFFFFu;
}

uint digit(float neighbour, float lo, float hi) { return neighbour < lo ? 1u : (neighbour > hi ? 2u : 0u); }

// The code of pixel (x, y) of the level: its HSV code, or its SILTP code for `radius`.
uint code_at(uint x, uint y) {
  if (radius == 0u) return value_at(x, y);
  precise const float c = float(value_at(x, y));
  precise const float lo = lower * c;
  precise const float hi = upper * c;
  const float right = float(value_at(min(x + radius, level_width - 1u), y));
  const float up = float(value_at(x, uint(max(int(y) - int(radius), 0))));
  const float left = float(value_at(uint(max(int(x) - int(radius), 0)), y));
  const float down = float(value_at(x, min(y + radius, level_height - 1u)));
  return digit(right, lo, hi) + 3u * digit(up, lo, hi) + 9u * digit(left, lo, hi) + 27u * digit(down, lo, hi);
}

// Counts (bytes) of columns x0..x1-1 of the window rows from y0: add (`remove` false) or take
// out; after adding, raise the maxima of the bins touched.
void count_columns(uint x0, uint x1, uint y0, bool remove) {
  for (uint y = y0; y < y0 + window; ++y)
    for (uint x = x0; x < x1; ++x) {
      const uint c = code_at(x, y), shift = 8u * (c & 3u);
      if (remove) {
        mem[hist_at + c / 4u] -= 1u << shift;
      } else {
        mem[hist_at + c / 4u] += 1u << shift;
      }
    }
  if (remove) return;
  for (uint y = y0; y < y0 + window; ++y)
    for (uint x = x0; x < x1; ++x) {
      const uint c = code_at(x, y), shift = 8u * (c & 3u);
      const uint n = (mem[hist_at + c / 4u] >> shift) & 255u, best = (mem[best_at + c / 4u] >> shift) & 255u;
      if (n > best) mem[best_at + c / 4u] += (n - best) << shift;
    }
}

void main() {
  const uint crop = gl_GlobalInvocationID.x, task = gl_GlobalInvocationID.y;
  if (crop >= push.batch || task >= tasks_count) return;
  const uvec4 a = tasks.v[2u * task], b = tasks.v[2u * task + 1u];
  const bool siltp = a.x != 0u;
  level_width = a.z;
  level_height = a.w;
  const uint y0 = b.x, columns = b.y, out_word = b.z, row = b.w;
  band_row_words = (level_width + 1u) / 2u;
  // The rows the windows cover, and for SILTP their neighbours (clamped to the level).
  band_first_row = siltp ? uint(max(int(y0) - int(max_radius), 0)) : y0;
  const uint band_end = siltp ? min(y0 + window + max_radius, level_height) : y0 + window;
  const uint band_words = (band_end - band_first_row) * band_row_words;
  const uint source = crop * level_words + a.y + band_first_row * band_row_words;
  for (uint k = 0u; k < band_words; ++k) mem[k] = siltp ? grays.words[source + k] : codes.words[source + k];
  for (uint k = 0u; k < table_size; ++k) tab[k] = table.v[k];

  const uint bins = siltp ? 81u : hsv_bins, bin_words = (bins + 3u) / 4u;
  for (uint h = 0u; h < (siltp ? radii : 1u); ++h) {
    radius = !siltp ? 0u : (h == 0u ? radius1 : (h == 1u ? radius2 : (h == 2u ? radius3 : radius4)));
    hist_at = band_words;
    best_at = hist_at + bin_words;
    for (uint k = 0u; k < 2u * bin_words; ++k) mem[hist_at + k] = 0u;
    count_columns(0u, window, y0, false);
    for (uint c = 1u; c < columns; ++c) {
      const uint x0 = c * step, old_x0 = x0 - step, old_end = old_x0 + window;
      count_columns(old_x0, min(old_end, x0), y0, true);        // leaving
      count_columns(max(old_end, x0), x0 + window, y0, false);  // entering
    }
    float sum = 0.0;
    const uint out_first = crop * count_words + out_word + h * siltp_words;
    for (uint k = 0u; k < bin_words; ++k) {
      const uint packed = mem[best_at + k];
      counts.words[out_first + k] = packed;
      for (uint q = 0u; q < 4u; ++q) {
        const float t = tab[min((packed >> (8u * q)) & 255u, table_size - 1u)];
        sum += t * t;
      }
    }
    const uint block = siltp ? 1u + h : 0u;
    row_sums.v[(crop * (1u + radii) + block) * rows + row] = sum;
  }
}
