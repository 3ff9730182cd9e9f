// The LOMO descriptor's CPU reference (lomo.hpp). Everything up to the window counts is
// integer arithmetic and float comparisons of correctly rounded products, so the Vulkan
// kernels (shaders/reid/) compute the same counts; the log is a table both read.
#include "lomo.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <string>

#include "oi/error.hpp"

namespace oi::reid {
namespace {

std::string size_text(int w, int h) { return std::to_string(w) + "x" + std::to_string(h); }

void check_image(const cv::Mat& rgb, const char* what) {
  if (rgb.empty()) throw Error(std::string(what) + ": the crop is empty (give a CV_8UC3 RGB image)");
  if (rgb.type() != CV_8UC3)
    throw Error(std::string(what) + ": the crop must be CV_8UC3 (8-bit RGB), not OpenCV type " +
                std::to_string(rgb.type()));
}

// One level's pixels: HSV bins per channel and gray sums.
struct Level {
  int width = 0, height = 0;
  std::vector<std::uint8_t> h, s, v;
  std::vector<std::int32_t> gray;
  void resize(int w, int hgt) {
    width = w;
    height = hgt;
    const auto n = static_cast<std::size_t>(w) * static_cast<std::size_t>(hgt);
    h.resize(n);
    s.resize(n);
    v.resize(n);
    gray.resize(n);
  }
};

// Max over the windows of each row of the codes in `codes` (a level of width x height),
// written at out[row * bins + code].
void max_pool_rows(const std::uint16_t* codes, const LomoLevel& level, const LomoParams& params, int bins,
                   std::uint16_t* out, std::vector<std::uint16_t>& hist) {
  hist.assign(static_cast<std::size_t>(bins), 0);
  const int win = params.window;
  for (int r = 0; r < level.rows; ++r) {
    std::uint16_t* row_max = out + static_cast<std::size_t>(r) * static_cast<std::size_t>(bins);
    const int y0 = r * params.step;
    for (int c = 0; c < level.columns; ++c) {
      const int x0 = c * params.step;
      for (int y = y0; y < y0 + win; ++y) {
        const std::uint16_t* line =
            codes + static_cast<std::size_t>(y) * static_cast<std::size_t>(level.width);
        for (int x = x0; x < x0 + win; ++x) ++hist[line[x]];
      }
      // Fold into the row's maxima and clear only the bins this window touched.
      for (int y = y0; y < y0 + win; ++y) {
        const std::uint16_t* line =
            codes + static_cast<std::size_t>(y) * static_cast<std::size_t>(level.width);
        for (int x = x0; x < x0 + win; ++x) {
          std::uint16_t& count = hist[line[x]];
          if (count > row_max[line[x]]) row_max[line[x]] = count;
          count = 0;
        }
      }
    }
  }
}

}  // namespace

int LomoLayout::first_row(int level) const {
  int row = 0;
  for (int k = 0; k < level; ++k) row += levels[static_cast<std::size_t>(k)].rows;
  return row;
}

std::size_t LomoLayout::first_pixel(int level) const {
  std::size_t pixel = 0;
  for (int k = 0; k < level; ++k)
    pixel += static_cast<std::size_t>(levels[static_cast<std::size_t>(k)].width) *
             static_cast<std::size_t>(levels[static_cast<std::size_t>(k)].height);
  return pixel;
}

LomoLayout lomo_layout(const LomoParams& p) {
  const auto bad = [](const std::string& what) { throw ConfigError("LOMO descriptor: " + what); };
  if (p.window < 1 || p.step < 1)
    bad("window " + std::to_string(p.window) + " and step " + std::to_string(p.step) + " must be at least 1");
  if (p.height < p.window || p.width < p.window)
    bad("a crop of " + size_text(p.width, p.height) + " is smaller than a window of " +
        std::to_string(p.window) + " pixels; use a larger crop size or a smaller window");
  if (p.scales < 1 || p.scales > kMaxLomoScales)
    bad("scales " + std::to_string(p.scales) + " is outside 1.." + std::to_string(kMaxLomoScales));
  for (int bins : {p.hue_bins, p.saturation_bins, p.value_bins})
    if (bins < 1 || bins > 256) bad("HSV bins " + std::to_string(bins) + " are outside 1..256");
  const long joint = static_cast<long>(p.hue_bins) * p.saturation_bins * p.value_bins;
  if (joint > kMaxLomoHsvBins)
    bad(std::to_string(joint) + " joint HSV bins are more than " + std::to_string(kMaxLomoHsvBins));
  if (!(p.siltp_tau > 0.0f && p.siltp_tau < 1.0f))
    bad("siltp_tau " + std::to_string(p.siltp_tau) + " must lie in (0, 1)");
  if (p.siltp_radii.empty()) bad("no SILTP radius; give at least one (LOMO: 3 and 5)");
  for (int r : p.siltp_radii)
    if (r < 1) bad("SILTP radius " + std::to_string(r) + " must be at least 1");
  if (p.window * p.window > 65535) bad("a window of " + std::to_string(p.window) + " pixels is too large");

  LomoLayout layout;
  layout.hsv_bins = static_cast<int>(joint);
  int w = p.width, h = p.height;
  for (int s = 0; s < p.scales; ++s) {
    if (s > 0) {
      w /= 2;
      h /= 2;
    }
    if (w < 1 || h < 1)
      bad(std::to_string(p.scales) + " scales pool a crop of " + size_text(p.width, p.height) +
          " to nothing; use fewer scales");
    LomoLevel level;
    level.width = w;
    level.height = h;
    if (w >= p.window && h >= p.window) {
      level.columns = (w - p.window) / p.step + 1;
      level.rows = (h - p.window) / p.step + 1;
    }
    layout.rows += level.rows;
    layout.pixels += static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
    layout.levels.push_back(level);
  }
  layout.hsv_size = static_cast<std::size_t>(layout.rows) * static_cast<std::size_t>(layout.hsv_bins);
  layout.siltp_size = static_cast<std::size_t>(layout.rows) * kSiltpBins;
  layout.blocks = 1 + static_cast<int>(p.siltp_radii.size());
  layout.dimension = layout.hsv_size + p.siltp_radii.size() * layout.siltp_size;
  return layout;
}

std::size_t lomo_dimension(const LomoParams& params) { return lomo_layout(params).dimension; }

cv::Mat crop_person(const cv::Mat& image, const oi::cctv::Box& box, int min_side) {
  if (image.empty()) return {};
  const auto edge = [](double v, int limit) {
    if (!std::isfinite(v)) return 0;
    return static_cast<int>(std::clamp(std::lround(v), 0L, static_cast<long>(limit)));
  };
  const int x0 = edge(box.x, image.cols), x1 = edge(box.x + box.w, image.cols);
  const int y0 = edge(box.y, image.rows), y1 = edge(box.y + box.h, image.rows);
  const int side = std::max(min_side, 1);
  if (x1 - x0 < side || y1 - y0 < side) return {};
  return image(cv::Rect(x0, y0, x1 - x0, y1 - y0));
}

cv::Mat lomo_resize(const cv::Mat& rgb, const LomoParams& params) {
  check_image(rgb, "LOMO descriptor");
  cv::Mat out;
  if (rgb.rows == params.height && rgb.cols == params.width) {
    rgb.copyTo(out);
  } else {
    cv::resize(rgb, out, cv::Size(params.width, params.height), 0, 0, cv::INTER_AREA);
  }
  return out;
}

cv::Vec3i lomo_white_point(const cv::Mat& rgb) {
  check_image(rgb, "LOMO illumination normalisation");
  std::array<std::array<int, 256>, 3> hist{};
  for (int y = 0; y < rgb.rows; ++y) {
    const std::uint8_t* p = rgb.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x, p += 3) {
      ++hist[0][p[0]];
      ++hist[1][p[1]];
      ++hist[2][p[2]];
    }
  }
  const int n = rgb.rows * rgb.cols;
  const int needed = n - n / 100;  // all but n / 100 pixels at or below the white point
  cv::Vec3i white;
  for (int c = 0; c < 3; ++c) {
    int cumulative = 0, v = 0;
    for (; v < 255; ++v) {
      cumulative += hist[static_cast<std::size_t>(c)][static_cast<std::size_t>(v)];
      if (cumulative >= needed) break;
    }
    white[c] = v;
  }
  return white;
}

