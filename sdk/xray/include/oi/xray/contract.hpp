#pragma once
/// @file
/// The X-ray contract: the names and formulas every X-ray component agrees on. Scanner
/// drivers emit `xray.scan_block` frames with planes `high` (and `low`); scan.assemble makes
/// whole `xray.scan` frames; the inspection stages (xray.correct, xray.materials,
/// xray.colorize, xray.detect, xray.tip) add planes and attributes; sinks and tools read
/// them. An out-of-tree stage includes this header instead of writing the strings:
/// @code
/// #include <oi/xray/contract.hpp>
/// const oi::Plane& a = frame.plane(oi::xray::plane::kAHigh);
/// @endcode
/// Link `OpenInspect::xray` (find_package(OpenInspect COMPONENTS xray)). Each domain's
/// contract has this shape: a versioned header of frame kinds, plane and attribute names.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oi/frame.hpp"

namespace oi::xray {

/// Version of this contract; changes when a name or formula changes meaning.
/// 2: plane `mclass` renamed `material_class`.
inline constexpr int kContractVersion = 2;

/// Frame kinds of the X-ray chain.
namespace frame_kind {
inline constexpr std::string_view kScanBlock = "xray.scan_block";  ///< scanner: K lines of one scan
inline constexpr std::string_view kScan = "xray.scan";             ///< scan.assemble: a whole scan
}  // namespace frame_kind

/// True for a block of a scan still arriving: a frame with a scan id that is neither a whole
/// scan (kind frame_kind::kScan) nor a single block holding its whole scan. xray.correct and
/// xray.materials work on such blocks as they come (while the belt moves) and scan.assemble
/// joins them; a stage that needs the whole object refuses them (not_a_whole_scan()).
/// Reference frames (scan id 0) are not parts of a scan.
inline bool is_scan_part(const Frame& frame) {
  const FrameMetadata& m = frame.metadata();
  return m.scan_id != 0 && frame.kind() != frame_kind::kScan && !(m.block_index == 0 && m.end_of_scan);
}

/// For a stage of type `type` that needs whole scans: the error for a frame that is a block
/// of a scan still arriving (is_scan_part()), saying what to change; nullopt for any other.
inline std::optional<std::string> not_a_whole_scan(const Frame& frame, std::string_view type) {
  if (!is_scan_part(frame)) return std::nullopt;
  const FrameMetadata& m = frame.metadata();
  return "the frame is block " + std::to_string(m.block_index) + " of scan " + std::to_string(m.scan_id) +
         " from device '" + m.source_device + "', not a whole scan: " + std::string(type) +
         " needs whole scans; connect it after scan.assemble";
}

/// Planes, by the stage that adds them. Scan blocks and whole scans carry the scanner's
/// planes; each inspection stage adds its own and keeps what it received.
namespace plane {
inline constexpr const char* kHigh = "high";     ///< scanner: raw high-energy counts, u16
inline constexpr const char* kLow = "low";       ///< scanner: raw low-energy counts, u16 (dual energy)
inline constexpr const char* kAHigh = "a_high";  ///< xray.correct: log attenuation A = -ln(I/I0), f32
inline constexpr const char* kALow = "a_low";    ///< xray.correct: log attenuation of the low channel, f32
inline constexpr const char* kZeff = "zeff";     ///< xray.materials: effective atomic number, f32 (0 = empty)
inline constexpr const char* kMaterialClass = "material_class";  ///< xray.materials: MaterialClass code, u8
inline constexpr const char* kArealDensity = "areal_density";    ///< xray.materials: g/cm² estimate, f32
inline constexpr const char* kRgb = "rgb";                       ///< xray.colorize: pseudo-colour image, rgb8
/// The scanner's planes in channel order: {high} for one channel, {high, low} for two.
inline std::vector<std::string> scanner_planes(int channels) {
  return channels == 1 ? std::vector<std::string>{kHigh} : std::vector<std::string>{kHigh, kLow};
}
}  // namespace plane

/// Per-pixel material class (plane kMaterialClass).
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
    "calibration";  ///< calibration::kDark / kAir on reference frames (scan id 0)
inline constexpr const char* kGroundTruth =
    "ground_truth";  ///< simulator: list of truth objects (class, box, ...)
inline constexpr const char* kDetections =
    "detections";  ///< xray.detect: list of {class, box [x,y,w,h], score, tip?}
inline constexpr const char* kDecision = "decision";  ///< xray.detect: "clear", "alarm" or "cannot_clear"
/// xray.detect: why the decision is not `clear` when no region caused it (an incomplete scan)
inline constexpr const char* kDecisionReason = "decision_reason";
inline constexpr const char* kTip = "tip";  ///< xray.tip: list of inserted threats {class, box, tip_id}
inline constexpr const char* kTimings = "timings_ms";  ///< each stage adds {"<node>": ms}
/// scanner: detector view of the block, an int (0 for a single-view scanner)
inline constexpr const char* kView = "view";
/// scanner (optional): index of the block's first line within its scan, an int; with
/// kScanLines it lets scan.assemble count lines lost inside and at the end of a scan
inline constexpr const char* kFirstLine = "first_line";
/// scanner (optional): the scan's total number of lines, an int, on every block
inline constexpr const char* kScanLines = "scan_lines";
/// simulator (a real scanner may set it too): the tube settings of the scan {anode, kv, ma,
/// ...}, also on reference frames; sink.dataset keeps them
inline constexpr const char* kTube = "tube";
/// simulator: a summary of the simulated scene; sink.dataset keeps it
inline constexpr const char* kScene = "scene";
}  // namespace attr

/// Kinds of calibration reference: the values of attr::kCalibration on a scanner's reference
/// frames (scan id 0). xray.correct averages them into the offset and gain of its correction
/// (log_attenuation()); sink.dataset stores them as `dark_*` / `air_*` files.
namespace calibration {
inline constexpr const char* kDark = "dark";  ///< beam off: the detector's offset per pixel
inline constexpr const char* kAir = "air";    ///< beam on, nothing in it: the unattenuated level I0
}  // namespace calibration

/// "empty", "organic", "inorganic", "metal", "impenetrable".
std::string_view to_string(MaterialClass c);

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
