// Every sink that writes files through `oi run`, killed (SIGKILL: an operator's kill -9 or the
// kernel's out-of-memory killer; no destructor runs, the page cache survives, so this says
// nothing about a power cut) at several points while it writes. What the killed run leaves must
// read back: every file under its final name whole, temporary files recognisable by their name.
//
// The rule for each file under its final name (a name without ".partial"):
//   .json   parses as one JSON document
//   .html   ends with </html> (trailing white space aside)
//   .png    decodes with cv::imread and ends with the IEND chunk
//   .jpg    decodes with cv::imread and ends with the end-of-image marker FF D9
//   .txt    (MOTChallenge) ends with a newline; every line has as many fields as the first
//   .ini    (MOTChallenge seqinfo.ini) ends with a newline; [section] or key=value lines, seqLength set
//   .avi    its RIFF size is the file's size, it holds its index (idx1), OpenCV reads its frames
//   .jsonl  every line that ends with a newline parses as JSON; after the last newline there
//           may be one torn line (no newline), only in a file of a killed run: sink.video
//           writes each line with one write(), so a kill tears at most the last line
// A file whose name holds ".partial" is temporary (write_file_atomically's `FILE.partial`,
// sink.video's `.<camera>.partial.avi` while a video is written); a complete run leaves none.
// Any other kind of file fails the test until it has a rule here.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

struct SinkCase {
  std::string type;    // the sink under test
  std::string output;  // its folder, relative to the pipeline file
  std::string yaml;    // a pipeline that writes through it
};

void PrintTo(const SinkCase& c, std::ostream* out) { *out << c.type; }

std::string name_of(const ::testing::TestParamInfo<SinkCase>& info) {
  std::string name = info.param.type;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

const char* kXrayScanner =
    "devices:\n"
    "  scanner: { driver: sim.xray, params: { scene: parcels, seed: 3, scans: 6, pixels_per_line: 128 } }\n";
const char* kCctvCameras =
    "devices:\n"
    "  gate: { driver: sim.cctv, params: { camera: gate, seed: 101, frames: 20, width: 320, height: 180 } }\n"
    "  exit: { driver: sim.cctv, params: { camera: exit, seed: 101, frames: 20, width: 320, height: 180 } "
    "}\n";
const char* kCctvChain =
    "  detect: { type: cctv.detect }\n"
    "  track: { type: cctv.track }\n";
const char* kCctvConnections =
    "connections:\n"
    "  - { from: gate.out, to: detect.in }\n"
    "  - { from: exit.out, to: detect.in }\n"
    "  - { from: detect.out, to: track.in }\n";

const std::vector<SinkCase>& sink_cases() {
  static const std::vector<SinkCase> cases{
      {"sink.summary", "summary",
       std::string(kXrayScanner) + "stages:\n"
                                   "  assemble: { type: scan.assemble }\n"
                                   "  summary: { type: sink.summary, params: { dir: summary } }\n"
                                   "connections:\n"
                                   "  - { from: scanner.out, to: assemble.in }\n"
                                   "  - { from: assemble.out, to: summary.in }\n"},
      {"sink.dataset", "dataset",
       std::string(kXrayScanner) + "stages:\n"
                                   "  assemble: { type: scan.assemble }\n"
                                   "  dataset: { type: sink.dataset, params: { dir: dataset } }\n"
                                   "connections:\n"
                                   "  - { from: scanner.out, to: assemble.in }\n"
                                   "  - { from: assemble.out, to: dataset.in }\n"},
      {"sink.video", "videos",
       std::string(kCctvCameras) + "stages:\n" + kCctvChain +
           "  video: { type: sink.video, params: { dir: videos, fps: 10 } }\n" + kCctvConnections +
           "  - { from: track.out, to: video.in }\n"},
      {"sink.cctv_summary", "evaluation",
       std::string(kCctvCameras) + "stages:\n" + kCctvChain +
           "  evaluation: { type: sink.cctv_summary, params: { dir: evaluation, thumbnails: 4 } }\n" +
           kCctvConnections + "  - { from: track.out, to: evaluation.in }\n"},
  };
  return cases;
}

bool is_temporary(const fs::path& file) {
  return file.filename().string().find(".partial") != std::string::npos;
}

// The regular files below `dir` (none when it does not exist).
std::vector<fs::path> files_below(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error)) files.push_back(it->path());
  }
  return files;
}

