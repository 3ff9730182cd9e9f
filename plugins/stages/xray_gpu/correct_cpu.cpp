// CPU side of xray.correct; see correct_cpu.hpp.
#include "correct_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core/utility.hpp>
#include <sstream>

#include "oi/error.hpp"
#include "oi/xray/contract.hpp"

namespace oi::xray {
namespace {

std::string describe_frame(const Frame& frame) {
  std::ostringstream s;
  s << "reference frame (calibration '"
    << frame.metadata().attributes.value(attr::kCalibration, std::string()) << "', device '"
    << frame.metadata().source_device << "', sequence " << frame.metadata().sequence << ")";
  return s.str();
}

float median(std::vector<float> values) {
  const auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

}  // namespace

Status average_reference(const Frame& frame, ReferenceLine& into) {
  for (const char* name : {plane::kHigh, plane::kLow}) {
    if (!frame.has_plane(name) || frame.plane(name).format != PixelFormat::kU16)
      return Status::error(describe_frame(frame) + " has no u16 plane '" + name +
                           "'; a scanner's reference must carry both raw channels as a scan does");
  }
  const Plane& high = frame.plane(plane::kHigh);
  const Plane& low = frame.plane(plane::kLow);
  if (high.width != low.width || high.height != low.height || high.height < 1 || high.width < 1)
    return Status::error(describe_frame(frame) + ": planes 'high' (" + std::to_string(high.width) + "x" +
                         std::to_string(high.height) + ") and 'low' (" + std::to_string(low.width) + "x" +
                         std::to_string(low.height) + ") must have one non-empty size");
  ReferenceLine line;
  line.high.resize(static_cast<std::size_t>(high.width));
  line.low.resize(static_cast<std::size_t>(high.width));
  // Sums in double: 2000 lines of 65535 counts stay exact.
  std::vector<double> sum_high(line.high.size(), 0.0), sum_low(line.low.size(), 0.0);
  for (int y = 0; y < high.height; ++y) {
    const std::uint16_t* h = high.row<std::uint16_t>(y);
    const std::uint16_t* l = low.row<std::uint16_t>(y);
    for (int x = 0; x < high.width; ++x) {
      sum_high[static_cast<std::size_t>(x)] += h[x];
      sum_low[static_cast<std::size_t>(x)] += l[x];
    }
  }
  for (std::size_t x = 0; x < line.high.size(); ++x) {
    line.high[x] = static_cast<float>(sum_high[x] / high.height);
    line.low[x] = static_cast<float>(sum_low[x] / high.height);
  }
  line.frames = into.frames + 1;
  line.lines = static_cast<std::uint64_t>(high.height);
  into = std::move(line);
  return Status::ok();
}

CorrectionTable build_correction_table(const ReferenceLine& dark, const ReferenceLine& air, double tolerance,
                                       const std::vector<std::int64_t>& flagged_dead) {
  const std::size_t width = dark.high.size();
  if (width == 0 || air.high.size() != width || dark.low.size() != width || air.low.size() != width)
    throw ConfigError("the dark reference has " + std::to_string(width) +
                      " pixels a line and the air reference " + std::to_string(air.high.size()) +
                      "; both must come from the same detector");
  CorrectionTable table;
  table.columns.resize(width);
  std::vector<float> gain_high(width), gain_low(width);
  for (std::size_t x = 0; x < width; ++x) {
    CorrectionTable::Column& c = table.columns[x];
    c.dark_high = dark.high[x];
    c.dark_low = dark.low[x];
    c.air_high = air.high[x];
    c.air_low = air.low[x];
    gain_high[x] = air.high[x] - dark.high[x];
    gain_low[x] = air.low[x] - dark.low[x];
  }
  const float median_high = median(gain_high), median_low = median(gain_low);
  std::vector<bool> dead(width, false);
  for (std::int64_t x : flagged_dead) {
    if (x < 0 || static_cast<std::size_t>(x) >= width)
      throw ConfigError("dead_pixels lists pixel " + std::to_string(x) + " but a line has " +
                        std::to_string(width) + " pixels (0.." + std::to_string(width - 1) + ")");
    dead[static_cast<std::size_t>(x)] = true;
  }
  auto off = [tolerance](float gain, float med) {
    return gain < 1.0f || std::fabs(gain - med) > tolerance * std::max(med, 1.0f);
  };
  for (std::size_t x = 0; x < width; ++x)
    if (off(gain_high[x], median_high) || off(gain_low[x], median_low)) dead[x] = true;
  for (std::size_t x = 0; x < width; ++x)
    if (dead[x]) table.dead.push_back(static_cast<int>(x));
  if (table.dead.size() == width)
    throw ConfigError(
        "every one of the " + std::to_string(width) +
        " detector pixels is dead (gain air - dark far from the median or below one count); "
        "check the references (was the beam on for the air reference?) or raise dead_pixel_tolerance");
  // Nearest good column on each side, for the linear interpolation across the line.
  std::vector<int> left(width, -1), right(width, -1);
  int last = -1;
  for (std::size_t x = 0; x < width; ++x) {
    if (!dead[x]) last = static_cast<int>(x);
    left[x] = last;
  }
  last = -1;
  for (std::size_t i = width; i-- > 0;) {
    if (!dead[i]) last = static_cast<int>(i);
    right[i] = last;
  }
  for (std::size_t x = 0; x < width; ++x) {
    CorrectionTable::Column& c = table.columns[x];
    int l = left[x], r = right[x];
    if (l < 0) l = r;
    if (r < 0) r = l;
    c.left = static_cast<float>(l);
    c.right = static_cast<float>(r);
    c.weight = r == l ? 0.0f : static_cast<float>(static_cast<int>(x) - l) / static_cast<float>(r - l);
    c.dead = dead[x] ? 1.0f : 0.0f;
  }
  return table;
}

void correct_reference(const Plane& high, const Plane& low, const CorrectionTable& table, Plane& a_high,
                       Plane& a_low) {
  const int width = high.width;
  cv::parallel_for_(cv::Range(0, high.height), [&](const cv::Range& rows) {
    for (int y = rows.start; y < rows.end; ++y) {
      const std::uint16_t* h = high.row<std::uint16_t>(y);
      const std::uint16_t* l = low.row<std::uint16_t>(y);
      float* ah = a_high.row<float>(y);
      float* al = a_low.row<float>(y);
      for (int x = 0; x < width; ++x) {
        const CorrectionTable::Column& c = table.columns[static_cast<std::size_t>(x)];
        auto at = [&](int col, float& out_h, float& out_l) {
          const CorrectionTable::Column& s = table.columns[static_cast<std::size_t>(col)];
          out_h = log_attenuation(h[col], s.dark_high, s.air_high);  // the contract's formula
          out_l = log_attenuation(l[col], s.dark_low, s.air_low);
        };
        const int li = static_cast<int>(c.left), ri = static_cast<int>(c.right);
        float lh, ll;
        at(li, lh, ll);
        if (ri == li) {
          ah[x] = lh;
          al[x] = ll;
        } else {
          float rh, rl;
          at(ri, rh, rl);
          ah[x] = (1.0f - c.weight) * lh + c.weight * rh;
          al[x] = (1.0f - c.weight) * ll + c.weight * rl;
        }
      }
    }
  });
}

}  // namespace oi::xray
