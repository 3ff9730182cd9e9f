#include "recording_writer.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <iterator>

#include "oi/version.hpp"

namespace fs = std::filesystem;

namespace oi::record {
namespace {

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string random_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Only an identifier for tools; a time-based one is good enough when OpenSSL has no entropy.
    return "t" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  }
  return recording::to_hex(bytes, sizeof bytes);
}

// JSON has no NaN or infinity: nlohmann writes them as null, which would not replay exactly.
bool has_non_finite(const nlohmann::json& value) {
  if (value.is_number_float()) return !std::isfinite(value.get<double>());
  if (value.is_structured()) {
    for (const auto& element : value) {
      if (has_non_finite(element)) return true;
    }
  }
  return false;
}

// Makes what the writer has handed to the kernel durable; used once, when closing.
void sync_file(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

RecordingWriter::RecordingWriter(fs::path dir, const SessionInfo& info) : dir_(std::move(dir)) {
  nlohmann::json pipeline = {{"file", nullptr}, {"sha256", nullptr}};
  if (!info.pipeline_file.empty()) {
    pipeline["file"] = info.pipeline_file.string();
    std::ifstream in(info.pipeline_file, std::ios::binary);
    if (in) {
      recording::Sha256 sha;
      char buffer[1 << 16];
      while (in.read(buffer, sizeof buffer) || in.gcount() > 0)
        sha.update(buffer, static_cast<std::size_t>(in.gcount()));
      pipeline_sha256_ = sha.hex();
      pipeline["sha256"] = pipeline_sha256_;
    } else {
      // The recording is still worth having; the header says why the hash is missing.
      pipeline["error"] = "cannot read the pipeline file: " + std::string(std::strerror(errno));
      spdlog::warn(
          "sink.record: cannot read pipeline file {} to hash it; the recording will have no pipeline hash",
          info.pipeline_file.string());
    }
  }
  header_ = {
      {"format", format::kName},
      {"version", format::kVersion},
      {"state", "recording"},
      {"id", random_id()},
      {"created_utc", utc_now()},
      {"recorder", {{"node", info.recorder_node}, {"type", "sink.record"}, {"sdk_version", kSdkVersion}}},
      {"pipeline", pipeline},
      {"note", info.note},
      {"index_file", format::kIndexFile},
      {"data_file", format::kDataFile}};

  data_.open(dir_ / format::kDataFile, std::ios::binary | std::ios::trunc);
  if (!data_)
    throw ConfigError("cannot create " + (dir_ / format::kDataFile).string() + ": " + std::strerror(errno) +
                      "; check that the folder is writable");
  index_.open(dir_ / format::kIndexFile, std::ios::binary | std::ios::trunc);
  if (!index_)
    throw ConfigError("cannot create " + (dir_ / format::kIndexFile).string() + ": " + std::strerror(errno) +
                      "; check that the folder is writable");
  if (Status s = write_session(false, ""); !s.is_ok()) throw ConfigError(s.message());
}

RecordingWriter::~RecordingWriter() {
  if (Status s = close("stopped"); !s.is_ok()) spdlog::error("sink.record: {}", s.message());
}

Status RecordingWriter::fail(const fs::path& file, const std::string& what) {
  return Status::error("cannot " + what + " " + file.string() + " (" + std::strerror(errno) +
                       "); check free disk space and permissions. Frames up to " + std::to_string(frames_) +
                       " are recorded and replayable");
}

Status RecordingWriter::fail_append(const fs::path& file) {
  Status error = fail(file, "write");  // errno first, before the clean-up below changes it
  // A frame whose bytes or index line were cut off by the failure is taken back, so that the
  // files end at the last complete frame and session.json, written when the recording closes,
  // agrees with them: what was recorded before the disk filled stays replayable.
  data_.close();
  index_.close();
  for (const auto& [file, size] : {std::pair{dir_ / format::kDataFile, data_bytes_},
                                   std::pair{dir_ / format::kIndexFile, index_bytes_}}) {
    std::error_code ec;
    fs::resize_file(file, size, ec);
    // Then the reader finds the partial frame and reports the recording as damaged, not wrong.
    if (ec) spdlog::error("cannot cut {} back to its last complete frame: {}", file.string(), ec.message());
  }
  failed_ = error.message();
  return error;
}

Status RecordingWriter::write_session(bool closed, const std::string& how) {
  nlohmann::json header = header_;
  if (closed) {
    header["state"] = "closed";
    header["ended"] = how;
    header["frames"] = frames_;
    header["data_bytes"] = data_bytes_;
    header["duration_ns"] = last_arrival_ns_;
    header["kinds"] = kinds_;
    header["sources"] = sources_;
    header["inexact_attributes"] = inexact_attributes_;
  }
  // Write-then-rename: a reader (or a crash) sees the old header or the new, never half.
  const fs::path file = dir_ / format::kSessionFile;
  const fs::path temp = dir_ / (std::string(format::kSessionFile) + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << header.dump(2) << '\n';
    out.flush();
    if (!out) return fail(temp, "write");
  }
  sync_file(temp);
  std::error_code ec;
  fs::rename(temp, file, ec);
  if (ec)
    return Status::error("cannot rename " + temp.string() + " to " + file.string() + ": " + ec.message() +
                         "; check permissions of the folder");
  return Status::ok();
}

Status RecordingWriter::append(const Frame& frame) {
  if (closed_) return Status::error("the recording in " + dir_.string() + " is already closed");
  if (!failed_.empty()) return Status::error(failed_);
  const auto now = std::chrono::steady_clock::now();
  if (!has_first_) {
    first_arrival_ = now;
    has_first_ = true;
  }
  const std::int64_t arrival_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now - first_arrival_).count();

  recording::Sha256 sha;
  nlohmann::json planes = nlohmann::json::array();
  std::uint64_t frame_bytes = 0;
  for (const std::string& name : frame.plane_names()) {
    const Plane& plane = frame.plane(name);
    const std::size_t row_bytes = plane.row_bytes();
    // Row by row: a plane's stride may include padding, which is layout, not data.
    for (int y = 0; y < plane.height; ++y) {
      const auto* row = plane.row<char>(y);
      data_.write(row, static_cast<std::streamsize>(row_bytes));
      sha.update(row, row_bytes);
    }
    const std::uint64_t bytes =
        static_cast<std::uint64_t>(row_bytes) * static_cast<std::uint64_t>(plane.height);
    planes.push_back({{"name", name},
                      {"format", std::string(to_string(plane.format))},
                      {"width", plane.width},
                      {"height", plane.height},
                      {"bytes", bytes}});
    frame_bytes += bytes;
  }
  data_.flush();
  if (!data_) return fail_append(dir_ / format::kDataFile);

  const FrameMetadata& m = frame.metadata();
  // Counted once the frame is recorded (a frame taken back after a failed write is not).
  int inexact = has_non_finite(m.attributes) ? 1 : 0;
  const nlohmann::json line = {{"frame", frames_},        {"arrival_ns", arrival_ns}, {"kind", frame.kind()},
                               {"offset", data_bytes_},   {"bytes", frame_bytes},     {"sha256", sha.hex()},
                               {"metadata", m.to_json()}, {"planes", planes}};
  // The index line comes after its data, so an indexed frame always has all its bytes.
  std::string text;
  try {
    text = line.dump();
  } catch (const nlohmann::json::type_error&) {
    // Text that is not UTF-8 cannot go into JSON as it is; it is recorded with U+FFFD in
    // place of the bad bytes, and counted like a non-finite float.
    text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    ++inexact;
  }
  index_ << text << '\n';
  index_.flush();
  if (!index_) return fail_append(dir_ / format::kIndexFile);
  index_bytes_ += text.size() + 1;
  inexact_attributes_ += inexact;

  data_bytes_ += frame_bytes;
  last_arrival_ns_ = arrival_ns;
  ++frames_;
  ++kinds_[frame.kind()];
  ++sources_[m.source_device];
  return Status::ok();
}

Status RecordingWriter::close(const std::string& how) {
  if (closed_) return Status::ok();
  closed_ = true;
  data_.close();
  index_.close();
  sync_file(dir_ / format::kDataFile);
  sync_file(dir_ / format::kIndexFile);
  return write_session(true, how);
}

}  // namespace oi::record
