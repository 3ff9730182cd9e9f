#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// xray.materials: per-pixel effective atomic number, material class and areal density from
// the corrected attenuations a_high and a_low and a calibration (docs/materials.md).
//
// 1. Noise: a (2r+1)^2 box mean of a_high and a_low (borders clamped) before the ratio: the
//    ratio of two noisy small numbers is biased and wide, the ratio of their means is not.
//    Summed separably: per line of the window the 2r+1 values left to right, then the 2r+1
//    line sums top to bottom (the CPU reference sums in the same order, so both round alike).
// 2. Empty below empty_attenuation; impenetrable beyond the calibrated noise floor of either
//    channel (areal density then a lower bound).
// 3. Each calibrated curve's R and mass attenuation at this A_high (grid uniform in sqrt(A));
//    curves out of Z order (lead's K edge) own the band halfway to their R neighbours; the
//    others give Z_eff linear in R between the two that bracket the pixel's R.
// CPU reference: plugins/stages/xray_materials/material_model.cpp (classify_pixel) and
// materials_cpu.cpp; keep the three in step.
//
// Work split (PixelKernelSpec::pixels_per_invocation = 4 * kLines): an invocation handles a
// strip 4 pixels wide and kLines lines tall, walking down it with the line sums of the
// 2r+1 window lines kept in registers, so each input line is read once per strip, not once
// per pixel of the window. Where the plane width is a multiple of 4 the strip's pixels are
// read and written as vec4 (and the 4 classes as one uint): lavapipe runs every buffer access
// as a loop over its SIMD lanes, so fewer, wider accesses are what makes the kernel fast there.
#include "oi/pixel.glsl"

OI_WORKGROUP_1D;

OI_PLANE_IN(0, float, a_high);
OI_PLANE_IN(1, float, a_low);
OI_PLANE_OUT(2, float, zeff);
OI_PLANE_OUT(3, uint8_t, mclass);
OI_PLANE_OUT(4, float, areal_density);
// The same buffers 4 pixels per element (planes whose width is a multiple of 4).
OI_PLANE_IN(0, vec4, a_high4);
OI_PLANE_IN(1, vec4, a_low4);
OI_PLANE_OUT(2, vec4, zeff4);
OI_PLANE_OUT(3, uint, mclass4);
OI_PLANE_OUT(4, vec4, areal_density4);

layout(push_constant) uniform Push {
  uvec2 size;  // plane size, written per frame by oi::gpu::PixelStage
} push;

const int kMaxCurves = 6;
const int kGridPoints = 32;
const int kMaxRadius = 4;
// Lines per strip; materials_stage.cpp sets pixels_per_invocation to 4 * kLines.
const uint kLines = 16u;

layout(constant_id = 0) const int curves = 2;
layout(constant_id = 1) const float grid_max = 1.0;
layout(constant_id = 2) const float a_high_max = 12.0;
layout(constant_id = 3) const float a_low_max = 12.0;
layout(constant_id = 4) const float empty_attenuation = 0.05;
layout(constant_id = 5) const float organic_max_z = 10.0;
layout(constant_id = 6) const float inorganic_max_z = 17.0;
layout(constant_id = 7) const int radius = 2;
// The calibration tables (oi::xray::MaterialTable: R and mass attenuation of up to 6 curves at
// 32 grid points each, Z_eff per curve), defined by the stage when it compiles the shader at
// start. They are #defines, not specialization constants, because glslang accepts no
// specialization-constant array as a const initializer. The defaults here only let the
// build check the GLSL (oi_add_shaders).
#ifndef OI_MATERIALS_RATIO
#define OI_ZEROS_6 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
#define OI_ZEROS_32 OI_ZEROS_6, OI_ZEROS_6, OI_ZEROS_6, OI_ZEROS_6, OI_ZEROS_6, 0.0, 0.0
#define OI_ZEROS_192 OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32, OI_ZEROS_32
#define OI_MATERIALS_RATIO float[kMaxCurves * kGridPoints](OI_ZEROS_192)
#define OI_MATERIALS_MASS_ATTENUATION float[kMaxCurves * kGridPoints](OI_ZEROS_192)
#define OI_MATERIALS_Z float[kMaxCurves](OI_ZEROS_6)
#endif
const float kRatio[kMaxCurves * kGridPoints] = OI_MATERIALS_RATIO;
const float kMassAttenuation[kMaxCurves * kGridPoints] = OI_MATERIALS_MASS_ATTENUATION;
const float kZ[kMaxCurves] = OI_MATERIALS_Z;

// The tables in workgroup memory, one vec4 (R at i, R at i + 1, mass attenuation at i, at
// i + 1) per curve and grid cell i, so that a pixel reads one element per curve. Indexing a
// constant array with a run-time index makes lavapipe's compiler expand every access into a
// tree of selects (seconds of compile time at the first dispatch); shared memory is indexed
// directly.
const int kCells = kGridPoints - 1;
shared vec4 cell_table[kMaxCurves * kCells];

