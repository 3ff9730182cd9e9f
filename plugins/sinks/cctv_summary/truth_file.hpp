#pragma once
// Ground truth for footage without a simulator: MOTChallenge gt files
// (`frame,id,x,y,w,h[,mark[,class[,visibility]]]`, frame numbers from 1), one per camera, or
// one folder holding a file per camera. Read once at start; every problem names the file and
// line.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "oi/error.hpp"

namespace oi::cctv::summary {

/// One line of a truth file.
struct TruthLine {
  std::int64_t id = 0;
  Box box;
  /// Marked "don't care" by the file itself: mark (column 7) 0, or a MOTChallenge distractor
  /// class (2 person on vehicle, 7 static person, 8 distractor, 12 reflection).
  bool marked_ignore = false;
  double visible = 1.0;  ///< column 9 when present, else 1
  int line = 0;          ///< 1-based line in the file
};

/// One camera's truth: the boxes of every frame the file names (MOT frame number, from 1).
struct TruthFile {
  std::filesystem::path path;
  std::map<std::int64_t, std::vector<TruthLine>> frames;
  std::int64_t ignored_lines = 0;  ///< lines of classes that are not persons (cars, occluders)
};

/// Reads a MOTChallenge gt file; blank lines and lines starting with `#` are skipped (a hand
/// made file may say how it was made). @throws oi::ConfigError with one diagnostic (file and
/// line) per bad line, at most 20.
TruthFile read_truth_file(const std::filesystem::path& file);

/// The truth named by the `truth` parameter: a file (for every camera) or a folder with
/// `<camera>.txt` or `<camera>/gt/gt.txt` per camera (the layout sink.cctv_summary writes
/// under `mot/`).
class TruthSource {
 public:
  /// Reads `path` (a file, or every candidate file of a folder). @throws oi::ConfigError.
  explicit TruthSource(const std::filesystem::path& path);
  /// The truth of the camera called `name` (or, failing that, `source`); nullptr when the
  /// folder has none for it.
  const TruthFile* for_camera(const std::string& name, const std::string& source) const;
  /// Cameras the folder has files for (empty for a single file).
  std::vector<std::string> cameras() const;

 private:
  std::optional<TruthFile> single_;
  std::map<std::string, TruthFile> per_camera_;
};

/// Problems with `path` for validate(): missing, unreadable, malformed (one line each).
std::vector<std::string> check_truth(const std::filesystem::path& path);

}  // namespace oi::cctv::summary
