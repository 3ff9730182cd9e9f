#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed, LOMO on Vulkan, kernel 4 of 4: each block's L2 scale, 1 / sqrt(the sum of
// lomo_rows.comp's row sums), one invocation per crop and block (0 for a block of zeros).
// CPU reference: lomo_finish() (plugins/stages/reid/core/lomo.cpp), which sums in double.
#include "oi/compute.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer RowSums { float v[]; } row_sums;
layout(std430, set = 0, binding = 1) writeonly buffer Scales { float v[]; } scales;  // per crop and block

layout(constant_id = 0) const uint blocks = 3;
layout(constant_id = 1) const uint rows = 40;

layout(push_constant) uniform Push {
  uint batch;
} push;

void main() {
  const uint crop = gl_GlobalInvocationID.x, block = gl_GlobalInvocationID.y;
  if (crop >= push.batch || block >= blocks) return;
  float total = 0.0;
  for (uint r = 0u; r < rows; ++r) total += row_sums.v[(crop * blocks + block) * rows + r];
  scales.v[crop * blocks + block] = total > 0.0 ? 1.0 / sqrt(total) : 0.0;
}
