#pragma once
/// @file
/// MOTChallenge text format, as TrackEval and the MOT benchmarks read tracker results: one
/// line per track per frame,
/// @code
/// frame,id,x,y,w,h,score,-1,-1,-1
/// @endcode
/// with `frame` 1-based (the contract's attr::kFrameIndex + 1), the box's top-left corner,
/// width and height in pixels, and the 3-D world position unused (-1). Written by the
/// evaluation sink next to its summary, read back by tests and tools.

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oi/cctv/contract.hpp"

namespace oi::cctv {

/// One MOT line, without the newline: `frame,id,x,y,w,h,score,-1,-1,-1`; box values with 2
/// decimals, the score with 4. @throws oi::Error when frame < 1.
std::string mot_line(std::int64_t frame, const Track& track);

/// Writes every track of one frame as MOT lines (each ending in '\n'), in the list's order.
void write_mot_frame(std::ostream& out, std::int64_t frame, const std::vector<Track>& tracks);

/// Tracks per 1-based frame number; frames without a line are absent.
using MotFrames = std::map<std::int64_t, std::vector<Track>>;

/// Parses MOT text. Accepts 6 to 10 comma-separated fields a line (results files have 10,
/// ground-truth files 9: frame,id,x,y,w,h,conf,class,visibility), ignores blank lines and
/// surrounding spaces, takes `score` from field 7 (1 when absent). Tracks come back confirmed,
/// with age 0. @throws oi::Error "NAME:LINE: what is wrong" for a line with too few or too
/// many fields, a field that is not a number, a frame or id that is not a positive integer, a
/// negative width or height, or an id repeated within one frame.
MotFrames parse_mot_text(std::string_view text, const std::string& name = "<text>");

/// parse_mot_text() of a file. @throws oi::Error naming the file when it cannot be read.
MotFrames parse_mot_file(const std::filesystem::path& path);

}  // namespace oi::cctv
