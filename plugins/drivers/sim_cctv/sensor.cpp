#include "sensor.hpp"

#include <algorithm>
#include <cmath>

#include "sim_math.hpp"

namespace oi::sim_cctv {
namespace {

// Read noise and shot-noise coefficient of the simulated sensor, in 8-bit steps at gain 1:
// sigma(p) = sqrt(read^2 + shot * p), about 1.1 in the dark and 3.2 at full scale.
constexpr double kReadNoise = 1.1;
constexpr double kShotNoise = 0.035;
// The noise table is read from a random offset per row without wrapping, so it is padded by
// the longest row the driver allows (3 bytes x 8192 pixels).
constexpr std::size_t kLongestRow = 3 * 8192;

}  // namespace

void SensorEffects::configure(double noise, double gain, int jpeg_quality) {
  if (table_.empty()) {
    table_.resize(kTableSize + kLongestRow);
    Random random(0x5E5503A1ull);
    for (std::size_t i = 0; i < kTableSize; ++i)
      table_[i] = static_cast<std::int8_t>(std::clamp(std::lround(random.normal() * 32.0), -127L, 127L));
    for (std::size_t i = 0; i < kLongestRow; ++i) table_[kTableSize + i] = table_[i];
  }
  noisy_ = noise > 0;
  // sigma(p) ~ a + b p, the straight line through sqrt(read^2 + shot p) at 0 and 255, in
  // 1/8 steps: a linear law keeps the per-pixel work to multiplies and shifts.
  const double scale = 8.0 * noise * gain;
  const double at0 = kReadNoise, at255 = std::sqrt(kReadNoise * kReadNoise + kShotNoise * 255.0);
  sigma_base_ = static_cast<int>(std::lround(std::min(scale * at0, 255.0)));
  sigma_slope_ = static_cast<int>(std::lround(std::min(scale * (at255 - at0), 255.0 * 4)));
  const double loss = (100.0 - std::clamp(jpeg_quality, 1, 100)) / 100.0;
  compressed_ = jpeg_quality < 100;
  // Per pixel, channel c of luma Y in a block with means m_c and m_Y becomes
  // c + dc - kd (Y - m_Y) + kc ((m_c - m_Y) - (c - Y)): the block's brightness quantised by
  // dc, detail flattened by kd, colour pulled towards the block's colour by kc.
  const int kc = static_cast<int>(std::lround(256.0 * std::clamp(0.3 + 0.65 * loss, 0.0, 0.95)));
  const int kd = static_cast<int>(std::lround(256.0 * 0.55 * loss));
  chroma_pull_ = kc;
  detail_loss_ = kd;
  dc_step_ = std::max(1, static_cast<int>(std::lround(1.0 + 14.0 * loss * loss)));
}

void SensorEffects::apply(std::uint8_t* rgb, std::size_t stride, int width, int height,
                          std::uint64_t frame_key) const {
  // Strips of 8 rows: noise, then the strip's blocks, while the rows are in cache.
  for (int y0 = 0; y0 < height; y0 += 8) {
    const int rows = std::min(8, height - y0);
    if (noisy_) {
      for (int y = y0; y < y0 + rows; ++y)
        add_noise(rgb + static_cast<std::size_t>(y) * stride, width, y, frame_key);
    }
    if (compressed_) compress(rgb + static_cast<std::size_t>(y0) * stride, stride, width, rows);
  }
}

void SensorEffects::add_noise(std::uint8_t* row, int width, int y, std::uint64_t frame_key) const {
  const std::size_t bytes = static_cast<std::size_t>(width) * 3;
  const std::int8_t* noise =
      table_.data() + (mix64(frame_key, static_cast<std::uint64_t>(y)) & (kTableSize - 1));
  // 16-bit arithmetic throughout (sigma <= 255, |noise| <= 127) so the loop vectorises.
  const auto base = static_cast<std::int16_t>(sigma_base_), slope = static_cast<std::int16_t>(sigma_slope_);
  for (std::size_t i = 0; i < bytes; ++i) {
    const auto p = static_cast<std::int16_t>(row[i]);
    const auto sigma = static_cast<std::int16_t>(base + static_cast<std::int16_t>((slope * p) >> 8));
    const auto v = static_cast<std::int16_t>(p + static_cast<std::int16_t>((noise[i] * sigma + 128) >> 8));
    row[i] = static_cast<std::uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
  }
}

void SensorEffects::compress(std::uint8_t* rgb, std::size_t stride, int width, int rows) const {
  const std::size_t bytes = static_cast<std::size_t>(width) * 3;
  if (column_sum_.size() < bytes) {
    column_sum_.resize(bytes);
    block_constant_.resize(bytes);
  }
  std::uint16_t* column = column_sum_.data();
  std::int32_t* constant = block_constant_.data();
  // Block sums: first down the strip's columns (contiguous), then across each block.
  std::fill(column, column + bytes, std::uint16_t{0});
  for (int y = 0; y < rows; ++y) {
    const std::uint8_t* p = rgb + static_cast<std::size_t>(y) * stride;
    for (std::size_t i = 0; i < bytes; ++i) column[i] = static_cast<std::uint16_t>(column[i] + p[i]);
  }
  for (int bx = 0; bx < width; bx += 8) {
    const int bw = std::min(8, width - bx);
    int sum[3] = {0, 0, 0};
    for (int x = 3 * bx; x < 3 * (bx + bw); x += 3)
      sum[0] += column[x], sum[1] += column[x + 1], sum[2] += column[x + 2];
    const int n = bw * rows;
    const int mean[3] = {(sum[0] + n / 2) / n, (sum[1] + n / 2) / n, (sum[2] + n / 2) / n};
    const int mean_y = (mean[0] + 2 * mean[1] + mean[2]) >> 2;  // luma as (R + 2G + B) / 4
    const int dc = (mean_y + dc_step_ / 2) / dc_step_ * dc_step_ - mean_y;
    int k[3];
    for (int c = 0; c < 3; ++c)
      k[c] = 256 * dc + detail_loss_ * mean_y + chroma_pull_ * (mean[c] - mean_y) + 128;
    for (int x = 3 * bx; x < 3 * (bx + bw); x += 3)
      constant[x] = k[0], constant[x + 1] = k[1], constant[x + 2] = k[2];
  }
  const int keep = 256 - chroma_pull_;                  // weight of the pixel's own value
  const int luma_weight = chroma_pull_ - detail_loss_;  // weight of its luma
  for (int y = 0; y < rows; ++y) {
    std::uint8_t* p = rgb + static_cast<std::size_t>(y) * stride;
    for (std::size_t x = 0; x < bytes; x += 3) {
      const int r = p[x], g = p[x + 1], b = p[x + 2];
      const int l = luma_weight * ((r + 2 * g + b) >> 2);
      const int vr = (keep * r + l + constant[x]) >> 8;
      const int vg = (keep * g + l + constant[x + 1]) >> 8;
      const int vb = (keep * b + l + constant[x + 2]) >> 8;
      p[x] = static_cast<std::uint8_t>(vr < 0 ? 0 : vr > 255 ? 255 : vr);
      p[x + 1] = static_cast<std::uint8_t>(vg < 0 ? 0 : vg > 255 ? 255 : vg);
      p[x + 2] = static_cast<std::uint8_t>(vb < 0 ? 0 : vb > 255 ? 255 : vb);
    }
  }
}

}  // namespace oi::sim_cctv