std::string trimmed_end(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

std::uint32_t little_endian_32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return value;
}

// Why `file`, under its final name, is not whole by the rule at the top of this file; "" when
// it is. `killed`: the file is from a killed run (a .jsonl may end in one torn line).
std::string not_whole(const fs::path& file, bool killed, int* torn_lines) {
  const std::string bytes = oi::test::read_text(file);
  const std::string kind = file.extension().string();
  if (kind == ".json") {
    return nlohmann::json::parse(bytes, nullptr, false).is_discarded() ? "does not parse as JSON" : "";
  }
  if (kind == ".html") {
    return trimmed_end(bytes).ends_with("</html>") ? "" : "does not end with </html>";
  }
  if (kind == ".png" || kind == ".jpg") {
    const bool png = kind == ".png";
    const std::string end = png ? std::string("IEND", 4) : std::string("\xff\xd9", 2);
    const std::size_t end_at = bytes.size() >= (png ? 8u : 2u) ? bytes.size() - (png ? 8u : 2u) : 0;
    if (bytes.size() < 12 || bytes.compare(end_at, end.size(), end) != 0) return "is cut off (no end marker)";
    if (cv::imread(file.string(), cv::IMREAD_UNCHANGED).empty()) return "does not decode";
    return "";
  }
  if (kind == ".txt") {
    if (bytes.empty()) return "";
    if (bytes.back() != '\n') return "does not end with a newline";
    std::istringstream lines(bytes);
    std::string line;
    long fields = -1;
    for (int number = 1; std::getline(lines, line); ++number) {
      const long here = std::count(line.begin(), line.end(), ',') + 1;
      if (fields < 0) fields = here;
      if (here != fields)
        return "line " + std::to_string(number) + " has " + std::to_string(here) + " fields, not " +
               std::to_string(fields);
    }
    return "";
  }
  if (kind == ".ini") {
    if (bytes.empty() || bytes.back() != '\n') return "does not end with a newline";
    std::istringstream lines(bytes);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
      const bool section = line.size() > 2 && line.front() == '[' && line.back() == ']';
      if (!section && line.find('=') == std::string::npos)
        return "line " + std::to_string(number) + " is neither a [section] nor key=value";
    }
    return bytes.find("seqLength=") == std::string::npos ? "has no seqLength" : "";
  }
  if (kind == ".jsonl") {
    std::size_t start = 0;
    for (int number = 1; start < bytes.size(); ++number) {
      const std::size_t newline = bytes.find('\n', start);
      if (newline == std::string::npos) {
        if (!killed) return "line " + std::to_string(number) + " has no newline after a complete run";
        ++*torn_lines;  // the torn last line a kill may leave
        return "";
      }
      if (nlohmann::json::parse(bytes.substr(start, newline - start), nullptr, false).is_discarded())
        return "line " + std::to_string(number) + " does not parse as JSON";
      start = newline + 1;
    }
    return "";
  }
  if (kind == ".avi") {
    if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "AVI ") != 0)
      return "has no AVI header";
    const std::uint64_t announced = std::uint64_t{little_endian_32(bytes, 4)} + 8;
    if (announced != bytes.size()) {
      return "is cut off: its RIFF header announces " + std::to_string(announced) +
             " bytes, the file holds " + std::to_string(bytes.size());
    }
    if (bytes.find("idx1") == std::string::npos) return "has no index (idx1)";
    cv::VideoCapture video(file.string(), cv::CAP_FFMPEG);
    const double frames = video.get(cv::CAP_PROP_FRAME_COUNT);
    cv::Mat image;
    int read = 0;
    while (video.read(image)) ++read;
    if (read == 0 || read != static_cast<int>(frames))
      return "OpenCV reads " + std::to_string(read) + " of its " + std::to_string(frames) + " frames";
    return "";
  }
  return "is a kind of file this test has no rule for; add one";
}

// The state of a process: 'Z' once it has ended (not yet collected), '?' when it is gone.
char process_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t after_name = text.rfind(')');
  return after_name == std::string::npos || after_name + 2 >= text.size() ? '?' : text[after_name + 2];
}

// When to kill the run: once the sink's folder holds `files` files (any name), or `after`
// from the start, whichever comes first.
struct KillPoint {
  std::size_t files;
  std::chrono::milliseconds after;
};

struct Outcome {
  bool killed = false;  // the kill landed before the run ended
  std::size_t final_files = 0;
  std::size_t temporary_files = 0;
  int torn_lines = 0;
};

