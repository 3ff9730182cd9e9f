// Loading a calibration file, resampling it for the kernel, and the per-pixel classification
// (the CPU side of shaders/xray/materials_common.glsl; keep both in step).
#include "material_model.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray {
namespace {

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what) {
  throw ConfigError("calibration file '" + file.string() + "': " + what +
                    "; write it with `oi calibrate-materials DATASET_DIR -o FILE` (docs/materials.md)");
}

float number(const nlohmann::json& obj, const char* key, const std::string& where,
             const std::filesystem::path& file) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_number())
    fail(file, where + ": '" + key + "' must be a number");
  const double v = obj[key].get<double>();
  if (!std::isfinite(v)) fail(file, where + ": '" + key + "' is not finite");
  // The kernels and the CPU reference compute in float: a value finite as a double but not
  // as a float would run as infinity.
  if (std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max()))
    fail(file, where + ": '" + key + "' is " + obj[key].dump() + ", beyond the range of a 32-bit float");
  return static_cast<float>(v);
}

// R of a calibrated curve at `a` (piecewise linear, flat beyond its ends); `k` gets the mass
// attenuation the same way.
float curve_at(const MaterialCurve& c, float a, float* k) {
  const auto& p = c.points;
  if (a <= p.front().a_high) {
    if (k) *k = p.front().mass_attenuation;
    return p.front().ratio;
  }
  for (std::size_t i = 1; i < p.size(); ++i) {
    if (a <= p[i].a_high) {
      const float w = (a - p[i - 1].a_high) / (p[i].a_high - p[i - 1].a_high);
      if (k) *k = p[i - 1].mass_attenuation + w * (p[i].mass_attenuation - p[i - 1].mass_attenuation);
      return p[i - 1].ratio + w * (p[i].ratio - p[i - 1].ratio);
    }
  }
  if (k) *k = p.back().mass_attenuation;
  return p.back().ratio;
}

}  // namespace

MaterialCalibration MaterialCalibration::load(const std::filesystem::path& file) {
  if (auto problem = input_file_problem(file)) {
    // Its owner has it: the advice to write it again does not apply.
    if (is_unreadable(*problem))
      throw ConfigError("calibration file '" + file.string() + "': it " + *problem);
    fail(file, "cannot be opened: it " + *problem);
  }
  std::ifstream in(file);
  if (!in) fail(file, "cannot be opened (missing or unreadable)");
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    fail(file, std::string("is not valid JSON (") + e.what() + ")");
  }
  return from_json(doc, file);
}

