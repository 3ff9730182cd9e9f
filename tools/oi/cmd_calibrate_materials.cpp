// `oi calibrate-materials DATASET_DIR`: fits, per reference material, the curve of
// R = A_low / A_high against A_high on step-wedge scans (sink.dataset format: the simulator's
// `wedges` scene, or a real scanner's wedge scans with hand-written ground truth) and writes
// the calibration file xray.materials loads. Procedure and file format: docs/materials.md.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "correct_dataset.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/xray/contract.hpp"

namespace oi::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using oi::xray::CorrectedDataset;

/// A usage or data-set problem: reported as `error: ...`, exit status 2.
struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Reference materials the simulator's wedges use, with the effective atomic number assigned
/// to each curve and the density that turns A_high into g/cm². Z_eff of a compound: the
/// power-law average (sum of electron fractions times Z^2.94)^(1/2.94), the usual
/// photoelectric-weighted choice; elements: their Z. Truth objects may carry `z_eff` and
/// `density_g_cm3` to override or add materials (a real scanner's wedges).
struct ReferenceMaterial {
  const char* name;
  double z_eff;
  double density;
  const char* why;
};
constexpr ReferenceMaterial kReferenceMaterials[] = {
    {"polyethylene", 5.5, 0.94, "C2H4, power-law (2.94) average: 5.44"},
    {"pom", 6.9, 1.41, "CH2O, power-law (2.94) average: 6.95"},
    {"water", 7.4, 1.00, "H2O, power-law (2.94) average: 7.42"},
    {"aluminium", 13.0, 2.70, "element Al"},
    {"steel", 26.0, 7.87, "iron (the simulator's steel is Fe)"},
    {"copper", 29.0, 8.96, "element Cu"},
    {"lead", 82.0, 11.35, "element Pb"},
};

const ReferenceMaterial* find_reference(const std::string& name) {
  for (const auto& m : kReferenceMaterials)
    if (name == m.name) return &m;
  return nullptr;
}

json read_json(const fs::path& file, const std::string& what) {
  if (auto problem = oi::input_file_problem(file))
    throw BadInput(what + " " + file.string() + " cannot be opened: it " + *problem +
                   "; is this a data set folder written by sink.dataset?");
  std::ifstream in(file);
  if (!in)
    throw BadInput(what + " " + file.string() +
                   " cannot be opened; is this a data set folder written by sink.dataset?");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw BadInput(what + " " + file.string() + " is not valid JSON: " + e.what());
  }
}

/// Trimmed mean (10 % off each end) and robust sigma (1.4826 MAD) of `v`.
std::pair<double, double> robust_stats(std::vector<float>& v) {
  std::sort(v.begin(), v.end());
  const std::size_t cut = v.size() / 10;
  double sum = 0;
  for (std::size_t i = cut; i < v.size() - cut; ++i) sum += v[i];
  const double mean = sum / static_cast<double>(v.size() - 2 * cut);
  const double median = v[v.size() / 2];
  std::vector<float> dev(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) dev[i] = static_cast<float>(std::fabs(v[i] - median));
  std::nth_element(dev.begin(), dev.begin() + dev.size() / 2, dev.end());
  return {mean, 1.4826 * dev[dev.size() / 2]};
}

struct Step {
  std::string material;
  double thickness_cm = 0, z_eff = 0, density = 0;
  std::string z_source;
  double a_high = 0, a_low = 0, sigma_high = 0, sigma_low = 0;
  std::size_t pixels = 0, scans = 0;
};

struct Options {
  fs::path dataset, output;
  double sigma_max = 0.2;
  int margin = 3;
};

