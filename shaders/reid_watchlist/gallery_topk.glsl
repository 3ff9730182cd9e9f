// reid.watchlist: the gallery's top-k search (plugins/stages/reid_watchlist/gallery_gpu.cpp),
// included by gallery_topk*.comp: gallery_topk.comp takes the row length and the queries a
// workgroup as specialization constants; the others fix them at build time for the common
// dimensions (a CPU device compiles fixed loops into better code).
//
// Workgroup (x, y) scores gallery slice x (`slice` consecutive slots) against queries
// y * kQueries .. y * kQueries + kQueries - 1 and writes, per query, the slice's best k
// (score, slot) pairs, best first; the host merges the slices' lists. Only those k pairs per
// query and slice leave the device, never the scores.
//
// Selection: per query the workgroup keeps its best k so far in shared memory, sorted, with
// the k-th as a threshold each invocation holds in registers. Each round, every invocation
// scores some slots and appends those that beat the threshold to a candidate list; after a
// barrier the candidates are merged into the kept list 64 at a time: each candidate's rank
// (the items that rank before it: higher score, or the same score and a lower id, a total
// order, so ranks are distinct and the result does not depend on timing) is its position in
// the kept list (binary search) plus its position among the group; the first k items by rank
// are kept. Candidates that no longer beat the threshold raised by an earlier group are
// dropped before ranking. Rounds double from one slot an invocation to kRound, so the first fills the kept
// lists and later ones, in a gallery in no particular order, bring about k candidates each.
//
// Rows are read 32 bytes a load (four 64-bit words of four halves each): a CPU device
// (lavapipe) loads storage buffers one invocation and one component at a time, so fewer,
// wider components are what makes it fast there.
//
// CPU reference: GallerySearch::search() (gallery_search.cpp), which sums the same four-half
// dot products in the same order.
#extension GL_EXT_control_flow_attributes : require
#extension GL_ARB_gpu_shader_int64 : require

layout(local_size_x = 64, local_size_y = 1, local_size_z = 1) in;

#ifdef OI_GALLERY_QUADS
const uint kQuads = OI_GALLERY_QUADS;      // stored halves per row / 4, a multiple of 4
const uint kQueries = OI_GALLERY_QUERIES;  // queries per workgroup
const uint kRound = OI_GALLERY_ROUND;      // the most slots per invocation between merges
#else
layout(constant_id = 0) const uint kQuads = 16;
layout(constant_id = 1) const uint kQueries = 1;
layout(constant_id = 2) const uint kRound = 4;
#endif

const uint kLanes = 64;
const uint kMaxK = 64;
const uint kCap = kLanes * kRound;  // candidates a round can produce per query

// Rows of 4 * kQuads halves (zero padded to a multiple of 16), 16 halves an element.
layout(std430, set = 0, binding = 0) readonly buffer Gallery { u64vec4 rows[]; } gallery;
// The entry id of each slot: (low word, high word).
layout(std430, set = 0, binding = 1) readonly buffer Ids { uvec2 ids[]; } entry;
// Normalised queries, kQuads vec4 each (zero padded).
layout(std430, set = 0, binding = 2) readonly buffer Queries { vec4 values[]; } query;
// Per query and slice, k pairs (score bits, slot); a missing one is (0, 0xffffffff).
layout(std430, set = 0, binding = 3) writeonly buffer Candidates { uvec2 pairs[]; } result;

layout(push_constant) uniform Push {
  uint count;        // entries in the gallery
  uint slice;        // slots per workgroup
  uint slices;       // workgroups along x
  uint query_count;  // queries in the batch
  uint k;            // 1 .. kMaxK
  float min_score;   // lower bound on a listed score (-inf: none)
} push;

shared float top_score[kQueries * kMaxK];
shared uint top_slot[kQueries * kMaxK];
shared uvec2 top_id[kQueries * kMaxK];
shared uint top_count[kQueries];
shared float cand_score[kQueries * kCap];
shared uint cand_slot[kQueries * kCap];
shared uint cand_count[2 * kQueries];  // by round parity (see main())
shared float group_score[kLanes];      // the candidates being merged (up to 64)
shared uvec2 group_id[kLanes];
shared uint group_count;
shared float new_score[kMaxK];
shared uint new_slot[kMaxK];
shared uvec2 new_id[kMaxK];

// Ids compare as 64-bit numbers: high word first.
bool id_less(uvec2 a, uvec2 b) { return a.y < b.y || (a.y == b.y && a.x < b.x); }

// True when (score a, id a) ranks before (score b, id b).
bool before(float a, uvec2 id_a, float b, uvec2 id_b) { return a > b || (a == b && id_less(id_a, id_b)); }

