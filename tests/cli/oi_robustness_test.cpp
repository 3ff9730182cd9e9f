// Hostile but realistic input to `oi`, as a new user would give it: broken plugin files,
// lossy connections, failed runs, bad files, full disks, odd YAML, bad arguments, signals.
// Each case asserts the clear message, the exit status and the accounting; none may crash
// and none may lose data without saying so.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

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
const std::string kPlugins = OI_PLUGIN_OUTPUT_DIR;
const std::string kConformance = OI_CONFORMANCE_EXE;

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("oi-robust", name); }

std::string read(const fs::path& file) { return oi::test::read_text(file); }

fs::path write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
  return file;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// --- plugins -----------------------------------------------------------------------------

// A truncated plugin used to kill every command that loads plugins with SIGBUS (exit 135).
TEST(OiRobustness, TruncatedPluginIsReportedNotACrash) {
  const fs::path dir = scratch("truncated");
  const fs::path plugin = fs::path(kPlugins) / "oi_driver_sim_xray.so";
  ASSERT_TRUE(fs::exists(plugin)) << plugin;
  fs::copy_file(plugin, dir / "x.so");
  fs::resize_file(dir / "x.so", fs::file_size(plugin) / 3);
  const std::map<std::string, std::string> env{{"OI_PLUGIN_PATH", dir.string()}};

  ProcessResult r = run_process({kOi, "plugins"}, env);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "NOT LOADED: x.so: truncated or damaged")) << r.out;

  r = run_process({kOi, "validate", kSource + "/samples/demo/pipeline.yaml"}, env);
  EXPECT_EQ(r.exit_code, 0) << "the demo needs none of the broken plugin's types: " << r.err;
  EXPECT_TRUE(contains(r.err, "truncated or damaged")) << "the failed plugin is still named: " << r.err;

  r = run_process(
      {kConformance, "--driver", "sim.xray", "--uri", "sim://xray", "--gtest_filter=*IdentityIsComplete*"},
      env);
  EXPECT_EQ(r.exit_code, 0) << "sim.xray still loads and passes: " << r.out << r.err;
  // A driver that is not there: the plugins that failed to load are named as likely causes.
  r = run_process({kConformance, "--driver", "acme.xray", "--uri", "acme://x"}, env);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "plugins that failed to load, one of which may provide it")) << r.err;
  EXPECT_TRUE(contains(r.err, "x.so: truncated or damaged")) << r.err;

  const fs::path out = scratch("truncated-run");
  r = run_process({kOi, "run", kSource + "/samples/demo/pipeline.yaml", "--set", "scanner.scans=1", "--set",
                   "sink.dir=" + out.string(), "--quiet"},
                  env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

// A vendor running the suite gets failures named by the suite's own file and line, not by a
// folder on the machine that built the SDK. (A mock scanner that faults on every read fails
// some checks.)
TEST(OiRobustness, ConformanceFailuresNameTheSuitesFilesNotTheBuildMachines) {
  ProcessResult r =
      run_process({kConformance, "--driver", "mock.xray", "--uri", "mock://x", "--param",
                   "fail_after_blocks=1", "--param", "faults=1000", "--gtest_filter=*IncreasingSequences*"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "tools/conformance/device_conformance_test.cpp:")) << r.out;
  EXPECT_FALSE(contains(r.out, kSource + "/hal")) << r.out;
}

TEST(OiRobustness, DanglingPluginSymlinkIsListed) {
  const fs::path dir = scratch("dangling");
  fs::create_symlink(dir / "uninstalled" / "vendor.so", dir / "vendor.so");
  ProcessResult r = run_process({kOi, "plugins"}, {{"OI_PLUGIN_PATH", dir.string()}});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "vendor.so: a symbolic link to")) << r.out;
  EXPECT_TRUE(contains(r.out, "which does not exist")) << r.out;
}

// --- lossy connections and incomplete scans ---------------------------------------------

