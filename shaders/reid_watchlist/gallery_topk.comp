#version 450
#extension GL_GOOGLE_include_directive : require
// The gallery search with the row length and the queries a workgroup as specialization
// constants (gallery_topk.glsl).
#include "gallery_topk.glsl"