MaterialCalibration MaterialCalibration::from_json(const nlohmann::json& doc,
                                                   const std::filesystem::path& file) {
  if (!doc.is_object()) fail(file, "the top level must be a JSON object");
  // Checked by type first: value() would throw nlohmann's type_error for a non-string.
  if (!doc.contains("format") || !doc["format"].is_string() ||
      doc["format"].get<std::string>() != kCalibrationFormat)
    fail(file, std::string("'format' must be \"") + kCalibrationFormat + "\"");
  if (!doc.contains("version") || !doc["version"].is_number_integer() ||
      doc["version"].get<int>() != kCalibrationVersion)
    fail(file, "'version' must be " + std::to_string(kCalibrationVersion) + " (this SDK reads no other)");
  MaterialCalibration cal;
  cal.file = file;
  cal.tube = doc.value(attr::kTube, nlohmann::json());
  const nlohmann::json floor = doc.value("noise_floor", nlohmann::json());
  cal.a_high_max = number(floor, "a_high_max", "noise_floor", file);
  cal.a_low_max = number(floor, "a_low_max", "noise_floor", file);
  if (cal.a_high_max <= 0 || cal.a_high_max > kMaxAttenuation || cal.a_low_max <= 0 ||
      cal.a_low_max > kMaxAttenuation)
    fail(file,
         "noise_floor.a_high_max and a_low_max must lie in (0, " + std::to_string(kMaxAttenuation) + "]");
  if (!doc.contains("materials") || !doc["materials"].is_array()) fail(file, "'materials' must be a list");
  for (std::size_t m = 0; m < doc["materials"].size(); ++m) {
    const nlohmann::json& jm = doc["materials"][m];
    const std::string where = "materials[" + std::to_string(m) + "]";
    MaterialCurve curve;
    if (!jm.is_object() || !jm.contains("name") || !jm["name"].is_string())
      fail(file, where + ": 'name' must be a string");
    curve.name = jm["name"].get<std::string>();
    curve.z_eff = number(jm, "z_eff", where, file);
    if (curve.z_eff < 1 || curve.z_eff > 100)
      fail(file, where + " (" + curve.name + "): z_eff must lie in [1, 100]");
    if (!jm.contains("points") || !jm["points"].is_array()) fail(file, where + ": 'points' must be a list");
    for (std::size_t i = 0; i < jm["points"].size(); ++i) {
      const std::string pw = where + ".points[" + std::to_string(i) + "]";
      const nlohmann::json& jp = jm["points"][i];
      CurvePoint p{number(jp, "a_high", pw, file), number(jp, "ratio", pw, file),
                   jp.contains("mass_attenuation") ? number(jp, "mass_attenuation", pw, file) : 0.0f};
      if (p.a_high <= 0 || p.ratio <= 0 || p.mass_attenuation < 0)
        fail(file, pw + ": a_high and ratio must be positive, mass_attenuation not negative");
      // The chain clamps A to kMaxAttenuation; a point beyond it can never be reached and
      // would stretch the lookup grid over nothing.
      if (p.a_high > kMaxAttenuation)
        fail(file, pw + ": a_high is " + std::to_string(p.a_high) +
                       ", beyond the largest attenuation the chain "
                       "represents (" +
                       std::to_string(kMaxAttenuation) + ")");
      if (!curve.points.empty() && p.a_high <= curve.points.back().a_high)
        fail(file, pw + ": a_high must increase along a curve");
      curve.points.push_back(p);
    }
    if (curve.points.empty()) fail(file, where + " (" + curve.name + ") has no points");
    cal.curves.push_back(std::move(curve));
  }
  if (cal.curves.size() < 2) fail(file, "needs at least two materials to interpolate between");
  if (cal.curves.size() > static_cast<std::size_t>(kMaxCurves))
    fail(file, "holds " + std::to_string(cal.curves.size()) + " materials; at most " +
                   std::to_string(kMaxCurves) + " are supported");
  std::stable_sort(cal.curves.begin(), cal.curves.end(),
                   [](const auto& a, const auto& b) { return a.z_eff < b.z_eff; });
  for (std::size_t i = 1; i < cal.curves.size(); ++i) {
    if (cal.curves[i].z_eff == cal.curves[i - 1].z_eff)
      fail(file,
           "materials '" + cal.curves[i - 1].name + "' and '" + cal.curves[i].name + "' have the same z_eff");
  }
  return cal;
}

float MaterialTable::grid_a_high(int i) const {
  const float s = static_cast<float>(i) / static_cast<float>(kGridPoints - 1);
  return grid_max * s * s;
}

MaterialTable MaterialTable::build(const MaterialCalibration& cal) {
  MaterialTable t;
  t.curves = static_cast<int>(cal.curves.size());
  t.a_high_max = cal.a_high_max;
  t.a_low_max = cal.a_low_max;
  t.grid_max = cal.a_high_max;
  for (const auto& c : cal.curves) t.grid_max = std::max(t.grid_max, c.points.back().a_high);
  for (int c = 0; c < t.curves; ++c) {
    const MaterialCurve& curve = cal.curves[c];
    t.z[c] = curve.z_eff;
    // Out of Z order at its thinnest step: a lower-Z curve has a ratio at least as large.
    const float a_first = curve.points.front().a_high;
    bool out_of_order = false;
    for (int d = 0; d < c; ++d)
      out_of_order |= curve_at(cal.curves[d], a_first, nullptr) >= curve.points.front().ratio;
    // The grid cell holding a_first stays defined so that the thinnest step itself is covered.
    const int first_defined =
        out_of_order ? static_cast<int>(std::floor(std::sqrt(a_first / t.grid_max) * (kGridPoints - 1))) : 0;
    for (int i = 0; i < kGridPoints; ++i) {
      float k = 0;
      const float r = curve_at(curve, t.grid_a_high(i), &k);
      t.ratio[c * kGridPoints + i] = i < first_defined ? kUndefinedRatio : r;
      t.mass_attenuation[c * kGridPoints + i] = k;
    }
  }
  return t;
}

