#include "log_attenuation_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <string>

#include "oi/error.hpp"

namespace oi::xray {

DualEnergyLevels DualEnergyLevels::from_params(const ParamSet& params) {
  DualEnergyLevels levels;
  levels.dark_high = static_cast<float>(params.get<double>("dark_high"));
  levels.air_high = static_cast<float>(params.get<double>("air_high"));
  levels.dark_low = static_cast<float>(params.get<double>("dark_low"));
  levels.air_low = static_cast<float>(params.get<double>("air_low"));
  levels.epsilon = static_cast<float>(params.get<double>("epsilon"));
  for (const char* channel : {"high", "low"}) {
    const bool high = channel[0] == 'h';
    const float dark = high ? levels.dark_high : levels.dark_low;
    const float air = high ? levels.air_high : levels.air_low;
    if (air < dark + 1.0f) {
      throw ConfigError(std::string("air_") + channel + " = " + std::to_string(air) +
                        " must be at least dark_" + channel + " + 1 = " + std::to_string(dark + 1.0f) +
                        "; take both from a calibration (beam off, then nothing in the beam)");
    }
  }
  return levels;
}

void log_attenuation_reference(const cv::Mat& counts, float dark, float air, cv::Mat& attenuation) {
  CV_Assert(counts.type() == CV_16UC1);
  const double range = static_cast<double>(air) - dark;
  counts.convertTo(attenuation, CV_32F, 1.0, -static_cast<double>(dark));  // I - dark
  cv::max(attenuation, 1.0, attenuation);                                  // at least one count
  cv::min(attenuation, range, attenuation);                                // at most the air level
  // -ln(signal / range) = ln(range) - ln(signal): one pass less than dividing first, and the
  // same arithmetic as the shader.
  cv::log(attenuation, attenuation);
  attenuation.convertTo(attenuation, CV_32F, -1.0, static_cast<float>(std::log(range)));
  cv::max(attenuation, 0.0, attenuation);  // the two logs' rounding may leave a tiny negative value
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
