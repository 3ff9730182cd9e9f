#version 450
#extension GL_GOOGLE_include_directive : require
// The gallery search for 128-component rows, 4 queries a workgroup (gallery_topk.glsl).
#define OI_GALLERY_QUADS 32u
#define OI_GALLERY_QUERIES 4u
#define OI_GALLERY_ROUND 4u
#include "gallery_topk.glsl"
