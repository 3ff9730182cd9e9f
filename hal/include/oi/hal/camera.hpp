#pragma once
/// @file
/// `oi::hal::Camera`: an area camera delivering `video.frame` frames. Interface only in this
/// release; opencv.camera and genicam.camera implement it.
///
/// Controls are ordinary device parameters with standard names, declared only where the
/// camera has them (GenICam SFNC names in brackets): so an integrator writes the same YAML
/// for every camera and `oi inspect` shows which controls a camera offers.

#include <string>

#include "oi/hal/device.hpp"

namespace oi::hal {

/// Standard control names; declare with DeviceSpec::live_param() where settable live.
namespace camera_control {
inline constexpr const char* kExposureUs = "exposure_us";     ///< float, us [ExposureTime]
inline constexpr const char* kGainDb = "gain_db";             ///< float, dB [Gain]
inline constexpr const char* kFrameRateHz = "frame_rate_hz";  ///< float, Hz [AcquisitionFrameRate]
inline constexpr const char* kTriggerMode =
    "trigger_mode";  ///< enum {free_run, software, hardware} [TriggerMode]
}  // namespace camera_control

/// Image format a camera delivers.
struct CameraFormat {
  PixelFormat format = PixelFormat::kRGB8;  ///< pixel format of the image plane
  int width = 0;                            ///< pixels
  int height = 0;                           ///< pixels
};

/// Base class of camera drivers. Frames carry one plane named kImagePlane, the capture
/// timestamp from the camera when it has one (else the host's), and increasing sequences.
class Camera : public Device {
 public:
  /// Name of the image plane of every camera frame.
  static constexpr const char* kImagePlane = "image";

  /// The format frames will have once streaming (valid from Ready).
  virtual CameraFormat format() const = 0;
  /// True when the camera declares the control (a camera_control name or its own).
  bool has_control(std::string_view name) const { return spec().find_param(name) != nullptr; }
};

}  // namespace oi::hal
