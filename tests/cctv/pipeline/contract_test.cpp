// The installed camera contract: JSON forms of boxes, detections, tracks and ground truth,
// and the readers' errors for malformed attributes.

#include "oi/cctv/contract.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "oi/error.hpp"

namespace oi::cctv {
namespace {

using ::testing::HasSubstr;

TEST(CctvContract, IouOfOverlappingDisjointAndEmptyBoxes) {
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 10, 10}, {20, 20, 5, 5}), 0.0);
  EXPECT_DOUBLE_EQ(iou({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0);
}

TEST(CctvContract, RecordsRoundTripThroughFrameAttributes) {
  FrameMetadata m;
  Detection d;
  d.box = {1, 2, 30, 80};
  d.score = 0.75;
  d.embedding = {0.5f, -0.25f};
  Track t;
  t.id = 7;
  t.box = {3, 4, 31, 81};
  t.age = 12;
  t.state = track_state::kLost;
  GroundTruthPerson p;
  p.identity = 42;
  p.box = {5, 6, 32, 82};
  p.visible = 0.4;
  m.attributes[attr::kDetections] = to_json_list(std::vector<Detection>{d});
  m.attributes[attr::kTracks] = to_json_list(std::vector<Track>{t});
  m.attributes[attr::kGroundTruth] = to_json_list(std::vector<GroundTruthPerson>{p});

  const std::vector<Detection> ds = detections_of(m);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_DOUBLE_EQ(ds[0].box.h, 80);
  EXPECT_DOUBLE_EQ(ds[0].score, 0.75);
  EXPECT_EQ(ds[0].object_class, object_class::kPerson);
  EXPECT_EQ(ds[0].embedding, d.embedding);
  const std::vector<Track> ts = tracks_of(m);
  ASSERT_EQ(ts.size(), 1u);
  EXPECT_EQ(ts[0].id, 7);
  EXPECT_EQ(ts[0].age, 12);
  EXPECT_EQ(ts[0].state, track_state::kLost);
  EXPECT_TRUE(ts[0].embedding.empty());
  EXPECT_FALSE(m.attributes[attr::kTracks][0].contains("embedding"));
  const std::vector<GroundTruthPerson> ps = ground_truth_of(m);
  ASSERT_EQ(ps.size(), 1u);
  EXPECT_EQ(ps[0].identity, 42);
  EXPECT_DOUBLE_EQ(ps[0].visible, 0.4);
}

// The re-identification members: a track's global identity (written only once assigned) and
// the watchlist hits that keep a person unblurred.
TEST(CctvContract, GlobalIdentitiesAndWatchlistHitsRoundTrip) {
  FrameMetadata m;
  Track assigned, young;
  assigned.id = 3;
  assigned.global_identity = 41;
  young.id = 4;
  m.attributes[attr::kTracks] = to_json_list(std::vector<Track>{assigned, young});
  EXPECT_EQ(m.attributes[attr::kTracks][0]["global_identity"], 41);
  EXPECT_FALSE(m.attributes[attr::kTracks][1].contains("global_identity"));
  const std::vector<Track> ts = tracks_of(m);
  EXPECT_EQ(ts[0].global_identity, 41);
  EXPECT_EQ(ts[1].global_identity, -1);

  WatchlistHit h;
  h.track = 3;
  h.entry = "W-000002";
  h.score = 0.87;
  h.alert = "A-1";
  h.status = "unconfirmed";
  m.attributes[attr::kWatchlistHits] = to_json_list(std::vector<WatchlistHit>{h});
  const std::vector<WatchlistHit> hs = watchlist_hits_of(m);
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_EQ(hs[0].track, 3);
  EXPECT_EQ(hs[0].entry, "W-000002");
  EXPECT_EQ(hs[0].alert, "A-1");
  EXPECT_DOUBLE_EQ(hs[0].score, 0.87);

  m.attributes[attr::kWatchlistHits] = nlohmann::json::array({{{"track", 3}}});
  EXPECT_THROW(watchlist_hits_of(m), Error);  // no entry
  m.attributes[attr::kTracks][0]["global_identity"] = 1.5;
  EXPECT_THROW(tracks_of(m), Error);
}

TEST(CctvContract, AbsentAttributesReadAsEmptyLists) {
  const FrameMetadata m;
  EXPECT_TRUE(detections_of(m).empty());
  EXPECT_TRUE(tracks_of(m).empty());
  EXPECT_TRUE(ground_truth_of(m).empty());
}

std::string error_of(const nlohmann::json& tracks) {
  FrameMetadata m;
  m.attributes[attr::kTracks] = tracks;
  try {
    tracks_of(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(CctvContract, MalformedAttributesNameTheItemAndTheProblem) {
  EXPECT_THAT(error_of(nlohmann::json::object()), HasSubstr("attribute 'tracks': is not a list"));
  EXPECT_THAT(error_of(nlohmann::json::parse(R"([{"box": [0, 0, 1, 1]}])")),
              HasSubstr("attribute 'tracks' item 0: has no 'id'"));
  EXPECT_THAT(
      error_of(nlohmann::json::parse(R"([{"id": 1, "box": [0, 0, 1, 1]}, {"id": 2, "box": [0, 0, 1]}])")),
      HasSubstr("item 1: box [0,0,1] is not [x, y, w, h]"));
  EXPECT_THAT(error_of(nlohmann::json::parse(R"([{"id": 1.5, "box": [0, 0, 1, 1]}])")),
              HasSubstr("'id' is not an integer"));
  EXPECT_THAT(error_of(nlohmann::json::parse(R"([{"id": 1, "box": [0, 0, 1, 1], "embedding": [1, "x"]}])")),
              HasSubstr("'embedding' holds \"x\", not a number"));
}

}  // namespace
}  // namespace oi::cctv
