#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed: the learnt metric's projection of a batch of LOMO descriptors,
// (descriptor - mean) x projection, straight from lomo_rows.comp's packed counts and
// lomo_scales.comp's scales (descriptor value = log(count + 1) x the block's scale). One
// invocation per 8 embedding values and 16 crops: each projection value is read once for 16
// crops and each count word once for 8 values. On a CPU device (lavapipe) every storage-buffer
// access is a loop over the SIMD lanes and private arrays live in memory, so the 16 crops'
// accumulators are named variables (the C macros below), not arrays.
// The mean and the projection's rows are laid out as the count words are: per block and row
// of windows, the bins padded to a multiple of 4 (zeros).
// CPU reference: project_reid_model() in plugins/stages/reid/core/reid_model.cpp (in double,
// with a table of log(count + 1); GLSL's log() differs from it by a few ULP).
#include "oi/compute.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Counts { uint words[]; } counts;
layout(std430, set = 0, binding = 1) readonly buffer Scales { float v[]; } scales;
layout(std430, set = 0, binding = 2) readonly buffer Mean { vec4 v[]; } mean_values;       // padded rows / 4
// Padded rows x columns4 vec4s.
layout(std430, set = 0, binding = 3) readonly buffer Projection { vec4 v[]; } projection;
layout(std430, set = 0, binding = 4) writeonly buffer Projected { float v[]; } projected;  // batch x size

layout(constant_id = 0) const uint blocks = 3;
layout(constant_id = 1) const uint count_words = 6760;
layout(constant_id = 2) const uint hsv_words = 5120;
layout(constant_id = 3) const uint siltp_words = 840;
layout(constant_id = 4) const uint columns4 = 16;  // projection columns / 4, padded to a multiple of 2
layout(constant_id = 5) const uint size = 64;      // embedding values

layout(push_constant) uniform Push {
  uint batch;
} push;

#define EACH(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)

#define DECLARE(K)                                                   \
  const uint crop##K = min(crops0 + uint(K), push.batch - 1u);         \
  const uint first##K = crop##K * count_words;                      \
  vec4 a##K = vec4(0.0), b##K = vec4(0.0);                           \
  float scale##K = 0.0;                                              \
  uint packed##K = 0u;
#define SCALE(K) scale##K = scales.v[crop##K * blocks + block];
#define LOAD(K) packed##K = counts.words[first##K + w];
#define ACCUMULATE(K)                                                          \
  {                                                                            \
    const float v = log(float((packed##K >> shift) & 255u) + 1.0) * scale##K - m; \
    a##K += v * p0;                                                            \
    b##K += v * p1;                                                            \
  }
#define STORE(K)                                                               \
  if (crops0 + uint(K) < push.batch) {                                            \
    const uint out_first = (crops0 + uint(K)) * size + 8u * group;                \
    for (uint j = 0u; j < 4u; ++j) {                                           \
      if (8u * group + j < size) projected.v[out_first + j] = a##K[j];         \
      if (8u * group + 4u + j < size) projected.v[out_first + 4u + j] = b##K[j]; \
    }                                                                          \
  }

void main() {
  const uint group = gl_GlobalInvocationID.x, crops0 = gl_GlobalInvocationID.y * 16u;
  if (2u * group >= columns4 || crops0 >= push.batch) return;
  EACH(DECLARE)
  uint word = 0u;  // the block's first word, = its first padded row / 4
  for (uint block = 0u; block < blocks; ++block) {
    const uint words = block == 0u ? hsv_words : siltp_words;
    EACH(SCALE)
    for (uint w = word; w < word + words; ++w) {
      EACH(LOAD)
      const vec4 mean4 = mean_values.v[w];
      for (uint q = 0u; q < 4u; ++q) {
        const uint row = (4u * w + q) * columns4 + 2u * group, shift = 8u * q;
        const vec4 p0 = projection.v[row], p1 = projection.v[row + 1u];
        const float m = mean4[q];
        EACH(ACCUMULATE)
      }
    }
    word += words;
  }
  EACH(STORE)
}
