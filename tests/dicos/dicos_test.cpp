// sink.dicos and the DICOS file code: scans built in the test are written as DX images and a
// TDR, then read back by three readers: OpenInspect's own (read_dx), DCMTK's dcmftest and
// dcmdump, and pydicom (Debian's python3-pydicom, an independent implementation). Files that
// are not DICOS, truncated or of another kind are clear errors naming the file; a full disk is
// counted and fails the run at its end. An archive file removed or replaced while the dicos
// driver plays the archive is a fault naming it, its scan counted lost; the archive removed fails
// the run naming the folder.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>

#include "dicos_files.hpp"
#include "file_size_limit.hpp"
#include "oi/error.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "pipeline_run.hpp"
#include "process.hpp"
#include "scratch.hpp"
#include "test_stages.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int kW = 64, kH = 48;

std::uint16_t pixel(int channel, int x, int y, std::uint64_t id) {
  return static_cast<std::uint16_t>(channel * 30000 + y * 500 + x * 3 + id);
}

FramePtr make_scan(std::uint64_t id, const std::string& decision, json detections) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  for (int c = 0; c < 2; ++c) {
    Plane& p = f->add_plane(c == 0 ? "high" : "low", PixelFormat::kU16, kW, kH);
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) p.row<std::uint16_t>(y)[x] = pixel(c, x, y, id);
  }
  f->metadata().scan_id = id;
  f->metadata().capture_time_ns = 1700000000123456000 + static_cast<std::int64_t>(id) * 1000;
  f->metadata().source_device = "lane3";
  f->metadata().pixel_pitch_mm = 0.8;
  f->metadata().attributes = {
      {"detections", std::move(detections)}, {"decision", decision}, {"tube", {{"kv", 160}, {"ma", 1.0}}}};
  return f;
}

std::vector<FramePtr> scans() {
  return {make_scan(1, "clear", json::array()),
          make_scan(2, "alarm",
                    {{{"class", "narcotics"}, {"box", {10, 12, 20, 8}}, {"score", 0.82}},
                     {{"class", "knife"}, {"box", {1, 1, 5, 5}}, {"score", 0.9}, {"tip", true}}}),
          make_scan(3, "cannot_clear", {{{"class", "shielding"}, {"box", {0, 0, 30, 30}}, {"score", 0.7}}})};
}

