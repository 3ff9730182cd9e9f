#version 450
#extension GL_GOOGLE_include_directive : require
// reid.embed, LOMO on Vulkan, kernel 1 of 4 (only with the illumination normalisation): the
// white point of each crop's channels, the 99th percentile (the value below which all but
// n / 100 of its n pixels lie), from histograms in private memory; one invocation per crop.
// CPU reference: lomo_white_point() (plugins/stages/reid/core/lomo.cpp), the same integers.
#include "oi/compute.glsl"

OI_WORKGROUP_2D;

layout(std430, set = 0, binding = 0) readonly buffer Crops { uint words[]; } crops;  // RGB bytes
layout(std430, set = 0, binding = 1) writeonly buffer White { uint v[]; } white;      // per crop: R, G, B

layout(constant_id = 0) const uint pixels = 6144;      // of a crop
layout(constant_id = 1) const uint crop_words = 4608;  // words from one crop to the next

layout(push_constant) uniform Push {
  uint batch;
} push;

uint hist[768];  // 256 counts per channel

void main() {
  const uint crop = gl_GlobalInvocationID.x;
  if (crop >= push.batch || gl_GlobalInvocationID.y != 0u) return;
  for (uint i = 0u; i < 768u; ++i) hist[i] = 0u;
  uint word = 0u, channel = 0u;
  for (uint j = 0u; j < 3u * pixels; ++j) {
    if ((j & 3u) == 0u) word = crops.words[crop * crop_words + (j >> 2u)];
    hist[channel * 256u + ((word >> ((j & 3u) * 8u)) & 255u)] += 1u;
    channel = channel == 2u ? 0u : channel + 1u;
  }
  const uint needed = pixels - pixels / 100u;
  for (uint c = 0u; c < 3u; ++c) {
    uint cumulative = 0u, v = 0u;
    for (; v < 255u; ++v) {
      cumulative += hist[c * 256u + v];
      if (cumulative >= needed) break;
    }
    white.v[crop * 3u + c] = v;
  }
}
