#include "tip_attributes.hpp"

#include "oi/error.hpp"
#include "threat_detector.hpp"

namespace oi::xray {

TipMarking mark_tip_detections(const nlohmann::json& tip, nlohmann::json& detections, bool scan_incomplete) {
  TipMarking m;
  m.tip = tip.is_array() ? tip : nlohmann::json::array();
  if (!tip.is_array() && !tip.is_null())
    throw Error("attribute 'tip' must be a list of {class, box, tip_id}, got " + tip.dump());
  std::vector<bool> is_tip(detections.size(), false);
  for (auto& entry : m.tip) {
    if (!entry.is_object() || !entry.contains("class") || !entry.contains("box"))
      throw Error("a 'tip' entry lacks class or box: " + entry.dump());
    const cv::Rect box = box_from_json(entry["box"]);
    bool detected = false;
    for (std::size_t i = 0; i < detections.size(); ++i) {
      const cv::Rect d = box_from_json(detections[i]["box"]);
      if (detections[i].value("class", "") == entry["class"] && matches(to_box(d), to_box(box))) {
        is_tip[i] = true;
        detected = true;
      } else if ((d & box).area() * 2 >= d.area()) {
        // Mostly inside the projected threat: caused by it (a projected pistol's thick steel
        // also reads as a small shielding region), so never a real threat either.
        is_tip[i] = true;
      }
    }
    entry["detected"] = detected;
    ++m.inserted;
    m.detected += detected;
  }
  std::vector<Detection> real;
  for (std::size_t i = 0; i < detections.size(); ++i) {
    if (!m.tip.empty()) detections[i]["tip"] = static_cast<bool>(is_tip[i]);
    if (!is_tip[i])
      real.push_back({detections[i].value("class", ""), box_from_json(detections[i]["box"]), 0.0f});
  }
  m.decision_excluding_tip = decide(real, scan_incomplete);
  return m;
}

}  // namespace oi::xray
