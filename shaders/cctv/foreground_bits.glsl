// cctv.detect's bit-packed masks (foreground_pack.comp, foreground_median.comp,
// foreground_morphology.comp): one bit per pixel, 32 pixels of a row in a uint (pixel
// x = 32 k + b in bit b of word k), rows of words_per_row = ceil(width / 32) words, tightly
// packed. The bits of a row's last word beyond the width are undefined; readers mask them.
// (The same layout as xray.detect's masks; the host unpacks the final mask.)
#ifndef OI_CCTV_FOREGROUND_BITS_GLSL
#define OI_CCTV_FOREGROUND_BITS_GLSL

// The bits of word `k` that hold pixels of a row `width` pixels wide.
uint oi_valid_bits(uint k, uint width) {
  const uint first = k * 32u;
  return width - first >= 32u ? 0xFFFFFFFFu : (1u << (width - first)) - 1u;
}

#endif  // OI_CCTV_FOREGROUND_BITS_GLSL
