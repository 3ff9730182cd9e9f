#pragma once
/// @file
/// How xray.detect relates its detections to the TIP insertions xray.tip recorded in the
/// attribute `tip`, so that sinks can keep projected threats away from the operator's report.

#include <cstdint>
#include <nlohmann/json.hpp>

namespace oi::xray {

/// Attribute added by xray.detect on scans that carry `tip`: the decision the scan would get
/// from its real (non-TIP) detections alone. Sinks show this one to the operator. (Additive to
/// the contract in oi/xray/contract.hpp.)
inline constexpr const char* kDecisionExcludingTip = "decision_excluding_tip";

/// Result of mark_tip_detections().
struct TipMarking {
  nlohmann::json tip;                  ///< the `tip` list, each entry with "detected": bool added
  std::string decision_excluding_tip;  ///< decide() over the detections not marked "tip"
  std::int64_t inserted = 0;           ///< entries in `tip`
  std::int64_t detected = 0;           ///< entries matched by a detection of their class
};

/// Marks each detection (JSON {class, box, score}) "tip": true when it matches (IoU >= 0.3 or
/// centre inside, the evaluation rule) an insertion of the same class in `tip`, else "tip":
/// false when `tip` is non-empty. A detection of another class lying at least half inside an
/// insertion's box is marked "tip" too (caused by the projection) but does not count as detecting it. Throws
/// oi::Error for a malformed entry (the message quotes it). `scan_incomplete` goes to decide() for
/// `decision_excluding_tip`.
TipMarking mark_tip_detections(const nlohmann::json& tip, nlohmann::json& detections,
                               bool scan_incomplete = false);

}  // namespace oi::xray
