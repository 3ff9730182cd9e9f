#include "transmission.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "fast_exp.hpp"
#include "xraylib_data.hpp"

// The energy loop is compiled twice, for x86-64-v3 (AVX2 + FMA: one instruction per 8 floats)
// and for the baseline, and the loader picks one per CPU (GCC function multiversioning), so
// the plugin runs everywhere yet uses the wide units where they exist.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__gnu_linux__)
#define OI_SIM_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define OI_SIM_VECTOR_CLONES
#endif

namespace oi::sim {
namespace {

constexpr int kLanes = 8;
constexpr int kMaxMaterials = 64;

float horizontal_sum(Float8 v) {
  float s = 0.0f;
  for (int i = 0; i < kLanes; ++i) s += v[i];
  return s;
}

// True when row[begin, end) holds a positive path length. Most materials are absent from
// most lines, so this skips them for every pixel at the cost of one pass over the row.
bool any_positive(const float* row, int begin, int end) {
  int found = 0;
  for (int x = begin; x < end; ++x) found |= row[x] > 0.0f;
  return found != 0;
}

// One line, pixels [begin, end). `cm` is LinePaths' dense [material][pixel] layout.
OI_SIM_VECTOR_CLONES
void integrate_range(const Float8* mu, const Float8* weights, int chunks, int materials, const float* cm,
                     int pixels, int begin, int end, PixelSignal air, PixelSignal* out) {
  const float* present[kMaxMaterials];  // rows of the materials present somewhere in the range
  const Float8* present_mu[kMaxMaterials];
  int n_present = 0;
  for (int m = 0; m < materials; ++m) {
    const float* row = cm + static_cast<std::size_t>(m) * pixels;
    if (any_positive(row, begin, end)) {
      present[n_present] = row;
      present_mu[n_present] = mu + static_cast<std::size_t>(m) * chunks;
      ++n_present;
    }
  }
  const Float8* rows[kMaxMaterials];
  float len[kMaxMaterials];
  int ids[kMaxMaterials];
  int prev_ids[kMaxMaterials];
  float prev_len[kMaxMaterials];
  int prev_k = -1;
  for (int x = begin; x < end; ++x) {
    int k = 0;
    for (int j = 0; j < n_present; ++j) {
      const float l = present[j][x];
      if (l > 0.0f) {
        ids[k] = j;
        len[k] = l;
        rows[k] = present_mu[j];
        ++k;
      }
    }
    if (k == 0) {  // empty belt: the most common pixel of all
      out[x] = air;
      prev_k = 0;
      continue;
    }
    // Neighbouring pixels often see exactly the same stack (box walls, slabs, wedge steps).
    if (k == prev_k && std::equal(ids, ids + k, prev_ids) && std::equal(len, len + k, prev_len)) {
      out[x] = out[x - 1];
      continue;
    }
    Float8 s_low = {}, v_low = {}, s_high = {}, v_high = {};
    for (int c = 0; c < chunks; ++c) {
      Float8 a = len[0] * rows[0][c];
      for (int j = 1; j < k; ++j) a += len[j] * rows[j][c];
      const Float8 t = exp_neg(a);
      const Float8* w = weights + 4 * c;
      s_low += w[0] * t;
      v_low += w[1] * t;
      s_high += w[2] * t;
      v_high += w[3] * t;
    }
    out[x] = {horizontal_sum(s_low), horizontal_sum(v_low), horizontal_sum(s_high), horizontal_sum(v_high)};
    prev_k = k;
    std::copy(ids, ids + k, prev_ids);
    std::copy(len, len + k, prev_len);
  }
}

}  // namespace

TransmissionModel::TransmissionModel(const EnergyGrid& grid, const std::vector<double>& photons,
                                     const DualLayerResponse& detector,
                                     const std::vector<MaterialDef>& materials)
    : grid_(grid), materials_(static_cast<int>(materials.size())) {
  const auto n = static_cast<std::size_t>(grid.bins);
  if (photons.size() != n || detector.low.interaction.size() != n || detector.high.interaction.size() != n) {
    throw std::invalid_argument("transmission model: spectrum (" + std::to_string(photons.size()) +
                                " bins), detector response and energy grid (" + std::to_string(n) +
                                " bins) must be computed on the same grid");
  }
  if (materials_ > kMaxMaterials) {
    throw std::invalid_argument("transmission model: " + std::to_string(materials_) + " materials; at most " +
                                std::to_string(kMaxMaterials) + " are supported");
  }
  // Drop the bins at either end that hold almost nothing of any channel's signal or variance
  // (below the filtration's cut-off, the last keV below kV): each costs an exp per pixel.
  // Dropping a share f of the air signal changes any transmission by at most f.
  constexpr double kDroppedShare = 1e-5;
  std::vector<double> share(n, 0.0);
  for (const ChannelResponse* c : {&detector.low, &detector.high}) {
    std::vector<double> s(n), v(n);
    double s_total = 0.0, v_total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      s[i] = photons[i] * c->interaction[i] * c->deposited_kev[i];
      v[i] = s[i] * c->deposited_kev[i];
      s_total += s[i];
      v_total += v[i];
    }
    for (std::size_t i = 0; i < n && s_total > 0.0; ++i)
      share[i] = std::max({share[i], s[i] / s_total, v[i] / v_total});
  }
  int first = 0, last = static_cast<int>(n) - 1;
  for (double dropped = share[first]; first < last && dropped < kDroppedShare; dropped += share[++first]) {
  }
  for (double dropped = share[last]; last > first && dropped < kDroppedShare; dropped += share[--last]) {
  }
  first_bin_ = first;
  bins_ = last - first + 1;
  chunks_ = (bins_ + kLanes - 1) / kLanes;