std::vector<Step> measure_steps(const Options& opt, const json& index, json& tube,
                                std::vector<std::string>& notes) {
  std::map<std::pair<std::string, long>, Step> steps;  // by material and thickness in µm
  const json scans = index.value("scans", json::array());
  if (scans.empty()) throw BadInput("data set " + opt.dataset.string() + " lists no scans");
  std::optional<CorrectedDataset> opened;
  try {
    opened.emplace(opt.dataset);
  } catch (const oi::Error& e) {
    throw BadInput(e.what());
  }
  const CorrectedDataset& dataset = *opened;
  std::size_t used_scans = 0;
  for (std::size_t s = 0; s < scans.size(); ++s) {
    const json scan = read_json(opt.dataset / scans[s].value("json", std::string()), "scan file");
    if (!scan.value("ground_truth_known", false)) {
      notes.push_back("scan " + std::to_string(scan.value("scan_id", -1)) + ": no ground truth, not used");
      continue;
    }
    const json scan_tube = scan.value(oi::xray::attr::kTube, json());
    if (tube.is_null())
      tube = scan_tube;
    else if (scan_tube != tube)
      throw BadInput("scan " + std::to_string(scan.value("scan_id", -1)) + " was taken with tube " +
                     scan_tube.dump() + ", others with " + tube.dump() +
                     "; calibrate each tube setting separately");
    // The scan as xray.correct would see it: the last dark and air references before it, the
    // stage's dead-pixel rule. Dead columns are left out of every step (the stage repairs them
    // by interpolation, which is not a measurement).
    CorrectedDataset::Scan corrected;
    try {
      corrected = dataset.scan(s);
    } catch (const oi::Error& e) {
      throw BadInput(e.what());
    }
    std::vector<bool> dead(static_cast<std::size_t>(corrected.a_high.cols), false);
    for (int x : corrected.dead_columns) dead[static_cast<std::size_t>(x)] = true;
    bool any = false;
    for (const json& t : scan.value(oi::xray::attr::kGroundTruth, json::array())) {
      if (t.value("class", std::string()) != "wedge_step") continue;
      const std::string material = t.value("material", std::string());
      const double thickness = t.value("thickness_cm", 0.0);
      const json box = t.value("box", json());
      if (material.empty() || thickness <= 0 || !box.is_array() || box.size() != 4)
        throw BadInput(
            "scan " + std::to_string(scan.value("scan_id", -1)) +
            ": a wedge_step truth object needs material, thickness_cm > 0 and box [x, y, w, h]: " + t.dump());
      Step step;
      step.material = material;
      step.thickness_cm = thickness;
      if (const ReferenceMaterial* ref = find_reference(material)) {
        step.z_eff = ref->z_eff;
        step.density = ref->density;
        step.z_source = ref->why;
      }
      if (t.contains("z_eff")) step.z_eff = t["z_eff"].get<double>(), step.z_source = "ground truth";
      if (t.contains("density_g_cm3")) step.density = t["density_g_cm3"].get<double>();
      if (step.z_eff <= 0 || step.density <= 0)
        throw BadInput("material '" + material + "' is not a known reference material (" +
                       "polyethylene, pom, water, aluminium, steel, copper, lead); give its truth objects " +
                       "\"z_eff\" and \"density_g_cm3\"");
      // The box interior: steps' edges and the smoothing of xray.materials mix neighbours.
      const int bx = box[0], by = box[1], bw = box[2], bh = box[3];
      const int mx = std::max(opt.margin, bw / 10), my = std::max(opt.margin, bh / 10);
      const int x0 = std::max(0, bx + mx), x1 = std::min(corrected.a_high.cols, bx + bw - mx);
      const int y0 = std::max(0, by + my), y1 = std::min(corrected.a_high.rows, by + bh - my);
      std::vector<float> ah, al;
      for (int y = y0; y < y1; ++y) {
        const auto* ph = corrected.a_high.ptr<float>(y);
        const auto* pl = corrected.a_low.ptr<float>(y);
        for (int x = x0; x < x1; ++x) {
          if (dead[static_cast<std::size_t>(x)]) continue;
          ah.push_back(ph[x]);
          al.push_back(pl[x]);
        }
      }
      if (ah.size() < 20) {
        notes.push_back("scan " + std::to_string(scan.value("scan_id", -1)) + ": " + material + " " +
                        std::to_string(thickness) + " cm has only " + std::to_string(ah.size()) +
                        " interior pixels, not used (use more `pixels` or longer scans)");
        continue;
      }
      const auto [mh, sh] = robust_stats(ah);
      const auto [ml, sl] = robust_stats(al);
      Step& acc = steps.try_emplace({material, std::lround(thickness * 1e4)}, step).first->second;
      const double n0 = static_cast<double>(acc.pixels), n1 = static_cast<double>(ah.size());
      acc.a_high = (acc.a_high * n0 + mh * n1) / (n0 + n1);
      acc.a_low = (acc.a_low * n0 + ml * n1) / (n0 + n1);
      acc.sigma_high = (acc.sigma_high * n0 + sh * n1) / (n0 + n1);
      acc.sigma_low = (acc.sigma_low * n0 + sl * n1) / (n0 + n1);
      acc.pixels += ah.size();
      ++acc.scans;
      any = true;
    }
    if (!any)
      notes.push_back("scan " + std::to_string(scan.value("scan_id", -1)) + ": no wedge_step truth objects");
    used_scans += any;
  }
  if (steps.empty())
    throw BadInput("data set " + opt.dataset.string() +
                   " holds no wedge steps (truth objects of class wedge_step); "
                   "record it with `--set scanner.scene=wedges`");
  std::vector<Step> out;
  for (auto& [key, step] : steps) out.push_back(step);
  return out;
}

