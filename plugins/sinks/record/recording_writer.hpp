#pragma once
// Writes a recording folder, format version 1 (docs/recording.md):
//   session.json   header; rewritten once more when the recording is closed
//   index.jsonl    one JSON line per frame: arrival time, kind, metadata, planes, checksum
//   frames.bin     the planes' bytes, frame after frame, rows tightly packed
//
// Crash safety comes from the write order: a frame's bytes go to frames.bin first, then its
// index line, each flushed to the kernel before the next frame. A recorder killed at any
// point leaves at most one partial index line and some unindexed bytes, which the reader
// ignores; session.json still says "recording", so the reader reports the truncation.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "recording_format.hpp"

namespace oi::record {

namespace format = recording::format;

/// What goes into session.json besides what the writer knows itself.
struct SessionInfo {
  std::string recorder_node;            ///< the sink.record node's name
  std::filesystem::path pipeline_file;  ///< absolute; empty when the pipeline was built in code
  std::string note;                     ///< free text from the `note` parameter
};

/// Appends frames to one recording folder. Not thread-safe (one sink, one thread at a time).
class RecordingWriter {
 public:
  /// Creates the three files in `dir` (which must exist and hold no recording files).
  /// Throws oi::ConfigError naming the file when one cannot be created.
  RecordingWriter(std::filesystem::path dir, const SessionInfo& info);
  /// Closes the recording (see close()); errors are logged, never thrown.
  ~RecordingWriter();
  RecordingWriter(const RecordingWriter&) = delete;
  RecordingWriter& operator=(const RecordingWriter&) = delete;

  /// Appends one frame; its arrival time is taken now. An error names the file and says
  /// what to check (disk full, permissions); nothing of a failed frame is indexed.
  Status append(const Frame& frame);
  /// Writes the final session.json (state "closed", counts) and syncs the files to disk.
  /// `how` is "end_of_stream" or "stopped". Idempotent.
  Status close(const std::string& how);

  /// Frames written so far.
  std::uint64_t frames() const { return frames_; }
  /// Plane bytes written so far (size of frames.bin).
  std::uint64_t data_bytes() const { return data_bytes_; }
  /// Frames whose metadata JSON cannot carry exactly: non-finite floats in attributes
  /// (written as null) or text that is not UTF-8 (bad bytes written as U+FFFD). They are
  /// recorded, and counted here so the loss is visible.
  std::uint64_t inexact_attributes() const { return inexact_attributes_; }
  /// SHA-256 of the pipeline file (hex), empty when there was none or it was unreadable.
  const std::string& pipeline_sha256() const { return pipeline_sha256_; }
  /// The folder.
  const std::filesystem::path& dir() const { return dir_; }

 private:
  Status write_session(bool closed, const std::string& how);
  Status fail(const std::filesystem::path& file, const std::string& what);
  // fail() for a frame that could not be written whole: takes the partial frame back.
  Status fail_append(const std::filesystem::path& file);

  std::filesystem::path dir_;
  nlohmann::json header_;
  std::ofstream index_;
  std::uint64_t index_bytes_ = 0;  // index.jsonl's length after the last complete line
  std::string failed_;             // why the last append failed; later appends fail the same way
  std::ofstream data_;
  std::string pipeline_sha256_;
  std::uint64_t frames_ = 0;
  std::uint64_t data_bytes_ = 0;
  std::uint64_t inexact_attributes_ = 0;
  std::int64_t last_arrival_ns_ = 0;
  std::map<std::string, std::uint64_t> kinds_;
  std::map<std::string, std::uint64_t> sources_;
  bool has_first_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point first_arrival_;
};

}  // namespace oi::record
