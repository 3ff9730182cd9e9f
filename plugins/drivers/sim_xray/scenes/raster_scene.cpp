#include "raster_scene.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "impenetrable.hpp"

namespace oi::sim {

namespace {

// A pixel belongs to a threat's outline when the ray crosses at least this much of it: rays
// grazing an edge by a few micrometres are invisible to any scanner and would only make
// boxes a pixel wider at random.
constexpr double kOutlineCm = 0.01;

}  // namespace

RasterScene::RasterScene(SceneGrid grid, double impenetrable_steel_cm)
    : grid_(grid), impenetrable_steel_cm_(impenetrable_steel_cm) {
  if (grid_.pixels <= 0 || grid_.lines <= 0 || grid_.pixel_pitch_mm <= 0 || grid_.line_pitch_mm <= 0) {
    throw std::invalid_argument("scene grid needs positive pixels, lines and pitches (got " +
                                std::to_string(grid_.pixels) + " pixels, " + std::to_string(grid_.lines) +
                                " lines)");
  }
}

int RasterScene::add_group(TruthObject proto) {
  groups_.push_back(std::move(proto));
  return static_cast<int>(groups_.size()) - 1;
}

void RasterScene::add(const Item& item) {
  ++items_;
  if (item.material >= standard_materials().size()) {
    throw std::out_of_range("scene item has material index " + std::to_string(item.material) + " but only " +
                            std::to_string(standard_materials().size()) + " materials exist");
  }
  const auto fp = item.solid.footprint();
  const double px = grid_.pixel_pitch_mm, ly = grid_.line_pitch_mm;
  // Centres of pixel i and line j are at (i + 0.5) * pitch.
  const int x0 = std::max(0, static_cast<int>(std::floor(fp[0] / px - 0.5)));
  const int x1 = std::min(grid_.pixels - 1, static_cast<int>(std::ceil(fp[2] / px - 0.5)));
  const int y0 = std::max(0, static_cast<int>(std::floor(fp[1] / ly - 0.5)));
  const int y1 = std::min(grid_.lines - 1, static_cast<int>(std::ceil(fp[3] / ly - 0.5)));
  if (x1 < x0 || y1 < y0) return;
  const int w = x1 - x0 + 1, h = y1 - y0 + 1;
  std::vector<float> cm(static_cast<std::size_t>(w) * h);
  // Trim the rectangle to the rows and columns the solid really covers: round and tilted
  // solids fill their footprint's corners with zeros render_line would otherwise add.
  int tx0 = w, tx1 = -1, ty0 = h, ty1 = -1;
  const double to_cm = 0.1 * item.path_scale;
  const ChordEvaluator chord(item.solid);
  for (int j = 0; j < h; ++j) {
    const double y = (y0 + j + 0.5) * ly;
    float* row = cm.data() + static_cast<std::size_t>(j) * w;
    for (int i = 0; i < w; ++i) {
      const double c = chord((x0 + i + 0.5) * px, y);
      row[i] = static_cast<float>(c * to_cm);
      if (c > 0) {
        tx0 = std::min(tx0, i), tx1 = std::max(tx1, i);
        ty0 = std::min(ty0, j), ty1 = std::max(ty1, j);
      }
    }
  }
  if (tx1 < 0) return;
  ItemMap map;
  map.material = item.material;
  map.path_scale = static_cast<float>(item.path_scale);
  map.group = item.group;
  map.x0 = x0 + tx0;
  map.y0 = y0 + ty0;
  map.w = tx1 - tx0 + 1;
  map.h = ty1 - ty0 + 1;
  map.cm.resize(static_cast<std::size_t>(map.w) * map.h);
  for (int j = 0; j < map.h; ++j) {
    std::copy_n(cm.data() + static_cast<std::size_t>(ty0 + j) * w + tx0, map.w,
                map.cm.data() + static_cast<std::size_t>(j) * map.w);
  }
  // Mass on the scan: path (cm, bulk density already in path_scale) x pixel area x density.
  double path_cm = 0;
  for (float c : map.cm) path_cm += c;
  const MaterialDef& material = standard_materials()[item.material];
  mass_g_[static_cast<std::size_t>(material.klass)] += path_cm * (px * ly / 100.0) * material.density_g_cm3;
  maps_.push_back(std::move(map));
}

void RasterScene::add_fixed_truth(TruthObject object) { truth_.push_back(std::move(object)); }

void RasterScene::finish(nlohmann::json description) {
  const auto& weights = steel_equivalent_weights();
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    TruthObject object = groups_[g];
    const int group = static_cast<int>(g);
    int bx0 = grid_.pixels, by0 = grid_.lines, bx1 = -1, by1 = -1;
    for (const ItemMap& m : maps_) {
      if (m.group != group) continue;
      bx0 = std::min(bx0, m.x0), by0 = std::min(by0, m.y0);
      bx1 = std::max(bx1, m.x0 + m.w - 1), by1 = std::max(by1, m.y0 + m.h - 1);
    }
    if (bx1 < 0) {
      throw std::logic_error("scene generator bug: the " + object.klass + " threat (" + object.material +
                             ") leaves no pixel on the scan; every threat must be inside the scanned area");
    }
    const int w = bx1 - bx0 + 1, h = by1 - by0 + 1;
    const std::size_t n = static_cast<std::size_t>(w) * h;
    // Geometric thickness of the group, and the steel equivalent of everything else.
    std::vector<float> own(n, 0.0f);
    std::vector<std::array<float, 3>> other(n, {0.0f, 0.0f, 0.0f});
    for (const ItemMap& m : maps_) {
      const int ix0 = std::max(bx0, m.x0), ix1 = std::min(bx1, m.x0 + m.w - 1);
      const int iy0 = std::max(by0, m.y0), iy1 = std::min(by1, m.y0 + m.h - 1);
      if (ix1 < ix0 || iy1 < iy0) continue;
      const auto& wm = weights[m.material];
      for (int y = iy0; y <= iy1; ++y) {
        const float* src = m.cm.data() + static_cast<std::size_t>(y - m.y0) * m.w + (ix0 - m.x0);
        const std::size_t dst = static_cast<std::size_t>(y - by0) * w + (ix0 - bx0);
        for (int x = 0; x <= ix1 - ix0; ++x) {
          if (m.group == group) {
            own[dst + x] += src[x] / m.path_scale;
          } else {
            for (int e = 0; e < 3; ++e) other[dst + x][e] += static_cast<float>(src[x] * wm[e]);
          }
        }
      }
    }
    int ox0 = w, oy0 = h, ox1 = -1, oy1 = -1;
    std::size_t pixels = 0, hidden = 0;
    double thickest = 0;
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const std::size_t k = static_cast<std::size_t>(y) * w + x;
        if (own[k] < kOutlineCm) continue;
        ++pixels;
        thickest = std::max(thickest, static_cast<double>(own[k]));
        ox0 = std::min(ox0, x), ox1 = std::max(ox1, x), oy0 = std::min(oy0, y), oy1 = std::max(oy1, y);
        const float least = std::min({other[k][0], other[k][1], other[k][2]});
        if (least > impenetrable_steel_cm_) ++hidden;
      }
    }
    if (pixels == 0) {
      throw std::logic_error("scene generator bug: the " + object.klass + " threat (" + object.material +
                             ") is thinner than " + std::to_string(kOutlineCm) +
                             " cm everywhere on the scan");
    }
    object.x = bx0 + ox0;
    object.y = by0 + oy0;
    object.w = ox1 - ox0 + 1;
    object.h = oy1 - oy0 + 1;
    object.thickness_cm = thickest;
    object.hidden_fraction = static_cast<double>(hidden) / static_cast<double>(pixels);
    object.extra["area_px"] = pixels;
    truth_.push_back(std::move(object));
  }
  description["items"] = items_;
  description["contents"] = {{"organic_g", mass_g_[0]},
                             {"inorganic_g", mass_g_[1]},
                             {"metal_g", mass_g_[2]},
                             {"total_g", mass_g_[0] + mass_g_[1] + mass_g_[2]}};
  description["lines"] = grid_.lines;
  description["truth_objects"] = truth_.size();
  description_ = std::move(description);
}

void RasterScene::render_line(int y, LinePaths& out) const {
  const int materials = static_cast<int>(standard_materials().size());
  if (out.pixels != grid_.pixels || out.materials != materials ||
      out.cm.size() != static_cast<std::size_t>(materials) * grid_.pixels) {
    throw std::invalid_argument("render_line: LinePaths is sized for " + std::to_string(out.materials) +
                                " materials x " + std::to_string(out.pixels) + " pixels but the scene has " +
                                std::to_string(materials) + " x " + std::to_string(grid_.pixels) +
                                "; call out.reset(standard_materials().size(), pixels) first");
  }
  std::fill(out.cm.begin(), out.cm.end(), 0.0f);
  if (y < 0 || y >= grid_.lines) return;
  for (const ItemMap& m : maps_) {
    if (y < m.y0 || y >= m.y0 + m.h) continue;
    const float* src = m.cm.data() + static_cast<std::size_t>(y - m.y0) * m.w;
    float* dst = out.of(m.material) + m.x0;
    for (int x = 0; x < m.w; ++x) dst[x] += src[x];
  }
}

}  // namespace oi::sim