void lomo_normalise_illumination(cv::Mat& rgb) {
  const cv::Vec3i white = lomo_white_point(rgb);
  std::array<std::array<std::uint8_t, 256>, 3> map{};
  for (int c = 0; c < 3; ++c) {
    const auto w = static_cast<std::uint32_t>(white[c]);
    for (std::uint32_t v = 0; v < 256; ++v)
      map[static_cast<std::size_t>(c)][v] =
          w == 0 ? static_cast<std::uint8_t>(v)
                 : static_cast<std::uint8_t>(std::min(255u, (510u * v + w) / (2u * w)));
  }
  for (int y = 0; y < rgb.rows; ++y) {
    std::uint8_t* p = rgb.ptr<std::uint8_t>(y);
    for (int x = 0; x < rgb.cols; ++x, p += 3) {
      p[0] = map[0][p[0]];
      p[1] = map[1][p[1]];
      p[2] = map[2][p[2]];
    }
  }
}

namespace {

// The three bins of one pixel (step 3).
inline void hsv_bins(int r, int g, int b, const LomoParams& p, std::uint8_t& hb, std::uint8_t& sb,
                     std::uint8_t& vb) {
  const int mx = std::max(r, std::max(g, b)), mn = std::min(r, std::min(g, b)), d = mx - mn;
  vb = static_cast<std::uint8_t>(std::min(p.value_bins - 1, mx * p.value_bins / 255));
  sb = static_cast<std::uint8_t>(mx == 0 ? 0 : std::min(p.saturation_bins - 1, p.saturation_bins * d / mx));
  if (d == 0) {
    hb = 0;
    return;
  }
  int hue;  // 6 d h
  if (b == mx) {
    hue = 4 * d + (r - g);
  } else if (g == mx) {
    hue = 2 * d + (b - r);
  } else {
    hue = g - b;
  }
  if (hue < 0) hue += 6 * d;
  hb = static_cast<std::uint8_t>(std::min(p.hue_bins - 1, p.hue_bins * hue / (6 * d)));
}

}  // namespace

