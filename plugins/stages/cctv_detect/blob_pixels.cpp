// Measurements on one frame's blobs (blob_pixels.hpp).
#include "blob_pixels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>

namespace oi::cctv {
namespace {

// The mean colour of the image block under processing pixel (x, y).
cv::Vec3f block_colour(const cv::Mat& rgb, int x, int y, int factor) {
  cv::Vec3f sum(0, 0, 0);
  for (int dy = 0; dy < factor; ++dy) {
    const cv::Vec3b* row = rgb.ptr<cv::Vec3b>(y * factor + dy) + x * factor;
    for (int dx = 0; dx < factor; ++dx) sum += cv::Vec3f(row[dx][0], row[dx][1], row[dx][2]);
  }
  return sum / static_cast<float>(factor * factor);
}

}  // namespace

cv::Rect BlobPixels::part(int blob, const cv::Rect& rect, int x0, int x1, int& count) const {
  count = 0;
  int top = rect.y + rect.height, bottom = -1, left = x1, right = x0 - 1;
  for (int y = rect.y; y < rect.y + rect.height; ++y) {
    for (int x = x0; x < x1; ++x) {
      if (!in(x, y, blob)) continue;
      ++count;
      top = std::min(top, y);
      bottom = std::max(bottom, y);
      left = std::min(left, x);
      right = std::max(right, x);
    }
  }
  return count > 0 ? cv::Rect(left, top, right - left + 1, bottom - top + 1) : cv::Rect();
}

void BlobPixels::paint(int blob, const cv::Rect& rect, cv::Mat& mask) const {
  for (int y = rect.y; y < rect.y + rect.height; ++y) {
    std::uint8_t* out = mask.ptr<std::uint8_t>(y);
    for (int x = rect.x; x < rect.x + rect.width; ++x) out[x] = in(x, y, blob) ? 255 : 0;
  }
}

std::vector<int> BlobPixels::column_cuts(int blob, const cv::Rect& r, int n) const {
  std::vector<double> profile(static_cast<std::size_t>(r.width), 0.0);
  for (int y = r.y; y < r.y + r.height; ++y)
    for (int x = r.x; x < r.x + r.width; ++x)
      if (in(x, y, blob)) profile[static_cast<std::size_t>(x - r.x)] += 1.0;
  std::vector<int> cuts;
  const double step = static_cast<double>(r.width) / n;
  for (int k = 1; k < n; ++k) {
    const int from = std::max(1, static_cast<int>(std::lround((k - 0.35) * step)));
    const int to = std::min(r.width - 1, static_cast<int>(std::lround((k + 0.35) * step)));
    int best = static_cast<int>(std::lround(k * step));
    double lowest = 1e300;
    for (int x = from; x <= to; ++x) {
      // Ties go to the expected boundary.
      const double value = profile[static_cast<std::size_t>(x - 1)] + profile[static_cast<std::size_t>(x)] +
                           (x + 1 < r.width ? profile[static_cast<std::size_t>(x + 1)] : 0.0) +
                           1e-3 * std::abs(x - k * step);
      if (value < lowest) {
        lowest = value;
        best = x;
      }
    }
    cuts.push_back(r.x + best);
  }
  return cuts;
}

bool BlobPixels::has_head(int blob, const cv::Rect& r) const {
  if (r.height < 8) return false;
  const auto mean_width = [&](double from, double to) {
    const int y0 = r.y + static_cast<int>(std::floor(from * r.height));
    const int y1 = std::max(y0 + 1, r.y + static_cast<int>(std::ceil(to * r.height)));
    double sum = 0.0;
    for (int y = y0; y < y1; ++y)
      for (int x = r.x; x < r.x + r.width; ++x) sum += in(x, y, blob);
    return sum / (y1 - y0);
  };
  const double head = mean_width(0.0, 0.12), torso = mean_width(0.2, 0.45);
  return head > 0.0 && head <= 0.75 * torso && torso >= 0.6 * r.width;
}

double BlobPixels::edge_contrast(int blob, const cv::Rect& r, const cv::Mat& rgb, int factor) const {
  double contrast = 0.0;
  int edge = 0;
  for (int y = r.y; y < r.y + r.height; ++y) {
    for (int x = r.x; x < r.x + r.width; ++x) {
      if (!in(x, y, blob)) continue;
      const std::pair<int, int> neighbours[] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
      for (const auto& [nx, ny] : neighbours) {
        if (nx < 0 || ny < 0 || nx >= labels_.cols || ny >= labels_.rows || !background(nx, ny)) continue;
        const cv::Vec3f d = block_colour(rgb, x, y, factor) - block_colour(rgb, nx, ny, factor);
        contrast += std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        ++edge;
        break;
      }
    }
  }
  return edge > 0 ? contrast / edge : 0.0;
}

}  // namespace oi::cctv
