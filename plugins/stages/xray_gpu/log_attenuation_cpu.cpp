#include "log_attenuation_cpu.hpp"

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
      throw ConfigError(std::string("air_") + channel + " = " + std::to_string(air) + " must be at least dark_" +
                        channel + " + 1 = " + std::to_string(dark + 1.0f) +
                        "; take both from a calibration (beam off, then nothing in the beam)");
    }
  }
  return levels;
}

void log_attenuation_reference(const cv::Mat& counts, float dark, float air, cv::Mat& attenuation) {
  CV_Assert(counts.type() == CV_16UC1);
  const double range = static_cast<double>(air) - dark;
  counts.convertTo(attenuation, CV_32F, 1.0, -static_cast<double>(dark));  // I - dark
  cv::max(attenuation, 1.0, attenuation);                                   // at least one count
  cv::min(attenuation, range, attenuation);                                 // at most the air level
  attenuation.convertTo(attenuation, CV_32F, 1.0 / range);
  cv::log(attenuation, attenuation);
  attenuation.convertTo(attenuation, CV_32F, -1.0);
  cv::max(attenuation, 0.0, attenuation);  // the quotient may round to just above 1
}

void dual_energy_reference(const cv::Mat& high, const cv::Mat& low, const DualEnergyLevels& levels,
                           cv::Mat& a_high, cv::Mat& a_low, cv::Mat& ratio) {
  log_attenuation_reference(high, levels.dark_high, levels.air_high, a_high);
  log_attenuation_reference(low, levels.dark_low, levels.air_low, a_low);
  cv::divide(a_low, a_high, ratio);
  cv::Mat too_thin;
  cv::compare(a_high, static_cast<double>(levels.epsilon), too_thin, cv::CMP_LT);
  ratio.setTo(0.0f, too_thin);
}

}  // namespace oi::xray