  // Padding bins carry zero weight, so they add nothing whatever their μ.
  mu_.assign(static_cast<std::size_t>(materials_) * chunks_, Float8{});
  weights_.assign(static_cast<std::size_t>(chunks_) * 4, Float8{});
  double air[4] = {0, 0, 0, 0};
  for (int b = 0; b < bins_; ++b) {
    const int i = first_bin_ + b;
    const double e = grid.center(i);
    for (int m = 0; m < materials_; ++m) {
      const MaterialDef& def = materials[m];
      mu_[static_cast<std::size_t>(m) * chunks_ + b / kLanes][b % kLanes] =
          static_cast<float>(mass_attenuation_cm2_g(def.composition, e) * def.density_g_cm3);
    }
    const double n_low = photons[i] * detector.low.interaction[i];
    const double n_high = photons[i] * detector.high.interaction[i];
    const double e_low = detector.low.deposited_kev[i], e_high = detector.high.deposited_kev[i];
    const double w[4] = {n_low * e_low, n_low * e_low * e_low, n_high * e_high, n_high * e_high * e_high};
    for (int q = 0; q < 4; ++q) {
      weights_[static_cast<std::size_t>(b / kLanes) * 4 + q][b % kLanes] = static_cast<float>(w[q]);
      air[q] += w[q];
    }
  }
  air_ = {static_cast<float>(air[0]), static_cast<float>(air[1]), static_cast<float>(air[2]),
          static_cast<float>(air[3])};
}

float TransmissionModel::mu(MaterialIndex m, int b) const {
  return mu_[static_cast<std::size_t>(m) * chunks_ + b / kLanes][b % kLanes];
}

PixelSignal TransmissionModel::integrate(const std::vector<std::pair<MaterialIndex, float>>& path) const {
  LinePaths paths;
  paths.reset(materials_, 1);
  for (const auto& [m, cm] : path) {
    if (m >= materials_)
      throw std::out_of_range("material index " + std::to_string(m) + " outside the model's table");
    paths.of(m)[0] += cm;
  }
  std::vector<PixelSignal> out;
  integrate_line(paths, out);
  return out[0];
}

void TransmissionModel::integrate_line(const LinePaths& paths, std::vector<PixelSignal>& out, int begin,
                                       int end) const {
  if (paths.materials != materials_ ||
      paths.cm.size() != static_cast<std::size_t>(paths.materials) * paths.pixels) {
    throw std::invalid_argument("line paths hold " + std::to_string(paths.materials) + " materials x " +
                                std::to_string(paths.pixels) + " pixels; the model has " +
                                std::to_string(materials_) +
                                " materials (LinePaths::reset with standard_materials().size())");
  }
  if (static_cast<int>(out.size()) != paths.pixels) out.resize(paths.pixels);
  if (end < 0) end = paths.pixels;
  integrate_range(mu_.data(), weights_.data(), chunks_, materials_, paths.cm.data(), paths.pixels,
                  std::clamp(begin, 0, paths.pixels), std::clamp(end, 0, paths.pixels), air_, out.data());
}

}  // namespace oi::sim
