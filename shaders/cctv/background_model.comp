#version 450
#extension GL_GOOGLE_include_directive : require
// cctv.detect: one frame of the per-pixel background model of one camera (a mixture of
// Gaussians per pixel, Stauffer-Grimson / Zivkovic MOG2), one invocation per model pixel.
// The pixel (the image reduced to the processing size on the host: prepare_image()) is
// classified with the model as it was (background, shadow or foreground: the raw mask,
// 0 / 127 / 255), then the model learns it: foreground and shadow pixels inside the previous
// frame's person boxes (`persons`, from the detector) at alpha_person, every other pixel at
// alpha_background (the selective update that keeps a person who stops in the foreground
// while ghosts and other foreground that is no person are absorbed at the normal rate).
//
// CPU reference: update_rows() in plugins/stages/cctv_detect/background_model.cpp. Both do the
// same float operations in the same order; `precise` forbids fused multiply-adds, divisions
// are oi_reciprocal() (the same bits on both sides), and means that would become subnormal
// are flushed on both sides. The GPU test compares masks and model state bit for bit.
#include "oi/pixel.glsl"

OI_WORKGROUP_2D;

OI_PLANE_IN(0, uint, image);  // model size, 4 bytes a pixel: R, G, B, (unused)
// The model (ModelLayout in background_model.hpp): per pixel i and component k the uvec4 at
// i * mixtures + k: weight (float bits), variance (low 16 bits) | red mean (high), green
// (low) | blue (high) means, and in component 0 the number of components in use; in 16-bit
// fixed point (oi_quantize()). Components sorted by weight. Only the components in use are
// read and written: lavapipe loops over the SIMD lanes for every word loaded or stored.
layout(std430, set = 0, binding = 1) buffer Model { uvec4 c[]; } model;
OI_PLANE_IN(2, uint8_t, persons);  // model size: non-zero inside the last frame's person boxes
OI_PLANE_OUT(3, uint8_t, mask);    // model size: 0 background, 127 shadow, 255 foreground

layout(constant_id = 0) const int mixtures = 3;
layout(constant_id = 1) const float variance_threshold = 16.0; // Tb: background within this
layout(constant_id = 2) const float match_threshold = 9.0;     // Tg: a component matches within this
layout(constant_id = 3) const float background_ratio = 0.9;    // TB
layout(constant_id = 4) const float initial_variance = 15.0;
layout(constant_id = 5) const float min_variance = 4.0;
layout(constant_id = 6) const float max_variance = 75.0;
layout(constant_id = 7) const bool shadows = true;
layout(constant_id = 8) const float shadow_threshold = 0.5;  // tau

const float kFlushMean = 1e-6;  // background_model.cpp, kFlushMean

layout(push_constant) uniform Push {
  uvec2 size;          // model size
  uint reset;          // 1: the source's first frame; the model memory is undefined
  uint pad0;
  vec3 background;     // alpha, 1 - alpha, alpha * complexity reduction (prune) for most pixels
  float pad1;
  vec3 person;         // the same for shadow and foreground pixels in person boxes
  float pad2;
} push;

// 1 / x by three Newton steps from a bit-level first guess (oi::cctv::reciprocal()).
float oi_reciprocal(float x) {
  precise float r = uintBitsToFloat(0x7EF311C3u - floatBitsToUint(x));
  r = r * (2.0 - x * r);
  r = r * (2.0 - x * r);
  r = r * (2.0 - x * r);
  return r;
}

// A mean or variance in 16-bit fixed point, 1/256 (oi::cctv::quantize()); x >= 0.
uint oi_quantize(float x) {
  precise const float scaled = x * 256.0 + 0.5;
  return uint(min(scaled, 65535.0));
}
float oi_dequantize(uint q) { return float(q) * (1.0 / 256.0); }

// The mixture lives in named variables w0..w4 (weights), v0..v4 (variances) and m0..m4
// (means), not in arrays, and every "loop" over the components is a macro expanded for
// k = 0..4 and cut to `mixtures` by the specialization: a CPU device like lavapipe keeps
// arrays in memory, one trip per SIMD lane, which made this kernel several times slower.
// `used` and flags stand for the CPU reference's loop bounds and breaks.
#define EACH(M) M(0) M(1) M(2) M(3) M(4)