const uint kEmpty = 0u, kOrganic = 1u, kInorganic = 2u, kMetal = 3u, kImpenetrable = 4u;

struct Material {
  float zeff;
  uint klass;
  float areal_density;
};

// classify_pixel() of material_model.cpp on the smoothed attenuations.
Material classify(float ah, float al) {
  if (ah < empty_attenuation) return Material(0.0, kEmpty, 0.0);
  const float u = sqrt(clamp(ah / grid_max, 0.0, 1.0)) * float(kGridPoints - 1);
  const int i0 = min(int(u), kGridPoints - 2);
  const float f = u - float(i0);
  vec4 cell[kMaxCurves];
  [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
    if (c < curves) cell[c] = cell_table[c * kCells + i0];
  }
  if (ah > a_high_max || al > a_low_max) {
    float k_max = 0.0;
    [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
      if (c < curves) k_max = max(k_max, cell[c].z + f * (cell[c].w - cell[c].z));
    }
    return Material(0.0, kImpenetrable, k_max > 0.0 ? ah / k_max : 0.0);
  }

  // The curves at this A_high.
  const float r = al / ah;
  float rc[kMaxCurves], kc[kMaxCurves];
  bool valid[kMaxCurves], main_sequence[kMaxCurves];
  [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
    valid[c] = c < curves && cell[c].x >= 0.0 && cell[c].y >= 0.0;
    rc[c] = c < curves ? cell[c].x + f * (cell[c].y - cell[c].x) : 0.0;
    kc[c] = c < curves ? cell[c].z + f * (cell[c].w - cell[c].z) : 0.0;
  }
  [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
    bool in_order = valid[c];
    [[unroll]] for (int d = 0; d < c; ++d) in_order = in_order && !(valid[d] && rc[d] >= rc[c]);
    main_sequence[c] = in_order;
  }
  // Loops with constant trip counts (fully unrolled, every array index constant); `found`
  // stands for the reference's early exits.
  float z = 0.0, k = 0.0;
  bool found = false;
  [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
    if (c >= curves || found || !valid[c] || main_sequence[c]) continue;
    float below = -1e30, above = 1e30;
    [[unroll]] for (int d = 0; d < kMaxCurves; ++d) {
      if (d == c || !valid[d]) continue;
      if (rc[d] < rc[c]) below = max(below, rc[d]);
      else above = min(above, rc[d]);
    }
    if (r >= 0.5 * (below + rc[c]) && r <= 0.5 * (rc[c] + above)) {
      z = kZ[c];
      k = kc[c];
      found = true;
    }
  }
  // Along the curves in Z order; the previous main-sequence curve's R, mass attenuation, Z.
  bool has_prev = false;
  float r_prev = 0.0, k_prev = 0.0, z_prev = 0.0;
  [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
    if (c >= curves || found || !main_sequence[c]) continue;
    if (r <= rc[c]) {
      if (!has_prev) {
        z = kZ[c];
        k = kc[c];
      } else {
        const float t = (r - r_prev) / (rc[c] - r_prev);
        z = z_prev + t * (kZ[c] - z_prev);
        k = k_prev + t * (kc[c] - k_prev);
      }
      found = true;
    }
    has_prev = true;
    r_prev = rc[c];
    k_prev = kc[c];
    z_prev = kZ[c];
  }
  if (!found && has_prev) {
    z = z_prev;
    k = k_prev;
  }
  const uint klass = z < organic_max_z ? kOrganic : z < inorganic_max_z ? kInorganic : kMetal;
  return Material(z, klass, k > 0.0 ? ah / k : 0.0);
}

// Line sums (sum over dx = -r..r, left to right, of the value at x + dx, columns clamped) of
// the 4 pixels x0 .. x0 + 3 of line y, both planes. `values` holds columns x0 - 4 .. x0 + 7.
vec4 line_sums(const float values[12]) {
  vec4 s = vec4(0.0);
  [[unroll]] for (int p = 0; p < 4; ++p) {
    [[unroll]] for (int dx = -kMaxRadius; dx <= kMaxRadius; ++dx) {
      if (dx >= -radius && dx <= radius) s[p] += values[4 + p + dx];
    }
  }
  return s;
}

