// reid.associate as a plugin stage: frames with tracks in, the same frames with global
// identities out; frames without tracks pass; the site map parameter and its errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oi/cctv/contract.hpp"
#include "stage_under_test.hpp"

namespace oi::cctv {
namespace {

using oi::test::StageUnderTest;
using ::testing::HasSubstr;

const PluginRegistry& registry() { return oi::test::plugin_registry(OI_REID_ASSOCIATE_PLUGIN); }

FramePtr camera_frame(const std::string& camera, std::uint64_t sequence, const std::vector<Track>* tracks) {
  FramePtr frame = Frame::create(std::string(kFrameKind));
  frame->metadata().source_device = camera + "_node";
  frame->metadata().sequence = sequence;
  frame->metadata().capture_time_ns =
      1'717'228'800'000'000'000 + static_cast<std::int64_t>(sequence) * 100'000'000;
  frame->metadata().attributes[attr::kCamera] = camera;
  if (tracks) frame->metadata().attributes[attr::kTracks] = to_json_list(*tracks);
  return frame;
}

Track person(std::int64_t id, std::vector<float> embedding) {
  Track t;
  t.id = id;
  t.box = {10, 20, 30, 90};
  t.embedding = std::move(embedding);
  return t;
}

FramePtr run(StageUnderTest& stage, FramePtr in) {
  FramePtr out;
  const Status s = stage.run(std::move(in), out);
  EXPECT_TRUE(s.is_ok()) << s.message();
  EXPECT_TRUE(out != nullptr);
  return out;
}

TEST(ReidAssociate, StageGivesGlobalIdentitiesAcrossCameras) {
  StageUnderTest stage(registry(), "reid.associate",
                       {{"site_map", OI_REID_SITE_MAP}, {"min_observations", 3}, {"max_distance", 0.2}},
                       "associate");
  const std::vector<float> look = {0.6f, 0.8f, 0.0f, 0.0f};
  const std::vector<float> other = {0.0f, 0.0f, 1.0f, 0.0f};
  // Gate: frames 0-19 (0-1.9 s), the person as gate track 5; corridor: from frame 80 (6.1 s
  // after leaving, in the 3-35 s window), the same look as track 2, and another person.
  std::int64_t gate_identity = -1;
  for (std::uint64_t f = 0; f < 140; ++f) {
    std::vector<Track> gate, corridor;
    if (f < 20) gate.push_back(person(5, look));
    if (f >= 80) corridor.push_back(person(2, look));
    if (f >= 80) corridor.push_back(person(3, other));
    FramePtr g = run(stage, camera_frame("gate", f, &gate));
    FramePtr c = run(stage, camera_frame("corridor", f, &corridor));
    ASSERT_TRUE(g && c);
    EXPECT_TRUE(g->metadata().attributes[attr::kTimings].contains("associate"));
    const std::vector<Track> gate_out = tracks_of(g->metadata());
    const std::vector<Track> corridor_out = tracks_of(c->metadata());
    if (f < 2) {
      EXPECT_EQ(gate_out.at(0).global_identity, -1) << "frame " << f;
    }
    if (f >= 2 && f < 20) {
      gate_identity = gate_out.at(0).global_identity;
      EXPECT_EQ(gate_identity, 1);
    }
    if (f >= 82) {
      EXPECT_EQ(corridor_out.at(0).global_identity, gate_identity) << "frame " << f;
      EXPECT_EQ(corridor_out.at(1).global_identity, 2) << "frame " << f;
      EXPECT_EQ(corridor_out.at(0).embedding, look) << "the rest of the track passes unchanged";
    }
  }
  const nlohmann::json s = stage.summary();
  EXPECT_EQ(s["identities_created"], 2);
  EXPECT_EQ(s["joined_across_cameras"], 1);
  EXPECT_EQ(s["identities_in_several_cameras"], 1);
  EXPECT_EQ(s["frames"], 280);
  ASSERT_EQ(s["identities"].size(), 2u);
  EXPECT_EQ(s["identities"][0]["cameras"], (nlohmann::json{"gate", "corridor"}));
}

TEST(ReidAssociate, StagePassesFramesWithoutTracks) {
  StageUnderTest stage(registry(), "reid.associate", nlohmann::json::object());
  FramePtr in = camera_frame("gate", 0, nullptr);
  in->metadata().attributes["other"] = 7;
  FramePtr out = run(stage, in);
  ASSERT_TRUE(out);
  EXPECT_FALSE(out->metadata().attributes.contains(attr::kTracks));
  EXPECT_EQ(out->metadata().attributes["other"], 7);
  const std::vector<Track> none;
  out = run(stage, camera_frame("gate", 1, &none));
  ASSERT_TRUE(out);
  EXPECT_TRUE(tracks_of(out->metadata()).empty());
  EXPECT_EQ(stage.summary()["frames"], 2);
  EXPECT_EQ(stage.summary()["identities_created"], 0);
}

TEST(ReidAssociate, StageCountsUnreadableTracks) {
  StageUnderTest stage(registry(), "reid.associate", nlohmann::json::object());
  FramePtr in = camera_frame("gate", 0, nullptr);
  in->metadata().attributes[attr::kTracks] = "not a list";
  FramePtr out = run(stage, in);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->metadata().attributes[attr::kTracks], "not a list");
  EXPECT_EQ(stage.summary()["bad_frames"], 1);
}

TEST(ReidAssociate, StageRefusesABadSiteMapWithItsLine) {
  const std::filesystem::path file =
      std::filesystem::temp_directory_path() / "reid_associate_bad_site_map.yaml";
  {
    std::ofstream out(file);
    out << "cameras: [gate, corridor]\nlinks:\n  - { from: gate, to: corridor, min_s: 9, max_s: 3 }\n";
  }
  try {
    StageUnderTest stage(registry(), "reid.associate", {{"site_map", file.string()}});
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr(file.string() + ":3:"));
    EXPECT_THAT(e.what(), HasSubstr("min_s 9 is above max_s 3"));
  }
  std::filesystem::remove(file);
  EXPECT_THROW(
      StageUnderTest(registry(), "reid.associate", {{"tracklet_keep_s", 0.5}, {"tracklet_end_s", 1.0}}),
      ConfigError);
}

}  // namespace
}  // namespace oi::cctv

namespace oi::cctv {
namespace {

TEST(ReidAssociate, StageRecordsFramesForTheTuningTool) {
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "reid_associate_record.jsonl";
  {
    StageUnderTest stage(oi::test::plugin_registry(OI_REID_ASSOCIATE_PLUGIN), "reid.associate",
                         {{"record", file.string()}});
    const std::vector<Track> tracks = {person(4, {1.0f, 0.0f})};
    for (std::uint64_t f = 0; f < 3; ++f) {
      FramePtr out;
      ASSERT_TRUE(stage.run(camera_frame("exit", f, &tracks), out).is_ok());
    }
    FramePtr out;
    ASSERT_TRUE(stage.run(camera_frame("exit", 3, nullptr), out).is_ok());  // no tracks: not recorded
    stage.stage().stop();
  }
  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[2]["camera"], "exit");
  EXPECT_EQ(lines[2]["capture_time_ns"], 1'717'228'800'200'000'000);
  EXPECT_EQ(lines[2]["tracks"][0]["id"], 4);
  EXPECT_EQ(lines[2]["tracks"][0]["embedding"], (nlohmann::json{1.0, 0.0}));
  EXPECT_FALSE(lines[2]["tracks"][0].contains("global_identity")) << "recorded as it came in";
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace oi::cctv
