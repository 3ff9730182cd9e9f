#include "recording_reader.hpp"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "oi/files.hpp"

namespace fs = std::filesystem;

namespace oi::replay {
namespace {

using hal::Result;

constexpr const char* kHowToFix = "record it again with sink.record, or restore the folder from a copy";

Status problem(const fs::path& file, const std::string& what, const std::string& todo = kHowToFix) {
  return Status::error(file.string() + ": " + what + "; " + todo);
}

Status line_problem(const fs::path& file, std::uint64_t line, const std::string& what) {
  return problem(file.string() + ":" + std::to_string(line), what);
}

// Reads `key` of `object` as T; a description of what is wrong otherwise.
template <class T>
std::string get(const nlohmann::json& object, const char* key, T& out) {
  auto it = object.find(key);
  if (it == object.end()) return std::string("'") + key + "' is missing";
  try {
    if constexpr (std::is_same_v<T, std::uint64_t> || std::is_same_v<T, std::uint32_t>) {
      if (!it->is_number_unsigned() && !(it->is_number_integer() && it->template get<std::int64_t>() >= 0)) {
        return std::string("'") + key + "' must be a whole number >= 0, got " + it->dump();
      }
      const auto value = it->template get<std::uint64_t>();
      if (value > std::numeric_limits<T>::max())
        return std::string("'") + key + "' is too large: " + it->dump();
      out = static_cast<T>(value);
    } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, int>) {
      if (!it->is_number_integer())
        return std::string("'") + key + "' must be a whole number, got " + it->dump();
      if (it->is_number_unsigned() &&
          it->template get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
        return std::string("'") + key + "' is too large: " + it->dump();
      }
      const auto value = it->template get<std::int64_t>();
      if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max()) {
        return std::string("'") + key + "' is out of range: " + it->dump();
      }
      out = static_cast<T>(value);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) return std::string("'") + key + "' must be true or false, got " + it->dump();
      out = it->template get<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!it->is_string()) return std::string("'") + key + "' must be text, got " + it->dump();
      out = it->template get<std::string>();
    } else {
      static_assert(sizeof(T) == 0, "unsupported field type");
    }
  } catch (const nlohmann::json::exception& e) {
    return std::string("'") + key + "': " + e.what();
  }
  return {};
}

// The writer stores non-finite doubles, which JSON cannot hold, as "nan", "inf", "-inf".
std::string get_double(const nlohmann::json& object, const char* key, double& out) {
  auto it = object.find(key);
  if (it == object.end()) return std::string("'") + key + "' is missing";
  if (it->is_number()) {
    out = it->get<double>();
    return {};
  }
  if (it->is_string()) {
    const std::string text = it->get<std::string>();
    if (text == "nan")
      out = std::numeric_limits<double>::quiet_NaN();
    else if (text == "inf")
      out = std::numeric_limits<double>::infinity();
    else if (text == "-inf")
      out = -std::numeric_limits<double>::infinity();
    else
      return std::string("'") + key + "' must be a number, \"nan\", \"inf\" or \"-inf\", got " + it->dump();
    return {};
  }
  return std::string("'") + key + "' must be a number, got " + it->dump();
}

