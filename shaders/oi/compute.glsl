// Runtime conventions for OpenInspect compute shaders. Include with
//   #include "oi/compute.glsl"
// Requires GL_GOOGLE_include_directive, which the runtime and the build enable.
#ifndef OI_COMPUTE_GLSL
#define OI_COMPUTE_GLSL

// Workgroup size chosen by the runtime from the device limits (KernelDesc::workgroup,
// clamped): specialization constants 233..235, the ids ncnn uses too.
#define OI_WORKGROUP_2D \
  layout(local_size_x_id = 233, local_size_y_id = 234, local_size_z = 1) in
#define OI_WORKGROUP_1D layout(local_size_x_id = 233, local_size_y = 1, local_size_z = 1) in

// This invocation's pixel; false when it falls outside a width x height grid (the last
// workgroups of a row or column are partly outside).
bool oi_pixel(uvec2 size, out uvec2 pixel) {
  pixel = gl_GlobalInvocationID.xy;
  return pixel.x < size.x && pixel.y < size.y;
}

// This invocation's index in a linear (OI_WORKGROUP_1D) dispatch of a pixel stage with
// PixelKernelSpec::pixels_per_invocation: the runtime folds a dispatch longer than
// maxComputeWorkGroupCount[0] workgroups into rows of workgroups, so use this rather than
// gl_GlobalInvocationID.x. Invocations past the end are the shader's to skip.
uint oi_linear_id() {
  return gl_GlobalInvocationID.y * (gl_NumWorkGroups.x * gl_WorkGroupSize.x) + gl_GlobalInvocationID.x;
}

#endif  // OI_COMPUTE_GLSL
