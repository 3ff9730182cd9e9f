#version 450
#extension GL_GOOGLE_include_directive : require
// xray.detect, pass 1 of the box statistics: the horizontal sums over 2r+1 pixels (borders
// replicated) of a_high, a_high^2 and zeff. detect_maps.comp adds 2r+1 of these rows.
// The sums run from x - r to x + r starting from 0, the order of the CPU reference
// (compute_maps() in plugins/stages/xray_detect/threat_detector.cpp), and `precise` forbids
// fusing a*a into an fma, so both give the same f32 bits and the thresholds downstream decide
// alike.
// `quads` (planes whose width is a multiple of 4): one invocation per 4 pixels of a row,
// read and written as vec4 (lavapipe runs each buffer access as a loop over its SIMD lanes,
// so 4 pixels an access is several times faster); otherwise one invocation per pixel.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, float, a_high);
OI_PLANE_IN(1, float, zeff);
OI_PLANE_OUT(2, float, sum_a);
OI_PLANE_OUT(3, float, sum_a2);
OI_PLANE_OUT(4, float, sum_zeff);
// The same buffers 4 pixels at a time (quads).
OI_PLANE_IN(0, vec4, a_high4);
OI_PLANE_IN(1, vec4, zeff4);
OI_PLANE_OUT(2, vec4, sum_a4);
OI_PLANE_OUT(3, vec4, sum_a24);
OI_PLANE_OUT(4, vec4, sum_zeff4);

layout(constant_id = 0) const int radius = 2;
layout(constant_id = 1) const bool quads = false;

layout(push_constant) uniform Push {
  uvec2 size;  // plane size in pixels
} push;

const int kSide = (radius + 3) / 4;        // quads needed on each side
const int kWindow = 4 * (2 * kSide + 1);   // pixels of the loaded quads

void sum_quad(uvec2 p) {
  const int quads_per_row = int(push.size.x) / 4, q = int(p.x);
  const uint row = p.y * uint(quads_per_row);
  float a[kWindow], z[kWindow];
  for (int j = 0; j <= 2 * kSide; ++j) {
    // Replicated borders: a quad left of the row repeats its first pixel, right of it its last.
    const int qq = q - kSide + j;
    vec4 va, vz;
    if (qq < 0) {
      va = vec4(a_high4.px[row].x);
      vz = vec4(zeff4.px[row].x);
    } else if (qq >= quads_per_row) {
      va = vec4(a_high4.px[row + uint(quads_per_row - 1)].w);
      vz = vec4(zeff4.px[row + uint(quads_per_row - 1)].w);
    } else {
      va = a_high4.px[row + uint(qq)];
      vz = zeff4.px[row + uint(qq)];
    }
    for (int c = 0; c < 4; ++c) {
      a[4 * j + c] = va[c];
      z[4 * j + c] = vz[c];
    }
  }
  precise vec4 s = vec4(0.0), s2 = vec4(0.0), sz = vec4(0.0);
  for (int c = 0; c < 4; ++c) {
    for (int dx = -radius; dx <= radius; ++dx) {
      const int i = 4 * kSide + c + dx;
      s[c] += a[i];
      s2[c] += a[i] * a[i];
      sz[c] += z[i];
    }
  }
  const uint i = row + p.x;
  sum_a4.px[i] = s;
  sum_a24.px[i] = s2;
  sum_zeff4.px[i] = sz;
}

void main() {
  uvec2 p;
  if (quads) {
    if (!oi_pixel(uvec2(push.size.x / 4u, push.size.y), p)) return;
    sum_quad(p);
    return;
  }
  if (!oi_pixel(push.size, p)) return;
  const int w = int(push.size.x), x = int(p.x);
  const uint row = p.y * push.size.x;
  precise float s = 0.0, s2 = 0.0, sz = 0.0;
  for (int dx = -radius; dx <= radius; ++dx) {
    const uint i = row + uint(clamp(x + dx, 0, w - 1));
    const float a = a_high.px[i];
    s += a;
    s2 += a * a;
    sz += zeff.px[i];
  }
  const uint i = row + p.x;
  sum_a.px[i] = s;
  sum_a2.px[i] = s2;
  sum_zeff.px[i] = sz;
}
