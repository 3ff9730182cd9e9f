// End-to-end tests of `oi`: exit codes, messages a person reads, and JSON a program reads.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
using oi::test::Process;
using oi::test::ProcessResult;
using oi::test::run_process;

namespace {

const std::string kOi = OI_EXE;
const std::string kData = OI_CLI_DATA;
const std::string kSource = OI_SOURCE_DIR;

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("oi-cli", name); }

std::string read(const fs::path& file) { return oi::test::read_text(file); }

TEST(OiCli, VersionPrintsSdkAndAbi) {
  ProcessResult r = run_process({kOi, "version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("plugin ABI"), std::string::npos) << r.out;
}

TEST(OiCli, BadArgumentsExitWithTwo) {
  EXPECT_EQ(run_process({kOi}).exit_code, 2);
  EXPECT_EQ(run_process({kOi, "frobnicate"}).exit_code, 2);
  ProcessResult r = run_process({kOi, "run", "x.yaml", "--max-frames", "many"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST(OiCli, ValidateReportsMisspelledTypeAndWrongValueTypeWithLineAndColumn) {
  const std::string file = kData + "/two_errors.yaml";
  ProcessResult r = run_process({kOi, "validate", file});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  // pixels_per_line: wide  -> line 6, column 24 (the value)
  EXPECT_NE(r.err.find(file + ":6:24: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("pixels_per_line"), std::string::npos) << r.err;
  // type: scan.asemble -> line 9, column 11, with a suggestion
  EXPECT_NE(r.err.find(file + ":9:11: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scan.assemble"), std::string::npos) << r.err;
}

TEST(OiCli, ValidateAcceptsTheDemo) {
  ProcessResult r = run_process({kOi, "validate", kSource + "/samples/demo/pipeline.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("valid"), std::string::npos);
}

TEST(OiCli, InvalidOverrideIsInvalidInput) {
  ProcessResult r = run_process(
      {kOi, "run", kSource + "/samples/demo/pipeline.yaml", "--set", "scanner.pixels_per_line=-5"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("pixels_per_line"), std::string::npos) << r.err;
  r = run_process({kOi, "validate", kSource + "/samples/demo/pipeline.yaml", "--set", "nonsense"});
  EXPECT_EQ(r.exit_code, 2);
}

// A device's URI is overridden like a parameter, so one pipeline runs against another device.
TEST(OiCli, SetOverridesADevicesUri) {
  const fs::path dir = scratch("uri");
  ProcessResult r =
      run_process({kOi, "run", kSource + "/samples/demo/pipeline.yaml", "--set", "scanner.scans=1", "--set",
                   "sink.dir=" + (dir / "out").string(), "--set", "scanner.uri=sim://lane7", "--stats",
                   (dir / "stats.json").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(read(dir / "stats.json"))["summaries"]["scanner"]["device"]["uri"],
            "sim://lane7");
  r = run_process(
      {kOi, "validate", kSource + "/samples/demo/pipeline.yaml", "--set", "scanner.uri=nonsense://x"});
  EXPECT_EQ(r.exit_code, 0) << "the URI is the driver's to check when it opens: " << r.err;
  r = run_process({kOi, "validate", kSource + "/samples/demo/pipeline.yaml", "--set", "sink.uri=x"});
  EXPECT_EQ(r.exit_code, 2) << "a stage has no URI: " << r.err;
}

// --quiet prints errors only: plugins log through the same logger as the tool (xray.correct's
// note about dead pixels used to come through with its own spdlog registry).
TEST(OiCli, QuietPrintsNothingButErrors) {
  const fs::path dir = scratch("quiet");
  const fs::path pipeline = dir / "correct.yaml";
  std::ofstream(pipeline) << R"(devices:
  scanner: { driver: sim.xray, params: { scene: parcels, seed: 1, scans: 1, pixels_per_line: 256, references: start } }
stages:
  assemble: { type: scan.assemble }
  correct: { type: xray.correct, params: { backend: cpu, dead_pixels: [5] } }
  sink: { type: sink.image, params: { dir: out, planes: [a_high] } }
connections:
  - { from: scanner.out, to: assemble.in }
  - { from: assemble.out, to: correct.in }
  - { from: correct.out, to: sink.in }
)";
  ProcessResult r =
      run_process({kOi, "run", pipeline.string(), "--quiet", "--stats", (dir / "stats.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  // The dark and air references (both scan id 0) and the scan all arrive whole.
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  EXPECT_EQ(stats["summaries"]["assemble"]["scans"], 3) << stats.dump(2);
  EXPECT_EQ(stats["summaries"]["assemble"]["incomplete"], 0) << stats.dump(2);
  r = run_process({kOi, "--log-level", "info", "run", pipeline.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("dead pixel"), std::string::npos) << "asked for: " << r.err;
}

// --resources: a JSON line every --resources-every seconds and one at the end, with the GPU
// device's pools once a stage has opened it (null on the CPU backend, which never opens one).
TEST(OiCli, ResourcesSamplesTheGpuPoolsWhileItRuns) {
  const fs::path dir = scratch("resources");
  for (const std::string backend : {"gpu", "cpu"}) {
    SCOPED_TRACE(backend);
    const fs::path pipeline = dir / (backend + ".yaml");
    std::ofstream(pipeline) << "devices:\n  scanner: { driver: sim.xray, params: { scene: parcels, seed: 1, "
                               "scans: 3, pixels_per_line: 256, references: start } }\n"
                               "stages:\n  assemble: { type: scan.assemble }\n"
                               "  correct: { type: xray.correct, params: { backend: " +
                                   backend +
                                   " } }\n"
                                   "  sink: { type: sink.image, params: { dir: out, planes: [a_high] } }\n"
                                   "connections:\n  - { from: scanner.out, to: assemble.in }\n"
                                   "  - { from: assemble.out, to: correct.in }\n"
                                   "  - { from: correct.out, to: sink.in }\n";
    const fs::path lines = dir / (backend + ".jsonl");
    ProcessResult r = run_process({kOi, "run", pipeline.string(), "--quiet", "--resources", lines.string(),
                                   "--resources-every", "0.1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::ifstream in(lines);
    std::string line, last;
    int count = 0;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line);
      EXPECT_TRUE(j["time_s"].is_number()) << line;
      last = line;
      ++count;
    }
    ASSERT_GE(count, 1) << "the last line is written when the run ends";
    const auto gpu = nlohmann::json::parse(last)["gpu"];
    if (backend == "cpu") {
      EXPECT_TRUE(gpu.is_null()) << last;
    } else {
      // backend: gpu ran (exit 0), so the device was open while the run went on.
      ASSERT_FALSE(gpu.is_null()) << last;
      EXPECT_GE(gpu["memory_bytes_reserved"].get<std::int64_t>(), 1) << last;
      EXPECT_GE(gpu["memory_blocks_allocated"].get<std::int64_t>(), 1) << last;
      EXPECT_GE(gpu["submissions"].get<std::int64_t>(), 1) << last;
    }
  }
  const ProcessResult bad = run_process(
      {kOi, "run", kSource + "/samples/demo/pipeline.yaml", "--resources", (dir / "no/such/x").string()});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("cannot open --resources file"), std::string::npos) << bad.err;
}

// `planes:` naming a plane the frames do not have used to write nothing for it and exit 0.
TEST(OiCli, ImageSinkRefusesAPlaneTheFramesLack) {
  const fs::path dir = scratch("planes");
  ProcessResult r =
      run_process({kOi, "run", kSource + "/samples/demo/pipeline.yaml", "--set", "scanner.scans=1", "--set",
                   "sink.dir=" + (dir / "out").string(), "--set", "sink.planes=[high, hihg]"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("has no plane 'hihg' named in `planes` (it has: high, low)"), std::string::npos)
      << r.err;
}

TEST(OiCli, RunWritesOutputAndStats) {
  const fs::path dir = scratch("run");
  ProcessResult r = run_process({kOi, "run", kSource + "/samples/demo/pipeline.yaml", "--set",
                                 "sink.dir=" + (dir / "out").string(), "--set", "scanner.scans=2", "--stats",
                                 (dir / "stats.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("output written to " + (dir / "out").string()), std::string::npos) << r.out;
  // Output piped to a file: no progress line.
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  ASSERT_TRUE(stats.contains("stages"));
  ASSERT_TRUE(stats.contains("connections"));
  ASSERT_TRUE(stats.contains("wall_s"));
  const auto& sink = stats["stages"]["sink"];
  EXPECT_EQ(sink["frames_in"], 2);
  for (const char* key : {"frames_in", "frames_out", "dropped"}) EXPECT_TRUE(sink.contains(key)) << key;
  EXPECT_TRUE(sink["latency_ms"].contains("p50"));
  EXPECT_TRUE(sink["latency_ms"].contains("p99"));
  // sim.xray: each parcel is 1-3 s of belt travel, so several blocks per scan.
  EXPECT_GT(stats["stages"]["scanner"]["frames_out"].get<int>(), 2);
  EXPECT_EQ(stats["summaries"]["scanner"]["device"]["driver"], "sim.xray");
  const auto& c = stats["connections"][0];
  EXPECT_EQ(c["from"], "scanner.out");
  EXPECT_EQ(c["to"], "assemble.in");
  EXPECT_EQ(c["capacity"], 8);
  EXPECT_EQ(c["policy"], "block");
  EXPECT_LE(c["high_water"].get<int>(), 8 + 1);
  EXPECT_EQ(c["dropped"], 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "out"), fs::directory_iterator{}), 2 * 3);
}

TEST(OiCli, StatsCarryDeviceEventsAndSupervisorCounters) {
  const fs::path dir = scratch("events");
  ProcessResult r =
      run_process({kOi, "run", kData + "/mock_fault.yaml", "--stats", (dir / "stats.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("[device.fault]"), std::string::npos) << "every event is logged: " << r.err;
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  ASSERT_TRUE(stats["events"].is_array());
  ASSERT_EQ(stats["events"].size(), 2u) << stats["events"].dump(2);
  EXPECT_EQ(stats["events"][0]["kind"], "device.fault");
  EXPECT_EQ(stats["events"][0]["source"], "scanner");
  EXPECT_EQ(stats["events"][0]["severity"], "warning");
  EXPECT_EQ(stats["events"][1]["kind"], "device.recovered");
  const auto& scanner = stats["summaries"]["scanner"];
  EXPECT_EQ(scanner["faults"], 1);
  EXPECT_EQ(scanner["restarts"], 1);
  EXPECT_EQ(scanner["incomplete"], 1);
}

TEST(OiCli, DevicesListsWhatEachDriverCanSee) {
  ProcessResult r = run_process({kOi, "devices", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto list = nlohmann::json::parse(r.out);
  ASSERT_TRUE(list.is_array());
  bool mock = false;
  for (const auto& d : list) {
    for (const char* key : {"driver", "uri", "vendor", "model", "serial"})
      ASSERT_TRUE(d.contains(key)) << key << " in " << d;
    mock = mock || (d["driver"] == "mock.xray" && d["uri"] == "mock://xray");
  }
  EXPECT_TRUE(mock) << r.out;
  r = run_process({kOi, "devices"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // One row per device: driver, URI, then who made it (column widths follow the longest entry).
  std::istringstream rows(r.out);
  bool row = false;
  for (std::string line; std::getline(rows, line);) {
    row = row || (line.rfind("mock.xray ", 0) == 0 && line.find(" mock://xray ") != std::string::npos &&
                  line.find("OpenInspect Mock X-ray line scanner") != std::string::npos);
  }
  EXPECT_TRUE(row) << r.out;
}

TEST(OiCli, MaxFramesStopsTheSource) {
  const fs::path dir = scratch("max");
  ProcessResult r = run_process({kOi, "run", kData + "/endless.yaml", "--set",
                                 "sink.dir=" + (dir / "out").string(), "--set", "scanner.line_rate_hz=0",
                                 "--max-frames", "5", "--stats", (dir / "stats.json").string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  // Exactly 5 blocks: the one a scanner's adapter holds back counts, and is delivered at
  // the end marked incomplete because its scan was cut (docs/architecture.md, max_frames).
  EXPECT_EQ(stats["stages"]["scanner"]["frames_out"], 5);
  EXPECT_EQ(stats["stages"]["sink"]["frames_in"], 5);
  EXPECT_EQ(stats["summaries"]["scanner"]["incomplete"], 1);
}

TEST(OiCli, RuntimeFailureExitsWithOneAndNamesTheStage) {
  const fs::path dir = scratch("fail");
  // A folder where the sink wants to write its first file makes that write fail.
  fs::create_directories(dir / "out" / "000001_000000_high.png");
  ProcessResult r = run_process({kOi, "run", kData + "/endless.yaml", "--set",
                                 "sink.dir=" + (dir / "out").string(), "--set", "scanner.line_rate_hz=0"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("sink"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("000001_000000_high.png"), std::string::npos) << r.err;
}

TEST(OiCli, SigintDrainsAndExitsCleanly) {
  const fs::path dir = scratch("sigint");
  Process p({kOi, "run", kData + "/endless.yaml", "--set", "sink.dir=" + (dir / "out").string(), "--stats",
             (dir / "stats.json").string()},
            {{"OI_PLUGIN_PATH", ""}}, dir.string());
  // Wait until frames flow, then interrupt.
  for (int i = 0; i < 200 && !fs::exists(dir / "out" / "000001_000003.json"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(p.pid(), SIGINT);
  ProcessResult r = p.wait();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("stopped by signal"), std::string::npos) << r.err;
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  // Drained: everything the source emitted reached the sink or was counted as dropped.
  const auto emitted = stats["stages"]["scanner"]["frames_out"].get<std::uint64_t>();
  const auto received = stats["stages"]["sink"]["frames_in"].get<std::uint64_t>();
  const auto dropped = stats["connections"][0]["dropped"].get<std::uint64_t>();
  EXPECT_GT(emitted, 0u);
  EXPECT_EQ(emitted, received + dropped);
}

TEST(OiCli, InspectShowsPortsAndParameters) {
  ProcessResult r = run_process({kOi, "inspect", "sink.image"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dir"), std::string::npos);
  r = run_process({kOi, "inspect", "test.pattern", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["type"], "test.pattern");
  EXPECT_EQ(j["kind"], "driver");
  EXPECT_EQ(j["outputs"][0]["type"], "xray.scan_block<u16>");
  bool found = false;
  for (const auto& p : j["params"]) found = found || (p["name"] == "pixels_per_line" && p["min"] == 8.0);
  EXPECT_TRUE(found) << j.dump(2);
}

TEST(OiCli, InspectUnknownTypeSuggests) {
  ProcessResult r = run_process({kOi, "inspect", "sink.imag"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'sink.image'"), std::string::npos) << r.err;
}

TEST(OiCli, PluginsJsonListsEveryShippedPlugin) {
  ProcessResult r = run_process({kOi, "plugins", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto list = nlohmann::json::parse(r.out);
  std::set<std::string> types;
  for (const auto& p : list) {
    for (const char* key : {"path", "name", "version", "abi", "types", "error"})
      EXPECT_TRUE(p.contains(key)) << key;
    EXPECT_TRUE(p["error"].is_null()) << p.dump();
    for (const auto& t : p["types"]) types.insert(t.get<std::string>());
  }
  for (const char* t : {"test.pattern", "frame.pass", "scan.assemble", "sink.image"})
    EXPECT_TRUE(types.count(t)) << t;
}

TEST(OiCli, PluginsJsonReportsBrokenPluginsWithTheirReason) {
  const std::string broken = std::string(OI_TEST_PLUGIN_DIR) + "/broken";
  ASSERT_TRUE(fs::exists(broken)) << broken;
  ProcessResult r = run_process({kOi, "plugins", "--json"}, {{"OI_PLUGIN_PATH", broken}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  const auto list = nlohmann::json::parse(r.out);
  int failed = 0, loaded = 0;
  for (const auto& p : list) {
    if (p["error"].is_null()) {
      ++loaded;
    } else {
      ++failed;
      EXPECT_FALSE(p["error"].get<std::string>().empty());
    }
  }
  EXPECT_GE(failed, 5) << list.dump(2);
  EXPECT_GE(loaded, 3) << "the shipped plugins must still load";
  // The human-readable listing says NOT LOADED with the reason.
  r = run_process({kOi, "plugins"}, {{"OI_PLUGIN_PATH", broken}});
  EXPECT_NE(r.out.find("NOT LOADED"), std::string::npos) << r.out;
}

TEST(OiCli, ReferenceDocIsCurrent) {
  const fs::path dir = scratch("reference");
  ProcessResult r = run_process({kOi, "reference", (dir / "reference.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read(dir / "reference.md"), read(kSource + "/docs/reference.md"))
      << "docs/reference.md is out of date: run `make reference` and commit it";
}

}  // namespace
