// libFuzzer target for gpu.shader's reflection of a compiled shader (SPIRV-Cross): the input is
// a SPIR-V module's words (little-endian; a trailing partial word is dropped). reflect_shader()
// must return the shader's interface or throw oi::ConfigError saying what it could not read; a
// crash, a sanitizer report, a hang or another exception is a finding.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <vector>

#include "fuzz_files.hpp"
#include "oi/error.hpp"
#include "shader_interface.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint32_t> words(size / 4);
  if (!words.empty()) std::memcpy(words.data(), data, words.size() * 4);
  try {
    const auto shader = oi::gpu_shader::reflect_shader(words);
  } catch (const oi::ConfigError& e) {
    oi::fuzz::expect_message(e.what(), "ConfigError without a message");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    oi::fuzz::fail("reflection threw something other than oi::ConfigError");
  }
  return 0;
}
