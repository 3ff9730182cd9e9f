// The associator on synthetic tracklets: scripted appearances of persons in the cameras of a
// four-camera site, played on one 10 Hz site clock (every camera gets a frame every 0.1 s,
// with the tracks present at that time), each with its own appearance embedding.
#include "associator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace oi::cctv::reid {
namespace {

constexpr std::int64_t kEpochNs = 1'717'228'800'000'000'000;

// cameras gate -> corridor -> baggage -> exit, one-way, plus re-entry within 30 s.
SiteMap test_site() {
  return parse_site_map(
      "cameras: [gate, corridor, baggage, exit]\n"
      "reentry: { min_s: 0, max_s: 30 }\n"
      "links:\n"
      "  - { from: gate, to: corridor, min_s: 2, max_s: 10 }\n"
      "  - { from: corridor, to: baggage, min_s: 3, max_s: 20 }\n"
      "  - { from: baggage, to: exit, min_s: 1, max_s: 15 }\n",
      "test");
}

// A unit vector in the plane of the first two axes at `degrees`, in 8 dimensions.
std::vector<float> at_angle(double degrees) {
  std::vector<float> v(8, 0.0f);
  v[0] = static_cast<float>(std::cos(degrees * M_PI / 180.0));
  v[1] = static_cast<float>(std::sin(degrees * M_PI / 180.0));
  return v;
}

// The unit vector along axis `k` (distinct persons: cosine distance 1).
std::vector<float> axis(int k) {
  std::vector<float> v(8, 0.0f);
  v[static_cast<std::size_t>(k)] = 1.0f;
  return v;
}

struct Appearance {
  std::string camera;
  std::int64_t track_id = 0;
  double start_s = 0, end_s = 0;  // both included
  std::vector<float> embedding;
};

// Plays `script` from 0 to `until_s` (default: the last end + 1 s); returns each
// appearance's global identity on its last frame, and checks none is -1 by then.
struct Played {
  std::vector<std::int64_t> identity;                                                 // per appearance
  std::map<std::pair<std::string, std::int64_t>, std::vector<std::int64_t>> history;  // per frame
};

Played play(Associator& a, const std::vector<Appearance>& script, double until_s = -1, double from_s = 0) {
  const std::vector<std::string> cameras = {"gate", "corridor", "baggage", "exit"};
  if (until_s < 0) {
    for (const Appearance& p : script) until_s = std::max(until_s, p.end_s + 1.0);
  }
  Played out;
  out.identity.assign(script.size(), -1);
  const int steps = static_cast<int>(std::lround(until_s * 10));
  for (int step = static_cast<int>(std::lround(from_s * 10)); step <= steps; ++step) {
    const double t = step / 10.0;
    for (const std::string& camera : cameras) {
      std::vector<Track> tracks;
      std::vector<std::size_t> which;
      for (std::size_t i = 0; i < script.size(); ++i) {
        const Appearance& p = script[i];
        if (p.camera != camera || t < p.start_s - 1e-9 || t > p.end_s + 1e-9) continue;
        Track track;
        track.id = p.track_id;
        track.box = {100.0 * static_cast<double>(i), 50, 40, 100};
        track.embedding = p.embedding;
        tracks.push_back(track);
        which.push_back(i);
      }
      a.update(camera, kEpochNs + static_cast<std::int64_t>(step) * 100'000'000, tracks);
      for (std::size_t k = 0; k < tracks.size(); ++k) {
        out.identity[which[k]] = tracks[k].global_identity;
        out.history[{camera, tracks[k].id}].push_back(tracks[k].global_identity);
      }
    }
  }
  return out;
}

AssociatorParams test_params() {
  AssociatorParams p;
  p.min_observations = 5;
  p.max_distance = 0.3;
  return p;
}

TEST(ReidAssociate, GateToCorridorWithinTheWindowJoins) {
  Associator a(test_params(), test_site());
  const Played r = play(a, {{"gate", 1, 0, 5, axis(0)}, {"corridor", 1, 9, 14, at_angle(10)}});
  EXPECT_GE(r.identity[0], 1);
  EXPECT_EQ(r.identity[1], r.identity[0]);
  EXPECT_EQ(a.stats().identities_created, 1);
  EXPECT_EQ(a.stats().joined_across_cameras, 1);
  EXPECT_EQ(a.stats().reentries, 0);
  const std::vector<IdentityInfo> list = a.identity_list();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].cameras, (std::vector<std::string>{"gate", "corridor"}));
}

