#pragma once
/// @file
/// What the camera's electronics do to the picture after the optics: sensor noise (read
/// noise plus shot noise that grows with the signal, amplified by the gain) and the
/// artefacts of a lossy encoder (8x8 blocks whose mean brightness is quantised, colour
/// smeared over each block, fine detail flattened), as a CCTV stream shows them. Both are
/// cheap approximations (about 2 ms per 768x576 frame together) that allocate only on the
/// first frame.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace oi::sim_cctv {

/// Noise and compression of one camera.
class SensorEffects {
 public:
  /// `noise`: factor on the sensor's noise (0 = none); `gain`: linear amplifier gain (noise
  /// grows with it); `jpeg_quality` in [1, 100], 100 = no compression artefacts.
  void configure(double noise, double gain, int jpeg_quality);
  /// Applies noise and compression to an rgb8 image in place. `frame_key` decides the
  /// noise: the same key gives the same noise.
  void apply(std::uint8_t* rgb, std::size_t stride, int width, int height, std::uint64_t frame_key) const;

 private:
  void add_noise(std::uint8_t* row, int width, int y, std::uint64_t frame_key) const;
  void compress(std::uint8_t* rgb, std::size_t stride, int width, int rows) const;

  static constexpr std::size_t kTableSize = 1 << 16;
  std::vector<std::int8_t> table_;  // standard normal x 32, read from a random offset per row
  bool noisy_ = false;
  int sigma_base_ = 0, sigma_slope_ = 0;  // noise sigma x 8 = base + slope * p / 256
  int chroma_pull_ = 0;                   // /256: how far a pixel's colour is pulled to its block's colour
  int detail_loss_ = 0;                   // /256: how much of its brightness detail within the block is lost
  int dc_step_ = 1;                       // quantisation step of a block's mean brightness
  bool compressed_ = false;
  // Scratch rows of compress(), sized by the first frame.
  mutable std::vector<std::uint16_t> column_sum_;
  mutable std::vector<std::int32_t> block_constant_;
};

}  // namespace oi::sim_cctv
