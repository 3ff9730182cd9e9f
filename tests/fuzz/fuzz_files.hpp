#pragma once
// Helpers shared by the libFuzzer targets whose parsers read files: one input becomes up to N
// files (parts separated by a line "====="), written into a scratch folder of this process.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace oi::fuzz {

/// Reports a finding and stops the fuzzer (libFuzzer keeps the input).
[[noreturn]] inline void fail(const char* why) {
  std::fprintf(stderr, "finding: %s\n", why);
  __builtin_trap();
}

/// The input's parts: the bytes between lines "=====", at most `max_parts` (the last one takes
/// the rest, separators included).
inline std::vector<std::string_view> split_parts(const std::uint8_t* data, std::size_t size,
                                                 std::size_t max_parts) {
  constexpr std::string_view kSeparator = "\n=====\n";
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const std::size_t at = rest.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(rest);
  return parts;
}

/// This process's scratch folder (under TMPDIR or /tmp), removed when the process exits.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/oi-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) fail("cannot create a scratch folder");
    static const std::string keep = pattern;
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(keep, ignored);
    });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

/// A fresh, empty folder `name` inside the scratch folder.
inline std::filesystem::path fresh_dir(const std::string& name) {
  const std::filesystem::path dir = scratch() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// Writes `bytes` to `file`, replacing it.
inline void write_file(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write a scratch file");
}

/// An error a parser reports must say something.
inline void expect_message(std::string_view message, const char* what) {
  if (message.empty()) fail(what);
}

}  // namespace oi::fuzz