class DicosSink : public ::testing::Test {
 protected:
  void SetUp() override {
    const PluginRecord& record = registry_.load_file(OI_DICOS_PLUGIN);
    ASSERT_FALSE(record.error) << *record.error;
    test::register_test_scans(registry_);
    dir_ = test::scratch_dir("dicos", ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  RunResult run(std::vector<FramePtr> frames) {
    test::set_test_scans(std::move(frames));
    std::ofstream(dir_ / "pipeline.yaml")
        << "devices:\n  scanner: { driver: test.scans }\nstages:\n  dicos: { type: sink.dicos, params: { "
           "dir: out, "
           "manufacturer: ACME Scanners, serial: SN-42, ooi_type: PARCEL } }\n"
           "connections:\n  - { from: scanner.out, to: dicos.in }\n";
    test::PipelineRun run = test::run_pipeline_file(dir_ / "pipeline.yaml", registry_);
    summaries_ = run.summaries;
    return run.result;
  }

  PluginRegistry registry_;
  fs::path dir_;
  json summaries_ = json::object();
};

TEST_F(DicosSink, ImagesAndReportsReadBackWithOpenInspectAndDcmtk) {
  const RunResult result = run(scans());
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(summaries_["dicos"]["scans"], 3);
  EXPECT_EQ(summaries_["dicos"]["files"], 9);
  const fs::path out = dir_ / "out";

  const dicos::DxImage low = dicos::read_dx(out / "scan_000002_dx_low.dcm");
  EXPECT_EQ(low.channel.name, "low");
  ASSERT_EQ(low.channel.width, kW);
  ASSERT_EQ(low.channel.height, kH);
  EXPECT_EQ(low.channel.pixels[5 * kW + 7], pixel(1, 7, 5, 2));
  EXPECT_EQ(low.scan.scan_id, 2u);
  EXPECT_EQ(low.scan.capture_time_ns, 1700000000123458000);
  EXPECT_DOUBLE_EQ(low.scan.pixel_pitch_mm, 0.8);
  EXPECT_DOUBLE_EQ(low.scan.kv, 160);
  EXPECT_EQ(low.scan.manufacturer, "ACME Scanners");
  EXPECT_EQ(low.scan.serial, "SN-42");
  EXPECT_EQ(dicos::read_dx(out / "scan_000002_dx_high.dcm").study_uid, low.study_uid);

  test::ProcessResult ftest = test::run_process({"/usr/bin/dcmftest", (out / "scan_000002_tdr.dcm").string(),
                                                 (out / "scan_000002_dx_high.dcm").string()});
  EXPECT_EQ(ftest.exit_code, 0) << ftest.out << ftest.err;
  test::ProcessResult dump = test::run_process({"/usr/bin/dcmdump", (out / "scan_000002_tdr.dcm").string()});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(dump.err, "") << "dcmdump found problems";
  for (const char* expected :
       {"=DICOS_ThreatDetectionReportStorage", "(4010,1031) CS [ALARM]", "(4010,1033) US 1 ",
        "(4010,1013) LT [narcotics]", "(4010,1012) CS [CONTRABAND]", "(4010,101d) FL 10\\12\\0\\30\\20\\0",
        "(4010,1042) CS [PARCEL]", "(4010,1027) CS [MACHINE]", "=DICOS_DigitalXRayImageStorageForProcessing"})
    EXPECT_NE(dump.out.find(expected), std::string::npos) << expected << "\n" << dump.out;
  EXPECT_EQ(dump.out.find("knife"), std::string::npos) << "the TIP detection must not be reported";
  test::ProcessResult shielded =
      test::run_process({"/usr/bin/dcmdump", (out / "scan_000003_tdr.dcm").string()});
  EXPECT_NE(shielded.out.find("(4010,1031) CS [UNKNOWN]"), std::string::npos) << shielded.out;
  EXPECT_NE(shielded.out.find("(4010,1014) CS [SHIELD]"), std::string::npos) << shielded.out;
}

TEST_F(DicosSink, PydicomReadsThePixelsAndTheReport) {
  if (!fs::exists("/usr/bin/python3") ||
      test::run_process({"/usr/bin/python3", "-c", "import pydicom, numpy"}).exit_code != 0)
    GTEST_SKIP()
        << "python3-pydicom and python3-numpy are not installed (scripts/install-deps.sh installs them)";
  ASSERT_TRUE(run(scans()).ok);
  const fs::path out = dir_ / "out";
  // The expected pixel sum, computed here, against pydicom's pixel_array.
  std::uint64_t sum = 0;
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) sum += pixel(0, x, y, 2);
  const std::string script =
      "import pydicom, sys\n"
      "dx = pydicom.dcmread(sys.argv[1]); tdr = pydicom.dcmread(sys.argv[2])\n"
      "assert dx.SOPClassUID == '1.2.840.10008.5.1.4.1.1.501.2.2', dx.SOPClassUID\n"
      "assert dx.Modality == 'DX' and dx.PresentationIntentType == 'FOR PROCESSING'\n"
      "assert tdr.SOPClassUID == '1.2.840.10008.5.1.4.1.1.501.3', tdr.SOPClassUID\n"
      "assert tdr.StudyInstanceUID == dx.StudyInstanceUID\n"
      "px = dx.pixel_array\n"
      "threats = tdr[0x4010, 0x1011].value\n"
      "refs = [r.ReferencedSOPInstanceUID for r in threats[0][0x4010, "
      "0x1037].value[0].ReferencedInstanceSequence]\n"
      "assert dx.SOPInstanceUID in refs, refs\n"
      "a = threats[0][0x4010, 0x1038].value[0]\n"
      "print(px.shape[0], px.shape[1], int(px.astype('uint64').sum()), tdr[0x4010, 0x1031].value, "
      "len(threats),\n"
      "      a[0x4010, 0x1013].value, round(float(a[0x4010, 0x1016].value), 2), float(dx.PixelSpacing[0]))\n";
  test::ProcessResult py =
      test::run_process({"/usr/bin/python3", "-c", script, (out / "scan_000002_dx_high.dcm").string(),
                         (out / "scan_000002_tdr.dcm").string()});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  EXPECT_EQ(py.out, std::to_string(kH) + " " + std::to_string(kW) + " " + std::to_string(sum) +
                        " ALARM 1 narcotics 0.82 0.8\n");
}

TEST_F(DicosSink, AFullDiskIsCountedAndFailsTheRunAtItsEnd) {
  RunResult result;
  {
    const test::FileSizeLimit full_disk(2000);
    ASSERT_TRUE(full_disk.ok());
    result = run(scans());
  }
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("3 scans could not be written"), std::string::npos) << result.error;
  EXPECT_EQ(summaries_["dicos"]["not_written"], 3);
  for (const auto& entry : fs::directory_iterator(dir_ / "out"))
    EXPECT_EQ(entry.path().extension(), ".dcm") << "a partial file was left: " << entry.path();
}

