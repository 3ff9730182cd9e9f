#include "raster.hpp"

#include <algorithm>
#include <cmath>

namespace oi::sim_cctv {
namespace {

inline std::uint8_t clamp8(float v) {
  return static_cast<std::uint8_t>(v <= 0.f ? 0.f : v >= 255.f ? 255.f : v + 0.5f);
}

// One row of a part: stamps its body pixels (also outside the image, within the margin),
// then paints the visible ones. `param(x)` gives the part's (t, s) at column x: t along the
// part in [0, 1], s across it in [-1, 1].
template <class Param>
void paint_span(Canvas& c, int y, int xa, int xb, const Paint& p, Coverage& cov, Param param) {
  const int lo = std::max(xa, -c.margin);
  const int hi = std::min(xb, c.width + c.margin - 1);
  if (lo > hi) return;
  if (p.stamp != 0) {
    std::uint32_t* row =
        c.stamps + static_cast<std::size_t>(y + c.margin) * (c.width + 2 * c.margin) + c.margin;
    std::int64_t added = 0;
    for (int x = lo; x <= hi; ++x) {
      if (row[x] != p.stamp) {
        row[x] = p.stamp;
        ++added;
      }
    }
    cov.pixels += added;
    cov.x0 = std::min(cov.x0, lo);
    cov.x1 = std::max(cov.x1, hi);
    cov.y0 = std::min(cov.y0, y);
    cov.y1 = std::max(cov.y1, y);
  }
  if (y < 0 || y >= c.height) return;
  const int x0 = std::max(lo, 0);
  const int x1 = std::min(hi, c.width - 1);
  if (x0 > x1) return;
  const bool occluders = c.occluder_first[y] <= x1 && c.occluder_last[y] >= x0;
  const float* depth_row = c.occluder_depth + static_cast<std::size_t>(y) * c.width;
  std::uint16_t* id_row = c.ids + static_cast<std::size_t>(y) * c.width;
  std::uint8_t* rgb = c.rgb + static_cast<std::size_t>(y) * c.stride;
  for (int x = x0; x <= x1; ++x) {
    if (occluders && depth_row[x] < p.depth) continue;
    const auto [t, s] = param(x);
    const float shade = (1.f - p.edge_shade * s * s) * (1.f + p.top_light * (0.5f - t));
    const float* colour = p.colour;
    if (p.pattern == Pattern::kStripes) {
      if (static_cast<int>(std::floor(t * p.periods_along * 2.f)) & 1) colour = p.pattern_colour;
    } else if (p.pattern == Pattern::kChecks) {
      const int a = static_cast<int>(std::floor(t * p.periods_along * 2.f));
      const int b = static_cast<int>(std::floor((s + 1.f) * 0.5f * p.periods_across * 2.f));
      if ((a + b) & 1) colour = p.pattern_colour;
    }
    std::uint8_t* px = rgb + 3 * x;
    px[0] = clamp8(colour[0] * shade);
    px[1] = clamp8(colour[1] * shade);
    px[2] = clamp8(colour[2] * shade);
    if (p.id != kNoPerson) id_row[x] = p.id;
  }
}

// Rows whose pixel centres (y + 0.5) lie in [top, bottom], limited to the stamp buffer.
inline void row_range(const Canvas& c, double top, double bottom, int& first, int& last) {
  first = std::max(static_cast<int>(std::ceil(top - 0.5)), -c.margin);
  last = std::min(static_cast<int>(std::floor(bottom - 0.5)), c.height + c.margin - 1);
}

}  // namespace

void fill_segment(Canvas& c, double ax, double ay, double bx, double by, double wa, double wb, const Paint& p,
                  Coverage& cov) {
  double dx = bx - ax, dy = by - ay;
  double len2 = dx * dx + dy * dy;
  if (len2 < 1e-6) {  // a point: make it a one-pixel-tall vertical segment
    ay -= 0.5, by += 0.5, dx = 0, dy = 1, len2 = 1;
  }
  const double len = std::sqrt(len2);
  const double nx = -dy / len, ny = dx / len;
  const double corner[4][2] = {{ax + nx * wa * 0.5, ay + ny * wa * 0.5},
                               {bx + nx * wb * 0.5, by + ny * wb * 0.5},
                               {bx - nx * wb * 0.5, by - ny * wb * 0.5},
                               {ax - nx * wa * 0.5, ay - ny * wa * 0.5}};
  double top = corner[0][1], bottom = corner[0][1];
  for (const auto& k : corner) top = std::min(top, k[1]), bottom = std::max(bottom, k[1]);
  int first = 0, last = 0;
  row_range(c, top, bottom, first, last);
  const double inv_len2 = 1.0 / len2;
  for (int y = first; y <= last; ++y) {
    const double yc = y + 0.5;
    double xl = 1e30, xr = -1e30;
    for (int e = 0; e < 4; ++e) {
      const double* p0 = corner[e];
      const double* p1 = corner[(e + 1) & 3];
      const double ylo = std::min(p0[1], p1[1]), yhi = std::max(p0[1], p1[1]);
      if (yc < ylo || yc > yhi || yhi - ylo < 1e-9) continue;
      const double x = p0[0] + (yc - p0[1]) * (p1[0] - p0[0]) / (p1[1] - p0[1]);
      xl = std::min(xl, x), xr = std::max(xr, x);
    }
    if (xl > xr) continue;
    const int xa = static_cast<int>(std::ceil(xl - 0.5)), xb = static_cast<int>(std::floor(xr - 0.5));
    if (xa > xb) continue;
    const double ry = yc - ay;
    paint_span(c, y, xa, xb, p, cov, [&](int x) {
      const double rx = x + 0.5 - ax;
      const double t = std::clamp((rx * dx + ry * dy) * inv_len2, 0.0, 1.0);
      const double half = 0.5 * (wa + (wb - wa) * t);
      const double s = half > 1e-6 ? std::clamp((rx * nx + ry * ny) / half, -1.0, 1.0) : 0.0;
      return std::pair<float, float>(static_cast<float>(t), static_cast<float>(s));
    });
  }
}

void fill_ellipse(Canvas& c, double cx, double cy, double rx, double ry, const Paint& p, Coverage& cov) {
  if (rx <= 0 || ry <= 0) return;
  int first = 0, last = 0;
  row_range(c, cy - ry, cy + ry, first, last);
  const double inv_rx = 1.0 / rx;
  for (int y = first; y <= last; ++y) {
    const double v = (y + 0.5 - cy) / ry;
    const double q = 1.0 - v * v;
    if (q <= 0) continue;
    const double half = rx * std::sqrt(q);
    const int xa = static_cast<int>(std::ceil(cx - half - 0.5)),
              xb = static_cast<int>(std::floor(cx + half - 0.5));
    if (xa > xb) continue;
    const float t = static_cast<float>((v + 1.0) * 0.5);
    paint_span(c, y, xa, xb, p, cov, [&](int x) {
      return std::pair<float, float>(t, static_cast<float>(std::clamp((x + 0.5 - cx) * inv_rx, -1.0, 1.0)));
    });
  }
}

void shade_ellipse(Canvas& c, double cx, double cy, double rx, double ry, float strength) {
  if (rx <= 0.5 || ry <= 0.5) return;
  const int y0 = std::max(0, static_cast<int>(std::ceil(cy - ry - 0.5)));
  const int y1 = std::min(c.height - 1, static_cast<int>(std::floor(cy + ry - 0.5)));
  for (int y = y0; y <= y1; ++y) {
    const double v = (y + 0.5 - cy) / ry;
    const double q = 1.0 - v * v;
    if (q <= 0) continue;
    const double half = rx * std::sqrt(q);
    const int xa = std::max(0, static_cast<int>(std::ceil(cx - half - 0.5)));
    const int xb = std::min(c.width - 1, static_cast<int>(std::floor(cx + half - 0.5)));
    const std::uint16_t* ids = c.ids + static_cast<std::size_t>(y) * c.width;
    std::uint8_t* rgb = c.rgb + static_cast<std::size_t>(y) * c.stride;
    for (int x = xa; x <= xb; ++x) {
      if (ids[x] != kNoPerson) continue;
      const double u = (x + 0.5 - cx) / rx;
      const float r2 = static_cast<float>(u * u + v * v);
      if (r2 >= 1.f) continue;
      const float keep = 1.f - strength * (1.f - r2);
      std::uint8_t* px = rgb + 3 * x;
      px[0] = static_cast<std::uint8_t>(px[0] * keep);
      px[1] = static_cast<std::uint8_t>(px[1] * keep);
      px[2] = static_cast<std::uint8_t>(px[2] * keep);
    }
  }
}

void blur_rows(Canvas& c, std::uint16_t id, const Coverage& box, int length,
               std::vector<std::uint16_t>& scratch) {
  if (length < 2 || box.empty()) return;
  const int y0 = std::max(box.y0, 0), y1 = std::min(box.y1, c.height - 1);
  const int bx0 = std::max(box.x0, 0), bx1 = std::min(box.x1, c.width - 1);
  const int half = length / 2;
  scratch.resize(static_cast<std::size_t>(c.width) * 3);
  for (int y = y0; y <= y1; ++y) {
    const std::uint16_t* ids = c.ids + static_cast<std::size_t>(y) * c.width;
    int first = -1, last = -1;
    for (int x = bx0; x <= bx1; ++x) {
      if (ids[x] == id) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first < 0) continue;
    // The smear covers the person and `half` pixels either side; the filter reads half more.
    const int xa = std::max(0, first - half), xb = std::min(c.width - 1, last + half);
    std::uint8_t* rgb = c.rgb + static_cast<std::size_t>(y) * c.stride;
    for (int k = 0; k < 3; ++k) {
      int sum = 0, n = 0;
      const int lo = std::max(0, xa - half), hi0 = std::min(c.width - 1, xa + length - 1 - half);
      for (int x = lo; x <= hi0; ++x) sum += rgb[3 * x + k], ++n;
      for (int x = xa; x <= xb; ++x) {
        scratch[3 * x + k] = static_cast<std::uint16_t>((sum + n / 2) / std::max(n, 1));
        const int out = x - half, in = x + length - half;
        if (out >= 0) sum -= rgb[3 * out + k], --n;
        if (in < c.width) sum += rgb[3 * in + k], ++n;
      }
    }
    for (int x = xa; x <= xb; ++x)
      for (int k = 0; k < 3; ++k) rgb[3 * x + k] = static_cast<std::uint8_t>(scratch[3 * x + k]);
  }
}

std::int64_t count_visible(const Canvas& c, std::uint16_t id, const Coverage& box) {
  if (box.empty()) return 0;
  const int y0 = std::max(box.y0, 0), y1 = std::min(box.y1, c.height - 1);
  const int x0 = std::max(box.x0, 0), x1 = std::min(box.x1, c.width - 1);
  std::int64_t n = 0;
  for (int y = y0; y <= y1; ++y) {
    const std::uint16_t* ids = c.ids + static_cast<std::size_t>(y) * c.width;
    for (int x = x0; x <= x1; ++x) n += ids[x] == id;
  }
  return n;
}

}  // namespace oi::sim_cctv