// Swaps components A and B when B exists and outweighs A (one step of a stable sort).
#define SORT_STEP(A, B)                      \
  if (B < mixtures && w##A < w##B) {         \
    const float tw = w##A;                   \
    w##A = w##B;                             \
    w##B = tw;                               \
    const float tv = v##A;                   \
    v##A = v##B;                             \
    v##B = tv;                               \
    const vec3 tm = m##A;                    \
    m##A = m##B;                             \
    m##B = tm;                               \
  }
// One backward bubble pass: a single component heavier than those before it moves up to its
// place; mixtures - 1 passes sort.
#define SORT_PASS SORT_STEP(3, 4) SORT_STEP(2, 3) SORT_STEP(1, 2) SORT_STEP(0, 1)

// Component k > 0, when in use (component 0 is read first: it says how many are).
#define LOAD(k)                                                                                  \
  if (k > 0 && k < mixtures && k < used) {                                                       \
    const uvec4 c = model.c[i * uint(mixtures) + uint(k)];                                       \
    w##k = uintBitsToFloat(c.x);                                                                 \
    v##k = oi_dequantize(c.y & 0xFFFFu);                                                         \
    m##k = vec3(oi_dequantize(c.y >> 16u), oi_dequantize(c.z & 0xFFFFu), oi_dequantize(c.z >> 16u)); \
  }

