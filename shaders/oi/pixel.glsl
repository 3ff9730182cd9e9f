// Pixel access for OpenInspect planes bound as storage buffers. Include with
//   #include "oi/pixel.glsl"
// Planes are tightly packed rows (oi::gpu::make_gpu_plane), so pixel (x, y) of a plane
// `width` pixels wide is element y * width + x. u16 and u8 planes use 16/8-bit storage
// (enabled by the runtime where the device supports it; see DeviceInfo::storage_16bit).
// Without GL_EXT_shader_explicit_arithmetic_types, 16/8-bit values only convert to and from
// 32-bit ones: write float(uint(plane.px[i])) and uint16_t(value).
#ifndef OI_PIXEL_GLSL
#define OI_PIXEL_GLSL

#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_8bit_storage : require

#include "oi/compute.glsl"

// Declares storage buffer `NAME` at `BINDING` holding a plane of element type `TYPE`:
//   OI_PLANE_IN(0, uint16_t, high);   OI_PLANE_OUT(1, float, attenuation);
// and gives read access as NAME.px[i].
#define OI_PLANE_IN(BINDING, TYPE, NAME) \
  layout(std430, set = 0, binding = BINDING) readonly buffer NAME##_plane { TYPE px[]; } NAME
#define OI_PLANE_OUT(BINDING, TYPE, NAME) \
  layout(std430, set = 0, binding = BINDING) writeonly buffer NAME##_plane { TYPE px[]; } NAME
#define OI_PLANE_INOUT(BINDING, TYPE, NAME) \
  layout(std430, set = 0, binding = BINDING) buffer NAME##_plane { TYPE px[]; } NAME

// Element index of pixel `p` in a tightly packed plane `width` pixels wide.
uint oi_index(uvec2 p, uint width) { return p.y * width + p.x; }

#endif  // OI_PIXEL_GLSL
