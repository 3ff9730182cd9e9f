#include "tip_recorder.hpp"

#include <algorithm>
#include <map>
#include <opencv2/core.hpp>

#include "detect_test_support.hpp"
#include "oi/error.hpp"
#include "threat_detector.hpp"

namespace oi::xray::testing {
namespace {

constexpr int kMargin = 3, kRing = 4;

float ring_median(const cv::Mat& a, const cv::Rect& inner) {
  const cv::Rect outer =
      (inner + cv::Size(2 * kRing, 2 * kRing) - cv::Point(kRing, kRing)) & cv::Rect(0, 0, a.cols, a.rows);
  std::vector<float> v;
  for (int y = outer.y; y < outer.y + outer.height; ++y)
    for (int x = outer.x; x < outer.x + outer.width; ++x)
      if (!inner.contains({x, y})) v.push_back(a.at<float>(y, x));
  if (v.empty()) return 0.0f;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

TipLibrary record_tip_library(const std::filesystem::path& dataset, int max_per_class) {
  TipLibrary lib;
  std::map<std::string, int> count;
  for (std::size_t i = 0; i < dataset_scans(dataset); ++i) {
    const CorrectedScan scan = load_corrected_scan(dataset, i);
    const nlohmann::json& truth = scan.scan_json["ground_truth"];
    const cv::Rect frame(0, 0, scan.a_high.cols, scan.a_high.rows);
    for (std::size_t t = 0; t < truth.size(); ++t) {
      const std::string cls = truth[t].value("class", "");
      if (count[cls] >= max_per_class || truth[t].value("concealment", "") == "shielding") continue;
      const cv::Rect box = (box_from_json(truth[t]["box"]) + cv::Size(2 * kMargin, 2 * kMargin) -
                            cv::Point(kMargin, kMargin)) &
                           frame;
      bool alone = box.area() > 0;
      for (std::size_t o = 0; o < truth.size(); ++o)
        if (o != t && (box & box_from_json(truth[o]["box"])).area() > 0) alone = false;
      if (!alone) continue;
      TipThreat threat;
      threat.threat_class = cls;
      threat.id = cls + "_" + std::to_string(count[cls]);
      for (auto [src, dst] : {std::pair{&scan.a_high, &threat.high}, {&scan.a_low, &threat.low}}) {
        cv::Mat patch = (*src)(box)-ring_median(*src, box);
        *dst = cv::max(patch, 0.0f);
      }
      threat.source = {{"scene", scan.scan_json["scene"]}, {"truth", truth[t]}};
      lib.threats.push_back(std::move(threat));
      ++count[cls];
    }
  }
  return lib;
}

TipLibrary record_tip_library_from_sim(const std::filesystem::path& work, const std::filesystem::path& out,
                                       int seed, int scans, int pixels, int max_per_class) {
  std::string error;
  const std::filesystem::path data = work / "tip_source";
  if (!make_dataset(data, seed, scans, 1.0,
                    {"scanner.clutter=0", "scanner.pixels_per_line=" + std::to_string(pixels)}, error))
    throw Error("simulating the TIP source scans failed: " + error);
  TipLibrary lib = record_tip_library(data, max_per_class);
  if (lib.threats.empty()) throw Error("no isolated threat in " + data.string() + ": record more scans");
  lib.save(out);
  return lib;
}

}  // namespace oi::xray::testing
