#pragma once
// Payload of a SPIR-V cache file: the included files with their content hashes (checked on
// every hit, so editing an include invalidates the entry) followed by the SPIR-V words.
// Internal.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace oi::gpu::detail {

struct IncludedFile {
  std::string path;            // as resolved when compiling
  std::uint64_t content_hash;  // fnv1a64 of its text
};

struct SpirvPayload {
  std::vector<IncludedFile> includes;
  std::vector<std::uint32_t> words;
};

std::vector<std::byte> encode_spirv_payload(const std::vector<IncludedFile>& includes,
                                            const std::vector<std::uint32_t>& words);
/// nullopt when the bytes do not parse (the caller recompiles).
std::optional<SpirvPayload> decode_spirv_payload(std::span<const std::byte> bytes);
/// True when every file still exists with the same content.
bool includes_unchanged(const std::vector<IncludedFile>& includes);

}  // namespace oi::gpu::detail
