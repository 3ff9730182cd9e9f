// Object-own material: harmonic in-painting of the background and what the region adds to it.
#include "object_material.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace oi::xray {
namespace {

// Linear interpolation along one line (a row or a column, `n` pixels, `stride` apart) of the
// unknown pixels between their nearest known neighbours; writes into `out` (same layout) and
// marks in `have` where it wrote.
void interpolate_line(const float* v, const std::uint8_t* unknown, int n, int stride, float* out,
                      std::uint8_t* have) {
  int previous = -1;
  for (int i = 0; i <= n; ++i) {
    if (i < n && unknown[i * stride]) continue;
    // Pixels previous+1 .. i-1 are unknown; previous and i (when < n) are known.
    const int from = previous + 1, to = i;
    if (to > from && (previous >= 0 || i < n)) {
      for (int k = from; k < to; ++k) {
        float value;
        if (previous < 0) {
          value = v[i * stride];
        } else if (i >= n) {
          value = v[previous * stride];
        } else {
          const float t = static_cast<float>(k - previous) / static_cast<float>(i - previous);
          value = (1.0f - t) * v[previous * stride] + t * v[i * stride];
        }
        out[k * stride] = value;
        have[k * stride] = 1;
      }
    }
    previous = i;
  }
}

}  // namespace

bool inpaint_start(cv::Mat& values, const cv::Mat& unknown) {
  CV_Assert(values.type() == CV_32F && unknown.type() == CV_8U && values.size() == unknown.size());
  const int rows = values.rows, cols = values.cols;
  if (cv::countNonZero(unknown) == static_cast<int>(values.total())) return false;
  cv::Mat v = values.isContinuous() ? values : values.clone();
  const cv::Mat u = unknown != 0;
  // The mean of the row and column interpolations.
  cv::Mat by_row(rows, cols, CV_32F, cv::Scalar(0)), by_col(rows, cols, CV_32F, cv::Scalar(0));
  cv::Mat has_row(rows, cols, CV_8U, cv::Scalar(0)), has_col(rows, cols, CV_8U, cv::Scalar(0));
  for (int y = 0; y < rows; ++y)
    interpolate_line(v.ptr<float>(y), u.ptr<std::uint8_t>(y), cols, 1, by_row.ptr<float>(y),
                     has_row.ptr<std::uint8_t>(y));
  for (int x = 0; x < cols; ++x)
    interpolate_line(v.ptr<float>(0) + x, u.ptr<std::uint8_t>(0) + x, rows, cols, by_col.ptr<float>(0) + x,
                     has_col.ptr<std::uint8_t>(0) + x);
  const double known_mean = cv::mean(v, u == 0)[0];
  for (int y = 0; y < rows; ++y) {
    float* out = v.ptr<float>(y);
    const std::uint8_t* un = u.ptr<std::uint8_t>(y);
    for (int x = 0; x < cols; ++x) {
      if (!un[x]) continue;
      const bool r = has_row.at<std::uint8_t>(y, x), c = has_col.at<std::uint8_t>(y, x);
      out[x] = r && c ? 0.5f * (by_row.at<float>(y, x) + by_col.at<float>(y, x))
               : r    ? by_row.at<float>(y, x)
               : c    ? by_col.at<float>(y, x)
                      : static_cast<float>(known_mean);
    }
  }
  if (v.data != values.data) v.copyTo(values);
  return true;
}

void inpaint_sweeps(cv::Mat& values, const cv::Mat& unknown, int sweeps, float omega) {
  CV_Assert(values.type() == CV_32F && values.isContinuous() && unknown.type() == CV_8U &&
            values.size() == unknown.size());
  const int rows = values.rows, cols = values.cols;
  for (int s = 0; s < sweeps; ++s) {
    for (int colour = 0; colour < 2; ++colour) {
      for (int y = 0; y < rows; ++y) {
        float* row = values.ptr<float>(y);
        const float* up = y > 0 ? values.ptr<float>(y - 1) : nullptr;
        const float* down = y + 1 < rows ? values.ptr<float>(y + 1) : nullptr;
        const std::uint8_t* un = unknown.ptr<std::uint8_t>(y);
        for (int x = (y + colour) & 1; x < cols; x += 2) {
          if (!un[x]) continue;
          float sum = 0;
          int n = 0;
          if (x > 0) sum += row[x - 1], ++n;
          if (x + 1 < cols) sum += row[x + 1], ++n;
          if (up) sum += up[x], ++n;
          if (down) sum += down[x], ++n;
          row[x] += omega * (sum / static_cast<float>(n) - row[x]);
        }
      }
    }
  }
}

