#pragma once
// Non-cryptographic hashes for cache keys and checksums. Internal. The caches only need to
// notice accidental change (a new source, a flipped bit), not resist an attacker: a cache
// folder is as trusted as the user's home directory.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace oi::gpu::detail {

/// FNV-1a, 64 bits, continuing from `seed`.
inline std::uint64_t fnv1a64(std::span<const std::byte> data, std::uint64_t seed = 0xcbf29ce484222325ULL) {
  std::uint64_t h = seed;
  for (std::byte b : data) {
    h ^= static_cast<std::uint64_t>(b);
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// fnv1a64() of a string.
inline std::uint64_t fnv1a64(std::string_view text, std::uint64_t seed = 0xcbf29ce484222325ULL) {
  return fnv1a64(std::as_bytes(std::span<const char>(text.data(), text.size())), seed);
}

/// MurmurHash3's finaliser: spreads FNV's weak low bits.
inline std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

/// 128-bit digest: two independently seeded, finalised FNV-1a passes.
using Digest128 = std::array<std::uint64_t, 2>;
inline Digest128 digest128(std::string_view text) {
  return {mix64(fnv1a64(text)), mix64(fnv1a64(text, 0x84222325cbf29ce4ULL) ^ text.size())};
}

/// 32 lowercase hex digits.
inline std::string to_hex(const Digest128& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::uint64_t word : d) {
    for (int shift = 60; shift >= 0; shift -= 4) out += kDigits[(word >> shift) & 0xf];
  }
  return out;
}

}  // namespace oi::gpu::detail
