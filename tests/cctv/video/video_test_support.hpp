#pragma once
// Helpers of the sink.video tests: camera frames with tracks made in the test, the sink
// driven frame by frame from the build tree's plugin, and ffprobe reading a video back.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/frame.hpp"
#include "oi/stage.hpp"
#include "process.hpp"
#include "stage_under_test.hpp"

namespace oi::cctv::video::testing {

namespace fs = std::filesystem;

/// A camera frame of `width` x `height` (rgb8 `image`, a grey gradient) from `source`, with
/// one track (id `track_id`) walking right by 4 px a frame and one detection under it, frame
/// index `index`, capture time index x 100 ms.
inline FramePtr camera_frame(const std::string& source, int index, int width = 160, int height = 120,
                             std::int64_t track_id = 7) {
  FramePtr f = Frame::create(std::string(kFrameKind));
  Plane& p = f->add_plane(plane::kImage, PixelFormat::kRGB8, width, height);
  for (int y = 0; y < height; ++y) {
    auto* row = p.row<std::uint8_t>(y);
    for (int x = 0; x < width; ++x) {
      row[3 * x + 0] = static_cast<std::uint8_t>(60 + x % 64);
      row[3 * x + 1] = static_cast<std::uint8_t>(80 + y % 64);
      row[3 * x + 2] = 90;
    }
  }
  FrameMetadata& m = f->metadata();
  m.source_device = source;
  m.sequence = static_cast<std::uint64_t>(index);
  m.capture_time_ns = static_cast<std::int64_t>(index) * 100'000'000LL;
  m.attributes[attr::kFrameIndex] = index;
  Track t;
  t.id = track_id;
  t.box = {10.0 + 4.0 * index, 30.0, 24.0, 60.0};
  t.age = index;
  m.attributes[attr::kTracks] = to_json_list(std::vector<Track>{t});
  Detection d;
  d.box = {11.0 + 4.0 * index, 31.0, 22.0, 58.0};
  d.score = 0.8;
  m.attributes[attr::kDetections] = to_json_list(std::vector<Detection>{d});
  return f;
}

/// The full path of `program` on PATH, or nullopt.
inline std::optional<std::string> find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

/// Declares `const std::string var` holding ffprobe's path, or skips the test saying how to
/// install it.
#define FFPROBE_OR_SKIP(var)                                                                              \
  const std::optional<std::string> var##_found = ::oi::cctv::video::testing::find_on_path("ffprobe");     \
  if (!var##_found) GTEST_SKIP() << "ffprobe is not installed (package ffmpeg, scripts/install-deps.sh)"; \
  const std::string var = *var##_found

/// What ffprobe reads from a video's first stream (frames decoded one by one).
struct Probe {
  int frames = -1;
  int width = 0;
  int height = 0;
  std::string codec;
  std::string frame_rate;  ///< r_frame_rate, e.g. "10/1"
};

/// Runs `ffprobe -v error -count_frames -show_entries stream=... -of json FILE`; a failure is a
/// test failure with ffprobe's message. Callers skip first when ffprobe is absent
/// (ffprobe_or_skip()).
inline Probe ffprobe(const std::string& ffprobe_exe, const fs::path& file) {
  const oi::test::ProcessResult r = oi::test::run_process(
      {ffprobe_exe, "-v", "error", "-count_frames", "-show_entries",
       "stream=nb_read_frames,width,height,codec_name,r_frame_rate", "-of", "json", file.string()});
  Probe p;
  EXPECT_EQ(r.exit_code, 0) << "ffprobe cannot read " << file << ": " << r.err;
  EXPECT_TRUE(r.err.empty()) << "ffprobe reports errors in " << file << ": " << r.err;
  if (r.exit_code != 0) return p;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  if (!j.contains("streams") || j["streams"].empty()) {
    ADD_FAILURE() << file << " has no stream: " << r.out;
    return p;
  }
  const nlohmann::json& s = j["streams"][0];
  p.frames = std::stoi(s.value("nb_read_frames", std::string("-1")));
  p.width = s.value("width", 0);
  p.height = s.value("height", 0);
  p.codec = s.value("codec_name", std::string());
  p.frame_rate = s.value("r_frame_rate", std::string());
  return p;
}

/// Every line of a JSON-lines file, parsed.
inline std::vector<nlohmann::json> read_json_lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

}  // namespace oi::cctv::video::testing
