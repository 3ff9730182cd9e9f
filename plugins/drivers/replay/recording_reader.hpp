#pragma once
// Reads a recording folder written by sink.record, format version 1 (docs/recording.md).
// Every problem is reported with the file (and index line) it is in and what to do; a
// recording whose recorder never closed it is readable up to its last complete frame and is
// flagged as truncated.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oi/frame.hpp"
#include "oi/hal/result.hpp"
#include "oi/pixel_format.hpp"
#include "recording_format.hpp"

namespace oi::replay {

namespace format = recording::format;

/// One plane of a recorded frame, in the order its bytes follow each other in frames.bin.
struct RecordedPlane {
  std::string name;                       ///< plane name
  PixelFormat format = PixelFormat::kU8;  ///< pixel format
  int width = 0;                          ///< pixels per row
  int height = 0;                         ///< rows
  std::uint64_t bytes = 0;                ///< width x height x bytes per pixel
};

/// One index line: where a frame's bytes are and everything else about it.
struct RecordedFrame {
  std::uint64_t number = 0;           ///< position in the recording, from 0
  std::int64_t arrival_ns = 0;        ///< when it reached the recorder, after the first frame
  std::string kind;                   ///< frame kind
  std::uint64_t offset = 0;           ///< first byte in frames.bin
  std::uint64_t bytes = 0;            ///< bytes of all planes
  std::string sha256;                 ///< of those bytes, 64 hex digits
  FrameMetadata metadata;             ///< as recorded
  std::vector<RecordedPlane> planes;  ///< in data order
};

/// A recording, opened and checked; the frames' bytes stay on disk.
struct Recording {
  std::filesystem::path dir;          ///< absolute folder
  nlohmann::json session;             ///< session.json as written
  std::vector<RecordedFrame> frames;  ///< complete frames only
  /// True when the recorder did not close the recording (it crashed or was killed); the
  /// frames above are the complete ones.
  bool truncated = false;
  /// Why it counts as truncated and what was left out; empty when not truncated.
  std::string truncation;

  /// The session id from session.json.
  std::string id() const { return session.value("id", std::string()); }
  /// Time from the first frame's arrival to the last's.
  std::int64_t duration_ns() const { return frames.empty() ? 0 : frames.back().arrival_ns; }
};

/// Opens and checks the recording in `dir`: session.json, every index line, and that
/// frames.bin holds every indexed frame's bytes. Errors say which file and line is wrong.
hal::Result<Recording> open_recording(const std::filesystem::path& dir);

/// Reads frames' bytes from frames.bin.
class FrameReader {
 public:
  /// Opens `recording`'s frames.bin; an error when it cannot.
  Status open(const Recording& recording);
  /// Reads `entry` into a new frame with its kind, planes (rows tightly packed) and
  /// metadata. With `verify`, an error when the bytes do not match the index's SHA-256.
  hal::Result<FramePtr> read(const RecordedFrame& entry, bool verify);
  /// Bytes in the open file now: fewer than the recording needs when it was cut short after it
  /// was opened.
  std::uint64_t size();
  /// Closes the file.
  void close() { data_.close(); }

 private:
  std::filesystem::path file_;
  std::ifstream data_;
};

}  // namespace oi::replay
