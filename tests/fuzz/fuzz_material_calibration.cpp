// libFuzzer target for material calibration files (xray.materials, docs/materials.md): any
// JSON document must either load, resample into the kernel's table and classify pixels, or be
// refused with oi::ConfigError naming what is wrong; a crash, a sanitizer report (NaN to int,
// out-of-range index) or another exception is a finding. Inputs that are not JSON are left to
// nlohmann::json's own parser.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>

#include "fuzz_files.hpp"
#include "material_model.hpp"
#include "oi/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = nlohmann::json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return -1;
  try {
    const auto calibration = oi::xray::MaterialCalibration::from_json(doc, "fuzz.json");
    const auto table = oi::xray::MaterialTable::build(calibration);
    const oi::xray::ClassThresholds thresholds;
    for (const float a_high : {0.0f, 0.01f, 0.3f, 1.0f, 2.5f, 6.0f, 50.0f}) {
      for (const float ratio : {0.5f, 1.0f, 1.3f, 2.0f, 5.0f}) {
        (void)oi::xray::classify_pixel(a_high, a_high * ratio, table, thresholds);
      }
    }
  } catch (const oi::ConfigError& e) {
    oi::fuzz::expect_message(e.what(), "ConfigError without a message");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    oi::fuzz::fail("the calibration reader threw something other than oi::ConfigError");
  }
  return 0;
}
