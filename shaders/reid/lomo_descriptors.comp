#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed, LOMO on Vulkan, when the descriptors themselves are wanted (tests, training): one
// invocation per crop and block writes the block's values, log(count + 1) from the host's
// table times the block's scale (lomo_rows.comp's counts, rows padded to whole words, and
// lomo_scales.comp's scales).
// CPU reference: lomo_finish() (plugins/stages/reid/core/lomo.cpp), which normalises in
// double: the values differ by float rounding only.
#include "oi/compute.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Counts { uint words[]; } counts;
layout(std430, set = 0, binding = 1) readonly buffer Scales { float v[]; } scales;
layout(std430, set = 0, binding = 2) readonly buffer Table { float v[]; } table;
layout(std430, set = 0, binding = 3) writeonly buffer Descriptors { float v[]; } descriptors;

layout(constant_id = 0) const uint dimension = 26960;
layout(constant_id = 1) const uint blocks = 3;
layout(constant_id = 2) const uint hsv_size = 20480;
layout(constant_id = 3) const uint siltp_size = 3240;
layout(constant_id = 4) const uint count_words = 6740;
layout(constant_id = 5) const uint hsv_words = 5120;
layout(constant_id = 6) const uint siltp_words = 810;
layout(constant_id = 7) const uint table_size = 101;
layout(constant_id = 8) const uint hsv_bins = 512;

layout(push_constant) uniform Push {
  uint batch;
} push;

float tab[table_size];

void main() {
  const uint crop = gl_GlobalInvocationID.x, block = gl_GlobalInvocationID.y;
  if (crop >= push.batch || block >= blocks) return;
  for (uint k = 0u; k < table_size; ++k) tab[k] = table.v[k];
  const float scale = scales.v[crop * blocks + block];
  const uint first = block == 0u ? 0u : hsv_size + (block - 1u) * siltp_size;
  const uint size = block == 0u ? hsv_size : siltp_size;
  const uint words = crop * count_words + (block == 0u ? 0u : hsv_words + (block - 1u) * siltp_words);
  const uint bins = block == 0u ? hsv_bins : 81u, bin_words = (bins + 3u) / 4u;
  for (uint r = 0u; r < size / bins; ++r)
    for (uint w = 0u; w < bin_words; ++w) {
      const uint packed = counts.words[words + r * bin_words + w];
      for (uint q = 0u; q < 4u && 4u * w + q < bins; ++q)
        descriptors.v[crop * dimension + first + r * bins + 4u * w + q] =
            tab[min((packed >> (8u * q)) & 255u, table_size - 1u)] * scale;
    }
}