TEST(ReidAssociate, OutsideTheTransitWindowStartsANewIdentity) {
  {
    Associator a(test_params(), test_site());  // 1 s after leaving the gate: faster than possible
    const Played r = play(a, {{"gate", 1, 0, 5, axis(0)}, {"corridor", 1, 6, 10, axis(0)}});
    EXPECT_NE(r.identity[1], r.identity[0]);
    EXPECT_EQ(a.stats().identities_created, 2);
  }
  {
    Associator a(test_params(), test_site());  // 12 s after: longer than the window's 10 s
    const Played r = play(a, {{"gate", 1, 0, 5, axis(0)}, {"corridor", 1, 17, 20, axis(0)}});
    EXPECT_NE(r.identity[1], r.identity[0]);
    EXPECT_EQ(a.stats().joined_across_cameras, 0);
  }
  {
    Associator a(test_params(), test_site());  // 10 s after: on the window's edge, included
    const Played r = play(a, {{"gate", 1, 0, 5, axis(0)}, {"corridor", 1, 15, 20, axis(0)}});
    EXPECT_EQ(r.identity[1], r.identity[0]);
  }
}

TEST(ReidAssociate, UnlinkedCamerasAndTheWrongWayDoNotJoin) {
  {
    Associator a(test_params(), test_site());  // gate straight to baggage: no link
    const Played r = play(a, {{"gate", 1, 0, 5, axis(0)}, {"baggage", 1, 9, 12, axis(0)}});
    EXPECT_NE(r.identity[1], r.identity[0]);
  }
  {
    Associator a(test_params(), test_site());  // corridor back to gate: the link is one-way
    const Played r = play(a, {{"corridor", 1, 0, 5, axis(0)}, {"gate", 1, 9, 12, axis(0)}});
    EXPECT_NE(r.identity[1], r.identity[0]);
    EXPECT_EQ(a.stats().identities_created, 2);
  }
}

TEST(ReidAssociate, DifferentAppearanceDoesNotJoin) {
  Associator a(test_params(), test_site());
  const Played r = play(a, {{"gate", 1, 0, 5, axis(0)}, {"corridor", 1, 9, 14, axis(1)}});
  EXPECT_NE(r.identity[1], r.identity[0]);
}

// Two persons leave the gate together and enter the corridor in the same frame. Person A's
// embedding is at 0 degrees, B's at 40; in the corridor A is seen at 30 degrees and B at 70.
// Cosine distances: A'-A 0.134, A'-B 0.015, B'-B 0.134, B'-A 0.658 (above max_distance 0.4).
// A greedy matcher takes the smallest pair first (A' with B) and leaves B' without a match;
// the optimal assignment (0.134 + 0.134 against 0.015 + 0.4 for leaving B' and A unmatched)
// gives both their own identities.
TEST(ReidAssociate, CrossingPersonsAreAssignedOptimallyNotGreedily) {
  AssociatorParams p = test_params();
  p.max_distance = 0.4;
  Associator a(p, test_site());
  const Played r = play(a, {{"gate", 1, 0, 5, at_angle(0)},
                            {"gate", 2, 0, 5, at_angle(40)},
                            {"corridor", 7, 8, 12, at_angle(30)},
                            {"corridor", 8, 8, 12, at_angle(70)}});
  EXPECT_NE(r.identity[0], r.identity[1]);
  EXPECT_EQ(r.identity[2], r.identity[0]);
  EXPECT_EQ(r.identity[3], r.identity[1]);
  EXPECT_EQ(a.stats().identities_created, 2);
  EXPECT_EQ(a.stats().joined_across_cameras, 2);
}