/// s in sigma(A) = s * exp(A / 2): quantum noise of a channel, from steps that are neither
/// nearly empty nor near the floor (median over them).
double noise_scale(const std::vector<Step>& steps, bool high) {
  std::vector<double> s;
  for (const Step& st : steps) {
    const double a = high ? st.a_high : st.a_low, sigma = high ? st.sigma_high : st.sigma_low;
    if (a > 0.1 && a < 4.0 && sigma > 0) s.push_back(sigma * std::exp(-a / 2));
  }
  if (s.empty())
    throw BadInput("no wedge step lies between A = 0.1 and 4 in the " + std::string(high ? "high" : "low") +
                   " channel: the noise floor cannot be measured; use the full wedge set");
  std::nth_element(s.begin(), s.begin() + s.size() / 2, s.end());
  return s[s.size() / 2];
}

/// Weighted pool-adjacent-violators: the closest non-increasing sequence (beam hardening
/// only ever lowers R as thickness grows, so a rise is noise).
std::vector<double> non_increasing(const std::vector<double>& y, const std::vector<double>& w) {
  struct Block {
    double sum, weight;
    std::size_t count;
  };
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < y.size(); ++i) {
    blocks.push_back({y[i] * w[i], w[i], 1});
    while (blocks.size() > 1 && blocks[blocks.size() - 2].sum / blocks[blocks.size() - 2].weight <
                                    blocks.back().sum / blocks.back().weight) {
      Block b = blocks.back();
      blocks.pop_back();
      blocks.back().sum += b.sum;
      blocks.back().weight += b.weight;
      blocks.back().count += b.count;
    }
  }
  std::vector<double> out;
  for (const Block& b : blocks) out.insert(out.end(), b.count, b.sum / b.weight);
  return out;
}

// Creates and removes the file's temporary sibling, as write_file_atomically() will.
void check_output_writable(const fs::path& out) {
  std::error_code ec;
  if (out.has_parent_path() && !fs::is_directory(out.parent_path(), ec))
    throw BadInput("output folder " + out.parent_path().string() + " does not exist");
  if (fs::is_directory(out, ec))
    throw BadInput("output " + out.string() + " is a folder; name the calibration file to write");
  const fs::path probe = out.string() + ".partial";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    throw BadInput("cannot write " + out.string() + ": " + std::strerror(error) + ": " +
                   oi::write_error_advice(error));
  }
  ::close(fd);
  ::unlink(probe.c_str());
}