int lomo_hsv_code(int r, int g, int b, const LomoParams& params) {
  std::uint8_t h, s, v;
  hsv_bins(r, g, b, params, h, s, v);
  return (v * params.saturation_bins + s) * params.hue_bins + h;
}

std::vector<std::uint16_t> lomo_counts(const cv::Mat& rgb_in, const LomoParams& p) {
  check_image(rgb_in, "LOMO descriptor");
  if (rgb_in.rows != p.height || rgb_in.cols != p.width)
    throw Error("LOMO descriptor: the counts need a crop of " + size_text(p.width, p.height) + ", not " +
                size_text(rgb_in.cols, rgb_in.rows) + " (resize it with lomo_resize())");
  const LomoLayout layout = lomo_layout(p);
  cv::Mat rgb = rgb_in;
  if (p.illumination_normalisation) {
    rgb = rgb_in.clone();
    lomo_normalise_illumination(rgb);
  }

  // Level 0 from the pixels, the others pooled.
  std::vector<Level> levels(static_cast<std::size_t>(p.scales));
  levels[0].resize(p.width, p.height);
  for (int y = 0; y < p.height; ++y) {
    const std::uint8_t* px = rgb.ptr<std::uint8_t>(y);
    const std::size_t row = static_cast<std::size_t>(y) * static_cast<std::size_t>(p.width);
    for (int x = 0; x < p.width; ++x, px += 3) {
      const std::size_t i = row + static_cast<std::size_t>(x);
      hsv_bins(px[0], px[1], px[2], p, levels[0].h[i], levels[0].s[i], levels[0].v[i]);
      levels[0].gray[i] = (4899 * px[0] + 9617 * px[1] + 1868 * px[2] + 8192) >> 14;
    }
  }
  for (std::size_t k = 1; k < levels.size(); ++k) {
    const Level& a = levels[k - 1];
    Level& l = levels[k];
    l.resize(layout.levels[k].width, layout.levels[k].height);
    for (int y = 0; y < l.height; ++y) {
      for (int x = 0; x < l.width; ++x) {
        const std::size_t i =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(l.width) + static_cast<std::size_t>(x);
        const std::size_t j0 = static_cast<std::size_t>(2 * y) * static_cast<std::size_t>(a.width) +
                               static_cast<std::size_t>(2 * x);
        const std::size_t j1 = j0 + 1, j2 = j0 + static_cast<std::size_t>(a.width), j3 = j2 + 1;
        l.h[i] = static_cast<std::uint8_t>((a.h[j0] + a.h[j1] + a.h[j2] + a.h[j3]) / 4);
        l.s[i] = static_cast<std::uint8_t>((a.s[j0] + a.s[j1] + a.s[j2] + a.s[j3]) / 4);
        l.v[i] = static_cast<std::uint8_t>((a.v[j0] + a.v[j1] + a.v[j2] + a.v[j3]) / 4);
        l.gray[i] = a.gray[j0] + a.gray[j1] + a.gray[j2] + a.gray[j3];
      }
    }
  }

  std::vector<std::uint16_t> counts(layout.dimension, 0);
  std::vector<std::uint16_t> codes, hist;
  const float lower = 1.0f - p.siltp_tau, upper = 1.0f + p.siltp_tau;
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const LomoLevel& geometry = layout.levels[k];
    if (geometry.rows == 0) continue;
    const Level& l = levels[k];
    const auto row0 = static_cast<std::size_t>(layout.first_row(static_cast<int>(k)));
    codes.resize(l.gray.size());
    for (std::size_t i = 0; i < codes.size(); ++i)
      codes[i] = static_cast<std::uint16_t>((l.v[i] * p.saturation_bins + l.s[i]) * p.hue_bins + l.h[i]);
    max_pool_rows(codes.data(), geometry, p, layout.hsv_bins,
                  counts.data() + row0 * static_cast<std::size_t>(layout.hsv_bins), hist);
    for (std::size_t b = 0; b < p.siltp_radii.size(); ++b) {
      const int radius = p.siltp_radii[b];
      for (int y = 0; y < l.height; ++y) {
        const auto line = [&](int yy) {
          return l.gray.data() + static_cast<std::size_t>(std::clamp(yy, 0, l.height - 1)) *
                                     static_cast<std::size_t>(l.width);
        };
        const std::int32_t* centre = line(y);
        const std::int32_t* up = line(y - radius);
        const std::int32_t* down = line(y + radius);
        for (int x = 0; x < l.width; ++x) {
          const float c = static_cast<float>(centre[x]);
          const float lo = lower * c, hi = upper * c;
          const auto digit = [&](std::int32_t n) {
            const float f = static_cast<float>(n);
            return f < lo ? 1 : (f > hi ? 2 : 0);
          };
          const int right = centre[std::min(x + radius, l.width - 1)];
          const int left = centre[std::max(x - radius, 0)];
          codes[static_cast<std::size_t>(y) * static_cast<std::size_t>(l.width) +
                static_cast<std::size_t>(x)] =
              static_cast<std::uint16_t>(digit(right) + 3 * digit(up[x]) + 9 * digit(left) +
                                         27 * digit(down[x]));
        }
      }
      max_pool_rows(codes.data(), geometry, p, kSiltpBins,
                    counts.data() + layout.block_offset(static_cast<int>(b) + 1) + row0 * kSiltpBins, hist);
    }
  }
  return counts;
}

