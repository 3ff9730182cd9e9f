#pragma once
// One camera's output of sink.video: its annotated video (cv::VideoWriter) and its per-frame
// JSON lines, with the state that belongs to that camera alone (video size, frame rate,
// trails, counters). The sink keeps one per source.
//
// What a process killed in the middle leaves (SIGKILL, no destructor runs): the video is written
// under a temporary name (writing_file(): `.<stem>.partial.avi`) and renamed to its own only
// once it is closed and checked whole, so no cut video ever carries the video's name; the JSON
// lines go out with one write() each, so the file holds whole lines up to the last frame
// written, at most followed by one torn line without its newline.

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>
#include <optional>
#include <string>
#include <vector>

#include "annotate.hpp"
#include "oi/error.hpp"
#include "oi/frame.hpp"

namespace oi::cctv::video {

/// The sink's parameters that shape every camera's output.
struct OutputSettings {
  std::filesystem::path dir;  ///< output folder (exists)
  bool overwrite = false;     ///< replace files of the same name
  double fps = 0.0;           ///< frame rate of the videos; 0 = from capture times
  int trail = 30;             ///< foot points per track trail; 0 = no trails
  bool draw_detections = true;
  bool draw_truth = false;
  double scale = 1.0;          ///< output size = first frame's size x scale
  std::string codec = "mjpg";  ///< mjpg (.avi), mp4v (.mp4), h264 (.mp4)
  bool privacy_blur = true;    ///< blur persons who matched no watchlist entry
};

/// Frames a camera buffers, at most, to measure its frame rate from capture times.
inline constexpr std::size_t kFramesToMeasureRate = 8;
/// The rate used when capture times give none (one frame, equal or implausible times).
inline constexpr double kFallbackFps = 25.0;

/// File name extension of a codec's container (".avi", ".mp4").
std::string container_extension(const std::string& codec);

/// `cam 1/a` -> `cam_1_a`: a camera name made safe as a file name stem.
std::string file_stem(const std::string& camera);

/// The files of one camera. Not copyable (owns an open writer).
class CameraOutput {
 public:
  CameraOutput(const OutputSettings& settings, std::string camera, std::string source, std::string stem);
  CameraOutput(const CameraOutput&) = delete;
  CameraOutput& operator=(const CameraOutput&) = delete;
  /// Closes the JSON lines' file descriptor where close() did not.
  ~CameraOutput();

  /// Annotates `frame` (plane `image`, rgb8 or u8) and appends it to the video and the JSON
  /// lines. The first frame fixes the video's size; a frame of another size is resized into
  /// it (counted in resized_frames(), logged when the size changes). The video opens once
  /// the frame rate is known: at once with `fps`, otherwise after kFramesToMeasureRate frames
  /// (held until then) or at close().
  Status write(const Frame& frame);
  /// Writes held frames, releases the writer (the file is complete after it) and closes the
  /// JSON lines. A whole video is renamed from writing_file() to video_file(); one that is not
  /// whole (the disk was full: OpenCV's writer reports no failed write) is moved to
  /// `<video>.partial` instead and is an error naming it. Idempotent.
  Status close();

  const std::string& camera() const { return camera_; }
  const std::string& source() const { return source_; }
  /// The video's own name, `<stem>.avi` or `<stem>.mp4`: it exists only once the video is whole.
  std::filesystem::path video_file() const;
  /// The name the video has while it is written, `.<stem>.partial.avi` (FFmpeg picks the
  /// container from the name's extension, so the extension stays last; the leading dot keeps
  /// it apart from every camera's own name).
  std::filesystem::path writing_file() const;
  std::filesystem::path json_file() const;
  std::uint64_t frames() const { return frames_; }
  std::uint64_t resized_frames() const { return resized_; }
  /// {"camera", "source", "video" (null when none or cut off), "frames_json", "frames", "width",
  /// "height", "fps", "fps_from", "video_cut", "resized_frames", "persons_blurred"}.
  nlohmann::json summary() const;

 private:
  Status open_json();
  Status open_video();
  double measured_fps() const;
  Status append(const cv::Mat& bgr);

  OutputSettings settings_;
  std::string camera_, source_, stem_;
  int json_fd_ = -1;  // the JSON lines, written with one write() per line
  cv::VideoWriter writer_;
  bool writer_open_ = false;
  bool video_done_ = false;  // the finished video is whole and has its own name
  bool video_cut_ = false;   // the finished video was not whole (a full disk): moved to FILE.partial
  bool closed_ = false;
  cv::Size source_size_;  // size of the first frame
  cv::Size last_size_;    // size of the latest frame (logs a change once)
  cv::Size output_size_;  // the video's size
  double fps_ = 0.0;
  std::string fps_from_;                  // "parameter", "capture times" or "fallback"
  std::vector<cv::Mat> held_;             // rendered frames waiting for the frame rate
  std::vector<std::int64_t> capture_ns_;  // capture times of the first frames
  TrailBook trails_;
  std::uint64_t frames_ = 0;
  std::uintmax_t json_bytes_ = 0;  // bytes of whole lines in the JSON lines file
  std::uint64_t video_frames_ = 0;
  std::uint64_t resized_ = 0;
  std::uint64_t blurred_ = 0;  // person boxes blurred (privacy_blur)
};

}  // namespace oi::cctv::video
