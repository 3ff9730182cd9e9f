#version 450
#extension GL_GOOGLE_include_directive : require
// xray.colorize: the industry pseudo-colour convention from the material class and the high
// channel's attenuation. Mirrors oi::xray::colorize_pixel() in
// plugins/stages/xray_gpu/colorize_cpu.hpp (the CPU reference): class colour mixed from white
// by s = a_high / saturation_attenuation, times brightness v = 1 - a_high / black_attenuation;
// empty white, impenetrable black; views grey out classes or stretch a_high.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, float, a_high);
OI_PLANE_IN(1, uint8_t, mclass);
OI_PLANE_OUT(2, uint8_t, rgb);  // rgb8: 3 bytes per pixel, R G B

// ColorizeParams after the size.
layout(push_constant) uniform Push {
  uvec2 size;
  uint view;  // 0 standard, 1 organic_only, 2 inorganic_only, 3 high_penetration
  float black_attenuation;
  float saturation_attenuation;
  float penetration_min;
  float penetration_max;
} push;

const vec3 kClassColors[5] = vec3[5](vec3(1.0, 1.0, 1.0),    // empty
                                     vec3(1.0, 0.55, 0.0),   // organic
                                     vec3(0.0, 0.78, 0.0),   // inorganic / mixed
                                     vec3(0.1, 0.35, 1.0),   // metal
                                     vec3(0.0, 0.0, 0.0));   // impenetrable
const vec3 kUnknownClassColor = vec3(1.0, 0.0, 1.0);

vec3 colorize(float a, uint cls) {
  if (cls == 4u) return vec3(0.0);
  if (push.view == 3u) {
    const float t = clamp((a - push.penetration_min) / (push.penetration_max - push.penetration_min), 0.0, 1.0);
    return vec3(1.0 - t);
  }
  if (cls == 0u) return vec3(1.0);
  vec3 c = cls < 5u ? kClassColors[cls] : kUnknownClassColor;
  if ((push.view == 1u && (cls == 2u || cls == 3u)) || (push.view == 2u && cls == 1u)) c = vec3(0.6);
  const float s = clamp(a / push.saturation_attenuation, 0.0, 1.0);
  const float v = clamp(1.0 - a / push.black_attenuation, 0.0, 1.0);
  return v * (vec3(1.0) + s * (c - vec3(1.0)));
}

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);
  const uvec3 q = uvec3(clamp(colorize(a_high.px[i], uint(mclass.px[i])), 0.0, 1.0) * 255.0 + 0.5);
  rgb.px[3u * i] = uint8_t(q.r);
  rgb.px[3u * i + 1u] = uint8_t(q.g);
  rgb.px[3u * i + 2u] = uint8_t(q.b);
}
