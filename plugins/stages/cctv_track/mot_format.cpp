#include "mot_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "oi/error.hpp"

namespace oi::cctv {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

const char* field_name(std::size_t index) {
  static const char* const names[] = {"frame", "id", "x", "y", "w", "h", "score", "x3d", "y3d", "z3d"};
  return index < 10 ? names[index] : "extra";
}

std::string number_text(double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.10g", v);
  return buffer;
}

}  // namespace

std::string mot_line(std::int64_t frame, const Track& track) {
  if (frame < 1) throw Error("MOT frame numbers start at 1, got " + std::to_string(frame));
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, "%lld,%lld,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1",
                static_cast<long long>(frame), static_cast<long long>(track.id), track.box.x, track.box.y,
                track.box.w, track.box.h, track.score);
  return buffer;
}

void write_mot_frame(std::ostream& out, std::int64_t frame, const std::vector<Track>& tracks) {
  for (const Track& t : tracks) out << mot_line(frame, t) << '\n';
}

MotFrames parse_mot_text(std::string_view text, const std::string& name) {
  MotFrames frames;
  std::map<std::int64_t, std::set<std::int64_t>> ids_in_frame;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view raw = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    ++line_number;
    const std::string_view line = trim(raw);
    if (line.empty()) continue;
    const auto fail = [&](const std::string& what) -> Error {
      return Error(name + ":" + std::to_string(line_number) + ": " + what + " (line: \"" + std::string(line) +
                   "\"; expected frame,id,x,y,w,h,score,-1,-1,-1)");
    };
    std::vector<double> values;
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = line.find(',', start);
      const std::string_view field =
          trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start));
      const std::size_t index = values.size();
      if (index >= 10) throw fail("more than 10 fields");
      double value = 0.0;
      const auto [ptr, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || ec != std::errc() || ptr != field.data() + field.size() || !std::isfinite(value))
        throw fail("field " + std::to_string(index + 1) + " (" + field_name(index) + ") is \"" +
                   std::string(field) + "\", not a number");
      values.push_back(value);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (values.size() < 6)
      throw fail(std::to_string(values.size()) + " field(s), at least 6 needed (frame,id,x,y,w,h)");
    const auto positive_integer = [&](std::size_t index) {
      const double v = values[index];
      if (v != std::floor(v) || v < 1 || v > 9.0e15)
        throw fail(std::string(field_name(index)) + " is " + number_text(v) + ", not a positive integer");
      return static_cast<std::int64_t>(v);
    };
    const std::int64_t frame = positive_integer(0);
    Track track;
    track.id = positive_integer(1);
    track.box = Box{values[2], values[3], values[4], values[5]};
    if (track.box.w < 0 || track.box.h < 0) throw fail("negative width or height");
    track.score = values.size() > 6 ? values[6] : 1.0;
    if (!ids_in_frame[frame].insert(track.id).second)
      throw fail("id " + std::to_string(track.id) + " appears twice in frame " + std::to_string(frame));
    frames[frame].push_back(std::move(track));
  }
  return frames;
}

MotFrames parse_mot_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read MOT file " + path.string() + ": it does not exist or is not readable");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error("cannot read MOT file " + path.string() + ": read error");
  return parse_mot_text(text.str(), path.string());
}

}  // namespace oi::cctv