std::vector<float> lomo_log_table(const LomoParams& params) {
  std::vector<float> table(static_cast<std::size_t>(params.window) * static_cast<std::size_t>(params.window) +
                           1);
  for (std::size_t k = 0; k < table.size(); ++k)
    table[k] = static_cast<float>(std::log1p(static_cast<double>(k)));
  return table;
}

std::vector<float> lomo_finish(const std::vector<std::uint16_t>& counts, const LomoParams& params) {
  const LomoLayout layout = lomo_layout(params);
  if (counts.size() != layout.dimension)
    throw Error("LOMO descriptor: " + std::to_string(counts.size()) + " counts for a descriptor of " +
                std::to_string(layout.dimension) + " values");
  const std::vector<float> table = lomo_log_table(params);
  std::vector<float> out(counts.size());
  for (int b = 0; b < layout.blocks; ++b) {
    const std::size_t first = layout.block_offset(b), size = layout.block_size(b);
    double sum = 0.0;
    for (std::size_t i = first; i < first + size; ++i) {
      const std::size_t k = std::min<std::size_t>(counts[i], table.size() - 1);
      out[i] = table[k];
      sum += static_cast<double>(out[i]) * static_cast<double>(out[i]);
    }
    if (sum > 0.0) {
      const double scale = 1.0 / std::sqrt(sum);
      for (std::size_t i = first; i < first + size; ++i)
        out[i] = static_cast<float>(static_cast<double>(out[i]) * scale);
    }
  }
  return out;
}

std::vector<float> lomo_descriptor(const cv::Mat& rgb, const LomoParams& params) {
  check_image(rgb, "LOMO descriptor");
  return lomo_finish(lomo_counts(lomo_resize(rgb, params), params), params);
}

}  // namespace oi::reid