PixelMaterial classify_pixel(float a_high, float a_low, const MaterialTable& t, const ClassThresholds& th) {
  PixelMaterial out;
  if (a_high < th.empty_attenuation) {
    out.klass = static_cast<std::uint8_t>(MaterialClass::kEmpty);
    return out;
  }
  // Grid position (uniform in sqrt(A)).
  const float u =
      std::sqrt(std::clamp(a_high / t.grid_max, 0.0f, 1.0f)) * static_cast<float>(kGridPoints - 1);
  const int i0 = std::min(static_cast<int>(u), kGridPoints - 2);
  const float f = u - static_cast<float>(i0);
  if (a_high > t.a_high_max || a_low > t.a_low_max) {
    // No usable ratio; the areal density is a lower bound: the largest mass attenuation.
    float k_max = 0;
    for (int c = 0; c < t.curves; ++c) {
      const float* k = &t.mass_attenuation[c * kGridPoints];
      k_max = std::max(k_max, k[i0] + f * (k[i0 + 1] - k[i0]));
    }
    out.klass = static_cast<std::uint8_t>(MaterialClass::kImpenetrable);
    out.areal_density = k_max > 0 ? a_high / k_max : 0.0f;
    return out;
  }
  const float r = a_low / a_high;
  std::array<float, kMaxCurves> rc{}, kc{};
  std::array<bool, kMaxCurves> valid{}, main_sequence{};
  for (int c = 0; c < t.curves; ++c) {
    const float* rr = &t.ratio[c * kGridPoints];
    const float* kk = &t.mass_attenuation[c * kGridPoints];
    valid[c] = rr[i0] >= 0.0f && rr[i0 + 1] >= 0.0f;
    rc[c] = rr[i0] + f * (rr[i0 + 1] - rr[i0]);
    kc[c] = kk[i0] + f * (kk[i0 + 1] - kk[i0]);
  }
  // A curve out of Z order here (a lower-Z curve reads a ratio at least as large) is not
  // interpolated towards: it owns the band halfway to its neighbours in R.
  for (int c = 0; c < t.curves; ++c) {
    bool in_order = valid[c];
    for (int d = 0; d < c; ++d) in_order = in_order && !(valid[d] && rc[d] >= rc[c]);
    main_sequence[c] = in_order;
  }
  float z = 0, k = 0;
  bool found = false;
  for (int c = 0; c < t.curves && !found; ++c) {
    if (!valid[c] || main_sequence[c]) continue;
    float below = -1e30f, above = 1e30f;
    for (int d = 0; d < t.curves; ++d) {
      if (d == c || !valid[d]) continue;
      if (rc[d] < rc[c])
        below = std::max(below, rc[d]);
      else
        above = std::min(above, rc[d]);
    }
    if (r >= 0.5f * (below + rc[c]) && r <= 0.5f * (rc[c] + above)) {
      z = t.z[c];
      k = kc[c];
      found = true;
    }
  }
  // Along the curves in Z order: Z_eff linear in R between the two that bracket r.
  int prev = -1;
  for (int c = 0; c < t.curves && !found; ++c) {
    if (!main_sequence[c]) continue;
    if (r <= rc[c]) {
      if (prev < 0) {
        z = t.z[c];
        k = kc[c];
      } else {
        const float w = (r - rc[prev]) / (rc[c] - rc[prev]);
        z = t.z[prev] + w * (t.z[c] - t.z[prev]);
        k = kc[prev] + w * (kc[c] - kc[prev]);
      }
      found = true;
    }
    prev = c;
  }
  if (!found && prev >= 0) {
    z = t.z[prev];
    k = kc[prev];
  }
  out.zeff = z;
  out.klass = static_cast<std::uint8_t>(z < th.organic_max_z     ? MaterialClass::kOrganic
                                        : z < th.inorganic_max_z ? MaterialClass::kInorganic
                                                                 : MaterialClass::kMetal);
  out.areal_density = k > 0 ? a_high / k : 0.0f;
  return out;
}

}  // namespace oi::xray