bool inpaint_harmonic(cv::Mat& values, const cv::Mat& unknown, int sweeps, double omega) {
  cv::Mat v = values.isContinuous() ? values : values.clone();
  if (!inpaint_start(v, unknown)) return false;
  inpaint_sweeps(v, unknown, sweeps, static_cast<float>(omega));
  if (v.data != values.data) v.copyTo(values);
  return true;
}

void inpaint_grids_cpu(const std::vector<InpaintGrid*>& grids) {
  for (InpaintGrid* g : grids) {
    inpaint_sweeps(g->high, g->unknown);
    inpaint_sweeps(g->low, g->unknown);
  }
}

ObjectPatch prepare_object_patch(const cv::Mat& high, const cv::Mat& low, const cv::Mat& own,
                                 const cv::Mat& exclude) {
  ObjectPatch p;
  p.high = high;
  p.low = low;
  p.own = own != 0;
  if (cv::countNonZero(p.own) == 0) return p;
  cv::Mat unknown = p.own.clone();
  if (!exclude.empty()) unknown |= (exclude != 0);
  const int longer = std::max(high.rows, high.cols);
  InpaintGrid& g = p.grid;
  if (longer <= kInpaintSide) {
    g.high = high.clone();
    g.low = low.clone();
    g.unknown = unknown;
  } else {
    // The background is smooth by construction: in-paint it on a coarser grid (a cell is
    // unknown when any of its pixels is) and interpolate it back.
    p.coarse = true;
    const double scale = static_cast<double>(kInpaintSide) / longer;
    const cv::Size coarse(std::max(1, static_cast<int>(std::lround(high.cols * scale))),
                          std::max(1, static_cast<int>(std::lround(high.rows * scale))));
    cv::resize(high, g.high, coarse, 0, 0, cv::INTER_AREA);
    cv::resize(low, g.low, coarse, 0, 0, cv::INTER_AREA);
    cv::resize(unknown, g.unknown, coarse, 0, 0, cv::INTER_AREA);
    g.unknown = g.unknown != 0;
  }
  g.unknown &= 1;  // 0 or 1, as the kernel reads it
  p.valid = inpaint_start(g.high, g.unknown) && inpaint_start(g.low, g.unknown);
  return p;
}

ObjectMaterial finish_object_material(const ObjectPatch& p) {
  ObjectMaterial m;
  if (!p.valid) return m;
  cv::Mat bg_high, bg_low;
  if (p.coarse) {
    cv::resize(p.grid.high, bg_high, p.high.size(), 0, 0, cv::INTER_LINEAR);
    cv::resize(p.grid.low, bg_low, p.low.size(), 0, 0, cv::INTER_LINEAR);
  } else {
    bg_high = p.grid.high;
    bg_low = p.grid.low;
  }
  const cv::Mat& inside = p.own;
  const cv::Mat added_high = p.high - bg_high, added_low = p.low - bg_low;
  cv::Scalar mean, stddev;
  cv::meanStdDev(added_high, mean, stddev, inside);
  m.valid = true;
  m.added_high = mean[0];
  m.added_low = cv::mean(added_low, inside)[0];
  m.ratio = m.added_high > 0.02 ? m.added_low / m.added_high : 0.0;
  m.background_high = cv::mean(bg_high, inside)[0];
  const double background_low = cv::mean(bg_low, inside)[0];
  m.background_ratio = m.background_high > 1e-3 ? background_low / m.background_high : 0.0;
  const double total = std::max(1e-6, std::max(0.0, m.added_high) + std::max(0.0, m.background_high));
  m.confidence = std::clamp(m.added_high / total, 0.0, 1.0);
  m.added_relative_std = m.added_high > 0.02 ? stddev[0] / m.added_high : 0.0;
  return m;
}

ObjectMaterial object_material(const cv::Mat& high, const cv::Mat& low, const cv::Mat& own,
                               const cv::Mat& exclude, int sweeps) {
  ObjectPatch p = prepare_object_patch(high, low, own, exclude);
  if (p.valid) {
    inpaint_sweeps(p.grid.high, p.grid.unknown, sweeps);
    inpaint_sweeps(p.grid.low, p.grid.unknown, sweeps);
  }
  return finish_object_material(p);
}

}  // namespace oi::xray
