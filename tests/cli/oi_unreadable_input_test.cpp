// Input files that exist but that the user running `oi` may not read: the pipeline YAML, a
// material calibration, the xray.detect classifier, a recording (each of its files, and its
// folder), a DICOS archive (a file, and the folder), a declarations file, a ledger signing key.
// Each must end in an error naming the file, saying it may not be read (Permission denied) and
// what to do, with a non-zero exit: never a crash, and never "does not exist" or "corrupt".
//
// Root reads every file whatever its mode, so as root (as in CI) `oi` runs as the user nobody
// (65534) through util-linux's setpriv; the scratch folder is 0755 so that user reaches the
// files that are readable. Skipped, saying why, where setpriv is missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
using oi::test::ProcessResult;
using oi::test::run_process;

namespace {

const std::string kOi = OI_EXE;
const std::string kSource = OI_SOURCE_DIR;
constexpr const char* kSetpriv = "/usr/bin/setpriv";
constexpr fs::perms kNone = fs::perms::none;
constexpr fs::perms kOpen = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec;  // 0755

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

fs::path write(const fs::path& file, const std::string& text) {
  std::ofstream(file, std::ios::binary) << text;
  fs::permissions(
      file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
  return file;
}

class OiUnreadableInput : public ::testing::Test {
 protected:
  void SetUp() override {
    as_root_ = ::geteuid() == 0;
    if (as_root_ && !fs::exists(kSetpriv))
      GTEST_SKIP() << "running as root, where file modes do not bind, and " << kSetpriv
                   << " (util-linux) is missing to run `oi` as an unprivileged user";
    dir_ = oi::test::scratch_dir("oi-unreadable",
                                 ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::permissions(dir_.parent_path(), kOpen);
    fs::permissions(dir_, kOpen);
    out_ = dir_ / "out";  // where `oi` may write, whoever it runs as
    fs::create_directories(out_);
    fs::permissions(out_, fs::perms::all);
  }

  // `oi ARGS` as a user the file modes bind: nobody when this test runs as root.
  ProcessResult oi(std::vector<std::string> args) const {
    std::vector<std::string> argv;
    if (as_root_) argv = {kSetpriv, "--reuid=65534", "--regid=65534", "--clear-groups"};
    argv.push_back(kOi);
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {{"OI_CACHE_DIR", (out_ / "cache").string()}});
  }

  // `oi ARGS` as this process's user: writes the fixtures.
  static ProcessResult oi_here(std::vector<std::string> args) {
    args.insert(args.begin(), kOi);
    return run_process(args);
  }

  // The error names `file`, says it may not be read and what to do, and nothing misleading.
  static void expect_unreadable(const ProcessResult& r, int exit_code, const fs::path& file,
                                const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, file.string())) << "the file is named: " << r.err;
    EXPECT_TRUE(contains(r.err, "Permission denied")) << r.err;
    for (const char* misleading : {"does not exist", "is missing", "corrupt", "truncated", "not valid JSON",
                                   "no DX images", "not a DICOM", "write it with", "train one"})
      EXPECT_FALSE(contains(r.err, misleading)) << "misleading: '" << misleading << "': " << r.err;
  }

  static void expect_says_what_to_do(const ProcessResult& r) {
    EXPECT_TRUE(contains(r.err, "give the user running OpenInspect read permission")) << r.err;
  }

  bool as_root_ = false;
  fs::path dir_;
  fs::path out_;
};

const char* kCalibration = R"({"format": "openinspect-material-calibration", "version": 1,
 "noise_floor": {"a_high_max": 6.0, "a_low_max": 6.0},
 "materials": [
  {"name": "polyethylene", "z_eff": 5.5, "points": [{"a_high": 0.5, "ratio": 1.10}, {"a_high": 2.0, "ratio": 1.08}]},
  {"name": "iron", "z_eff": 26.0, "points": [{"a_high": 0.5, "ratio": 3.2}, {"a_high": 3.0, "ratio": 3.0}]}]})";

