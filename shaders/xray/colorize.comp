#version 450
#extension GL_GOOGLE_include_directive : require
// xray.colorize: the industry pseudo-colour convention from the material class and the high
// channel's attenuation. Mirrors oi::xray::colorize_pixel() in
// plugins/stages/xray_gpu/colorize_cpu.hpp (the CPU reference): class colour mixed from white
// by s = a_high / saturation_attenuation, times brightness v = 1 - a_high / black_attenuation;
// empty white, impenetrable black; views grey out classes or stretch a_high.
//
// Linear dispatch, 16 consecutive pixels per invocation (PixelKernelSpec::pixels_per_invocation):
// a_high read as 4 vec4, the classes as one uvec4 (16 x u8), the 48 bytes of rgb written as 3
// uvec4. lavapipe runs every buffer access as a loop over its SIMD lanes, so fewer, wider
// accesses are what makes the kernel fast there. The last pixels of a plane whose pixel count
// is not a multiple of 16 go one at a time.
#include "oi/pixel.glsl"

OI_WORKGROUP_1D;

OI_PLANE_IN(0, float, a_high);
OI_PLANE_IN(1, uint8_t, mclass);
OI_PLANE_OUT(2, uint8_t, rgb);  // rgb8: 3 bytes per pixel, R G B
// The same buffers: 16 pixels are 4 elements of a_high4, 1 of mclass16 and 3 of rgb16.
OI_PLANE_IN(0, vec4, a_high4);
OI_PLANE_IN(1, uvec4, mclass16);
OI_PLANE_OUT(2, uvec4, rgb16);

// ColorizeParams after the size.
layout(push_constant) uniform Push {
  uvec2 size;
  uint view;  // 0 standard, 1 organic_only, 2 inorganic_only, 3 high_penetration
  float black_attenuation;
  float saturation_attenuation;
  float penetration_min;
  float penetration_max;
} push;

// The class colours; chosen with selects, not by indexing an array: lavapipe copies a constant
// array indexed at run time into per-invocation memory for every access.
const vec3 kOrganicColor = vec3(1.0, 0.55, 0.0);
const vec3 kInorganicColor = vec3(0.0, 0.78, 0.0);
const vec3 kMetalColor = vec3(0.1, 0.35, 1.0);
const vec3 kUnknownClassColor = vec3(1.0, 0.0, 1.0);

vec3 colorize(float a, uint cls) {
  if (cls == 4u) return vec3(0.0);
  if (push.view == 3u) {
    const float t = clamp((a - push.penetration_min) / (push.penetration_max - push.penetration_min), 0.0, 1.0);
    return vec3(1.0 - t);
  }
  if (cls == 0u) return vec3(1.0);
  vec3 c = cls == 1u ? kOrganicColor : cls == 2u ? kInorganicColor : cls == 3u ? kMetalColor : kUnknownClassColor;
  if ((push.view == 1u && (cls == 2u || cls == 3u)) || (push.view == 2u && cls == 1u)) c = vec3(0.6);
  const float s = clamp(a / push.saturation_attenuation, 0.0, 1.0);
  const float v = clamp(1.0 - a / push.black_attenuation, 0.0, 1.0);
  return v * (vec3(1.0) + s * (c - vec3(1.0)));
}

// The rounded 8-bit colour of one pixel.
uvec3 colorize_u8(float a, uint cls) { return uvec3(clamp(colorize(a, cls), 0.0, 1.0) * 255.0 + 0.5); }

// 4 pixels (a_high and the 4 class bytes of `classes`, first pixel in the low byte) as the 12
// bytes R G B R G B ... in 3 words.
uvec3 colorize4(vec4 a, uint classes) {
  const uvec3 q0 = colorize_u8(a.x, classes & 0xFFu), q1 = colorize_u8(a.y, (classes >> 8) & 0xFFu);
  const uvec3 q2 = colorize_u8(a.z, (classes >> 16) & 0xFFu), q3 = colorize_u8(a.w, classes >> 24);
  return uvec3(q0.r | (q0.g << 8) | (q0.b << 16) | (q1.r << 24), q1.g | (q1.b << 8) | (q2.r << 16) | (q2.g << 24),
               q2.b | (q3.r << 8) | (q3.g << 16) | (q3.b << 24));
}

void main() {
  const uint pixels = push.size.x * push.size.y;
  const uint first = oi_linear_id() * 16u;
  if (first + 16u > pixels) {
    for (uint i = first; i < pixels; ++i) {
      const uvec3 q = colorize_u8(a_high.px[i], uint(mclass.px[i]));
      rgb.px[3u * i] = uint8_t(q.r);
      rgb.px[3u * i + 1u] = uint8_t(q.g);
      rgb.px[3u * i + 2u] = uint8_t(q.b);
    }
    return;
  }
  const uint k = first / 16u;
  const uvec4 classes = mclass16.px[k];
  const uvec3 g0 = colorize4(a_high4.px[4u * k], classes.x), g1 = colorize4(a_high4.px[4u * k + 1u], classes.y);
  const uvec3 g2 = colorize4(a_high4.px[4u * k + 2u], classes.z), g3 = colorize4(a_high4.px[4u * k + 3u], classes.w);
  rgb16.px[3u * k] = uvec4(g0, g1.x);
  rgb16.px[3u * k + 1u] = uvec4(g1.yz, g2.xy);
  rgb16.px[3u * k + 2u] = uvec4(g2.z, g3);
}
