// xray.colorize CPU reference; see colorize_cpu.hpp.
#include "colorize_cpu.hpp"

#include <opencv2/core/utility.hpp>

#include "oi/error.hpp"

namespace oi::xray {

ColorView parse_color_view(const std::string& name) {
  if (name == "standard") return ColorView::kStandard;
  if (name == "organic_only") return ColorView::kOrganicOnly;
  if (name == "inorganic_only") return ColorView::kInorganicOnly;
  if (name == "high_penetration") return ColorView::kHighPenetration;
  throw ConfigError("view '" + name +
                    "' is not one of standard, organic_only, inorganic_only, high_penetration");
}

void colorize_reference(const Plane& a_high, const Plane& material_class, const ColorizeParams& params,
                        Plane& rgb) {
  cv::parallel_for_(cv::Range(0, a_high.height), [&](const cv::Range& rows) {
    for (int y = rows.start; y < rows.end; ++y) {
      const float* a = a_high.row<float>(y);
      const std::uint8_t* c = material_class.row<std::uint8_t>(y);
      std::uint8_t* out = rgb.row<std::uint8_t>(y);
      for (int x = 0; x < a_high.width; ++x) {
        const auto px = colorize_pixel(a[x], c[x], params);
        out[3 * x] = px[0];
        out[3 * x + 1] = px[1];
        out[3 * x + 2] = px[2];
      }
    }
  });
}

}  // namespace oi::xray