// The check itself: a readable pipeline in the same folder validates as that user.
TEST_F(OiUnreadableInput, TheUserTheTestRunsOiAsReadsTheReadableFiles) {
  const fs::path pipeline = dir_ / "p.yaml";
  fs::copy_file(kSource + "/samples/demo/pipeline.yaml", pipeline);
  fs::permissions(pipeline, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const ProcessResult r = oi({"validate", pipeline.string()});
  ASSERT_EQ(r.exit_code, 0) << "`oi` as " << (as_root_ ? "nobody" : "this user")
                            << " cannot validate a readable pipeline in " << dir_
                            << " (are the build tree and " << fs::temp_directory_path()
                            << " open to that user?): " << r.err;
}

TEST_F(OiUnreadableInput, PipelineFile) {
  const fs::path pipeline = dir_ / "p.yaml";
  fs::copy_file(kSource + "/samples/demo/pipeline.yaml", pipeline);
  fs::permissions(pipeline, kNone);
  for (const char* command : {"validate", "run"}) {
    const ProcessResult r = oi({command, pipeline.string()});
    expect_unreadable(r, 2, pipeline, command);
    EXPECT_TRUE(contains(r.err, "cannot read the pipeline file")) << r.err;
    expect_says_what_to_do(r);
  }
}

TEST_F(OiUnreadableInput, MaterialCalibrationAndClassifierModel) {
  const fs::path calibration = write(dir_ / "cal.json", kCalibration);
  const fs::path model = write(dir_ / "model.yml", "%YAML:1.0\n---\n");
  const std::string cargo = kSource + "/samples/cargo_inspection/pipeline.yaml";
  fs::permissions(calibration, kNone);
  for (const char* command : {"validate", "run"}) {
    const ProcessResult r = oi({command, cargo, "--set", "materials.calibration=" + calibration.string(),
                                "--set", "detect.model=''", "--set", "report.dir=" + (out_ / "r").string(),
                                "--set", "summary.dir=" + out_.string()});
    expect_unreadable(r, 2, calibration, std::string("calibration, ") + command);
    expect_says_what_to_do(r);
  }
  fs::permissions(calibration, fs::perms::owner_read | fs::perms::others_read);
  fs::permissions(model, kNone);
  for (const char* command : {"validate", "run"}) {
    const ProcessResult r =
        oi({command, cargo, "--set", "materials.calibration=" + calibration.string(), "--set",
            "detect.model=" + model.string(), "--set", "report.dir=" + (out_ / "r").string(), "--set",
            "summary.dir=" + out_.string()});
    expect_unreadable(r, 2, model, std::string("model, ") + command);
    expect_says_what_to_do(r);
  }
}

TEST_F(OiUnreadableInput, RecordingFilesAndFolder) {
  const fs::path record = write(dir_ / "record.yaml", R"(devices:
  scanner: { driver: sim.xray, params: { scene: parcels, seed: 5, scans: 1, pixels_per_line: 64 } }
stages:
  rec: { type: sink.record, params: { dir: recording } }
connections:
  - { from: scanner.out, to: rec.in }
)");
  ProcessResult r = oi_here({"run", record.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path recording = dir_ / "recording";
  fs::permissions(recording, kOpen);
  for (const auto& entry : fs::directory_iterator(recording))
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  const fs::path replay =
      write(dir_ / "replay.yaml", "devices:\n  scanner: { driver: replay, uri: 'replay://" +
                                      recording.string() + R"(', params: { timing: fast } }
stages:
  sink: { type: sink.image, params: { dir: )" +
                                      (out_ / "images").string() +
                                      R"( } }
connections:
  - { from: scanner.out, to: sink.in }
)");
  for (const char* name : {"session.json", "index.jsonl", "frames.bin"}) {
    const fs::path file = recording / name;
    fs::permissions(file, kNone);
    r = oi({"run", replay.string(), "--quiet"});
    expect_unreadable(r, 2, file, name);
    expect_says_what_to_do(r);
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  }
  fs::permissions(recording, fs::perms::owner_all);  // 0700: others may not enter it
  r = oi({"run", replay.string(), "--quiet"});
  expect_unreadable(r, 2, recording, "the recording's folder");
  expect_says_what_to_do(r);
  fs::permissions(recording, kOpen);
  r = oi({"run", replay.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << "readable again, it replays: " << r.err;
}

TEST_F(OiUnreadableInput, DicosFileAndFolder) {
  const fs::path write_archive = write(dir_ / "write.yaml", R"(devices:
  scanner: { driver: mock.xray, uri: 'mock://archive', params: { scans: 1, blocks_per_scan: 2, pixels_per_line: 32, references: start } }
stages:
  assemble: { type: scan.assemble }
  correct: { type: xray.correct, params: { backend: cpu } }
  dicos: { type: sink.dicos, params: { dir: archive } }
connections:
  - { from: scanner.out, to: assemble.in }
  - { from: assemble.out, to: correct.in }
  - { from: correct.out, to: dicos.in }
)");
  ProcessResult r = oi_here({"run", write_archive.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path archive = dir_ / "archive";
  fs::permissions(archive, kOpen);
  fs::path image;
  for (const auto& entry : fs::directory_iterator(archive)) {
    fs::permissions(entry.path(), fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    if (contains(entry.path().filename().string(), "_dx_high")) image = entry.path();
  }
  ASSERT_FALSE(image.empty()) << "no DX image written in " << archive;
  const fs::path play = write(
      dir_ / "play.yaml", "devices:\n  archive: { driver: dicos, uri: 'dicos://" + archive.string() + R"(' }
stages:
  assemble: { type: scan.assemble }
connections:
  - { from: archive.out, to: assemble.in }
)");
  fs::permissions(image, kNone);
  r = oi({"run", play.string(), "--quiet"});
  expect_unreadable(r, 2, image, "a DX image");
  expect_says_what_to_do(r);
  fs::permissions(image, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  fs::permissions(archive, fs::perms::owner_all);  // 0700: others may not list it
  r = oi({"run", play.string(), "--quiet"});
  expect_unreadable(r, 2, archive, "the archive's folder");
  expect_says_what_to_do(r);
  fs::permissions(archive, kOpen);
  r = oi({"run", play.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << "readable again, it plays: " << r.err;
}

TEST_F(OiUnreadableInput, DeclarationsFile) {
  const fs::path calibration = write(dir_ / "cal.json", kCalibration);
  const fs::path declarations =
      write(dir_ / "declarations.jsonl",
            R"({"declaration_id": "D1", "scan_id": 1, "goods": "books", "weight_kg": 3.0})"
            "\n");
  fs::permissions(declarations, kNone);
  const fs::path pipeline =
      write(dir_ / "risk.yaml", R"(devices:
  scanner: { driver: sim.xray, params: { scene: parcels, seed: 3, scans: 1, pixels_per_line: 64, references: start } }
stages:
  assemble: { type: scan.assemble }
  correct: { type: xray.correct, params: { backend: cpu } }
  materials: { type: xray.materials, params: { calibration: )" +
                                    calibration.string() +
                                    R"(, backend: cpu } }
  risk: { type: risk.declaration, params: { declarations: )" +
                                    declarations.string() + ", store: " + (out_ / "store.sqlite").string() +
                                    R"( } }
connections:
  - { from: scanner.out, to: assemble.in }
  - { from: assemble.out, to: correct.in }
  - { from: correct.out, to: materials.in }
  - { from: materials.out, to: risk.in }
)");
  for (const char* command : {"validate", "run"}) {
    const ProcessResult r = oi({command, pipeline.string()});
    expect_unreadable(r, 2, declarations, command);
    expect_says_what_to_do(r);
  }
}

// The key is read when sink.ledger starts (exit 1, a failed run), not at validation.
TEST_F(OiUnreadableInput, LedgerSigningKey) {
  const fs::path key = dir_ / "lane.key";
  ProcessResult r = oi_here({"ledger", "keygen", key.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::permissions(key, kNone);
  const fs::path pipeline = write(dir_ / "ledger.yaml", R"(devices:
  scanner: { driver: sim.xray, params: { scene: parcels, seed: 3, scans: 1, pixels_per_line: 64 } }
stages:
  assemble: { type: scan.assemble }
  ledger: { type: sink.ledger, params: { path: )" + (out_ / "ledger.jsonl").string() +
                                                            ", key: " + key.string() + R"( } }
connections:
  - { from: scanner.out, to: assemble.in }
  - { from: assemble.out, to: ledger.in }
)");
  r = oi({"run", pipeline.string(), "--quiet"});
  expect_unreadable(r, 1, key, "sink.ledger");
  expect_says_what_to_do(r);
  EXPECT_FALSE(contains(r.err, "create one with"))
      << "a key that exists is not to be written again: " << r.err;
}

}  // namespace
