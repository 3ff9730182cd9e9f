// The extension surface as a pipeline author meets it: standard scanner parameter names,
// with old names refused at load time and the new name in the message.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
using oi::test::ProcessResult;
using oi::test::run_process;

namespace {

const std::string kOi = OI_EXE;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path pipeline(const std::string& name, const std::string& scanner_params) {
  const fs::path file = oi::test::scratch_dir("oi-extension", name) / "pipeline.yaml";
  std::ofstream(file) << "name: " << name << "\n"
                      << "devices:\n  scanner:\n    driver: sim.xray\n    params:\n"
                      << scanner_params << "stages:\n  assemble:\n    type: scan.assemble\n"
                      << "connections:\n  - from: scanner.out\n    to: assemble.in\n";
  return file;
}

TEST(OiExtension, StandardScannerNamesAreAccepted) {
  const fs::path file = pipeline("standard", "      pixels_per_line: 128\n      source_kv: 120\n");
  const ProcessResult r = run_process({kOi, "validate", file.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(OiExtension, AnOldScannerParameterNameIsALoadTimeErrorNamingTheNewOne) {
  const fs::path file = pipeline("old", "      scans: 1\n      pixels: 128\n");
  const ProcessResult r = run_process({kOi, "validate", file.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "pipeline.yaml:7:7:")) << "the key's position: " << r.err;
  EXPECT_TRUE(contains(r.err, "has no parameter 'pixels': it was renamed 'pixels_per_line'")) << r.err;
}

TEST(OiExtension, AnOldNameInSetIsRefusedTheSameWay) {
  const fs::path file = pipeline("old-set", "      scans: 1\n");
  const ProcessResult r = run_process({kOi, "validate", file.string(), "--set", "scanner.kv=120"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "it was renamed 'source_kv'")) << r.err;
}

}  // namespace
