// MOTChallenge files per camera. tracks.txt lines come from the tracker's own MOT writer
// (plugins/stages/cctv_track, mot_format.hpp), so there is one definition of that format.
#include "mot_files.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <utility>

#include "mot_format.hpp"
#include "oi/files.hpp"

namespace fs = std::filesystem;

namespace oi::cctv::summary {

std::string gt_line(std::int64_t frame, const TruthPerson& person) {
  const Box& b = person.object.box;
  char text[256];
  // Class 1 pedestrian, considered; a don't-care person: mark 0, class 8 (distractor).
  std::snprintf(text, sizeof text, "%lld,%lld,%.2f,%.2f,%.2f,%.2f,%d,%d,%.3f", static_cast<long long>(frame),
                static_cast<long long>(person.object.id), b.x, b.y, b.w, b.h,
                person.object.distractor ? 0 : 1, person.object.distractor ? 8 : 1, person.visible);
  return text;
}

Status write_mot_files(const fs::path& folder, const CameraRecord& camera, std::size_t& not_written) {
  std::error_code ec;
  fs::create_directories(folder / "gt", ec);
  if (ec) {
    return Status::error("cannot create " + (folder / "gt").string() + ": " + ec.message() +
                         "; set `dir` to a writable folder");
  }
  // tracks.txt covers the frames gt.txt covers, so that TrackEval on these files counts what
  // summary.json counts (a skipped or unannotated frame's tracks would be false positives
  // there); a camera without any truth keeps every frame's tracks, for a truth file made later.
  const bool any_evaluated = std::any_of(camera.frames.begin(), camera.frames.end(),
                                         [](const FrameRecord& f) { return f.evaluated; });
  std::ostringstream gt, tracks;
  std::int64_t last = 0;
  for (const FrameRecord& f : camera.frames) {
    last = std::max(last, f.number);
    if (f.evaluated) {
      for (const TruthPerson& p : f.truth) gt << gt_line(f.number, p) << '\n';
    }
    if (f.evaluated || !any_evaluated) write_mot_frame(tracks, f.number, f.tracks);
  }
  // TrackEval reads seqLength; the frame rate comes from the capture times when they advance.
  double rate = 0;
  if (camera.frames.size() > 1 && camera.last_time_ns > camera.first_time_ns) {
    rate = static_cast<double>(camera.frames.size() - 1) * 1e9 /
           static_cast<double>(camera.last_time_ns - camera.first_time_ns);
  }
  std::ostringstream ini;
  ini << "[Sequence]\nname=" << camera.file_name << "\nimDir=img1\nframeRate=" << std::lround(rate)
      << "\nseqLength=" << last << "\nimWidth=" << camera.width << "\nimHeight=" << camera.height
      << "\nimExt=.jpg\n";
  // Each file is tried (a full disk may still take a small one), each failure counted.
  Status first = Status::ok();
  for (const auto& [file, text] : {std::pair<fs::path, std::string>{folder / "gt" / "gt.txt", gt.str()},
                                   {folder / "tracks.txt", tracks.str()},
                                   {folder / "seqinfo.ini", ini.str()}}) {
    Status s = write_file_atomically(file, text);
    if (s.is_ok()) continue;
    ++not_written;
    if (first.is_ok()) first = std::move(s);
  }
  return first;
}

}  // namespace oi::cctv::summary