// The corridor tracklet looks wrong in its first frames (a bad crop), so it starts an
// identity of its own; when it ends, its whole-tracklet embedding matches the gate's person and
// the two identities are merged, so the baggage tracklet finds the person under the gate's
// identity. Without the re-match the person keeps two identities (gate; corridor and baggage).
TEST(ReidAssociate, RematchAtEndMergesAnIdentityStartedByABadBeginning) {
  const std::vector<Appearance> script = {{"gate", 1, 0, 5, axis(0)},
                                          {"corridor", 1, 9, 9.5, axis(1)},
                                          {"corridor", 1, 9.6, 14, axis(0)},
                                          {"baggage", 1, 20, 25, axis(0)}};
  AssociatorParams with = test_params();
  with.rematch_at_end = true;
  Associator a(with, test_site());
  const Played r = play(a, script);
  EXPECT_NE(r.history.at({"corridor", 1}).front(), 1) << "a new identity at first";
  EXPECT_EQ(r.identity[3], r.identity[0]);
  EXPECT_EQ(a.stats().merged_at_end, 1);
  EXPECT_EQ(a.identities(), 1u);
  EXPECT_EQ(a.identity_list().at(0).cameras, (std::vector<std::string>{"gate", "corridor", "baggage"}));

  AssociatorParams p = test_params();
  p.rematch_at_end = false;
  Associator b(p, test_site());
  const Played q = play(b, script);
  EXPECT_NE(q.identity[3], q.identity[0]);
  EXPECT_EQ(q.identity[3], q.history.at({"corridor", 1}).back()) << "the corridor's identity goes on";
  EXPECT_EQ(b.stats().identities_created, 2);
}

TEST(ReidAssociate, ReentryIntoTheSameCameraReunites) {
  Associator a(test_params(), test_site());
  const Played r = play(a, {{"gate", 1, 0, 3, axis(0)},
                            {"gate", 2, 8, 12, at_angle(8)},
                            {"gate", 3, 50, 53, axis(0)}});  // 38 s later: beyond the 30 s window
  EXPECT_EQ(r.identity[1], r.identity[0]);
  EXPECT_NE(r.identity[2], r.identity[0]);
  EXPECT_EQ(a.stats().reentries, 1);
  EXPECT_EQ(a.stats().identities_created, 2);
}

TEST(ReidAssociate, NeverJoinsAnIdentityVisibleInAnotherCamera) {
  const std::string map =
      "cameras: [gate, corridor, baggage, exit]\n"
      "links:\n"
      "  - { from: gate, to: corridor, min_s: 0, max_s: 10, two_way: true }\n";
  {
    // The person is in the corridor from 4 s on; a look-alike entering the gate at 6 s could
    // have come back from the corridor in time, but the person is still in the corridor.
    Associator a(test_params(), parse_site_map(map, "test"));
    const Played r =
        play(a, {{"gate", 1, 0, 3, axis(0)}, {"corridor", 1, 4, 12, axis(0)}, {"gate", 2, 6, 10, axis(0)}});
    EXPECT_EQ(r.identity[1], r.identity[0]);
    EXPECT_NE(r.identity[2], r.identity[0]);
  }
  {
    // The same where the two cameras see the same floor: one person in both pictures.
    Associator a(test_params(), parse_site_map(map + "overlaps: [[gate, corridor]]\n", "test"));
    const Played r =
        play(a, {{"gate", 1, 0, 3, axis(0)}, {"corridor", 1, 4, 12, axis(0)}, {"gate", 2, 6, 10, axis(0)}});
    EXPECT_EQ(r.identity[1], r.identity[0]);
    EXPECT_EQ(r.identity[2], r.identity[0]);
  }
}

// Track 1 is missed by the tracker from 3.1 s to 3.8 s and found again with its id; a
// look-alike track 2 starts at 3.3 s. Track 1 has not ended (unseen for less than
// tracklet_end_s), so track 2 may not take its identity: no frame shows one identity twice.
TEST(ReidAssociate, AMissedTrackKeepsItsIdentityToItself) {
  Associator a(test_params(), test_site());
  const Played r =
      play(a, {{"gate", 1, 0, 3, axis(0)}, {"gate", 2, 3.3, 6, axis(0)}, {"gate", 1, 3.9, 6, axis(0)}});
  EXPECT_EQ(r.identity[2], r.identity[0]);
  EXPECT_GE(r.identity[1], 1);
  EXPECT_NE(r.identity[1], r.identity[0]);
}

