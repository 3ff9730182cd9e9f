// Checks for cameras: the announced format matches the frames, and the standard controls a
// camera declares have the standard types, so one YAML works for every camera. Skipped (with
// the reason) for other device kinds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "conformance.hpp"
#include "oi/hal/camera.hpp"

namespace oi::conformance {
namespace {

using hal::Camera;
using hal::DeviceState;

class CameraConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = make_device();
    ASSERT_NE(device_, nullptr);
    camera_ = dynamic_cast<Camera*>(device_.get());
    if (camera_ == nullptr) GTEST_SKIP() << target().driver << " is not a Camera";
  }
  void TearDown() override {
    if (device_ && device_->state() != DeviceState::kClosed) device_->close();
  }
  std::unique_ptr<hal::Device> device_;
  Camera* camera_ = nullptr;
};

TEST_F(CameraConformance, DeclaresTheVideoFrameKindAndTheImagePlane) {
  const hal::DeviceCapabilities& caps = camera_->capabilities();
  EXPECT_EQ(caps.kind, hal::DeviceKind::kCamera);
  EXPECT_EQ(caps.frame_kind, frame_kind::kVideo);
  EXPECT_THAT(caps.planes, ::testing::Contains(std::string(Camera::kImagePlane)));
}

TEST_F(CameraConformance, StandardControlsHaveTheStandardTypes) {
  namespace c = hal::camera_control;
  const std::map<std::string, ParamType> standard = {{c::kExposureUs, ParamType::kFloat},
                                                     {c::kGainDb, ParamType::kFloat},
                                                     {c::kFrameRateHz, ParamType::kFloat},
                                                     {c::kTriggerMode, ParamType::kEnum}};
  for (const auto& [name, type] : standard) {
    const ParamSpec* p = camera_->spec().find_param(name);
    if (p == nullptr) continue;  // a camera declares only the controls it has
    EXPECT_EQ(p->type(), type) << "control " << name << " must be " << to_string(type);
  }
}

TEST_F(CameraConformance, FramesMatchTheAnnouncedFormat) {
  Status s = configure(*device_);
  ASSERT_TRUE(s.is_ok()) << s.message();
  ASSERT_TRUE(device_->start().is_ok());
  FramePtr frame = read_frame(*device_, &s);
  ASSERT_NE(frame, nullptr) << "no frame within " << kBound.count() << " ms: " << s.message();
  const hal::CameraFormat format = camera_->format();
  EXPECT_GT(format.width, 0);
  EXPECT_GT(format.height, 0);
  ASSERT_TRUE(frame->has_plane(Camera::kImagePlane))
      << "camera frames carry the plane '" << Camera::kImagePlane << "'";
  const Plane& image = frame->plane(Camera::kImagePlane);
  EXPECT_EQ(image.format, format.format);
  EXPECT_EQ(image.width, format.width);
  EXPECT_EQ(image.height, format.height);
}

}  // namespace
}  // namespace oi::conformance
