// sink.record: records raw frames, bit-exact, with their metadata and arrival times, into a
// folder that the `replay` driver plays back, so pipelines are regression-tested without the
// hardware. Format and guarantees: docs/recording.md.
#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "oi/plugin.hpp"
#include "recording_writer.hpp"

namespace fs = std::filesystem;

namespace {

using oi::record::RecordingWriter;
namespace format = oi::record::format;

bool is_recording_file(const fs::path& name) {
  const std::string n = name.string();
  return n == format::kSessionFile || n == format::kIndexFile || n == format::kDataFile ||
         n == std::string(format::kSessionFile) + ".tmp";
}

// What is already in `dir`: nothing, a recording (only recording files), or other files.
struct FolderContents {
  bool exists = false;
  bool is_folder = false;
  bool empty = true;
  std::string foreign;  // a file that is not part of a recording, when there is one
};

FolderContents inspect(const fs::path& dir) {
  FolderContents c;
  std::error_code ec;
  c.exists = fs::exists(dir, ec);
  if (!c.exists) return c;
  c.is_folder = fs::is_directory(dir, ec);
  if (!c.is_folder) return c;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    c.empty = false;
    if (!is_recording_file(entry.path().filename()) && c.foreign.empty())
      c.foreign = entry.path().filename().string();
  }
  return c;
}

// Ok when recording into `dir` may start; else an error saying what is wrong and what to do.
oi::Status check_folder(const fs::path& dir, bool overwrite) {
  const FolderContents c = inspect(dir);
  if (!c.exists) return oi::Status::ok();
  if (!c.is_folder) {
    return oi::Status::error("`dir` " + dir.string() +
                             " exists and is not a folder; choose a folder for the recording");
  }
  if (c.empty) return oi::Status::ok();
  if (!c.foreign.empty()) {
    return oi::Status::error(
        "`dir` " + dir.string() + " is not empty and holds files that are not part of a recording (e.g. '" +
        c.foreign + "'); this sink only ever deletes recordings, so choose an empty or new folder");
  }
  if (!overwrite) {
    return oi::Status::error("`dir` " + dir.string() +
                             " already holds a recording; set `overwrite: true` to replace it, "
                             "or choose another folder");
  }
  return oi::Status::ok();
}

class RecordSink final : public oi::Stage {
 public:
  void setup(oi::StageSpec& spec) override {
    spec.describe(
        "Records every frame it receives, of any kind, bit-exact: all planes' bytes, all metadata, "
        "the time each frame arrived (relative to the first) and the SHA-256 of the pipeline file, "
        "into a folder (format in docs/recording.md). The `replay` driver plays it back, so a "
        "pipeline can be regression-tested without the hardware. A recording cut short by a crash "
        "stays readable up to its last complete frame.");
    spec.input("in", oi::PortType::any(), "frames to record");
    spec.param("dir", dir_)
        .without_default()
        .describe(
            "Recording folder; created when missing. Must be empty or hold a recording (see `overwrite`).");
    spec.param("overwrite", overwrite_)
        .describe("Replace a recording already in `dir`. Other files are never deleted.");
    spec.param("note", note_).describe("Free text stored in session.json, e.g. what the recording shows.");
  }

  std::vector<std::string> validate(const oi::StageConfig&) const override {
    if (oi::Status s = check_folder(dir_, overwrite_); s.is_error()) return {s.message()};
    return {};
  }

  void start(const oi::StageConfig& config) override {
    // Checked again: the folder may have changed since the pipeline was validated.
    if (oi::Status s = check_folder(dir_, overwrite_); s.is_error()) throw oi::ConfigError(s.message());
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
      throw oi::ConfigError("cannot create recording folder '" + dir_.string() + "': " + ec.message() +
                            "; set `dir` to a writable folder");
    }
    for (const char* name : {format::kSessionFile, format::kIndexFile, format::kDataFile}) {
      fs::remove(dir_ / name, ec);
      if (ec) {
        throw oi::ConfigError("cannot replace " + (dir_ / name).string() + ": " + ec.message() +
                              "; check the folder's permissions");
      }
    }
    name_ = config.name;
    writer_ = std::make_unique<RecordingWriter>(
        dir_, oi::record::SessionInfo{config.name, config.pipeline_file, note_});
  }

  oi::Status process(oi::StageContext& ctx) override {
    oi::FramePtr frame = ctx.take(0);
    if (!frame) return oi::Status::ok();
    return writer_->append(*frame);
  }

  oi::Status finish(oi::StageContext&) override {
    finished_ = true;
    return writer_->close("end_of_stream");
  }

  void stop() override {
    if (!writer_) return;
    if (oi::Status s = writer_->close(finished_ ? "end_of_stream" : "stopped"); !s.is_ok()) {
      spdlog::error("stage '{}' (sink.record): {}", name_, s.message());
    }
    if (writer_->inexact_attributes() > 0) {
      spdlog::warn(
          "stage '{}' (sink.record): {} frame(s) had metadata JSON cannot hold exactly (NaN/infinity or "
          "non-UTF-8 text in attributes); they are recorded with those values replaced (see "
          "docs/recording.md)",
          name_, writer_->inexact_attributes());
    }
  }

  nlohmann::json summary() const override {
    if (!writer_) return nullptr;
    return {
        {"output", fs::absolute(writer_->dir()).string()},
        {"written", true},  // the session file is written when the recording opens
        {"frames", writer_->frames()},
        {"bytes", writer_->data_bytes()},
        {"inexact_attributes", writer_->inexact_attributes()},
        {"pipeline_sha256", writer_->pipeline_sha256().empty() ? nlohmann::json(nullptr)
                                                               : nlohmann::json(writer_->pipeline_sha256())}};
  }

 private:
  // Parameters.
  fs::path dir_;            // dir
  bool overwrite_ = false;  // overwrite
  std::string note_;        // note

  std::string name_;  // the node's name, for log lines
  std::unique_ptr<RecordingWriter> writer_;
  bool finished_ = false;
};

}  // namespace

OI_REGISTER_STAGE(RecordSink, "sink.record", "Records raw frames bit-exact for the replay driver.");
OI_PLUGIN("oi-sink-record", "0.1.0", "Apache-2.0")
