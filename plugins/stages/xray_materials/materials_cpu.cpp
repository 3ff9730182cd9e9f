#include "materials_cpu.hpp"

#include <algorithm>
#include <opencv2/core.hpp>

namespace oi::xray {

void materials_reference(const cv::Mat& a_high, const cv::Mat& a_low, const MaterialTable& table,
                         const ClassThresholds& thresholds, int radius, cv::Mat& zeff,
                         cv::Mat& material_class, cv::Mat& areal_density) {
  CV_Assert(a_high.type() == CV_32FC1 && a_low.type() == CV_32FC1 && a_high.size() == a_low.size());
  CV_Assert(zeff.size() == a_high.size() && material_class.size() == a_high.size() &&
            areal_density.size() == a_high.size());
  const int w = a_high.cols, h = a_high.rows;
  const float n = static_cast<float>((2 * radius + 1) * (2 * radius + 1));
  cv::parallel_for_(cv::Range(0, h), [&](const cv::Range& rows) {
    for (int y = rows.start; y < rows.end; ++y) {
      float* z = zeff.ptr<float>(y);
      std::uint8_t* c = material_class.ptr<std::uint8_t>(y);
      float* d = areal_density.ptr<float>(y);
      for (int x = 0; x < w; ++x) {
        // The kernel's summation order, so that both round alike: each window line left to
        // right, then the line sums top to bottom.
        float sum_high = 0, sum_low = 0;
        for (int dy = -radius; dy <= radius; ++dy) {
          const int yy = std::clamp(y + dy, 0, h - 1);
          const float* ph = a_high.ptr<float>(yy);
          const float* pl = a_low.ptr<float>(yy);
          float line_high = 0, line_low = 0;
          for (int dx = -radius; dx <= radius; ++dx) {
            const int xx = std::clamp(x + dx, 0, w - 1);
            line_high += ph[xx];
            line_low += pl[xx];
          }
          sum_high += line_high;
          sum_low += line_low;
        }
        const PixelMaterial m = classify_pixel(sum_high / n, sum_low / n, table, thresholds);
        z[x] = m.zeff;
        c[x] = m.klass;
        d[x] = m.areal_density;
      }
    }
  });
}

}  // namespace oi::xray
