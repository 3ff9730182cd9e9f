#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed: the embeddings L2 normalised, one invocation per crop (a zero vector stays
// zero). CPU reference: apply_reid_model() in plugins/stages/reid/core/reid_model.cpp.
#include "oi/compute.glsl"

OI_WORKGROUP_1D;

layout(std430, set = 0, binding = 0) readonly buffer Projected { float v[]; } projected;  // batch x size
layout(std430, set = 0, binding = 1) writeonly buffer Embeddings { float v[]; } embeddings;

layout(constant_id = 0) const uint size = 64;  // embedding values

layout(push_constant) uniform Push {
  uint batch;
} push;

void main() {
  const uint crop = oi_linear_id();
  if (crop >= push.batch) return;
  const uint first = crop * size;
  float sum = 0.0;
  for (uint j = 0u; j < size; ++j) sum += projected.v[first + j] * projected.v[first + j];
  const float scale = sum > 0.0 ? 1.0 / sqrt(sum) : 0.0;
  for (uint j = 0u; j < size; ++j) embeddings.v[first + j] = projected.v[first + j] * scale;
}