void load_line_sums(uint y, uint x0, uint w, bool vectorised, out vec4 sum_high, out vec4 sum_low) {
  float vh[12], vl[12];
  if (vectorised) {
    // x0 and the width are multiples of 4: the 12 columns are 3 aligned vec4, and a border
    // repeats the first or last pixel of the line.
    const uint k = (y * w + x0) / 4u;
    const vec4 ch = a_high4.px[k], cl = a_low4.px[k];
    vec4 lh = vec4(ch.x), ll = vec4(cl.x), rh = vec4(ch.w), rl = vec4(cl.w);
    if (radius > 0 && x0 > 0u) {
      lh = a_high4.px[k - 1u];
      ll = a_low4.px[k - 1u];
    }
    if (radius > 0 && x0 + 4u < w) {
      rh = a_high4.px[k + 1u];
      rl = a_low4.px[k + 1u];
    }
    [[unroll]] for (int j = 0; j < 4; ++j) {
      vh[j] = lh[j];
      vh[4 + j] = ch[j];
      vh[8 + j] = rh[j];
      vl[j] = ll[j];
      vl[4 + j] = cl[j];
      vl[8 + j] = rl[j];
    }
  } else {
    const int row = int(y * w);
    [[unroll]] for (int j = 0; j < 12; ++j) {
      vh[j] = 0.0;
      vl[j] = 0.0;
      if (j >= 4 - radius && j < 8 + radius) {
        const uint i = uint(row + clamp(int(x0) - 4 + j, 0, int(w) - 1));
        vh[j] = a_high.px[i];
        vl[j] = a_low.px[i];
      }
    }
  }
  sum_high = line_sums(vh);
  sum_low = line_sums(vl);
}

// Strip x0 .. x0 + 3 (pixels past the width are computed but not written), lines y0 .. y0 +
// kLines - 1 (those below the plane skipped).
void strip(uint x0, uint y0, uint w, uint h) {
  const bool vectorised = (w & 3u) == 0u;
  const float n = float((2 * radius + 1) * (2 * radius + 1));
  // Line sums of window lines y - r .. y + r at index dy + r, for the current line y.
  vec4 window_high[2 * kMaxRadius + 1], window_low[2 * kMaxRadius + 1];
  [[unroll]] for (int j = 0; j < 2 * kMaxRadius; ++j) {
    if (j < 2 * radius) {
      const uint y = uint(clamp(int(y0) - radius + j, 0, int(h) - 1));
      load_line_sums(y, x0, w, vectorised, window_high[j], window_low[j]);
    }
  }
  for (uint line = 0u; line < kLines; ++line) {
    const uint y = y0 + line;
    if (y >= h) break;
    const uint newest = uint(min(int(y) + radius, int(h) - 1));
    load_line_sums(newest, x0, w, vectorised, window_high[2 * radius], window_low[2 * radius]);
    vec4 sum_high = vec4(0.0), sum_low = vec4(0.0);
    [[unroll]] for (int j = 0; j <= 2 * kMaxRadius; ++j) {
      if (j <= 2 * radius) {
        sum_high += window_high[j];
        sum_low += window_low[j];
      }
    }
    const vec4 ah = sum_high / n, al = sum_low / n;
    vec4 z, d;
    uvec4 klass;
    [[unroll]] for (int p = 0; p < 4; ++p) {
      const Material m = classify(ah[p], al[p]);
      z[p] = m.zeff;
      klass[p] = m.klass;
      d[p] = m.areal_density;
    }
    if (vectorised) {
      const uint k = (y * w + x0) / 4u;
      zeff4.px[k] = z;
      mclass4.px[k] = klass.x | (klass.y << 8) | (klass.z << 16) | (klass.w << 24);
      areal_density4.px[k] = d;
    }
    // Other widths pixel by pixel, in a loop the vectorised case never enters (see main()).
    for (uint p = vectorised ? 4u : 0u; p < 4u && x0 + p < w; ++p) {
      const uint i = y * w + x0 + p;
      zeff.px[i] = z[p];
      mclass.px[i] = uint8_t(klass[p]);
      areal_density.px[i] = d[p];
    }
    [[unroll]] for (int j = 0; j < 2 * kMaxRadius; ++j) {
      if (j < 2 * radius) {
        window_high[j] = window_high[j + 1];
        window_low[j] = window_low[j + 1];
      }
    }
  }
}

void main() {
  // One invocation fills the table (constant indices: folded into stores) for its group. A
  // loop of 0 or 1 trips rather than an `if`: lavapipe runs an `if` body (masked) for every
  // SIMD batch of invocations, but skips a loop that none of the batch enters.
  for (uint once = gl_LocalInvocationIndex == 0u ? 1u : 0u; once > 0u; --once) {
    [[unroll]] for (int c = 0; c < kMaxCurves; ++c) {
      if (c >= curves) continue;
      [[unroll]] for (int i = 0; i < kCells; ++i) {
        const int g = c * kGridPoints + i;
        cell_table[c * kCells + i] = vec4(kRatio[g], kRatio[g + 1], kMassAttenuation[g], kMassAttenuation[g + 1]);
      }
    }
  }
  barrier();
  const uint w = push.size.x, h = push.size.y;
  const uint strips_per_band = (w + 3u) / 4u;
  const uint strips = strips_per_band * ((h + kLines - 1u) / kLines);
  // The dispatch has about one invocation per strip; any strips beyond it go round again.
  const uint invocations = gl_NumWorkGroups.x * gl_NumWorkGroups.y * gl_WorkGroupSize.x;
  for (uint s = oi_linear_id(); s < strips; s += invocations)
    strip((s % strips_per_band) * 4u, (s / strips_per_band) * kLines, w, h);
}
