#include "detect_test_support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "oi/error.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray::testing {
namespace {

namespace fs = std::filesystem;

// Reference curves R(a_high) at 160 kV read off docs/xray-physics.md (polyethylene,
// aluminium, steel), with the Z_eff each stands for.
struct Curve {
  float z;
  std::vector<std::array<float, 2>> points;  // (a_high, R)
  float at(float h) const {
    if (h <= points.front()[0]) return points.front()[1];
    for (std::size_t i = 1; i < points.size(); ++i) {
      if (h <= points[i][0]) {
        const float t = (h - points[i - 1][0]) / (points[i][0] - points[i - 1][0]);
        return points[i - 1][1] + t * (points[i][1] - points[i - 1][1]);
      }
    }
    return points.back()[1];
  }
};
const std::array<Curve, 3>& curves() {
  static const std::array<Curve, 3> c = {
      Curve{5.5f, {{0.16f, 1.26f}, {0.82f, 1.23f}, {2.5f, 1.19f}}},
      Curve{13.0f, {{0.10f, 2.70f}, {0.49f, 1.98f}, {2.38f, 1.45f}, {3.6f, 1.38f}}},
      Curve{26.0f, {{0.34f, 2.9f}, {0.68f, 2.47f}, {2.74f, 1.61f}, {4.5f, 1.45f}}}};
  return c;
}

}  // namespace

fs::path fresh_dir(const std::string& name) {
  static const fs::path root = fs::temp_directory_path() / ("oi_detect_tests_" + std::to_string(::getpid()));
  static int counter = 0;
  fs::path p = root / (name + "-" + std::to_string(counter++));
  fs::create_directories(p);
  return p;
}

bool make_dataset(const fs::path& dir, int seed, int scans, double threat_rate,
                  const std::vector<std::string>& extra, std::string& error) {
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  std::ostringstream cmd;
  cmd << "'" << OI_EXE << "' run -q '" << OI_SIM_PIPELINE << "' --set scanner.seed=" << seed
      << " --set scanner.scans=" << scans << " --set scanner.threat_rate=" << threat_rate
      << " --set dataset.dir='" << dir.string() << "'";
  for (const std::string& e : extra) cmd << " --set " << e;
  const fs::path log = dir.string() + ".log";
  if (run_command(cmd.str(), log) == 0 && fs::exists(dir / "dataset.json")) return true;
  std::ifstream in(log);
  error = cmd.str() + "\n" + std::string(std::istreambuf_iterator<char>(in), {});
  return false;
}

ClassifiedScan classify_stand_in(const cv::Mat& a_high, const cv::Mat& a_low) {
  ClassifiedScan s;
  s.a_high = a_high;
  s.a_low = a_low;
  cv::Mat h, l;
  cv::blur(a_high, h, {5, 5}, {-1, -1}, cv::BORDER_REPLICATE);  // noise: smooth before the ratio
  cv::blur(a_low, l, {5, 5}, {-1, -1}, cv::BORDER_REPLICATE);
  s.zeff.create(a_high.size(), CV_32F);
  s.material_class.create(a_high.size(), CV_8U);
  s.areal_density.create(a_high.size(), CV_32F);
  const auto& c = curves();
  for (int y = 0; y < h.rows; ++y) {
    for (int x = 0; x < h.cols; ++x) {
      const float ah = h.at<float>(y, x), al = l.at<float>(y, x);
      MaterialClass cls;
      float z = 0.0f;
      if (ah < 0.05f) {
        cls = MaterialClass::kEmpty;
      } else if (ah >= 6.0f || al >= 7.5f) {  // the simulator's high channel is at its noise floor
        cls = MaterialClass::kImpenetrable;
      } else {
        const float r = al / ah;
        const float r0 = c[0].at(ah), r1 = c[1].at(ah), r2 = c[2].at(ah);
        if (r <= r1)
          z = c[0].z + (r - r0) / std::max(1e-3f, r1 - r0) * (c[1].z - c[0].z);
        else
          z = c[1].z + (r - r1) / std::max(1e-3f, r2 - r1) * (c[2].z - c[1].z);
        z = std::clamp(z, 1.0f, 40.0f);
        cls = z < 10.0f   ? MaterialClass::kOrganic
              : z < 17.0f ? MaterialClass::kInorganic
                          : MaterialClass::kMetal;
      }
      s.zeff.at<float>(y, x) = z;
      s.material_class.at<std::uint8_t>(y, x) = static_cast<std::uint8_t>(cls);
      s.areal_density.at<float>(y, x) = ah / 0.18f;  // organic-like mass attenuation: a rough figure
    }
  }
  return s;
}

