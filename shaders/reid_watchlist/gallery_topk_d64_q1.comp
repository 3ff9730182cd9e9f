#version 450
#extension GL_GOOGLE_include_directive : require
// The gallery search for 64-component rows, 1 query a workgroup (gallery_topk.glsl).
#define OI_GALLERY_QUADS 16u
#define OI_GALLERY_QUERIES 1u
#define OI_GALLERY_ROUND 16u
#include "gallery_topk.glsl"