int calibrate(const Options& opt) {
  if (!fs::is_directory(opt.dataset))
    throw BadInput(opt.dataset.string() + " is not a folder; pass the data set folder sink.dataset wrote");
  const json index = read_json(opt.dataset / "dataset.json", "data set index");
  if (!index.is_object() || index.value("format", std::string()) != oi::xray::kDatasetFormat ||
      index.value("version", 0) != oi::xray::kDatasetVersion)
    throw BadInput(opt.dataset.string() + "/dataset.json is not an " + oi::xray::kDatasetFormat +
                   " version " + std::to_string(oi::xray::kDatasetVersion) + " index");
  // The output must be writable now, not after the whole fit.
  const fs::path out = opt.output.empty() ? opt.dataset / "material_calibration.json" : opt.output;
  check_output_writable(out);
  json tube;
  std::vector<std::string> notes;
  std::vector<Step> steps = measure_steps(opt, index, tube, notes);
  const double s_high = noise_scale(steps, true), s_low = noise_scale(steps, false);
  const double cap = oi::xray::kMaxAttenuation - 0.5;
  const double a_high_max = std::min(cap, 2 * std::log(opt.sigma_max / s_high));
  const double a_low_max = std::min(cap, 2 * std::log(opt.sigma_max / s_low));

  std::map<std::string, std::vector<Step>> by_material;
  for (const Step& s : steps) by_material[s.material].push_back(s);
  json materials = json::array();
  std::printf("%-14s %6s %7s  %s\n", "material", "Z_eff", "points", "A_high range (R)");
  for (auto& [name, list] : by_material) {
    std::sort(list.begin(), list.end(),
              [](const Step& a, const Step& b) { return a.thickness_cm < b.thickness_cm; });
    std::vector<const Step*> usable;
    json beyond = json::array();
    for (const Step& s : list) {
      const bool ok = s.a_high <= a_high_max && s.a_low <= a_low_max &&
                      (usable.empty() || s.a_high > usable.back()->a_high + 1e-3);
      if (ok)
        usable.push_back(&s);
      else
        beyond.push_back({{"thickness_cm", s.thickness_cm}, {"a_high", s.a_high}, {"a_low", s.a_low}});
    }
    if (usable.size() < 2) {
      notes.push_back(name + ": fewer than two steps within the noise floor; no curve");
      continue;
    }
    std::vector<double> r, w;
    for (const Step* s : usable)
      r.push_back(s->a_low / s->a_high), w.push_back(static_cast<double>(s->pixels));
    const std::vector<double> fit = non_increasing(r, w);
    json points = json::array();
    for (std::size_t i = 0; i < usable.size(); ++i) {
      const Step& s = *usable[i];
      points.push_back({{"a_high", s.a_high},
                        {"a_low", s.a_low},
                        {"ratio", fit[i]},
                        {"ratio_measured", r[i]},
                        {"mass_attenuation", s.a_high / (s.density * s.thickness_cm)},
                        {"thickness_cm", s.thickness_cm},
                        {"pixels", s.pixels},
                        {"scans", s.scans},
                        {"sigma_a_high", s.sigma_high},
                        {"sigma_a_low", s.sigma_low}});
    }
    materials.push_back({{"name", name},
                         {"z_eff", usable.front()->z_eff},
                         {"z_eff_source", usable.front()->z_source},
                         {"density_g_cm3", usable.front()->density},
                         {"points", points},
                         {"penetrable_a_high_max", usable.back()->a_high},
                         {"beyond_noise_floor", beyond}});
    std::printf("%-14s %6.1f %7zu  %.2f (%.3f) .. %.2f (%.3f)\n", name.c_str(), usable.front()->z_eff,
                usable.size(), usable.front()->a_high, fit.front(), usable.back()->a_high, fit.back());
  }
  if (materials.size() < 2)
    throw BadInput("only " + std::to_string(materials.size()) +
                   " material(s) have a curve; xray.materials needs at "
                   "least two to interpolate between (use the full wedge set)");
  std::sort(materials.begin(), materials.end(),
            [](const json& a, const json& b) { return a["z_eff"] < b["z_eff"]; });
  const json doc = {
      {"format", "openinspect-material-calibration"},
      {"version", 1},
      {"created_by", "oi calibrate-materials"},
      {"created_unix_s",
       std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
           .count()},
      {"dataset", fs::absolute(opt.dataset).lexically_normal().string()},
      {oi::xray::attr::kTube, tube},
      {"correction",
       "A = -ln((I - dark) / (air - dark)), oi::xray::log_attenuation, per-column mean references"},
      {"noise_floor",
       {{"a_high_max", a_high_max},
        {"a_low_max", a_low_max},
        {"sigma_max", opt.sigma_max},
        {"sigma_scale_high", s_high},
        {"sigma_scale_low", s_low},
        {"model", "per-pixel sigma(A) = sigma_scale * exp(A / 2); usable while sigma <= sigma_max"}}},
      {"materials", materials},
      {"notes", notes}};
  if (oi::Status written = oi::write_file_atomically(out, doc.dump(2) + "\n"); !written.is_ok()) {
    std::fprintf(stderr, "error: calibrate-materials: %s\n", written.message().c_str());
    return kExitRuntime;
  }
  std::printf("noise floor: A_high <= %.2f, A_low <= %.2f (sigma_max %.2f)\n", a_high_max, a_low_max,
              opt.sigma_max);
  for (const std::string& n : notes) std::printf("note: %s\n", n.c_str());
  std::printf("wrote %s\n", out.string().c_str());
  return kExitOk;
}

}  // namespace

int calibrate_materials(const std::string& dataset, const std::string& output, double sigma_max) {
  try {
    if (!(sigma_max > 0.01 && sigma_max < 2.0)) throw BadInput("--sigma-max must lie in (0.01, 2)");
    return calibrate({dataset, output, sigma_max});
  } catch (const BadInput& e) {
    std::fprintf(stderr, "error: calibrate-materials: %s\n", e.what());
    return kExitInvalid;
  } catch (const json::exception& e) {
    std::fprintf(stderr, "error: calibrate-materials: %s: malformed data set JSON (%s)\n", dataset.c_str(),
                 e.what());
    return kExitInvalid;
  } catch (const cv::Exception& e) {
    std::fprintf(stderr, "error: calibrate-materials: %s: cannot read an image (%s)\n", dataset.c_str(),
                 e.what());
    return kExitInvalid;
  }
}

}  // namespace oi::cli