TEST(DicosFiles, WhatIsNotADicosImageIsAClearError) {
  const fs::path dir = test::scratch_dir("dicos", "errors");
  auto message = [](const fs::path& file) {
    try {
      dicos::read_dx(file);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  std::ofstream(dir / "text.dcm") << "this is not DICOM\n";
  EXPECT_NE(message(dir / "text.dcm").find((dir / "text.dcm").string()), std::string::npos);
  EXPECT_NE(message(dir / "missing.dcm").find("cannot be read"), std::string::npos);

  dicos::ScanInfo scan;
  scan.scan_id = 9;
  scan.capture_time_ns = 1700000000000000000;
  dicos::Channel high{"high", 16, 8, std::vector<std::uint16_t>(16 * 8, 1234)};
  const auto files = dicos::write_scan(dir, "scan_9", scan, {high}, json::array(), "clear", "");
  ASSERT_EQ(files.size(), 2u);
  EXPECT_NE(message(files[1]).find("is not a DICOS DX image"), std::string::npos) << message(files[1]);
  const auto size = fs::file_size(files[0]);
  fs::copy_file(files[0], dir / "cut.dcm");
  fs::resize_file(dir / "cut.dcm", size - 100);
  const std::string cut = message(dir / "cut.dcm");
  EXPECT_NE(cut.find("cut.dcm"), std::string::npos) << cut;
  EXPECT_NE(cut, "no error");
  EXPECT_EQ(dicos::read_dx(files[0]).channel.pixels[17], 1234);

  // An acquisition date and time that is no date (found by fuzz.dicos: it overflowed the
  // nanosecond count) is an error naming the file and the attribute.
  std::ifstream in(files[0], std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t at = bytes.find("20231114221320");  // 1700000000 s after the epoch, UTC
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 14, "99991399999999");
  std::ofstream(dir / "bad_time.dcm", std::ios::binary) << bytes;
  const std::string bad_time = message(dir / "bad_time.dcm");
  EXPECT_NE(bad_time.find("bad_time.dcm: AcquisitionDateTime \"99991399999999"), std::string::npos)
      << bad_time;

  EXPECT_THROW(
      dicos::write_scan(dir, "bad", scan, {dicos::Channel{"high", 4, 4, {1, 2, 3}}}, json::array(), "", ""),
      Error);
}

// A DX image another system wrote in another transfer syntax. Compressed ones (JPEG lossless,
// JPEG-LS, RLE) are refused naming the file, the transfer syntax and the tool that converts
// it; deflated and big-endian ones are read to the same pixels. DCMTK's converters make them
// (Debian's dcmtk); the test is skipped, saying so, where they are missing.
TEST(DicosFiles, OtherTransferSyntaxesAreReadOrRefusedNamingThem) {
  std::map<std::string, std::string> path;
  for (const char* tool : {"dcmcjpeg", "dcmcjpls", "dcmcrle", "dcmconv"}) {
    const test::ProcessResult found = test::run_process({"/bin/sh", "-c", std::string("command -v ") + tool});
    if (found.exit_code != 0 || found.out.empty())
      GTEST_SKIP() << tool << " (DCMTK, Debian package dcmtk) is not installed";
    path[tool] = found.out.substr(0, found.out.find('\n'));
  }
  const fs::path dir = test::scratch_dir("dicos", "transfer_syntax");
  dicos::ScanInfo scan;
  scan.scan_id = 4;
  scan.capture_time_ns = 1700000000000000000;
  std::vector<std::uint16_t> pixels(kW * kH);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x) pixels[y * kW + x] = pixel(0, x, y, 4);
  const auto files = dicos::write_scan(dir, "scan_4", scan, {dicos::Channel{"high", kW, kH, pixels}},
                                       json::array(), "clear", "");
  const fs::path dx = files.at(0);
  ASSERT_EQ(dicos::read_dx(dx).channel.pixels, pixels);

  struct Refused {
    std::vector<std::string> command;
    std::string syntax;  // DCMTK's name of the transfer syntax
    std::string tool;    // the converter the message names
  };
  const std::vector<Refused> refused = {
      {{path["dcmcjpeg"], dx.string(), (dir / "jpeg.dcm").string()}, "JPEG Lossless", "dcmdjpeg"},
      {{path["dcmcjpls"], dx.string(), (dir / "jpls.dcm").string()}, "JPEG-LS Lossless", "dcmdjpls"},
      {{path["dcmcrle"], dx.string(), (dir / "rle.dcm").string()}, "RLE Lossless", "dcmdrle"},
  };
  for (const Refused& r : refused) {
    const test::ProcessResult made = test::run_process(r.command);
    ASSERT_EQ(made.exit_code, 0) << r.command[0] << ": " << made.err;
    const fs::path file = r.command.back();
    try {
      dicos::read_dx(file);
      ADD_FAILURE() << file << " (" << r.syntax << ") was read";
    } catch (const Error& e) {
      const std::string text = e.what();
      EXPECT_NE(text.find(file.string()), std::string::npos) << text;
      EXPECT_NE(text.find("transfer syntax " + r.syntax), std::string::npos) << text;
      EXPECT_NE(text.find(r.tool), std::string::npos) << text;
    }
  }
  for (const char* option : {"+td", "+tb"}) {  // deflated, big endian: read as they are
    const fs::path file = dir / (std::string("conv") + option + ".dcm");
    const test::ProcessResult made = test::run_process({path["dcmconv"], option, dx.string(), file.string()});
    ASSERT_EQ(made.exit_code, 0) << "dcmconv " << option << ": " << made.err;
    EXPECT_EQ(dicos::read_dx(file).channel.pixels, pixels) << "dcmconv " << option;
  }
}

TEST(DicosFiles, UidsAreUniqueAndWellFormed) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string uid = dicos::new_uid();
    EXPECT_LE(uid.size(), 64u);
    EXPECT_EQ(uid.rfind("2.25.", 0), 0u);
    EXPECT_EQ(uid.find_first_not_of("0123456789."), std::string::npos);
    EXPECT_TRUE(uid.size() == 5 || uid[5] != '0' || uid.size() == 6) << "no leading zero: " << uid;
    seen.insert(uid);
  }
  EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace oi