TEST(ReidAssociate, YoungTrackletsHaveNoIdentityUntilMinObservations) {
  Associator a(test_params(), test_site());
  const Played r = play(a, {{"gate", 4, 0, 2, axis(0)}});
  const std::vector<std::int64_t>& ids = r.history.at({"gate", 4});
  ASSERT_EQ(ids.size(), 21u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(ids[static_cast<std::size_t>(i)], -1) << "frame " << i;
  for (std::size_t i = 4; i < ids.size(); ++i) EXPECT_EQ(ids[i], 1) << "frame " << i;
  // A tracklet too short to be matched never gets an identity.
  Associator b(test_params(), test_site());
  const Played s = play(b, {{"gate", 1, 0, 0.3, axis(0)}});
  EXPECT_EQ(s.identity[0], -1);
  EXPECT_EQ(b.stats().identities_created, 0);
}

TEST(ReidAssociate, TrackletsWithoutEmbeddingsStartNewIdentities) {
  Associator a(test_params(), test_site());
  const Played r = play(a, {{"gate", 1, 0, 5, {}}, {"corridor", 1, 9, 14, {}}});
  EXPECT_GE(r.identity[0], 1);
  EXPECT_GE(r.identity[1], 1);
  EXPECT_NE(r.identity[1], r.identity[0]);
  EXPECT_EQ(a.stats().without_embedding, 2);
}

TEST(ReidAssociate, ForgetAfterDropsIdentitiesAndTheirMemory) {
  AssociatorParams p = test_params();
  p.forget_after_s = 5;
  p.tracklet_keep_s = 2;
  Associator a(p, test_site());
  // The person leaves the gate at 2 s and comes back at 12 s, within the re-entry window but
  // after the identity was forgotten (at 7 s): a new identity.
  const Played r = play(a, {{"gate", 1, 0, 2, axis(0)}, {"gate", 2, 12, 14, axis(0)}}, 20);
  EXPECT_NE(r.identity[1], r.identity[0]);
  // Both identities were forgotten by 20 s (the second unseen since 14 s), and every tracklet
  // was dropped 2 s after it ended.
  EXPECT_EQ(a.stats().forgotten, 2);
  EXPECT_EQ(a.identities(), 0u);
  EXPECT_EQ(a.tracklets(), 0u);
}

TEST(ReidAssociate, MaxIdentitiesEvictsTheOneUnseenLongest) {
  AssociatorParams p = test_params();
  p.max_identities = 2;
  Associator a(p, test_site());
  const Played r = play(a, {{"gate", 1, 0, 1, axis(0)},
                            {"gate", 2, 2, 3, axis(1)},
                            {"gate", 3, 4, 5, axis(2)},
                            {"gate", 4, 6, 7, axis(3)}});
  EXPECT_EQ(r.identity, (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(a.stats().identities_created, 4);
  EXPECT_EQ(a.stats().evicted, 2);
  EXPECT_EQ(a.identities(), 2u);
  const std::vector<IdentityInfo> kept = a.identity_list();
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].id, 3);
  EXPECT_EQ(kept[1].id, 4);
  // The evicted first person comes back in time for re-entry but is no longer known.
  const Played again = play(a, {{"gate", 5, 9, 10, axis(0)}}, 11, 8.1);
  EXPECT_EQ(again.identity[0], 5);
}

TEST(ReidAssociate, MemoryStaysBoundedOverALongRun) {
  AssociatorParams p = test_params();
  p.forget_after_s = 20;
  p.tracklet_keep_s = 5;
  // No re-entry: every person is new.
  Associator a(p, parse_site_map("cameras: [gate]\nreentry: { min_s: 0, max_s: 0.2 }\n", "test"));
  // 300 persons, one every 2 s, each 1.5 s in the gate with an appearance of their own.
  std::vector<Appearance> script;
  for (int i = 0; i < 300; ++i) {
    std::vector<float> e(8, 0.0f);
    e[static_cast<std::size_t>(i % 8)] = 1.0f;
    e[static_cast<std::size_t>((i / 8) % 8)] += 0.5f * static_cast<float>((i / 64) + 1);
    script.push_back({"gate", i + 1, 2.0 * i, 2.0 * i + 1.5, e});
  }
  (void)play(a, script);
  EXPECT_LE(a.identities(), 12u);  // those seen within the last 20 s (+ one frame)
  EXPECT_LE(a.tracklets(), 4u);    // those ended within the last 5 s
  EXPECT_EQ(a.stats().identities_created, 300);
  EXPECT_EQ(a.stats().forgotten, 290);  // last seen before 580.5 s, 20 s before the end
}

}  // namespace
}  // namespace oi::cctv::reid
