#pragma once
/// @file
/// The contract between the X-ray inspection stages (xray.correct, xray.materials,
/// xray.colorize, xray.detect, xray.tip) and the sinks that read their results: plane names,
/// material class codes, attribute names, and the correction formula every implementation
/// (GLSL and CPU reference) follows. Whole scans (`xray.scan`, from scan.assemble) flow
/// through the chain; each stage adds planes or attributes and keeps what it received.

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace oi::xray {

/// Planes, by the stage that adds them.
namespace plane {
inline constexpr const char* kHigh = "high";     ///< scanner: raw high-energy counts, u16
inline constexpr const char* kLow = "low";       ///< scanner: raw low-energy counts, u16
inline constexpr const char* kAHigh = "a_high";  ///< xray.correct: log attenuation -ln(I/I0), f32
inline constexpr const char* kALow = "a_low";    ///< xray.correct: log attenuation, f32
inline constexpr const char* kZeff = "zeff";     ///< xray.materials: effective atomic number, f32 (0 = empty)
inline constexpr const char* kClass = "mclass";  ///< xray.materials: MaterialClass code, u8
inline constexpr const char* kDensity = "areal_density";  ///< xray.materials: g/cm² estimate, f32
inline constexpr const char* kRgb = "rgb";                ///< xray.colorize: pseudo-colour image, rgb8
}  // namespace plane

/// Per-pixel material class (plane kClass).
enum class MaterialClass : std::uint8_t {
  kEmpty = 0,         ///< nothing in the beam (attenuation below the empty threshold)
  kOrganic = 1,       ///< Z_eff below about 10: orange
  kInorganic = 2,     ///< mixed / light inorganic (Z_eff about 10-17): green
  kMetal = 3,         ///< Z_eff above about 17: blue
  kImpenetrable = 4,  ///< high channel below the noise floor: black, "cannot clear"
};

/// Frame attributes.
namespace attr {
inline constexpr const char* kCalibration =
    "calibration";  ///< "dark" / "air" on reference frames (scan id 0)
inline constexpr const char* kGroundTruth =
    "ground_truth";  ///< simulator: list of truth objects (class, box, ...)
inline constexpr const char* kDetections =
    "detections";  ///< xray.detect: list of {class, box [x,y,w,h], score, tip?}
inline constexpr const char* kDecision = "decision";  ///< xray.detect: "clear", "alarm" or "cannot_clear"
/// xray.detect: why the decision is not `clear` when no region caused it (an incomplete scan)
inline constexpr const char* kDecisionReason = "decision_reason";
inline constexpr const char* kTip = "tip";  ///< xray.tip: list of inserted threats {class, box, tip_id}
inline constexpr const char* kTimings = "timings_ms";  ///< each stage adds {"<node>": ms}
}  // namespace attr

/// Threat classes in detections and ground truth.
namespace threat {
inline constexpr const char* kFirearm = "firearm";
inline constexpr const char* kNarcotics = "narcotics";
inline constexpr const char* kShielding = "shielding";
inline constexpr const char* kKnife = "knife";
}  // namespace threat

/// Scan decisions.
namespace decision {
inline constexpr const char* kClear = "clear";
inline constexpr const char* kAlarm = "alarm";
inline constexpr const char* kCannotClear = "cannot_clear";
}  // namespace decision

/// An axis-aligned box `[x, y, w, h]` in pixels of the assembled scan (x across the belt).
struct Box {
  double x = 0, y = 0, w = 0, h = 0;
};

/// IoU a detection needs with a truth object to match it.
inline constexpr double kMinIou = 0.3;

/// Intersection over union; 0 when either box is empty.
inline double iou(const Box& a, const Box& b) {
  if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0) return 0.0;
  const double ix = std::max(0.0, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
  const double iy = std::max(0.0, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
  const double inter = ix * iy;
  const double uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

/// True when the centre of `truth` lies inside `detection` (edges included).
inline bool contains_centre(const Box& detection, const Box& truth) {
  const double cx = truth.x + truth.w / 2.0;
  const double cy = truth.y + truth.h / 2.0;
  return cx >= detection.x && cx <= detection.x + detection.w && cy >= detection.y &&
         cy <= detection.y + detection.h;
}

/// The one match rule of evaluation and TIP accounting: IoU ≥ kMinIou, or the detection
/// contains the truth box's centre.
inline bool matches(const Box& detection, const Box& truth) {
  return iou(detection, truth) >= kMinIou || contains_centre(detection, truth);
}

/// The index (dataset.json) of a data set written by sink.dataset: its `format` and the
/// only `version` this SDK reads (docs/sim-scenes.md).
inline constexpr const char* kDatasetFormat = "openinspect-xray-dataset";
inline constexpr int kDatasetVersion = 1;

/// Largest log attenuation the chain represents: beyond it the pixel carries no information
/// (a 16-bit detector's air level is ~e^11 above one count).
inline constexpr float kMaxAttenuation = 12.0f;

/// The correction every implementation of xray.correct follows (the GLSL shader mirrors it):
/// offset (dark) and gain (air - dark) correction, then A = -ln(I / I0), clamped to
/// [0, kMaxAttenuation]. A signal at or below the dark level is treated as fully attenuated.
inline float log_attenuation(float raw, float dark, float air) {
  const float i0 = std::max(air - dark, 1.0f);
  const float i = std::max(raw - dark, i0 * std::exp(-kMaxAttenuation));
  return std::clamp(-std::log(i / i0), 0.0f, kMaxAttenuation);
}

}  // namespace oi::xray