bool is_sha256_hex(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Parses one index line into `out`; empty when it is valid, else what is wrong.
std::string parse_frame(const nlohmann::json& line, RecordedFrame& out) {
  if (!line.is_object()) return "an index line must be a JSON object, got " + std::string(line.type_name());
  std::string e;
  if (!(e = get(line, "frame", out.number)).empty()) return e;
  if (!(e = get(line, "arrival_ns", out.arrival_ns)).empty()) return e;
  if (!(e = get(line, "kind", out.kind)).empty()) return e;
  if (!(e = get(line, "offset", out.offset)).empty()) return e;
  if (!(e = get(line, "bytes", out.bytes)).empty()) return e;
  if (!(e = get(line, "sha256", out.sha256)).empty()) return e;
  if (!is_sha256_hex(out.sha256))
    return "'sha256' must be 64 lowercase hex digits, got \"" + out.sha256 + "\"";

  auto meta = line.find("metadata");
  if (meta == line.end() || !meta->is_object()) return "'metadata' is missing or not an object";
  FrameMetadata& m = out.metadata;
  if (!(e = get(*meta, "source_device", m.source_device)).empty()) return "metadata: " + e;
  if (!(e = get(*meta, "sequence", m.sequence)).empty()) return "metadata: " + e;
  if (!(e = get(*meta, "capture_time_ns", m.capture_time_ns)).empty()) return "metadata: " + e;
  if (!(e = get(*meta, "scan_id", m.scan_id)).empty()) return "metadata: " + e;
  if (!(e = get(*meta, "block_index", m.block_index)).empty()) return "metadata: " + e;
  if (!(e = get(*meta, "end_of_scan", m.end_of_scan)).empty()) return "metadata: " + e;
  if (!(e = get(*meta, "incomplete", m.incomplete)).empty()) return "metadata: " + e;
  if (!(e = get_double(*meta, "pixel_pitch_mm", m.pixel_pitch_mm)).empty()) return "metadata: " + e;
  auto attributes = meta->find("attributes");
  if (attributes == meta->end() || !attributes->is_object())
    return "metadata: 'attributes' is missing or not an object";
  m.attributes = *attributes;

  auto planes = line.find("planes");
  if (planes == line.end() || !planes->is_array()) return "'planes' is missing or not a list";
  std::uint64_t sum = 0;
  for (const auto& p : *planes) {
    if (!p.is_object()) return "every entry of 'planes' must be an object";
    RecordedPlane plane;
    std::string format;
    if (!(e = get(p, "name", plane.name)).empty()) return "plane: " + e;
    const std::string where = "plane '" + plane.name + "': ";
    if (!(e = get(p, "format", format)).empty()) return where + e;
    auto parsed = parse_pixel_format(format);
    if (!parsed) return where + "unknown pixel format '" + format + "' (known: u8, u16, f32, rgb8)";
    plane.format = *parsed;
    if (!(e = get(p, "width", plane.width)).empty()) return where + e;
    if (!(e = get(p, "height", plane.height)).empty()) return where + e;
    if (!(e = get(p, "bytes", plane.bytes)).empty()) return where + e;
    if (plane.width < 0 || plane.height < 0) return where + "negative size";
    const std::uint64_t expected = static_cast<std::uint64_t>(plane.width) *
                                   static_cast<std::uint64_t>(plane.height) * bytes_per_pixel(plane.format);
    if (plane.bytes != expected) {
      return where + "'bytes' is " + std::to_string(plane.bytes) + " but " + std::to_string(plane.width) +
             " x " + std::to_string(plane.height) + " " + format + " pixels take " + std::to_string(expected);
    }
    for (const RecordedPlane& earlier : out.planes) {
      if (earlier.name == plane.name) return "plane '" + plane.name + "' appears twice";
    }
    sum += plane.bytes;
    out.planes.push_back(std::move(plane));
  }
  if (sum != out.bytes) {
    return "'bytes' is " + std::to_string(out.bytes) + " but the planes add up to " + std::to_string(sum);
  }
  return {};
}

Status read_session(const fs::path& dir, nlohmann::json& session) {
  const fs::path file = dir / format::kSessionFile;
  std::error_code ec;
  const fs::file_status dir_status = fs::status(dir, ec);
  if (ec && dir_status.type() != fs::file_type::not_found) {
    // A folder above it that this user may not enter: the recording may well be there.
    return Status::error("no recording readable at " + dir.string() + ": " + ec.message() + ": " +
                         read_error_advice(ec.value()));
  }
  if (dir_status.type() == fs::file_type::not_found) {
    return Status::error("no recording at " + dir.string() +
                         ": the folder does not exist; check the path "
                         "(record one with a sink.record node)");
  }
  if (!fs::is_directory(dir, ec)) {
    return Status::error("no recording at " + dir.string() +
                         ": it is a file, not a folder; a recording is "
                         "the folder sink.record wrote");
  }
  if (auto why = input_file_problem(file)) {
    if (*why == "does not exist") {
      return Status::error("no recording at " + dir.string() + ": " + format::kSessionFile +
                           " is missing; point the URI at the folder a sink.record node wrote");
    }
    // Not called missing when this user may not read it or enter the folder.
    return Status::error(file.string() + ": " + *why);
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return problem(file, std::string("cannot be read: ") + std::strerror(errno), "check the file");
  session = nlohmann::json::parse(in, nullptr, false);
  if (session.is_discarded() || !session.is_object()) return problem(file, "is not valid JSON");
  if (session.value("format", std::string()) != format::kName) {
    return problem(file, "is not an OpenInspect recording header ('format' is not \"" +
                             std::string(format::kName) + "\")");
  }
  const auto version = session.find("version");
  if (version == session.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1) {
    return problem(file, "has no valid format 'version'");
  }
  if (version->get<std::int64_t>() > format::kVersion) {
    return problem(file,
                   "was written in recording format version " + std::to_string(version->get<std::int64_t>()) +
                       ", newer than this driver reads (version " + std::to_string(format::kVersion) + ")",
                   "update OpenInspect to replay it");
  }
  const std::string state = session.value("state", std::string());
  if (state != "recording" && state != "closed") {
    return problem(file, "'state' must be \"recording\" or \"closed\", got " +
                             (session.contains("state") ? session["state"].dump() : std::string("nothing")));
  }
  return Status::ok();
}

}  // namespace

Result<Recording> open_recording(const fs::path& dir_in) {
  Recording rec;
  std::error_code ec;
  rec.dir = fs::absolute(dir_in, ec).lexically_normal();
  if (Status s = read_session(rec.dir, rec.session); !s.is_ok()) return s;
  const bool closed = rec.session["state"] == "closed";

  const fs::path index_file = rec.dir / format::kIndexFile;
  const fs::path data_file = rec.dir / format::kDataFile;
  for (const fs::path& file : {index_file, data_file}) {
    if (auto why = input_file_problem(file)) {
      if (*why == "does not exist") return problem(file, "is missing");
      if (is_unreadable(*why)) return Status::error(file.string() + ": " + *why);
      return problem(file, *why);
    }
  }
  const std::uint64_t data_size = fs::file_size(data_file, ec);
  if (ec) return problem(data_file, "cannot be read: " + ec.message(), "check the file");
  std::ifstream index(index_file, std::ios::binary);
  if (!index)
    return problem(index_file, std::string("cannot be read: ") + std::strerror(errno), "check the file");

  std::string text;
  std::uint64_t line_number = 0;
  std::uint64_t next_offset = 0;
  std::string cut;  // why reading stopped before the end of the index (truncated recordings)
  while (std::getline(index, text)) {
    ++line_number;
    const bool terminated = !index.eof();
    if (!terminated) {
      // The recorder writes a whole line at a time: only a crash leaves one unterminated.
      if (closed) {
        return line_problem(index_file, line_number,
                            "the last line is cut off although session.json says the recording was closed; "
                            "the file was damaged after recording");
      }
      cut = "its last index line (" + std::to_string(line_number) + ") was only partly written";
      break;
    }
    const nlohmann::json line = nlohmann::json::parse(text, nullptr, false);
    if (line.is_discarded())
      return line_problem(index_file, line_number, "is not valid JSON; the index is corrupt");
    RecordedFrame frame;
    if (std::string e = parse_frame(line, frame); !e.empty()) return line_problem(index_file, line_number, e);
    if (frame.number != rec.frames.size()) {
      return line_problem(index_file, line_number,
                          "is frame " + std::to_string(frame.number) + " but frame " +
                              std::to_string(rec.frames.size()) +
                              " was expected here; lines are missing or out of order");
    }
    if (frame.offset != next_offset) {
      return line_problem(index_file, line_number,
                          "says frame " + std::to_string(frame.number) + " starts at byte " +
                              std::to_string(frame.offset) + " of " + format::kDataFile +
                              " but the frames before "
                              "it end at byte " +
                              std::to_string(next_offset));
    }
    if (!rec.frames.empty() && frame.arrival_ns < rec.frames.back().arrival_ns) {
      return line_problem(index_file, line_number, "'arrival_ns' goes back in time");
    }
    if (frame.offset + frame.bytes > data_size) {
      if (closed) {
        return line_problem(index_file, line_number,
                            "frame " + std::to_string(frame.number) + " needs bytes up to " +
                                std::to_string(frame.offset + frame.bytes) + " but " + format::kDataFile +
                                " has only " + std::to_string(data_size) + "; the data file was cut short");
      }
      cut = "frame " + std::to_string(frame.number) + " is indexed but its bytes never reached " +
            format::kDataFile;
      break;
    }
    next_offset = frame.offset + frame.bytes;
    rec.frames.push_back(std::move(frame));
  }

  if (closed) {
    const auto frames = rec.session.find("frames");
    const auto bytes = rec.session.find("data_bytes");
    if (frames == rec.session.end() || bytes == rec.session.end() || !frames->is_number_unsigned() ||
        !bytes->is_number_unsigned()) {
      return problem(rec.dir / format::kSessionFile, "is closed but lacks 'frames' or 'data_bytes'");
    }
    if (frames->get<std::uint64_t>() != rec.frames.size()) {
      return problem(index_file, "has " + std::to_string(rec.frames.size()) +
                                     " frame(s) but session.json says " +
                                     std::to_string(frames->get<std::uint64_t>()) + " were recorded");
    }
    if (bytes->get<std::uint64_t>() != next_offset || data_size != next_offset) {
      return problem(data_file, "has " + std::to_string(data_size) + " bytes; the index accounts for " +
                                    std::to_string(next_offset) + " and session.json says " +
                                    std::to_string(bytes->get<std::uint64_t>()));
    }
    return rec;
  }

  rec.truncated = true;
  rec.truncation = "the recording was not closed by its recorder (it crashed or was killed)";
  if (!cut.empty()) rec.truncation += "; " + cut;
  if (data_size > next_offset) {
    rec.truncation += "; " + std::to_string(data_size - next_offset) + " byte(s) at the end of " +
                      format::kDataFile + " belong to no complete frame";
  }
  rec.truncation += "; " + std::to_string(rec.frames.size()) + " complete frame(s) are readable";
  return rec;
}

Status FrameReader::open(const Recording& recording) {
  file_ = recording.dir / format::kDataFile;
  data_.close();
  data_.clear();
  data_.open(file_, std::ios::binary);
  if (!data_) {
    const int error_number = errno;  // before another system call replaces it
    std::error_code ec;
    // A folder above that may no longer be entered is no gone file: exists() fails then.
    if (!fs::exists(file_, ec) && !ec) {
      return problem(file_, "is gone: the recording was removed or moved after it was opened",
                     "put the folder back, or replay another recording");
    }
    return problem(file_, std::string("cannot be opened: ") + std::strerror(error_number),
                   read_error_advice(error_number));
  }
  return Status::ok();
}

std::uint64_t FrameReader::size() {
  data_.clear();
  data_.seekg(0, std::ios::end);
  const std::streamoff end = data_.tellg();
  data_.clear();
  return end < 0 ? 0 : static_cast<std::uint64_t>(end);
}

Result<FramePtr> FrameReader::read(const RecordedFrame& entry, bool verify) {
  data_.clear();
  data_.seekg(static_cast<std::streamoff>(entry.offset));
  FramePtr frame = Frame::create(entry.kind);
  recording::Sha256 sha;
  for (const RecordedPlane& p : entry.planes) {
    Plane& plane = frame->add_plane(p.name, p.format, p.width, p.height);
    const std::size_t row_bytes = plane.row_bytes();
    for (int y = 0; y < plane.height; ++y) {
      char* row = plane.row<char>(y);
      data_.read(row, static_cast<std::streamsize>(row_bytes));
      if (static_cast<std::size_t>(data_.gcount()) != row_bytes) {
        return problem(file_, "ended inside frame " + std::to_string(entry.number) + " (plane '" + p.name +
                                  "'); the file shrank after the recording was opened");
      }
      if (verify) sha.update(row, row_bytes);
    }
  }
  if (verify) {
    const std::string actual = sha.hex();
    if (actual != entry.sha256) {
      return problem(file_, "the bytes of frame " + std::to_string(entry.number) + " (at byte " +
                                std::to_string(entry.offset) + ") do not match their SHA-256 in " +
                                format::kIndexFile + "; the data is corrupt (disk fault or edited file)");
    }
  }
  frame->metadata() = entry.metadata;
  return frame;
}

}  // namespace oi::replay