namespace oi {
namespace {

// Runs a pipeline file through every plugin of the build; returns the stage summaries.
json run_with_all_plugins(const fs::path& file) {
  PluginRegistry registry;
  registry.load_directory(OI_PLUGIN_OUTPUT_DIR);
  test::PipelineRun run = test::run_pipeline_file(file, registry);
  if (!run.result.ok) throw Error(run.result.error);
  return run.summaries;
}

TEST(DicosArchive, ScansPlayedBackAreCorrectedAsTheyWereWritten) {
  // mock.xray -> scan.assemble -> xray.correct -> sink.dicos writes transmission images; the
  // dicos driver plays them back through the same correction, and a second sink.dicos writes
  // what came out: the same pixels within one count of 65535 (the 16-bit transmission's
  // rounding, through -ln and back).
  const fs::path dir = test::scratch_dir("dicos", "archive");
  std::ofstream(dir / "write.yaml") << "devices:\n  scanner: { driver: mock.xray, uri: 'mock://archive', "
                                       "params: { scans: 3, blocks_per_scan: 5, "
                                       "pixels_per_line: 96, references: start } }\n"
                                       "stages:\n  assemble: { type: scan.assemble }\n  correct: { type: "
                                       "xray.correct, params: { backend: cpu } }\n"
                                       "  dicos: { type: sink.dicos, params: { dir: archive } }\n"
                                       "connections:\n  - { from: scanner.out, to: assemble.in }\n  - { "
                                       "from: assemble.out, to: correct.in }\n"
                                       "  - { from: correct.out, to: dicos.in }\n";
  const json written = run_with_all_plugins(dir / "write.yaml");
  ASSERT_EQ(written["dicos"]["scans"], 3) << written.dump();

  std::ofstream(dir / "replay.yaml") << "devices:\n  archive: { driver: dicos, uri: 'dicos://"
                                     << (dir / "archive").string()
                                     << "', params: { references: start, lines_per_block: 7 } }\n"
                                        "stages:\n  assemble: { type: scan.assemble }\n  correct: { type: "
                                        "xray.correct, params: { backend: cpu } }\n"
                                        "  dicos: { type: sink.dicos, params: { dir: again } }\n"
                                        "connections:\n  - { from: archive.out, to: assemble.in }\n  - { "
                                        "from: assemble.out, to: correct.in }\n"
                                        "  - { from: correct.out, to: dicos.in }\n";
  const json replayed = run_with_all_plugins(dir / "replay.yaml");
  ASSERT_EQ(replayed["dicos"]["scans"], 3) << replayed.dump();
  EXPECT_EQ(replayed["assemble"]["incomplete"], 0) << replayed.dump();

  for (int scan = 1; scan <= 3; ++scan) {
    for (const char* channel : {"high", "low"}) {
      char name[64];
      std::snprintf(name, sizeof name, "scan_%06d_dx_%s.dcm", scan, channel);
      const dicos::DxImage first = dicos::read_dx(dir / "archive" / name);
      const dicos::DxImage second = dicos::read_dx(dir / "again" / name);
      ASSERT_EQ(first.channel.width, second.channel.width);
      ASSERT_EQ(first.channel.height, second.channel.height);
      EXPECT_TRUE(first.scan.transmission);
      int worst = 0;
      for (std::size_t i = 0; i < first.channel.pixels.size(); ++i)
        worst = std::max(worst, std::abs(int(first.channel.pixels[i]) - int(second.channel.pixels[i])));
      EXPECT_LE(worst, 1) << name;
    }
  }
}

TEST(DicosArchive, AFolderWithoutImagesOrWithABrokenOneIsAClearError) {
  const fs::path dir = test::scratch_dir("dicos", "broken_archive");
  PluginRegistry registry;
  registry.load_directory(OI_PLUGIN_OUTPUT_DIR);
  auto configure_error = [&](const fs::path& folder) {
    std::ofstream(dir / "p.yaml") << "devices:\n  archive: { driver: dicos, uri: 'dicos://" << folder.string()
                                  << "' }\nstages:\n  assemble: { type: scan.assemble }\n"
                                     "connections:\n  - { from: archive.out, to: assemble.in }\n";
    const test::PipelineRun run = test::run_pipeline_file(dir / "p.yaml", registry);
    return run.result.ok ? std::string("no error") : run.result.error;
  };
  fs::create_directories(dir / "empty");
  EXPECT_NE(configure_error(dir / "empty").find("has no DX images"), std::string::npos);
  EXPECT_NE(configure_error(dir / "missing").find("does not exist"), std::string::npos);
  fs::create_directories(dir / "bad");
  std::ofstream(dir / "bad" / "scan_1_dx_high.dcm") << "not DICOM";
  const std::string bad = configure_error(dir / "bad");
  EXPECT_NE(bad.find("scan_1_dx_high.dcm"), std::string::npos) << bad;
}

// An archive of the three scans above (two channels, 64 x 48) written by sink.dicos into
// `dir`/archive.
fs::path write_archive(PluginRegistry& registry, const fs::path& dir) {
  test::set_test_scans(scans());
  std::ofstream(dir / "write.yaml")
      << "devices:\n  scanner: { driver: test.scans }\nstages:\n  dicos: { type: "
         "sink.dicos, params: { dir: archive } }\n"
         "connections:\n  - { from: scanner.out, to: dicos.in }\n";
  const test::PipelineRun run = test::run_pipeline_file(dir / "write.yaml", registry);
  EXPECT_TRUE(run.result.ok) << run.result.error;
  return dir / "archive";
}

// Plays `archive` with the dicos driver (16 lines a block: 3 blocks a scan) into test.mux
// "blocks". The pipeline is created first, which configures the device (every file of the
// archive is read once); then `damage` runs, then the pipeline to its end: what the device
// finds when it reads a scan is what a file removed or replaced during the run leaves.
test::PipelineRun play_damaged(PluginRegistry& registry, const fs::path& archive, const std::string& params,
                               const std::function<void()>& damage) {
  const std::string yaml = "devices:\n  archive: { driver: dicos, uri: 'dicos://" + archive.string() +
                           "', params: { lines_per_block: 16, retry_backoff_ms: 1" + params +
                           " } }\nstages:\n  blocks: { type: test.mux }\n"
                           "connections:\n  - { from: archive.out, to: blocks.in }\n";
  test::TestSinkLog::instance().clear();
  test::PipelineRun run;
  Pipeline pipeline(load_pipeline_text(yaml, "play.yaml", archive.parent_path(), registry), registry);
  damage();
  RunOptions options;
  options.threads = 2;
  run.result = pipeline.run(options);
  for (const auto& [name, summary] : pipeline.stage_summaries()) run.summaries[name] = summary;
  return run;
}

// The scan id of every block test.mux "blocks" received.
std::vector<std::uint64_t> played_scan_ids() {
  std::vector<std::uint64_t> ids;
  for (const FrameMetadata& meta : test::TestSinkLog::instance().frames("blocks"))
    ids.push_back(meta.scan_id);
  return ids;
}

// Every plugin of the build, test.scans and the test stages.
void load_everything(PluginRegistry& registry) {
  registry.load_directory(OI_PLUGIN_OUTPUT_DIR);
  test::register_test_scans(registry);
  test::register_test_stages(registry);
}

TEST(DicosArchive, AFileRemovedMidRunIsAFaultNamingItAndItsScanIsCountedLost) {
  const fs::path dir = test::scratch_dir("dicos", "removed_file");
  PluginRegistry registry;
  load_everything(registry);
  const fs::path archive = write_archive(registry, dir);
  const fs::path victim = archive / "scan_000002_dx_low.dcm";
  fs::copy_file(victim, dir / "kept.dcm");

  // Scan 2's low channel goes after the run started (its high channel is still there): the
  // device faults naming the file; the supervisor restarts it, that scan is skipped with its 3
  // blocks counted lost, and scan 3 plays. Nothing is made up, nothing vanishes uncounted.
  const test::PipelineRun run = play_damaged(registry, archive, "", [&] { fs::remove(victim); });
  ASSERT_TRUE(run.result.ok) << run.result.error;
  const json& device = run.summaries["archive"];
  EXPECT_EQ(device["frames"], 6) << device.dump();
  EXPECT_EQ(device["lost"], 3) << device.dump();
  EXPECT_EQ(device["faults"], 1) << device.dump();
  EXPECT_EQ(device["restarts"], 1) << device.dump();
  EXPECT_EQ(device["incomplete"], 0) << device.dump();
  const std::string fault = device["last_fault"].get<std::string>();
  EXPECT_NE(fault.find("dicos://" + archive.string()), std::string::npos) << fault;
  EXPECT_NE(fault.find("DICOS file " + victim.string() + " was removed after the run started"),
            std::string::npos)
      << fault;
  EXPECT_NE(fault.find("scan 2 of 3"), std::string::npos) << fault;
  EXPECT_EQ(played_scan_ids(), (std::vector<std::uint64_t>{1, 1, 1, 3, 3, 3}))
      << "the skipped scan leaves a gap";

  // With on_fault: stop the run fails, naming the node and the file.
  fs::copy_file(dir / "kept.dcm", victim);
  const test::PipelineRun stopped =
      play_damaged(registry, archive, ", on_fault: stop", [&] { fs::remove(victim); });
  EXPECT_FALSE(stopped.result.ok);
  EXPECT_NE(stopped.result.error.find("stage 'archive' (type 'dicos'"), std::string::npos)
      << stopped.result.error;
  EXPECT_NE(stopped.result.error.find(victim.string() + " was removed"), std::string::npos)
      << stopped.result.error;
  EXPECT_EQ(stopped.summaries["archive"]["frames"], 3) << "scan 1 came out";
}

TEST(DicosArchive, AFileReplacedMidRunByGarbageOrAnotherImageIsAFaultNamingIt) {
  const fs::path dir = test::scratch_dir("dicos", "replaced_file");
  PluginRegistry registry;
  load_everything(registry);
  // A DX image of another size, from another scan.
  dicos::ScanInfo other;
  other.scan_id = 9;
  other.capture_time_ns = 1700000000000000000;
  const auto small = dicos::write_scan(dir, "small", other,
                                       {dicos::Channel{"high", 32, 8, std::vector<std::uint16_t>(32 * 8, 7)}},
                                       json::array(), "clear", "");
  struct Case {
    std::string name;
    std::function<void(const fs::path& archive, const fs::path& file)> replace;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"garbage",
       [](const fs::path&, const fs::path& file) { std::ofstream(file, std::ios::trunc) << "not DICOM"; },
       "the file changed after the run started"},
      {"truncated",
       [](const fs::path&, const fs::path& file) { fs::resize_file(file, fs::file_size(file) / 2); },
       "the file changed after the run started"},
      // Copying its pixels as if it were 64 x 48 read past its end (found by this test).
      {"another size",
       [&](const fs::path&, const fs::path& file) {
         fs::copy_file(small[0], file, fs::copy_options::overwrite_existing);
       },
       "was replaced after the run started: it is now high 32 x 8"},
      {"another scan's image",
       [](const fs::path& archive, const fs::path& file) {
         fs::copy_file(archive / "scan_000003_dx_high.dcm", file, fs::copy_options::overwrite_existing);
       },
       "was replaced after the run started: it is now high 64 x 48 of scan "},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    SCOPED_TRACE(c.name);
    const fs::path folder = dir / ("case_" + std::to_string(i));
    fs::create_directories(folder);
    const fs::path archive = write_archive(registry, folder);
    const fs::path victim = archive / "scan_000002_dx_high.dcm";
    const test::PipelineRun run = play_damaged(registry, archive, "", [&] { c.replace(archive, victim); });
    ASSERT_TRUE(run.result.ok) << run.result.error;
    const json& device = run.summaries["archive"];
    EXPECT_EQ(device["frames"], 6) << device.dump();
    EXPECT_EQ(device["lost"], 3) << device.dump();
    EXPECT_EQ(device["faults"], 1) << device.dump();
    const std::string fault = device["last_fault"].get<std::string>();
    EXPECT_NE(fault.find(victim.string()), std::string::npos) << fault;
    EXPECT_NE(fault.find(c.says), std::string::npos) << fault;
    EXPECT_NE(fault.find("scan 2 of 3 could not be played"), std::string::npos) << fault;
    EXPECT_EQ(played_scan_ids(), (std::vector<std::uint64_t>{1, 1, 1, 3, 3, 3}));
  }
}

TEST(DicosArchive, AnArchiveRemovedMidRunIsAFaultAndTheRunFailsNamingTheFolder) {
  const fs::path dir = test::scratch_dir("dicos", "removed_archive");
  PluginRegistry registry;
  load_everything(registry);

  // Read by read: scan 1 plays, the folder goes, the next scan's first read faults naming its
  // file, and a restart finds the folder gone and says so.
  fs::create_directories(dir / "direct");
  const fs::path archive = write_archive(registry, dir / "direct");
  std::unique_ptr<hal::Device> device = hal::DeviceRegistry::instance().create("dicos");
  ASSERT_NE(device, nullptr);
  ASSERT_TRUE(device->configure("dicos://" + archive.string(), {{"lines_per_block", 16}}).is_ok());
  ASSERT_TRUE(device->start().is_ok());
  for (int block = 0; block < 3; ++block) {
    FramePtr frame;
    const Status s = device->read(frame, std::chrono::milliseconds(1000));
    ASSERT_TRUE(s.is_ok()) << s.message();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->metadata().scan_id, 1u);
  }
  fs::remove_all(archive);
  FramePtr frame;
  Status s = device->read(frame, std::chrono::milliseconds(1000));
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("dicos://" + archive.string()), std::string::npos) << s.message();
  EXPECT_NE(
      s.message().find((archive / "scan_000002_dx_high.dcm").string() + " was removed after the run started"),
      std::string::npos)
      << s.message();
  EXPECT_EQ(device->state(), hal::DeviceState::kFault);
  s = device->recover();
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("DICOS folder " + archive.string() + " is gone"), std::string::npos)
      << s.message();
  EXPECT_EQ(device->state(), hal::DeviceState::kFault);
  device->close();

  // In a pipeline the supervisor retries (the folder might come back), then gives up: the run
  // fails naming the node and the folder.
  fs::create_directories(dir / "pipeline");
  const fs::path removed = write_archive(registry, dir / "pipeline");
  const test::PipelineRun run = play_damaged(registry, removed, "", [&] { fs::remove_all(removed); });
  ASSERT_FALSE(run.result.ok) << "an archive that is gone was reported played";
  EXPECT_NE(run.result.error.find("stage 'archive' (type 'dicos'"), std::string::npos) << run.result.error;
  EXPECT_NE(run.result.error.find("gave up after 3 recovery attempt(s)"), std::string::npos)
      << run.result.error;
  EXPECT_NE(run.result.error.find("DICOS folder " + removed.string() + " is gone"), std::string::npos)
      << run.result.error;
  const json& summary = run.summaries["archive"];
  EXPECT_EQ(summary["faults"], 1) << summary.dump();
  EXPECT_EQ(summary["gave_up"], true) << summary.dump();
  EXPECT_NE(summary["last_fault"].get<std::string>().find("scan_000001_dx_high.dcm was removed"),
            std::string::npos)
      << summary.dump();
}

}  // namespace
}  // namespace oi
