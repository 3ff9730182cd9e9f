// libFuzzer target for the DICOS reader the dicos driver plays archives back with
// (docs/integration.md): read_dx() must return an image whose pixel count matches its size,
// or throw oi::Error naming the file; a crash, a sanitizer report or another exception is a
// finding (DCMTK itself is not instrumented; what this covers is OpenInspect's use of it).

#include <cstddef>
#include <cstdint>
#include <exception>

#include "dicos_files.hpp"
#include "fuzz_files.hpp"
#include "oi/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = oi::fuzz::scratch() / "image.dcs";
  oi::fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    const oi::dicos::DxImage image = oi::dicos::read_dx(file);
    const auto& c = image.channel;
    if (c.width <= 0 || c.height <= 0) oi::fuzz::fail("an image without pixels was accepted");
    if (c.pixels.size() != static_cast<std::size_t>(c.width) * static_cast<std::size_t>(c.height))
      oi::fuzz::fail("pixel count does not match width x height");
  } catch (const oi::Error& e) {
    if (std::string_view(e.what()).find(file.string()) == std::string_view::npos)
      oi::fuzz::fail("a DICOS error that does not name the file");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    oi::fuzz::fail("the DICOS reader threw something other than oi::Error");
  }
  return 0;
}
