#include "log_attenuation_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>

#include "oi/error.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray {

void DualEnergyLevels::check() const {
  for (const char* channel : {plane::kHigh, plane::kLow}) {
    const bool high = std::string_view(channel) == plane::kHigh;
    const float dark = high ? dark_high : dark_low;
    const float air = high ? air_high : air_low;
    if (air < dark + 1.0f) {
      throw ConfigError(std::string("air_") + channel + " = " + std::to_string(air) +
                        " must be at least dark_" + channel + " + 1 = " + std::to_string(dark + 1.0f) +
                        "; take both from a calibration (beam off, then nothing in the beam)");
    }
  }
}

void log_attenuation_reference(const cv::Mat& counts, float dark, float air, cv::Mat& attenuation) {
  CV_Assert(counts.type() == CV_16UC1);
  const double range = static_cast<double>(air) - dark;
  counts.convertTo(attenuation, CV_32F, 1.0, -static_cast<double>(dark));  // I - dark
  // The contract's clamp (oi::xray::log_attenuation()): at least range * e^-12, at most the
  // air level, so A lies in [0, kMaxAttenuation].
  const float floor = static_cast<float>(range) * std::exp(-kMaxAttenuation);
  cv::max(attenuation, floor, attenuation);
  cv::min(attenuation, range, attenuation);
  // -ln(signal / range) = ln(range) - ln(signal): one pass less than dividing first, and the
  // same arithmetic as the shader.
  cv::log(attenuation, attenuation);
  attenuation.convertTo(attenuation, CV_32F, -1.0, static_cast<float>(std::log(range)));
  cv::max(attenuation, 0.0, attenuation);              // the two logs' rounding may leave a value a hair
  cv::min(attenuation, kMaxAttenuation, attenuation);  // outside [0, 12]
}

void dual_energy_reference(const cv::Mat& high, const cv::Mat& low, const DualEnergyLevels& levels,
                           cv::Mat& a_high, cv::Mat& a_low, cv::Mat& ratio) {
  CV_Assert(high.type() == CV_16UC1 && low.type() == CV_16UC1 && high.size() == low.size());
  a_high.create(high.size(), CV_32F);
  a_low.create(high.size(), CV_32F);
  ratio.create(high.size(), CV_32F);
  // Each OpenCV call is one pass over its image. Running all of them on a strip of rows that
  // fits in the L2 cache (64 KiB per f32 plane) before moving on keeps the intermediate passes
  // out of main memory, and the strips are spread over OpenCV's threads.
  const int strip_rows = std::max(1, 16384 / std::max(1, high.cols));
  const int strips = (high.rows + strip_rows - 1) / strip_rows;
  cv::parallel_for_(cv::Range(0, strips), [&](const cv::Range& range) {
    cv::Mat too_thin;
    for (int s = range.start; s < range.end; ++s) {
      const cv::Range rows(s * strip_rows, std::min(high.rows, (s + 1) * strip_rows));
      cv::Mat ah = a_high.rowRange(rows), al = a_low.rowRange(rows), r = ratio.rowRange(rows);
      log_attenuation_reference(high.rowRange(rows), levels.dark_high, levels.air_high, ah);
      log_attenuation_reference(low.rowRange(rows), levels.dark_low, levels.air_low, al);
      cv::divide(al, ah, r);
      cv::compare(ah, static_cast<double>(levels.epsilon), too_thin, cv::CMP_LT);
      r.setTo(0.0f, too_thin);
    }
  });
}

}  // namespace oi::xray