class SinkKilledMidWrite : public ::testing::TestWithParam<SinkCase> {
 protected:
  void SetUp() override { dir_ = oi::test::scratch_dir("oi-sink-killed", name_of({GetParam(), 0})); }

  // Runs the pipeline in a fresh folder `run`, killed at `point` (none: to its end), and
  // checks every file it left.
  Outcome run(const std::string& run, const KillPoint* point, std::chrono::milliseconds* took = nullptr) {
    const fs::path folder = dir_ / run;
    fs::create_directories(folder);
    std::ofstream(folder / "pipeline.yaml") << GetParam().yaml;
    const fs::path output = folder / GetParam().output;
    Outcome outcome;
    const auto start = std::chrono::steady_clock::now();
    oi::test::Process oi_run({OI_EXE, "run", (folder / "pipeline.yaml").string(), "-q"},
                             {{"OI_PLUGIN_PATH", ""}}, folder.string());
    if (point != nullptr) {
      const auto deadline = start + point->after;
      while (std::chrono::steady_clock::now() < deadline && process_state(oi_run.pid()) != 'Z' &&
             files_below(output).size() < point->files) {
        std::this_thread::sleep_for(200us);
      }
      EXPECT_EQ(::kill(oi_run.pid(), SIGKILL), 0);
    }
    const oi::test::ProcessResult result = oi_run.wait();
    if (took != nullptr)
      *took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    // A run may end by itself before its kill lands.
    outcome.killed = point != nullptr && result.exit_code == 128 + SIGKILL;
    if (!outcome.killed) EXPECT_EQ(result.exit_code, 0) << run << " failed: " << result.out << result.err;
    for (const fs::path& file : files_below(output)) {
      if (is_temporary(file)) {
        ++outcome.temporary_files;
        EXPECT_TRUE(outcome.killed) << "a complete run left the temporary file " << file;
        continue;
      }
      ++outcome.final_files;
      const std::string problem = not_whole(file, outcome.killed, &outcome.torn_lines);
      EXPECT_EQ(problem, "") << run << ": " << file << " " << problem;
    }
    return outcome;
  }

  fs::path dir_;
};

TEST_P(SinkKilledMidWrite, LeavesEveryFileUnderItsNameWholeAndTemporaryFilesMarked) {
  if (!fs::exists(fs::path(OI_PLUGIN_OUTPUT_DIR) / "oi_driver_sim_cctv.so") &&
      GetParam().type.find("cctv") != std::string::npos)
    GTEST_SKIP() << "the build tree lacks the sim.cctv driver";
  // The complete run: what the sink writes, and how long it takes.
  std::chrono::milliseconds took{};
  const Outcome complete = run("complete", nullptr, &took);
  ASSERT_FALSE(HasFailure());
  ASSERT_GT(complete.final_files, 0u);
  EXPECT_EQ(complete.temporary_files, 0u);

  // Kills as the first file appears (for sink.summary and sink.cctv_summary, which write at the
  // end of the run, that is in the middle of their writing), once half the files are there,
  // and at fractions of the complete run's time (most of its first half is `oi` starting).
  const std::vector<KillPoint> points{{1, took * 3},
                                      {complete.final_files / 2 + 1, took * 3},
                                      {SIZE_MAX, took * 7 / 10},
                                      {SIZE_MAX, took * 9 / 10}};
  int killed = 0, cut_short = 0, temporary = 0, torn = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    SCOPED_TRACE("kill point " + std::to_string(i));
    const Outcome o = run("killed_" + std::to_string(i), &points[i]);
    killed += o.killed;
    cut_short += o.killed && o.final_files < complete.final_files;
    temporary += o.temporary_files > 0;
    torn += o.torn_lines;
  }
  // How the kills landed, for the log: in the middle of the output (fewer files than a complete
  // run, a temporary file left) or after it.
  std::cout << GetParam().type << ": complete run " << took.count() << " ms, " << complete.final_files
            << " files; " << killed << " of " << points.size() << " kills before the end, " << cut_short
            << " with fewer files, " << temporary << " with a temporary file, " << torn
            << " torn JSON lines\n";
  EXPECT_GT(killed, 0) << "every run ended before its kill: the test checked nothing";
}

INSTANTIATE_TEST_SUITE_P(EverySink, SinkKilledMidWrite, ::testing::ValuesIn(sink_cases()), name_of);

}  // namespace
