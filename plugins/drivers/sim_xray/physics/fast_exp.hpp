#pragma once
/// @file
/// exp(−a) on 8 floats at once, for the transmission integral. Cephes' single-precision
/// polynomial (relative error ≈ 2e-7 after range reduction), written with the GCC/Clang vector
/// extension so it compiles to straight-line SIMD without -ffast-math and without libmvec.

#include <bit>
#include <cstdint>

#include "transmission.hpp"

namespace oi::sim {

/// 8 int32, for the exponent bits.
typedef std::int32_t Int8 __attribute__((vector_size(32)));

/// exp(−a) for a ≥ 0 (a beyond 87 gives exp(−87) ≈ 1.6e-38: nothing passes, no denormals).
/// Inlined into the caller so it runs on the caller's instruction set (AVX2 clone or not).
__attribute__((always_inline)) inline Float8 exp_neg(Float8 a) {
  const Float8 lowest = {-87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f, -87.0f};
  Float8 x = -a;
  x = x < lowest ? lowest : x;
  // Round x / ln 2 to the nearest integer n by adding 1.5·2^23: the float's low mantissa bits
  // then hold n itself, which also gives 2^n without a float-to-int conversion.
  constexpr float kMagic = 12582912.0f;
  const Float8 t = x * 1.44269504088896341f + kMagic;
  const Float8 n = t - kMagic;
  // x − n·ln 2 in two parts (Cody–Waite) so r stays exact to float precision.
  Float8 r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  Float8 p = 1.9875691500e-4f * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const Int8 n_int = std::bit_cast<Int8>(t) - 0x4B400000;
  const Int8 pow2_bits = (n_int + 127) << 23;
  return p * std::bit_cast<Float8>(pow2_bits);
}

}  // namespace oi::sim
