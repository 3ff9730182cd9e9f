#include "spirv_cache_payload.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include "hash.hpp"

namespace oi::gpu::detail {
namespace {

constexpr std::uint32_t kSpirvMagic = 0x07230203;

template <class T>
void put(std::vector<std::byte>& out, const T& value) {
  const auto* bytes = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), bytes, bytes + sizeof(T));
}

template <class T>
bool get(std::span<const std::byte>& in, T& value) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&value, in.data(), sizeof(T));
  in = in.subspan(sizeof(T));
  return true;
}

}  // namespace

std::vector<std::byte> encode_spirv_payload(const std::vector<IncludedFile>& includes,
                                            const std::vector<std::uint32_t>& words) {
  std::vector<std::byte> out;
  put(out, static_cast<std::uint32_t>(includes.size()));
  for (const IncludedFile& file : includes) {
    put(out, static_cast<std::uint32_t>(file.path.size()));
    const auto* bytes = reinterpret_cast<const std::byte*>(file.path.data());
    out.insert(out.end(), bytes, bytes + file.path.size());
    put(out, file.content_hash);
  }
  const auto* bytes = reinterpret_cast<const std::byte*>(words.data());
  out.insert(out.end(), bytes, bytes + words.size() * sizeof(std::uint32_t));
  return out;
}

std::optional<SpirvPayload> decode_spirv_payload(std::span<const std::byte> in) {
  SpirvPayload payload;
  std::uint32_t count = 0;
  if (!get(in, count) || count > 4096) return std::nullopt;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t length = 0;
    if (!get(in, length) || length > in.size()) return std::nullopt;
    IncludedFile file;
    file.path.assign(reinterpret_cast<const char*>(in.data()), length);
    in = in.subspan(length);
    if (!get(in, file.content_hash)) return std::nullopt;
    payload.includes.push_back(std::move(file));
  }
  if (in.size() < 20 || in.size() % 4 != 0) return std::nullopt;
  payload.words.resize(in.size() / 4);
  std::memcpy(payload.words.data(), in.data(), in.size());
  if (payload.words[0] != kSpirvMagic) return std::nullopt;
  return payload;
}

bool includes_unchanged(const std::vector<IncludedFile>& includes) {
  for (const IncludedFile& file : includes) {
    std::ifstream in(file.path, std::ios::binary);
    if (!in) return false;
    std::ostringstream text;
    text << in.rdbuf();
    if (fnv1a64(text.str()) != file.content_hash) return false;
  }
  return true;
}

}  // namespace oi::gpu::detail