void Evaluation::add(const nlohmann::json& truth, const std::vector<Detection>& detections,
                     double hidden_limit) {
  ++scans;
  std::vector<bool> used(detections.size(), false);
  bool threat = false;
  for (const auto& t : truth) {
    const std::string cls = t.value("class", "");
    if (cls != threat::kFirearm && cls != threat::kNarcotics && cls != threat::kShielding &&
        cls != threat::kKnife)
      continue;
    threat = true;
    if (cls != threat::kShielding && t.value("hidden_fraction", 0.0) >= hidden_limit) continue;
    ++truths[cls];
    const cv::Rect box = box_from_json(t["box"]);
    bool hit = false;
    for (std::size_t i = 0; i < detections.size(); ++i) {
      if (detections[i].threat_class == cls && matches(to_box(detections[i].box), to_box(box))) {
        used[i] = true;
        hit = true;
      }
    }
    found[cls] += hit;
  }
  // A region that matches a truth of its own class is never a false alarm, also when that
  // truth was left out of recall as hidden.
  for (const auto& t : truth)
    for (std::size_t i = 0; i < detections.size(); ++i)
      if (t.value("class", "") == detections[i].threat_class &&
          matches(to_box(detections[i].box), to_box(box_from_json(t["box"]))))
        used[i] = true;
  for (std::size_t i = 0; i < detections.size(); ++i)
    if (!used[i]) ++false_alarms[detections[i].threat_class];
  const bool flagged = decide(detections) != decision::kClear;
  if (threat) {
    ++threat_scans;
    alarmed_threat_scans += flagged;
  } else {
    ++clear_scans;
    alarmed_clear_scans += flagged;
  }
}

double Evaluation::recall(const std::string& cls) const {
  auto t = truths.find(cls);
  if (t == truths.end() || t->second == 0) return 1.0;
  auto f = found.find(cls);
  return (f == found.end() ? 0 : f->second) / static_cast<double>(t->second);
}

double Evaluation::false_alarms_per_scan() const {
  int n = 0;
  for (const auto& [cls, count] : false_alarms) n += count;
  return scans ? n / static_cast<double>(scans) : 0.0;
}
double Evaluation::scan_pd() const {
  return threat_scans ? alarmed_threat_scans / static_cast<double>(threat_scans) : 1.0;
}
double Evaluation::scan_pfa() const {
  return clear_scans ? alarmed_clear_scans / static_cast<double>(clear_scans) : 0.0;
}

std::string Evaluation::table() const {
  std::ostringstream o;
  char buf[160];
  o << "scans " << scans << " (with threats " << threat_scans << ", clear " << clear_scans << ")\n";
  for (const char* cls : {threat::kFirearm, threat::kNarcotics, threat::kShielding, threat::kKnife}) {
    const auto t = truths.find(cls);
    if (t == truths.end()) continue;
    const auto f = found.find(cls);
    const auto fa = false_alarms.find(cls);
    std::snprintf(buf, sizeof buf, "  %-10s recall %.3f (%d of %d)   false alarms %d (%.3f per scan)\n", cls,
                  recall(cls), f == found.end() ? 0 : f->second, t->second,
                  fa == false_alarms.end() ? 0 : fa->second,
                  scans ? (fa == false_alarms.end() ? 0 : fa->second) / static_cast<double>(scans) : 0.0);
    o << buf;
  }
  for (const auto& [cls, count] : false_alarms) {
    if (truths.count(cls)) continue;
    std::snprintf(buf, sizeof buf, "  %-10s (no truths) false alarms %d\n", cls.c_str(), count);
    o << buf;
  }
  std::snprintf(buf, sizeof buf, "  false alarms per scan %.3f   scan Pd %.3f   scan Pfa %.3f\n",
                false_alarms_per_scan(), scan_pd(), scan_pfa());
  o << buf;
  return o.str();
}

}  // namespace oi::xray::testing
