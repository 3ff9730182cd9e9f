// Cross-camera IDF1 (oi/cctv/mtmc_metrics.hpp) on cases small enough to count by hand.
#include "oi/cctv/mtmc_metrics.hpp"

#include <gtest/gtest.h>

#include "oi/error.hpp"

namespace oi::cctv {
namespace {

Track track(std::int64_t id, std::int64_t global, Box box) {
  Track t;
  t.id = id;
  t.global_identity = global;
  t.box = box;
  return t;
}

constexpr Box kBox{10, 10, 20, 60};

// One person walks through two cameras, three frames in each; the tracker's global identity
// in camera A is `a`, in camera B `b` (track ids 1 in both cameras).
std::vector<CameraFrames> one_person(std::int64_t a, std::int64_t b) {
  std::vector<CameraFrames> cameras = {{std::string("camera A"), {}}, {std::string("camera B"), {}}};
  for (int f = 0; f < 3; ++f) {
    cameras[0].frames.push_back({{{1, kBox}}, {track(1, a, kBox)}});
    cameras[1].frames.push_back({{{1, kBox}}, {track(1, b, kBox)}});
  }
  return cameras;
}

TEST(ReidAssociate, CrossCameraIdf1OnePersonRightIdentity) {
  const IdentityMetrics m = evaluate_cross_camera_identity(one_person(7, 7));
  EXPECT_EQ(m.idtp, 6);
  EXPECT_EQ(m.idfn, 0);
  EXPECT_EQ(m.idfp, 0);
  EXPECT_DOUBLE_EQ(m.idf1(), 1.0);
}

TEST(ReidAssociate, CrossCameraIdf1OnePersonTwoIdentities) {
  // The person is assigned one of the two identities (3 frames); the other camera's 3 truth
  // boxes are missed (IDFN 3) and its 3 tracker boxes wrong (IDFP 3): IDF1 = 6 / 12.
  const IdentityMetrics m = evaluate_cross_camera_identity(one_person(7, 8));
  EXPECT_EQ(m.idtp, 3);
  EXPECT_EQ(m.idfn, 3);
  EXPECT_EQ(m.idfp, 3);
  EXPECT_DOUBLE_EQ(m.idf1(), 0.5);
  // Per camera each would be perfect: the cross-camera figure is what tells them apart.
  EXPECT_DOUBLE_EQ(evaluate_identity(cross_camera_sequence({one_person(7, 8)[0]})).idf1(), 1.0);
}

TEST(ReidAssociate, CrossCameraIdf1TracksWithoutIdentityAreTheirOwn) {
  // Unassigned tracks (-1) with the same track id in two cameras are two identities, not one.
  const IdentityMetrics m = evaluate_cross_camera_identity(one_person(-1, -1));
  EXPECT_EQ(m.idtp, 3);
  EXPECT_DOUBLE_EQ(m.idf1(), 0.5);
  const EvalSequence s = cross_camera_sequence(one_person(-1, -1));
  ASSERT_EQ(s.size(), 6u);
  EXPECT_LT(s[0].tracks[0].id, 0);
  EXPECT_NE(s[0].tracks[0].id, s[3].tracks[0].id);
  EXPECT_EQ(s[0].tracks[0].id, s[1].tracks[0].id);
}

TEST(ReidAssociate, CrossCameraIdf1SwappedPersons) {
  // Persons 1 and 2, two frames in each camera; camera A gives them 7 and 8, camera B swaps
  // them. Best assignment 1-7, 2-8: IDTP 4 of 8 truth and 8 tracker boxes, IDF1 = 8 / 16.
  std::vector<CameraFrames> cameras(2);
  const Box left{0, 0, 20, 60}, right{100, 0, 20, 60};
  for (int f = 0; f < 2; ++f) {
    cameras[0].frames.push_back({{{1, left}, {2, right}}, {track(1, 7, left), track(2, 8, right)}});
    cameras[1].frames.push_back({{{1, left}, {2, right}}, {track(4, 8, left), track(5, 7, right)}});
  }
  const IdentityMetrics m = evaluate_cross_camera_identity(cameras);
  EXPECT_EQ(m.idtp, 4);
  EXPECT_EQ(m.idfn, 4);
  EXPECT_EQ(m.idfp, 4);
  EXPECT_DOUBLE_EQ(m.idf1(), 0.5);
  // A box on nobody (IoU < 0.5) with the right identity is still a false positive:
  cameras[1].frames[0].tracks[0].box = {300, 0, 20, 60};
  cameras[1].frames[0].tracks[0].global_identity = 7;
  cameras[1].frames[0].tracks[1].global_identity = 9;
  const IdentityMetrics n = evaluate_cross_camera_identity(cameras);
  EXPECT_EQ(n.idtp + n.idfn, 8);
  EXPECT_EQ(n.idtp + n.idfp, 8);
}

TEST(ReidAssociate, CrossCameraIdf1RefusesAnIdentityTwiceInOneFrame) {
  std::vector<CameraFrames> cameras = {{std::string("gate"), {}}};
  cameras[0].frames.push_back({{}, {track(1, 3, kBox), track(2, 3, kBox)}});
  try {
    (void)evaluate_cross_camera_identity(cameras);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("camera 'gate' frame 0"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace oi::cctv