#define CLASSIFY(k)                                                                                   \
  if (k < mixtures && !found && k < used) {                                                           \
    precise const vec3 d = m##k - px;                                                                 \
    precise const float dist = (d.x * d.x + d.y * d.y) + d.z * d.z;                                   \
    if (!background && total < background_ratio && dist < variance_threshold * v##k) background = true; \
    if (dist < match_threshold * v##k) {                                                              \
      matched = k;                                                                                    \
      matched_dist = dist;                                                                            \
      found = true;                                                                                   \
    } else {                                                                                          \
      total = total + w##k;                                                                           \
    }                                                                                                 \
  }

#define SHADOW(k)                                                                             \
  if (k < mixtures && !stop && k < used) {                                                    \
    precise const float num = (px.x * m##k.x + px.y * m##k.y) + px.z * m##k.z;                \
    precise const float den = (m##k.x * m##k.x + m##k.y * m##k.y) + m##k.z * m##k.z;          \
    if (den == 0.0) {                                                                         \
      stop = true;                                                                            \
    } else {                                                                                  \
      if (num <= den && num >= shadow_threshold * den) {                                      \
        precise const float a = num * oi_reciprocal(den);                                     \
        precise const vec3 e = vec3(a * m##k.x, a * m##k.y, a * m##k.z) - px;                 \
        precise const float dist = (e.x * e.x + e.y * e.y) + e.z * e.z;                       \
        precise const float limit = ((variance_threshold * v##k) * a) * a;                    \
        if (dist < limit) {                                                                   \
          shadow = true;                                                                      \
          stop = true;                                                                        \
        }                                                                                     \
      }                                                                                       \
      if (!stop) {                                                                            \
        weight = weight + w##k;                                                               \
        if (weight > background_ratio) stop = true;                                           \
      }                                                                                       \
    }                                                                                         \
  }

#define UPDATE(k)                                                                                   \
  if (k < mixtures && k < used) {                                                                   \
    precise float wk = w##k * rate.y;                                                               \
    wk = wk - rate.z;                                                                               \
    if (matched == k) {                                                                             \
      wk = wk + rate.x;                                                                             \
      precise const float rho = rate.x * oi_reciprocal(wk);                                         \
      precise vec3 mk = vec3(m##k.x + rho * (px.x - m##k.x), m##k.y + rho * (px.y - m##k.y),        \
                             m##k.z + rho * (px.z - m##k.z));                                       \
      if (mk.x < kFlushMean) mk.x = 0.0;                                                            \
      if (mk.y < kFlushMean) mk.y = 0.0;                                                            \
      if (mk.z < kFlushMean) mk.z = 0.0;                                                            \
      m##k = mk;                                                                                    \
      precise const float vk = v##k + rho * (matched_dist - v##k);                                  \
      v##k = min(max(vk, min_variance), max_variance);                                              \
    }                                                                                               \
    if (wk < rate.z) wk = 0.0;                                                                      \
    w##k = wk;                                                                                      \
    weight_sum = weight_sum + wk;                                                                   \
  }

#define KEEP(k) \
  if (k < mixtures && kept == k && k < used && w##k > 0.0) kept = k + 1;

#define NORMALIZE(k) \
  if (k < mixtures && k < used) w##k = w##k * inv;

#define ADD_NEW(k)                                   \
  if (k < mixtures) {                                \
    if (used != 0 && k < slot) w##k = w##k * rate.y; \
    if (k == slot) {                                 \
      w##k = used == 0 ? 1.0 : rate.x;               \
      v##k = initial_variance;                       \
      m##k = px;                                     \
    }                                                \
  }

// Component k when in use (all of them after a reset, the unused as zeros).
#define STORE(k)                                                                                        \
  if (k < mixtures && (k < used || push.reset != 0u)) {                                                 \
    const bool in_use = k < used;                                                                       \
    model.c[i * uint(mixtures) + uint(k)] =                                                             \
        in_use ? uvec4(floatBitsToUint(w##k), oi_quantize(v##k) | oi_quantize(m##k.x) << 16u,           \
                       oi_quantize(m##k.y) | oi_quantize(m##k.z) << 16u, k == 0 ? uint(used) : 0u)      \
               : uvec4(0u, 0u, 0u, k == 0 ? uint(used) : 0u);                                           \
  }

void main() {
  uvec2 p;
  if (!oi_pixel(push.size, p)) return;
  const uint i = oi_index(p, push.size.x);

  const uint rgba = image.px[i];
  precise const vec3 px = vec3(float(rgba & 255u), float((rgba >> 8u) & 255u), float((rgba >> 16u) & 255u));

  precise float w0 = 0.0, w1 = 0.0, w2 = 0.0, w3 = 0.0, w4 = 0.0;
  precise float v0 = 0.0, v1 = 0.0, v2 = 0.0, v3 = 0.0, v4 = 0.0;
  precise vec3 m0 = vec3(0.0), m1 = vec3(0.0), m2 = vec3(0.0), m3 = vec3(0.0), m4 = vec3(0.0);
  int used = 0;
  if (push.reset == 0u) {
    const uvec4 c = model.c[i * uint(mixtures)];
    used = int(min(c.w, uint(mixtures)));
    w0 = uintBitsToFloat(c.x);
    v0 = oi_dequantize(c.y & 0xFFFFu);
    m0 = vec3(oi_dequantize(c.y >> 16u), oi_dequantize(c.z & 0xFFFFu), oi_dequantize(c.z >> 16u));
    if (used == 0) {
      w0 = 0.0;
      v0 = 0.0;
      m0 = vec3(0.0);
    }
  }
  EACH(LOAD)

  // Classification with the model as it was.
  bool background = false, found = false;
  int matched = -1;
  precise float matched_dist = 0.0;
  precise float total = 0.0;
  EACH(CLASSIFY)
  // Shadow: a scaled-down background colour (ratio in [tau, 1]) within the variance.
  bool shadow = false;
  if (!background && shadows) {
    bool stop = false;
    precise float weight = 0.0;
    EACH(SHADOW)
  }
  mask.px[i] = uint8_t(background ? 0u : shadow ? 127u : 255u);

  // Update: every component decays; the matched one gains alpha and moves towards the pixel;
  // components lighter than the prune limit are dropped. Foreground in a person's box learns
  // slowly: a person who stops is not absorbed at once.
  const bool person = uint(persons.px[i]) != 0u;
  const vec3 rate = background || !person ? push.background : push.person;  // alpha, 1 - alpha, prune
  precise float weight_sum = 0.0;
  EACH(UPDATE)
  // Heaviest first: a stable sort (the components past `used` weigh 0, so this orders exactly
  // as the CPU reference's insertion sort of the first `used`).
  if (1 < mixtures) { SORT_PASS }
  if (2 < mixtures) { SORT_PASS }
  if (3 < mixtures) { SORT_PASS }
  if (4 < mixtures) { SORT_PASS }
  int kept = 0;
  EACH(KEEP)
  used = kept;
  if (weight_sum > 0.0) {
    precise const float inv = oi_reciprocal(weight_sum);
    EACH(NORMALIZE)
  }
  // No match: a new component at the pixel (replacing the lightest when all are used), moved
  // up past the lighter ones (one backward pass: the others are in order).
  if (matched < 0) {
    const int slot = used == 0 ? 0 : used < mixtures ? used : mixtures - 1;
    EACH(ADD_NEW)
    used = max(used, slot + 1);
    SORT_PASS
  }

  EACH(STORE)
}
