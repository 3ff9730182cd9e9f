#version 450
// xray.detect, object-own material: the red-black Gauss-Seidel sweeps with over-relaxation of
// the harmonic in-painting of every candidate's background, all the candidates of a scan in
// one dispatch. One workgroup per grid and channel: the grid (at most 48 x 48 cells) lives in
// shared memory for all the sweeps; each colour's cells are updated in parallel (they only
// read the other colour), with a barrier between colours.
// Layout: `values` holds one row of kCells floats per grid and channel (row 2g: a_high of
// grid g, row 2g + 1: a_low), the grid's cells row-major from the row's start; `unknown` one
// row of kCells bytes per grid (1: unknown, in-painted; 0: known, never changed); `dims` the
// grid's rows and columns as two floats per grid.
// CPU reference: inpaint_sweeps() in plugins/stages/xray_detect/object_material.cpp, which
// sums the neighbours in the same order (left, right, up, down); keep the two in step.
#extension GL_GOOGLE_include_directive : require
#include "oi/pixel.glsl"

layout(local_size_x = 256) in;

layout(constant_id = 0) const int sweeps = 40;
layout(constant_id = 1) const float omega = 1.8;

const uint kCells = 48u * 48u;  // oi::xray::kInpaintSide squared

OI_PLANE_INOUT(0, float, values);
OI_PLANE_IN(1, uint8_t, unknown);
OI_PLANE_IN(2, float, dims);

layout(push_constant) uniform Push {
  uint grids;  // number of grids
} push;

shared float cell[kCells];
shared uint flag[kCells];

void main() {
  const uint group = gl_WorkGroupID.x;
  const uint grid = group / 2u;
  if (grid >= push.grids) return;  // uniform across the workgroup
  const int rows = int(dims.px[2u * grid]);
  const int cols = int(dims.px[2u * grid + 1u]);
  const uint n = uint(rows * cols);
  const uint base = group * kCells;  // this channel's row of `values`
  const uint mask_base = grid * kCells;
  for (uint i = gl_LocalInvocationID.x; i < n; i += gl_WorkGroupSize.x) {
    cell[i] = values.px[base + i];
    flag[i] = uint(unknown.px[mask_base + i]);
  }
  barrier();
  for (int s = 0; s < sweeps; ++s) {
    for (int colour = 0; colour < 2; ++colour) {
      for (uint i = gl_LocalInvocationID.x; i < n; i += gl_WorkGroupSize.x) {
        const int y = int(i) / cols, x = int(i) - y * cols;
        if (((x + y + colour) & 1) != 0 || flag[i] == 0u) continue;
        precise float sum = 0.0;
        int count = 0;
        if (x > 0) { sum += cell[i - 1u]; ++count; }
        if (x + 1 < cols) { sum += cell[i + 1u]; ++count; }
        if (y > 0) { sum += cell[i - uint(cols)]; ++count; }
        if (y + 1 < rows) { sum += cell[i + uint(cols)]; ++count; }
        precise const float mean = sum / float(count);
        precise const float updated = cell[i] + omega * (mean - cell[i]);
        cell[i] = updated;
      }
      barrier();
    }
  }
  for (uint i = gl_LocalInvocationID.x; i < n; i += gl_WorkGroupSize.x) values.px[base + i] = cell[i];
}
