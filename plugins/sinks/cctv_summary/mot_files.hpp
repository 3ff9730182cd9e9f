#pragma once
// The MOTChallenge files sink.cctv_summary writes per camera, so that TrackEval (or any MOT
// tool) can re-evaluate a run:
//   mot/<camera>/gt/gt.txt     frame,id,x,y,w,h,mark,class,visibility   (evaluated frames)
//   mot/<camera>/tracks.txt    frame,id,x,y,w,h,score,-1,-1,-1          (the same frames)
//   mot/<camera>/seqinfo.ini   name, seqLength, image size, frame rate
// A "don't care" person is written with mark 0 and class 8 (distractor): TrackEval's
// MOTChallenge preprocessing then removes the tracks on it and does not count it as missed,
// exactly as the sink's own evaluation does.

#include <cstddef>
#include <filesystem>
#include <string>

#include "camera_record.hpp"
#include "oi/error.hpp"

namespace oi::cctv::summary {

/// The gt line of one truth person in frame `frame` (no newline).
std::string gt_line(std::int64_t frame, const TruthPerson& person);

/// Writes the three files of `camera` under `folder` (mot/<camera>), each whole or not at all;
/// adds those not written to `not_written` and returns the first one's error, naming the file.
Status write_mot_files(const std::filesystem::path& folder, const CameraRecord& camera,
                       std::size_t& not_written);

}  // namespace oi::cctv::summary