// Merges query j's `c` candidates into its kept list; returns the new kept count.
uint merge(uint j, uint c, uint lane) {
  uint t = top_count[j];
  for (uint group = 0; group < c; group += kLanes) {
    // Stage this lane's candidate unless it no longer beats the k-th kept; the staged ones are
    // packed at the front of group_* (the loops below run over them only).
    if (lane == 0u) group_count = 0u;
    barrier();
    const uint ci = group + lane;
    bool valid = ci < c;
    float score = 0.0;
    uint slot = 0u;
    uvec2 id = uvec2(0u);
    if (valid) {
      score = cand_score[j * kCap + ci];
      slot = cand_slot[j * kCap + ci];
      id = entry.ids[slot];
      if (t == push.k) valid = before(score, id, top_score[j * kMaxK + t - 1u], top_id[j * kMaxK + t - 1u]);
    }
    if (valid) {
      const uint at = atomicAdd(group_count, 1u);
      group_score[at] = score;
      group_id[at] = id;
    }
    barrier();
    const uint staged = group_count;
    // Ranks: a candidate's among the kept (binary search: the list is sorted) plus among the
    // staged; a kept item's is its index plus the staged candidates before it.
    if (valid) {
      uint low = 0u, high = t;
      while (low < high) {
        const uint mid = (low + high) / 2u;
        if (before(top_score[j * kMaxK + mid], top_id[j * kMaxK + mid], score, id)) {
          low = mid + 1u;
        } else {
          high = mid;
        }
      }
      uint rank = low;
      for (uint i = 0; i < staged; ++i)
        if (before(group_score[i], group_id[i], score, id)) ++rank;
      if (rank < push.k) {
        new_score[rank] = score;
        new_slot[rank] = slot;
        new_id[rank] = id;
      }
    }
    for (uint item = lane; item < t; item += kLanes) {
      const float s = top_score[j * kMaxK + item];
      const uvec2 item_id = top_id[j * kMaxK + item];
      uint rank = item;
      for (uint i = 0; i < staged; ++i)
        if (before(group_score[i], group_id[i], s, item_id)) ++rank;
      if (rank < push.k) {
        new_score[rank] = s;
        new_slot[rank] = top_slot[j * kMaxK + item];
        new_id[rank] = item_id;
      }
    }
    barrier();
    t = min(t + staged, push.k);
    for (uint i = lane; i < t; i += kLanes) {
      top_score[j * kMaxK + i] = new_score[i];
      top_slot[j * kMaxK + i] = new_slot[i];
      top_id[j * kMaxK + i] = new_id[i];
    }
    barrier();
  }
  return t;
}

void main() {
  const uint lane = gl_LocalInvocationID.x;
  const uint slice_index = gl_WorkGroupID.x;
  const uint first_query = gl_WorkGroupID.y * kQueries;
  const uint begin = slice_index * push.slice;
  const uint end = min(begin + push.slice, push.count);

  // The tile's queries in registers (a tile past the batch repeats the last query; its
  // results are not written).
  vec4 q[kQueries * kQuads];
  [[unroll]] for (uint j = 0; j < kQueries; ++j) {
    const uint index = min(first_query + j, push.query_count - 1u);
    [[unroll]] for (uint w = 0; w < kQuads; ++w) q[j * kQuads + w] = query.values[index * kQuads + w];
  }
  // Per query the k-th kept (score, id): the threshold a slot must beat; -infinity until k
  // are kept (every score is finite).
  float threshold[kQueries];
  uvec2 threshold_id[kQueries];
  [[unroll]] for (uint j = 0; j < kQueries; ++j) {
    threshold[j] = uintBitsToFloat(0xff800000u);
    threshold_id[j] = uvec2(0xffffffffu);
  }
  if (lane < kQueries) {
    top_count[lane] = 0u;
    cand_count[lane] = 0u;
    cand_count[kQueries + lane] = 0u;
  }
  barrier();

  // Rounds alternate between two candidate counters: an invocation may start appending in the
  // next round while another still reads this round's count (which then stays 0, or was
  // reset by a merge, behind barriers).
  uint parity = 0u;
  uint per_lane = 1u;
  for (uint base = begin; base < end; base += kLanes * per_lane, per_lane = min(2u * per_lane, kRound), parity ^= 1u) {
    const uint counter = parity * kQueries;
    for (uint r = 0; r < per_lane; ++r) {
      const uint slot = base + r * kLanes + lane;
      if (slot < end) {
        float s[kQueries];
        [[unroll]] for (uint j = 0; j < kQueries; ++j) s[j] = 0.0;
        [[unroll]] for (uint w = 0; w < kQuads; w += 4) {
          const u64vec4 h = gallery.rows[(slot * kQuads + w) / 4u];
          [[unroll]] for (uint c = 0; c < 4; ++c) {
            const uvec2 words = unpackUint2x32(h[c]);
            const vec4 g = vec4(unpackHalf2x16(words.x), unpackHalf2x16(words.y));
            [[unroll]] for (uint j = 0; j < kQueries; ++j) s[j] += dot(g, q[j * kQuads + w + c]);
          }
        }
        [[unroll]] for (uint j = 0; j < kQueries; ++j) {
          // Beats the threshold (the id is read only on an equal score).
          const bool passes = s[j] >= push.min_score &&
                              (s[j] > threshold[j] || (s[j] == threshold[j] && id_less(entry.ids[slot], threshold_id[j])));
          if (passes) {
            const uint c = atomicAdd(cand_count[counter + j], 1u);
            cand_score[j * kCap + c] = s[j];
            cand_slot[j * kCap + c] = slot;
          }
        }
      }
    }
    barrier();
    for (uint j = 0; j < kQueries; ++j) {
      const uint c = cand_count[counter + j];
      if (c == 0u) continue;  // the same in every invocation
      const uint kept = merge(j, c, lane);
      if (lane == 0u) {
        top_count[j] = kept;
        cand_count[counter + j] = 0u;
      }
      if (kept == push.k) {
        threshold[j] = top_score[j * kMaxK + kept - 1u];
        threshold_id[j] = top_id[j * kMaxK + kept - 1u];
      }
      barrier();
    }
  }

  [[unroll]] for (uint j = 0; j < kQueries; ++j) {
    if (first_query + j >= push.query_count) break;
    const uint t = top_count[j];
    const uint first_pair = ((first_query + j) * push.slices + slice_index) * push.k;
    for (uint i = lane; i < push.k; i += kLanes)
      result.pairs[first_pair + i] =
          i < t ? uvec2(floatBitsToUint(top_score[j * kMaxK + i]), top_slot[j * kMaxK + i]) : uvec2(0u, 0xffffffffu);
  }
}
