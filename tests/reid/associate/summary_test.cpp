// sink.cctv_summary with global identities (reid.associate's): the identities and their
// cameras in summary.json, the cross-camera IDF1 worked out by hand, the reunited identities'
// crops on the page, and the `oi run` table row.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"
#include "scratch.hpp"
#include "stage_under_test.hpp"

namespace oi::cctv {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using json = nlohmann::json;

// A frame of `camera` (160 x 120, grey) with person `person` at a fixed box and one track on
// it with global identity `global` (no track when global < -1).
FramePtr frame(const std::string& camera, std::int64_t index, std::int64_t person, std::int64_t track_id,
               std::int64_t global) {
  auto f = Frame::create(std::string(kFrameKind));
  Plane& p = f->add_plane(plane::kImage, PixelFormat::kRGB8, 160, 120);
  for (int y = 0; y < 120; ++y) {
    for (int x = 0; x < 160 * 3; ++x)
      p.row<std::uint8_t>(y)[x] = static_cast<std::uint8_t>(90 + (x + y) % 60);
  }
  FrameMetadata& m = f->metadata();
  m.source_device = camera;
  m.sequence = static_cast<std::uint64_t>(index);
  m.capture_time_ns = 1'700'000'000'000'000'000 + index * 100'000'000;
  m.attributes[attr::kCamera] = camera;
  m.attributes[attr::kFrameIndex] = index;
  const Box box{50, 20, 30, 80};
  m.attributes[attr::kGroundTruth] = to_json_list(std::vector<GroundTruthPerson>{{person, box, 1.0}});
  std::vector<Track> tracks;
  if (global >= -1) {
    Track t;
    t.id = track_id;
    t.box = box;
    t.global_identity = global;
    tracks.push_back(t);
  }
  m.attributes[attr::kTracks] = to_json_list(tracks);
  return f;
}

json run_sink(const fs::path& dir, const std::vector<FramePtr>& frames) {
  oi::test::StageUnderTest sink(oi::test::plugin_registry(OI_CCTV_SUMMARY_PLUGIN), "sink.cctv_summary",
                                {{"dir", dir.string()}, {"overwrite", true}}, "summary");
  for (const FramePtr& f : frames) {
    FramePtr out;
    const Status s = sink.run(f, out);
    if (!s.is_ok()) throw Error(s.message());
  }
  const Status s = sink.finish();
  if (!s.is_ok()) throw Error(s.message());
  return sink.summary();
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

TEST(ReidAssociate, SummaryReportsGlobalIdentitiesAndCrossCameraIdf1) {
  const fs::path dir = oi::test::scratch_dir("reid_associate", "summary");
  // Person 1: gate frames 0-3 as identity 5 (frame 0 still without one: -1), corridor frames
  // 4-7 as identity 5 again. Person 2: baggage frames 0-3 as identity 9, exit frames 4-7 as 10.
  std::vector<FramePtr> frames;
  for (int i = 0; i < 4; ++i) {
    frames.push_back(frame("gate", i, 1, 1, i == 0 ? -1 : 5));
    frames.push_back(frame("baggage", i, 2, 1, 9));
  }
  for (int i = 4; i < 8; ++i) {
    frames.push_back(frame("corridor", i, 1, 3, 5));
    frames.push_back(frame("exit", i, 2, 2, 10));
  }
  const json table = run_sink(dir, frames);
  const json s = read_json(dir / "summary.json");
  const json& g = s["global_identities"];
  ASSERT_TRUE(g.is_object()) << s.dump(1);
  EXPECT_EQ(g["count"], 3);
  EXPECT_EQ(g["in_several_cameras"], 1);
  EXPECT_EQ(g["identities"][0]["id"], 5);
  EXPECT_EQ(g["identities"][0]["cameras"], (json{"gate", "corridor"}));
  EXPECT_EQ(g["identities"][0]["frames"], 7);
  // Truth boxes: 16. Person 1 <-> identity 5: 7 frames (frame 0's track is an identity of its
  // own); person 2 <-> identity 9 or 10: 4 frames. IDTP 11, IDFN 5, IDFP 5: IDF1 22 / 32.
  const json& x = g["cross_camera"];
  ASSERT_TRUE(x.is_object());
  EXPECT_EQ(x["idtp"], 11);
  EXPECT_EQ(x["idfn"], 5);
  EXPECT_EQ(x["idfp"], 5);
  EXPECT_DOUBLE_EQ(x["idf1"].get<double>(), 22.0 / 32.0);
  // The page shows the reunited identity 5 with a crop per tracklet; the table a row.
  std::ifstream page(dir / "summary.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_THAT(html, HasSubstr("Global identities"));
  EXPECT_THAT(html, HasSubstr("identity 5"));
  EXPECT_THAT(html, HasSubstr("0.688"));
  EXPECT_TRUE(fs::exists(dir / "thumbs" / "identities" / "5_gate_1.jpg"));
  EXPECT_TRUE(fs::exists(dir / "thumbs" / "identities" / "5_corridor_3.jpg"));
  EXPECT_FALSE(fs::exists(dir / "thumbs" / "identities" / "9_baggage_1.jpg")) << "not reunited";
  bool row = false;
  for (const json& r : table["table"]) {
    if (r[0] == "global ids") {
      row = true;
      EXPECT_THAT(r[1].get<std::string>(), HasSubstr("3 identities, 1 in several cameras"));
      EXPECT_THAT(r[1].get<std::string>(), HasSubstr("cross-camera IDF1 0.688"));
    }
  }
  EXPECT_TRUE(row) << table.dump(1);
}

// A frame of `camera` with truth `persons` (id, box) and `tracks` (id, box, embedding).
struct Seen {
  std::int64_t id;
  Box box;
  std::vector<float> embedding;
};
FramePtr frame_with(const std::string& camera, std::int64_t index, const std::vector<Seen>& persons,
                    const std::vector<Seen>& tracks) {
  FramePtr f = frame(camera, index, 0, 0, -2);
  std::vector<GroundTruthPerson> truth;
  for (const Seen& p : persons) truth.push_back({p.id, p.box, 1.0});
  std::vector<Track> out;
  for (const Seen& s : tracks) {
    Track t;
    t.id = s.id;
    t.box = s.box;
    t.embedding = s.embedding;
    out.push_back(t);
  }
  f->metadata().attributes[attr::kGroundTruth] = to_json_list(truth);
  f->metadata().attributes[attr::kTracks] = to_json_list(out);
  return f;
}

TEST(ReidAssociate, SummaryRanksTrackletsAcrossCamerasAndShowsSampleQueries) {
  const fs::path dir = oi::test::scratch_dir("reid_associate", "summary_reid");
  const Box left{10, 20, 30, 80}, right{100, 20, 30, 80};
  // gate: track 1 on person 1 (1, 0), track 2 on person 2 (0, 1); corridor: track 3 on person
  // 1 (0.6, 0.8), track 4 on person 2 (0, 1); then gate track 5 on nobody (0, 1), a distractor.
  // Embeddings are scaled: the tracklet's mean is of the normalised ones.
  std::vector<FramePtr> frames;
  for (int i = 0; i < 2; ++i) {
    frames.push_back(frame_with("gate", i, {{1, left, {}}, {2, right, {}}},
                                {{1, left, {2, 0, 0, 0}}, {2, right, {0, 3, 0, 0}}}));
    frames.push_back(frame_with("corridor", i, {{1, left, {}}, {2, right, {}}},
                                {{3, left, {0.6f, 0.8f, 0, 0}}, {4, right, {0, 1, 0, 0}}}));
  }
  frames.push_back(frame_with("gate", 2, {}, {{5, left, {0, 1, 0, 0}}}));
  run_sink(dir, frames);
  const json s = read_json(dir / "summary.json");
  const json& r = s["reid"];
  ASSERT_TRUE(r.is_object()) << s.dump(1);
  // Cosine distances: 1-3 0.4, 1-2 / 1-4 / 1-5 1, 2-3 / 3-4 / 3-5 0.2, 2-4 / 2-5 / 4-5 0.
  // Query 1 (person 1, gate): 3 (0.4) first: rank 1, AP 1. Query 2: 4 (0) first: AP 1.
  // Query 3 (person 1, corridor): 2, 4, 5 (0.2, gallery order) before 1 (0.4): rank 4, AP 1/4.
  // Query 4: 2 (0) first: AP 1. Track 5 followed nobody: a distractor, not a query.
  EXPECT_EQ(r["tracklets"], 5);
  EXPECT_EQ(r["tracklets_without_person"], 1);
  EXPECT_EQ(r["valid_queries"], 4);
  EXPECT_DOUBLE_EQ(r["rank1"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(r["rank5"].get<double>(), 1.0);
  EXPECT_NEAR(r["map"].get<double>(), 3.25 / 4, 1e-9);
  ASSERT_EQ(r["examples"].size(), 4u);
  const json& third = r["examples"][2];
  EXPECT_EQ(third["query"]["track"], 3);
  EXPECT_EQ(third["first_match_rank"], 4);
  ASSERT_EQ(third["top"].size(), 4u);
  EXPECT_EQ(third["top"][0]["track"], 2);
  EXPECT_FALSE(third["top"][0]["right"].get<bool>());
  EXPECT_EQ(third["top"][2]["person"], -1);  // track 5
  EXPECT_TRUE(third["top"][3]["right"].get<bool>());
  EXPECT_NEAR(third["top"][3]["distance"].get<double>(), 0.4, 1e-6);
  std::ifstream page(dir / "summary.html");
  const std::string html((std::istreambuf_iterator<char>(page)), std::istreambuf_iterator<char>());
  EXPECT_THAT(html, HasSubstr("rank-1 0.750"));
  EXPECT_THAT(html, HasSubstr("first right at rank 4"));
  EXPECT_THAT(html, HasSubstr("class=\"wrong\""));
  EXPECT_THAT(html, HasSubstr("src=\"thumbs/reid/corridor_3.jpg\""));
  EXPECT_TRUE(fs::exists(dir / "thumbs" / "reid" / "gate_5.jpg"));
}

TEST(ReidAssociate, SummaryWithoutGlobalIdentitiesHasNoSection) {
  const fs::path dir = oi::test::scratch_dir("reid_associate", "summary_plain");
  const json table = run_sink(dir, {frame("gate", 0, 1, 1, -1), frame("gate", 1, 1, 1, -1)});
  const json s = read_json(dir / "summary.json");
  EXPECT_FALSE(s.contains("global_identities"));
  EXPECT_FALSE(s.contains("reid")) << "no embeddings: no re-identification section";
  for (const json& r : table["table"]) EXPECT_NE(r[0], "global ids");
}

}  // namespace
}  // namespace oi::cctv