// Blocks dropped on a `latest` connection used to be stitched over and the scan marked
// complete. Now every scan shorter than the simulator says it is must be marked incomplete,
// and the assembler's count of missing blocks must show up in the summary.
TEST(OiRobustness, ScansMissingDroppedBlocksAreMarkedIncomplete) {
  const fs::path dir = scratch("latest");
  const fs::path pipeline = write(dir / "latest.yaml", R"(devices:
  scanner:
    driver: sim.xray
    params: { scene: parcels, seed: 7, scans: 6, pixels_per_line: 128 }
stages:
  assemble: { type: scan.assemble }
  sink: { type: sink.image, params: { dir: out } }
connections:
  - { from: scanner.out, to: assemble.in, capacity: 1, policy: latest }
  - { from: assemble.out, to: sink.in }
)");
  ProcessResult r =
      run_process({kOi, "run", pipeline.string(), "--quiet", "--stats", (dir / "stats.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  const auto dropped = stats["connections"][0]["dropped"].get<std::uint64_t>();
  const auto& assemble = stats["summaries"]["assemble"];
  int scans = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    if (entry.path().extension() != ".json") continue;
    const auto meta = nlohmann::json::parse(read(entry.path()));
    const int lines = meta["planes"]["high"]["height"].get<int>();
    const int scan_lines = meta["attributes"].value("scan_lines", lines);
    ++scans;
    if (lines != scan_lines) {
      EXPECT_TRUE(meta["incomplete"].get<bool>())
          << entry.path() << ": " << lines << " of " << scan_lines << " lines, marked complete";
      EXPECT_TRUE(meta["attributes"].contains("incomplete_reason")) << entry.path();
    }
  }
  EXPECT_EQ(scans, assemble["scans"].get<int>());
  if (dropped > 0) {
    EXPECT_GT(assemble["incomplete"].get<int>(), 0)
        << "blocks were dropped but no scan is incomplete: " << stats.dump(2);
  }
  EXPECT_LE(assemble["missing_blocks"].get<std::uint64_t>(), dropped);
}

// The probe's other case: one corrupt recorded frame gave a scan of 439 of 471 lines marked
// complete. The replay driver skips the frame (counted lost); the device adapter closes the
// scan where the fault hit; the rest of the scan must come out incomplete, missing exactly
// that block and its lines.
TEST(OiRobustness, CorruptRecordedBlockLeavesAnIncompleteScanNotAStitchedOne) {
  const fs::path dir = scratch("replay-gap");
  const fs::path record = write(dir / "record.yaml", R"(devices:
  scanner: { driver: sim.xray, params: { scene: parcels, seed: 5, scans: 2, pixels_per_line: 128 } }
stages:
  rec: { type: sink.record, params: { dir: recording } }
connections:
  - { from: scanner.out, to: rec.in }
)");
  ProcessResult r = run_process({kOi, "run", record.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A block in the middle of the first scan, and its number of lines (where the next starts).
  std::vector<nlohmann::json> entries;
  std::istringstream index(read(dir / "recording" / "index.jsonl"));
  for (std::string line; std::getline(index, line);) entries.push_back(nlohmann::json::parse(line));
  std::size_t at = 0;
  while (at + 1 < entries.size() && !(entries[at]["metadata"]["block_index"] == 2 &&
                                      !entries[at]["metadata"]["end_of_scan"].get<bool>())) {
    ++at;
  }
  ASSERT_LT(at + 1, entries.size()) << "no middle block in the recording";
  const nlohmann::json victim = entries[at];
  const int victim_lines = entries[at + 1]["metadata"]["attributes"]["first_line"].get<int>() -
                           victim["metadata"]["attributes"]["first_line"].get<int>();
  {
    std::fstream data(dir / "recording" / "frames.bin", std::ios::binary | std::ios::in | std::ios::out);
    data.seekp(victim["offset"].get<std::streamoff>() + 17);
    data.put('\x5a');
  }
  const fs::path replay = write(dir / "replay.yaml", R"(devices:
  scanner: { driver: replay, uri: 'replay://recording', params: { timing: fast, retry_backoff_ms: 1 } }
stages:
  assemble: { type: scan.assemble }
  sink: { type: sink.image, params: { dir: out } }
connections:
  - { from: scanner.out, to: assemble.in }
  - { from: assemble.out, to: sink.in }
)");
  r = run_process({kOi, "run", replay.string(), "--quiet", "--stats", (dir / "stats.json").string()},
                  {{"OI_RECORDINGS", dir.string()}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  EXPECT_EQ(stats["summaries"]["scanner"]["lost"], 1) << stats.dump(2);
  EXPECT_EQ(stats["summaries"]["assemble"]["missing_blocks"], 1) << stats.dump(2);
  const std::uint64_t scan_id = victim["metadata"]["scan_id"];
  int pieces = 0, complete = 0, with_the_gap = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    if (entry.path().extension() != ".json") continue;
    const auto meta = nlohmann::json::parse(read(entry.path()));
    if (meta["scan_id"] != scan_id) {
      EXPECT_FALSE(meta["incomplete"].get<bool>()) << entry.path() << " is another, whole scan";
      continue;
    }
    ++pieces;
    EXPECT_TRUE(meta["incomplete"].get<bool>())
        << entry.path() << ": a piece of the damaged scan marked complete";
    if (meta["attributes"].value("missing_blocks", 0) == 1) {
      ++with_the_gap;
      EXPECT_EQ(meta["attributes"]["missing_lines"], victim_lines) << meta.dump(2);
    }
    complete += !meta["incomplete"].get<bool>();
  }
  // One scan with a hole (replay's frames are not cut at a fault: it is not a scanner), or
  // the piece before the fault and the rest; either way every piece says it is incomplete
  // and exactly one says what is missing.
  EXPECT_GE(pieces, 1);
  EXPECT_EQ(with_the_gap, 1);
  EXPECT_EQ(complete, 0);
}

// --- failed runs and sink.summary ------------------------------------------------------

std::string failing_before_any_scan(const fs::path& dir, const std::string& summary_params) {
  return R"(devices:
  scanner: { driver: sim.xray, params: { scene: parcels, seed: 3, scans: 2, pixels_per_line: 128 } }
stages:
  assemble: { type: scan.assemble }
  detect: { type: xray.detect, params: { backend: cpu, classifier: false } }
  summary: { type: sink.summary, params: { dir: )" +
         (dir / "out").string() + ", " + summary_params + R"( } }
connections:
  - { from: scanner.out, to: assemble.in }
  - { from: assemble.out, to: detect.in }
  - { from: detect.out, to: summary.in }
)";
}

// xray.detect fails on the first scan (no material planes), so no scan reaches sink.summary.
TEST(OiRobustness, SummaryIsWrittenWhenTheRunFailsBeforeAnyScan) {
  const fs::path dir = scratch("summary-fail");
  const fs::path pipeline = write(dir / "p.yaml", failing_before_any_scan(dir, "overwrite: false"));
  ProcessResult r = run_process({kOi, "run", pipeline.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "has no plane")) << r.err;
  ASSERT_TRUE(fs::exists(dir / "out" / "summary.html")) << r.out;
  EXPECT_EQ(nlohmann::json::parse(read(dir / "out" / "summary.json"))["scans"], 0);
  EXPECT_TRUE(contains(r.out, "summary: output written to " + (dir / "out" / "summary.html").string()))
      << r.out;
}

// And when the summary cannot be written, `oi` must not claim it was.
TEST(OiRobustness, OutputWrittenIsPrintedOnlyForWhatWasWritten) {
  const fs::path dir = scratch("summary-blocked");
  fs::create_directories(dir / "out" / "summary.html" / "taken");
  const fs::path pipeline = write(dir / "p.yaml", failing_before_any_scan(dir, "overwrite: true"));
  ProcessResult r = run_process({kOi, "run", pipeline.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_FALSE(contains(r.out, "output written to " + (dir / "out" / "summary.html").string())) << r.out;
  EXPECT_TRUE(contains(r.out, "summary: nothing written to " + (dir / "out" / "summary.html").string()))
      << r.out;
}

// --- input files ---------------------------------------------------------------------------

const char* kCalibration = R"({"format": "openinspect-material-calibration", "version": 1,
 "noise_floor": {"a_high_max": 6.0, "a_low_max": 6.0},
 "materials": [
  {"name": "polyethylene", "z_eff": 5.5, "points": [{"a_high": 0.5, "ratio": 1.10}, {"a_high": 2.0, "ratio": 1.08}]},
  {"name": "iron", "z_eff": 26.0, "points": [{"a_high": 0.5, "ratio": 3.2}, {"a_high": A_HIGH, "ratio": 3.0}]}]})";

std::string calibration_with(const std::string& a_high) {
  std::string text = kCalibration;
  text.replace(text.find("A_HIGH"), 6, a_high);
  return text;
}

ProcessResult validate_cargo(const std::vector<std::string>& sets) {
  std::vector<std::string> argv{kOi, "validate", kSource + "/samples/cargo_inspection/pipeline.yaml"};
  for (const std::string& s : sets) argv.insert(argv.end(), {"--set", s});
  return run_process(argv);
}

TEST(OiRobustness, ValidateChecksReferencedCalibrationAndModelFiles) {
  const fs::path dir = scratch("files");
  const fs::path good = write(dir / "cal.json", calibration_with("3.0"));
  const fs::path model = write(dir / "model.yml", "%YAML:1.0\n---\n");
  ProcessResult r = validate_cargo(
      {"materials.calibration=" + (dir / "none.json").string(), "detect.model=" + model.string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, (dir / "none.json").string() + "': cannot be opened: it does not exist"))
      << r.err;

  r = validate_cargo(
      {"materials.calibration=" + good.string(), "detect.model=" + (dir / "none.yml").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, (dir / "none.yml").string() + " does not exist")) << r.err;
  EXPECT_TRUE(contains(r.err, "oi-train-detector")) << r.err;

  r = validate_cargo({"materials.calibration=" + good.string(), "detect.model=" + model.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = validate_cargo({"materials.calibration=" + good.string(), "detect.model=" + model.string(),
                      "correct.references=file", "correct.reference_file=" + (dir / "refs.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "reference_file " + (dir / "refs.json").string() + " does not exist")) << r.err;
}

// A folder used to give std::__ios_failure and exit 1; a value finite as a double but not as
// a float used to pass and then fail inside glslang (GPU) or run as infinity (CPU).
TEST(OiRobustness, CalibrationThatIsAFolderOrOutOfFloatRangeIsInvalidInput) {
  const fs::path dir = scratch("calibration");
  fs::create_directories(dir / "folder.json");
  ProcessResult r =
      validate_cargo({"materials.calibration=" + (dir / "folder.json").string(), "detect.model=''"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "is a folder, not a file")) << r.err;
  r = run_process({kOi, "run", kSource + "/samples/cargo_inspection/pipeline.yaml", "--set",
                   "materials.calibration=" + (dir / "folder.json").string(), "--set", "detect.model=''"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;

  const fs::path huge = write(dir / "huge.json", calibration_with("1e300"));
  r = validate_cargo({"materials.calibration=" + huge.string(), "detect.model=''"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "beyond the range of a 32-bit float")) << r.err;
  const fs::path beyond = write(dir / "beyond.json", calibration_with("30"));
  r = validate_cargo({"materials.calibration=" + beyond.string(), "detect.model=''"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "beyond the largest attenuation")) << r.err;
}

// --- full disk -----------------------------------------------------------------------------

// A full disk used to be reported as "is the folder writable?". Needs a private mount
// namespace and a small tmpfs (root, or a user namespace); skipped with the reason elsewhere.
TEST(OiRobustness, FullDiskIsCalledAFullDisk) {
  const fs::path dir = scratch("full");
  fs::create_directories(dir / "small");
  const std::string probe =
      "unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs \"" + (dir / "small").string() + "\"'";
  if (std::system((probe + " >/dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "cannot mount a small tmpfs in a private mount namespace here (needs root): " << probe;
  }
  const std::string command =
      "unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs \"" + (dir / "small").string() + "\" && exec \"" +
      kOi + "\" run \"" + kData + "/endless.yaml\" --quiet --set sink.dir=\"" + (dir / "small").string() +
      "\" --set scanner.line_rate_hz=0 --stats \"" + (dir / "stats.json").string() + "\"'";
  ProcessResult r = run_process({"/bin/sh", "-c", command});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "No space left on device")) << r.err;
  EXPECT_TRUE(contains(r.err, "the disk is full")) << r.err;
  EXPECT_FALSE(contains(r.err, "writable?")) << r.err;
  // Accounting: what the source emitted reached the sink or is counted as dropped.
  const auto stats = nlohmann::json::parse(read(dir / "stats.json"));
  const auto emitted = stats["stages"]["scanner"]["frames_out"].get<std::uint64_t>();
  const auto received = stats["stages"]["sink"]["frames_in"].get<std::uint64_t>();
  const auto dropped = stats["connections"][0]["dropped"].get<std::uint64_t>();
  EXPECT_EQ(emitted, received + dropped) << stats.dump(2);
}

// --- YAML ------------------------------------------------------------------------------------

ProcessResult validate_text(const std::string& name, const std::string& yaml) {
  const fs::path file = write(scratch("yaml") / (name + ".yaml"), yaml);
  return run_process({kOi, "validate", file.string()});
}

const char* kSmallPipeline = R"(devices:
  scanner:
    driver: test.pattern
    params: &common { pixels_per_line: 64, lines_per_block: 8, blocks_per_scan: 4, scans: 2 }
stages:
  sink:
    type: sink.image
    params: *common
connections:
  - { from: scanner.out, to: sink.in }
)";

// yaml-cpp gives an aliased value its anchor's position: the error about the sink's
// parameters pointed at the scanner's line.
TEST(OiRobustness, AliasErrorsPointAtTheUse) {
  ProcessResult r = validate_text("alias", kSmallPipeline);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "alias.yaml:8:5: stage 'sink' (sink.image) has no parameter 'pixels_per_line'"))
      << r.err;
  EXPECT_TRUE(contains(r.err, "from its anchor at line 4")) << r.err;
  EXPECT_FALSE(contains(r.err, "alias.yaml:4:")) << r.err;
}

TEST(OiRobustness, SecondDocumentAndCustomTagsAreErrors) {
  std::string yaml = kSmallPipeline;
  yaml.replace(yaml.find("params: *common"), 15, "params: { dir: out }");
  ProcessResult r = validate_text("one", yaml);
  EXPECT_EQ(r.exit_code, 0) << r.err;

  r = validate_text("two", yaml + "---\ndevices: {}\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "two.yaml:12:1: a second YAML document")) << r.err;
  r = validate_text("trailing", yaml + "---\n");
  EXPECT_EQ(r.exit_code, 0) << "an empty trailing document holds nothing: " << r.err;

  std::string tagged = yaml;
  tagged.replace(tagged.find("pixels_per_line: 64"), 19, "pixels_per_line: !wide 64");
  r = validate_text("tag", tagged);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "tag.yaml:4:40: the tag '!wide' is not supported")) << r.err;
}

TEST(OiRobustness, DeepNestingSaysSo) {
  ProcessResult r =
      validate_text("deep", "devices: " + std::string(5000, '[') + std::string(5000, ']') + "\n");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "nested too deeply")) << r.err;
  EXPECT_FALSE(contains(r.err, "bad file")) << r.err;
}

// --- arguments and signals ----------------------------------------------------------------

TEST(OiRobustness, UnknownCommandIsNamed) {
  ProcessResult r = run_process({kOi, "nosuchcmd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "unknown command 'nosuchcmd'")) << r.err;
  EXPECT_TRUE(contains(r.err, "run, validate")) << r.err;
  r = run_process({kOi, "--log-level", "debug", "nosuchcmd"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "unknown command 'nosuchcmd'")) << r.err;
  r = run_process({kOi, "valdate", "x.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "did you mean 'validate'")) << r.err;
}

TEST(OiRobustness, CountsOutOfRangeAreRefused) {
  const std::string demo = kSource + "/samples/demo/pipeline.yaml";
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--max-frames", "-5"},
                                               {"--max-frames", "99999999999999999999999"},
                                               {"--max-frames", "1e3"},
                                               {"--threads", "-1"},
                                               {"--threads", "100000"}}) {
    std::vector<std::string> argv{kOi, "run", demo};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = run_process(argv);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << ": " << r.err;
    EXPECT_TRUE(contains(r.err, args[0])) << r.err;
  }
}

// A second Ctrl-C exits at once, says so, and leaves no truncated image behind (files are
// written whole or stay *.partial).
TEST(OiRobustness, SecondInterruptSaysSoAndLeavesNoTruncatedImage) {
  const fs::path dir = scratch("sigint2");
  // Large blocks make each PNG take a while to encode, so the drain after the first Ctrl-C is
  // still running when the second arrives (two signals sent back to back can merge into one).
  // A deep queue of large blocks: the drain takes many PNG encodes, far longer than it takes
  // to send the second signal.
  const fs::path pipeline = write(dir / "deep.yaml", R"(devices:
  scanner: { driver: test.pattern, params: { pixels_per_line: 2048, lines_per_block: 1024, blocks_per_scan: 4, scans: 0 } }
stages:
  sink: { type: sink.image, params: { dir: out } }
connections:
  - { from: scanner.out, to: sink.in, capacity: 16 }
)");
  Process p({kOi, "run", pipeline.string()}, {}, dir.string());
  for (int i = 0; i < 400 && !fs::exists(dir / "out" / "000001_000001.json"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(p.pid(), SIGINT);
  // The second only once the first was handled (two pending signals merge into one), while
  // the drain (one large PNG takes tens of milliseconds) is still running.
  for (int i = 0; i < 1000 && !contains(read(p.err_file()), "stopping: draining"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(p.pid(), SIGINT);
  ProcessResult r = p.wait();
  EXPECT_EQ(r.exit_code, 130) << r.err;
  EXPECT_TRUE(contains(r.err, "second interrupt: exiting at once")) << r.err;
  static const std::string kPngEnd("IEND\xae\x42\x60\x82", 8);
  int images = 0;
  for (const auto& entry : fs::directory_iterator(dir / "out")) {
    if (entry.path().extension() != ".png") continue;
    const std::string bytes = read(entry.path());
    ++images;
    ASSERT_GE(bytes.size(), kPngEnd.size());
    EXPECT_EQ(bytes.substr(bytes.size() - kPngEnd.size()), kPngEnd) << entry.path() << " is truncated";
  }
  EXPECT_GT(images, 0);
}

// `oi calibrate-materials` used to find an unwritable output only after the whole fit.
TEST(OiRobustness, CalibrateMaterialsChecksItsOutputFirst) {
  const fs::path dir = scratch("calibrate");
  write(dir / "dataset.json", R"({"format": "openinspect-xray-dataset", "version": 1, "references": [],
    "scans": [{"json": "scan_000001.json"}]})");
  fs::create_directories(dir / "out.json");
  ProcessResult r =
      run_process({kOi, "calibrate-materials", dir.string(), "-o", (dir / "out.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "is a folder"))
      << "the output, not the (broken) data set, is reported first: " << r.err;
  r = run_process({kOi, "calibrate-materials", dir.string(), "-o", (dir / "no" / "out.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "does not exist")) << r.err;
  r = run_process({kOi, "calibrate-materials", dir.string(), "-o", (dir / "cal.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "scan_000001.json"))
      << "with a writable output the data set is read: " << r.err;
  EXPECT_FALSE(fs::exists(dir / "cal.json.partial"));

  // A folder where a data set file should be (was an internal stream error, exit 1).
  const fs::path folder = scratch("calibrate-folder");
  fs::create_directories(folder / "dataset.json");
  r = run_process({kOi, "calibrate-materials", folder.string(), "-o", (folder / "cal.json").string()});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(contains(r.err, "is a folder, not a file")) << r.err;
}

// --- streaming -----------------------------------------------------------------------------

// The cargo sample corrects and discriminates materials on each scan block as it arrives; the
// same chain with scan.assemble first (the whole scan, as before streaming) must write the
// same reports: every pseudo-colour and channel PNG byte for byte, every report's decision,
// detections and scores (only the wall-clock times and stage timings differ).
TEST(XrayStreaming, TheCargoChainOnBlocksAsTheyArriveWritesWhatAssemblingFirstWrites) {
  const fs::path dir = scratch("streaming");
  const fs::path cal = write(dir / "cal.json", calibration_with("3.0"));
  const fs::path sample = kSource + "/samples/cargo_inspection/pipeline.yaml";
  std::string whole = read(sample);
  const std::size_t from = whole.find("\nconnections:\n"), to = whole.find("  - from: detect.out");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  ASSERT_NE(whole.find("to: assemble.in", from), std::string::npos)
      << "the sample streams into scan.assemble";
  ASSERT_EQ(whole.substr(from, to - from).find("from: scanner.out\n    to: correct.in") != std::string::npos,
            true)
      << "the sample feeds the scanner's blocks to xray.correct";
  whole.replace(from, to - from,
                "\nconnections:\n  - {from: scanner.out, to: assemble.in, capacity: 8}\n"
                "  - {from: assemble.out, to: correct.in}\n  - {from: correct.out, to: materials.in}\n"
                "  - {from: materials.out, to: detect.in}\n");
  const fs::path whole_file = write(dir / "whole.yaml", whole);
  for (const auto& [file, out] : {std::pair{sample, dir / "stream"}, std::pair{whole_file, dir / "whole"}}) {
    const ProcessResult r =
        run_process({kOi, "run", file.string(), "--quiet", "--set", "scanner.scans=5", "--set",
                     "materials.calibration=" + cal.string(), "--set",
                     "report.dir=" + (out / "scans").string(), "--set", "summary.dir=" + out.string()});
    ASSERT_EQ(r.exit_code, 0) << file << "\n" << r.out << r.err;
  }
  // Wall-clock times and per-stage timings are the only fields allowed to differ.
  const auto strip = [](nlohmann::json j) {
    j.erase("timestamps");
    j.erase("timings_ms");
    return j;
  };
  int reports = 0, images = 0;
  for (const auto& entry : fs::directory_iterator(dir / "whole" / "scans")) {
    const fs::path other = dir / "stream" / "scans" / entry.path().filename();
    ASSERT_TRUE(fs::exists(other)) << other;
    if (entry.path().extension() == ".json") {
      ++reports;
      EXPECT_EQ(strip(nlohmann::json::parse(read(entry.path()))), strip(nlohmann::json::parse(read(other))))
          << entry.path().filename();
    } else if (entry.path().extension() == ".png") {
      ++images;
      EXPECT_TRUE(read(entry.path()) == read(other)) << entry.path().filename() << " differs";
    }
  }
  EXPECT_EQ(reports, 5);
  EXPECT_EQ(images, 15);
}

// Blocks are not scans: a chain that leaves scan.assemble out and feeds xray.correct's or
// xray.materials' output to xray.detect is refused when it is loaded, saying what to put
// between them. Their outputs pass frames on as the kind that reaches them (PortSpec::
// kind_follows): the scanner's blocks stay blocks, although the same stages also take and emit
// whole scans. (xray.detect also refuses a block at run time, for frames a port of "any" kind
// brings.)
TEST(XrayStreaming, BlocksFedToAStageThatNeedsWholeScansAreRefusedAtLoadSayingWhatToChange) {
  const fs::path dir = scratch("streaming_refused");
  const std::string sample = read(kSource + "/samples/cargo_inspection/pipeline.yaml");
  const std::size_t from = sample.find("\nconnections:\n"), to = sample.find("  - from: detect.out");
  ASSERT_NE(from, std::string::npos);
  ASSERT_NE(to, std::string::npos);
  struct Case {
    const char* connections;
    const char* says;
  };
  for (const Case& c :
       {Case{"\nconnections:\n  - {from: scanner.out, to: correct.in, capacity: 8}\n"
             "  - {from: correct.out, to: materials.in}\n  - {from: materials.out, to: detect.in}\n"
             "  - {from: scanner.out, to: assemble.in}\n",
             "materials.out passes on frames of the kind that reaches materials.in, which here is "
             "xray.scan_block, but detect.in accepts xray.scan"},
        Case{"\nconnections:\n  - {from: scanner.out, to: correct.in, capacity: 8}\n"
             "  - {from: correct.out, to: detect.in}\n  - {from: correct.out, to: materials.in}\n"
             "  - {from: materials.out, to: assemble.in}\n",
             "correct.out passes on frames of the kind that reaches correct.in, which here is "
             "xray.scan_block, but detect.in accepts xray.scan"}}) {
    std::string text = sample;
    text.replace(from, to - from, c.connections);
    const fs::path file = write(dir / "no_assemble.yaml", text);
    const ProcessResult r = run_process({kOi, "validate", file.string()});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, c.says)) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "after a stage that produces xray.scan")) << r.out << r.err;
    EXPECT_TRUE(contains(r.out + r.err, "'scan.assemble'")) << r.out << r.err;
  }
}

}  // namespace
