// One camera's annotated video and JSON lines (camera_output.hpp).
#include "camera_output.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <opencv2/imgproc.hpp>

#include "oi/cctv/contract.hpp"
#include "oi/files.hpp"
#include "oi/frame_cv.hpp"
#include "privacy_blur.hpp"

namespace fs = std::filesystem;

namespace oi::cctv::video {
namespace {

std::string size_text(const cv::Size& s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

// The JSON form of a record list without appearance embeddings: the operator's file stays
// readable (and small) when the tracker attaches a descriptor of hundreds of floats.
template <class T>
nlohmann::json without_embeddings(const std::vector<T>& items) {
  nlohmann::json list = to_json_list(items);
  for (nlohmann::json& item : list) item.erase("embedding");
  return list;
}

// Why the video `file` as the FFmpeg muxer left it is not whole, or "" when it is: its
// top-level chunks (AVI: RIFF, sizes little-endian, padded to even) or boxes (MP4: sizes
// big-endian, and the `moov` index must be there) must add up to the file's size. OpenCV's
// VideoWriter reports no failed write, so a full disk would otherwise leave a video cut off
// at the disk's end that the run calls written.
std::string cut_off(const fs::path& file, bool riff) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || !in) return "cannot be read back";
  std::uintmax_t at = 0;
  bool index = riff;
  while (at < size) {
    unsigned char head[16];
    in.seekg(static_cast<std::streamoff>(at));
    if (!in.read(reinterpret_cast<char*>(head), 8)) break;
    std::uintmax_t length = 0;
    if (riff) {
      for (int i = 7; i >= 4; --i) length = length << 8 | head[i];
      length += 8 + (length & 1);
    } else {
      for (int i = 0; i < 4; ++i) length = length << 8 | head[i];
      if (length == 1) {  // a 64-bit size follows the type
        if (!in.read(reinterpret_cast<char*>(head + 8), 8)) break;
        length = 0;
        for (int i = 8; i < 16; ++i) length = length << 8 | head[i];
      } else if (length == 0) {  // to the end of the file
        length = size - at;
      }
      if (length < 8) return "has a malformed box at byte " + std::to_string(at);
      index = index || std::memcmp(head + 4, "moov", 4) == 0;
    }
    at += length;
  }
  if (at != size) {
    return "is cut off: its container announces " + std::to_string(at) + " bytes, the file holds " +
           std::to_string(size);
  }
  if (!index) return "is cut off: its index (the moov box) is missing";
  return {};
}

}  // namespace

std::string container_extension(const std::string& codec) { return codec == "mjpg" ? ".avi" : ".mp4"; }

std::string file_stem(const std::string& camera) {
  std::string stem;
  for (const char c : camera) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.';
    stem += safe ? c : '_';
  }
  if (stem.empty() || stem.front() == '.') stem = "camera" + stem;
  return stem;
}

CameraOutput::CameraOutput(const OutputSettings& settings, std::string camera, std::string source,
                           std::string stem)
    : settings_(settings),
      camera_(std::move(camera)),
      source_(std::move(source)),
      stem_(std::move(stem)),
      trails_(settings.trail) {}

CameraOutput::~CameraOutput() {
  if (json_fd_ >= 0) ::close(json_fd_);
}

fs::path CameraOutput::video_file() const {
  return settings_.dir / (stem_ + container_extension(settings_.codec));
}
fs::path CameraOutput::writing_file() const {
  // A leading dot, which no camera's stem has (file_stem()): no camera's video, not even one of
  // a camera named "gate.partial", can carry another's temporary name.
  return settings_.dir / ("." + stem_ + ".partial" + container_extension(settings_.codec));
}
fs::path CameraOutput::json_file() const { return settings_.dir / (stem_ + ".frames.jsonl"); }

Status CameraOutput::open_json() {
  std::error_code ec;
  for (const fs::path& file : {video_file(), json_file()}) {
    if (!settings_.overwrite && fs::exists(file, ec)) {
      return Status::error(file.string() + " already exists (camera '" + camera_ +
                           "'); choose another `dir` or set `overwrite: true`");
    }
  }
  json_fd_ = ::open(json_file().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (json_fd_ < 0) {
    return Status::error("cannot write " + json_file().string() + ": " + std::strerror(errno) +
                         "; set `dir` to a writable folder");
  }
  json_bytes_ = 0;
  // The JSON lines start again, so an earlier run's video of this camera (overwrite) goes too:
  // the folder never pairs this run's frames with another run's video.
  fs::remove(video_file(), ec);
  return Status::ok();
}

double CameraOutput::measured_fps() const {
  std::vector<double> intervals;
  for (std::size_t i = 1; i < capture_ns_.size(); ++i) {
    const double dt = static_cast<double>(capture_ns_[i] - capture_ns_[i - 1]);
    if (dt > 0) intervals.push_back(dt);
  }
  if (intervals.empty()) return 0.0;
  std::nth_element(intervals.begin(), intervals.begin() + intervals.size() / 2, intervals.end());
  return 1e9 / intervals[intervals.size() / 2];
}

Status CameraOutput::open_video() {
  if (settings_.fps > 0) {
    fps_ = settings_.fps;
    fps_from_ = "parameter";
  } else {
    const double measured = measured_fps();
    if (measured >= 0.5 && measured <= 240.0) {
      fps_ = std::round(measured * 1000.0) / 1000.0;
      fps_from_ = "capture times";
    } else {
      fps_ = kFallbackFps;
      fps_from_ = "fallback";
      spdlog::warn(
          "video of camera '{}': the capture times of its first {} frames give no plausible frame rate "
          "({:.3g} frames/s); writing at {} frames/s; set `fps` to the camera's rate",
          camera_, capture_ns_.size(), measured, kFallbackFps);
    }
  }
  const std::string& c = settings_.codec;
  const int fourcc = c == "mjpg"   ? cv::VideoWriter::fourcc('M', 'J', 'P', 'G')
                     : c == "mp4v" ? cv::VideoWriter::fourcc('m', 'p', '4', 'v')
                                   : cv::VideoWriter::fourcc('a', 'v', 'c', '1');
  // Every codec goes through FFmpeg: OpenCV 4.6's own MJPEG writer (CAP_OPENCV_MJPEG) writes
  // frames that decoders reject ("error dc") when saturated colours meet dark areas, which is
  // what boxes and labels on a camera picture are.
  const int api = cv::CAP_FFMPEG;
  bool opened = false;
  try {
    opened = writer_.open(writing_file().string(), api, fourcc, fps_, output_size_, true);
  } catch (const cv::Exception& e) {
    return Status::error("cannot open " + writing_file().string() + " for writing (" + c + "): " + e.what());
  }
  if (!opened) {
    return Status::error("cannot open " + writing_file().string() + " for writing (codec " + c + ", " +
                         size_text(output_size_) + " at " + std::to_string(fps_) +
                         " frames/s): OpenCV's FFmpeg writer refused; check that `dir` is writable and that "
                         "OpenCV was built with FFmpeg (Debian's is), or try `codec: mjpg`");
  }
  writer_open_ = true;
  spdlog::info("video of camera '{}' (source '{}'): {} ({}, {} at {} frames/s from {}; {} until it is whole)",
               camera_, source_, video_file().string(), c, size_text(output_size_), fps_, fps_from_,
               writing_file().filename().string());
  return Status::ok();
}

Status CameraOutput::append(const cv::Mat& bgr) {
  try {
    writer_.write(bgr);
  } catch (const cv::Exception& e) {
    return Status::error("cannot write frame " + std::to_string(video_frames_) + " to " +
                         writing_file().string() + ": " + e.what());
  }
  ++video_frames_;
  return Status::ok();
}

Status CameraOutput::write(const Frame& frame) {
  if (closed_) return Status::error("frame for camera '" + camera_ + "' after its video was closed");
  const FrameMetadata& m = frame.metadata();
  const Plane& plane = frame.plane(plane::kImage);
  if (plane.format != PixelFormat::kRGB8 && plane.format != PixelFormat::kU8) {
    return Status::error("frame " + std::to_string(m.sequence) + " of camera '" + camera_ + "': plane '" +
                         plane::kImage + "' is " + std::string(to_string(plane.format)) +
                         ", not rgb8 or u8; convert it before this sink");
  }
  std::vector<Detection> detections;
  std::vector<Track> tracks;
  std::vector<GroundTruthPerson> truth;
  try {
    detections = detections_of(m);
    tracks = tracks_of(m);
    truth = ground_truth_of(m);
  } catch (const std::exception& e) {
    return Status::error("frame " + std::to_string(m.sequence) + " of camera '" + camera_ + "': " + e.what() +
                         "; fix the stage that wrote it");
  }
  const auto index_attr = m.attributes.find(attr::kFrameIndex);
  const std::int64_t frame_index = index_attr != m.attributes.end() && index_attr->is_number_integer()
                                       ? index_attr->get<std::int64_t>()
                                       : static_cast<std::int64_t>(frames_);

  const cv::Size size(plane.width, plane.height);
  if (size.width <= 0 || size.height <= 0) {
    return Status::error("frame " + std::to_string(m.sequence) + " of camera '" + camera_ +
                         "' has an empty '" + plane::kImage + "' plane (" + size_text(size) + ")");
  }
  if (frames_ == 0) {
    source_size_ = last_size_ = size;
    const bool even = settings_.codec == "h264";  // 4:2:0 video needs even sizes
    auto side = [&](int n) {
      int s = std::max(2, static_cast<int>(std::lround(n * settings_.scale)));
      return even ? s & ~1 : s;
    };
    output_size_ = {side(size.width), side(size.height)};
    if (Status s = open_json(); !s.is_ok()) return s;
  }
  const bool resized = size != source_size_;
  if (resized) ++resized_;
  if (size != last_size_) {
    spdlog::warn(
        "camera '{}' changed its frame size from {} to {} at frame {}; its video stays {} and frames of "
        "another size are resized into it (counted as resized_frames)",
        camera_, size_text(last_size_), size_text(size), frame_index, size_text(output_size_));
    last_size_ = size;
  }

  cv::Mat bgr;
  const cv::Mat view = as_mat(plane);
  cv::cvtColor(view, bgr, plane.format == PixelFormat::kRGB8 ? cv::COLOR_RGB2BGR : cv::COLOR_GRAY2BGR);
  if (size != output_size_) {
    const bool shrinking = output_size_.area() < size.area();
    cv::Mat out;
    cv::resize(bgr, out, output_size_, 0, 0, shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    bgr = out;
  }
  const double sx = static_cast<double>(output_size_.width) / size.width;
  const double sy = static_cast<double>(output_size_.height) / size.height;
  if (settings_.privacy_blur) {
    try {
      const std::vector<Box> hidden = privacy::unmatched_person_boxes(m);
      privacy::blur_boxes(bgr, hidden, sx, sy);
      blurred_ += hidden.size();
    } catch (const std::exception& e) {
      return Status::error("frame " + std::to_string(m.sequence) + " of camera '" + camera_ + "': " +
                           e.what() + "; the frame was not written (its persons could not be blurred)");
    }
  }
  trails_.update(static_cast<std::int64_t>(frames_), tracks, sx, sy);
  Overlay overlay;
  overlay.header = header_text(camera_, frame_index, m.capture_time_ns, tracks.size());
  overlay.detections = detections;
  overlay.tracks = tracks;
  overlay.truth = truth;
  overlay.draw_detections = settings_.draw_detections;
  overlay.draw_truth = settings_.draw_truth;
  draw_overlay(bgr, overlay, trails_, sx, sy);

  nlohmann::json line = {{"camera", camera_},
                         {"source", source_},
                         {"frame_index", frame_index},
                         {"video_frame", frames_},
                         {"sequence", m.sequence},
                         {"capture_time_ns", m.capture_time_ns},
                         {"width", size.width},
                         {"height", size.height},
                         {"detections", without_embeddings(detections)},
                         {"tracks", without_embeddings(tracks)}};
  if (m.attributes.contains(attr::kGroundTruth)) line["ground_truth"] = to_json_list(truth);
  if (resized) line["resized"] = true;
  // One write() per line: a process killed meanwhile leaves whole lines and at most a torn last
  // one. A failed write is this frame's error, and the line it cut off is taken back, so that
  // the file holds whole lines only, one per frame written.
  const std::string text = line.dump() + "\n";
  int error_number = json_fd_ < 0 ? EBADF : 0;
  for (std::size_t at = 0; at < text.size() && error_number == 0;) {
    const ssize_t wrote = ::write(json_fd_, text.data() + at, text.size() - at);
    if (wrote < 0 && errno != EINTR) error_number = errno;
    if (wrote == 0) error_number = EIO;  // no progress: never loop on it
    if (wrote > 0) at += static_cast<std::size_t>(wrote);
  }
  if (error_number != 0) {
    if (json_fd_ >= 0) {
      (void)::ftruncate(json_fd_, static_cast<off_t>(json_bytes_));
      ::close(json_fd_);
      json_fd_ = -1;
    }
    return Status::error("cannot write " + json_file().string() + ": " + std::strerror(error_number) + ": " +
                         write_error_advice(error_number) + "; frame " + std::to_string(frame_index) +
                         " of camera '" + camera_ + "' and those after it were not written");
  }
  json_bytes_ += text.size();
  ++frames_;

  if (writer_open_) return append(bgr);
  if (settings_.fps > 0) {
    if (Status s = open_video(); !s.is_ok()) return s;
    return append(bgr);
  }
  held_.push_back(std::move(bgr));
  capture_ns_.push_back(m.capture_time_ns);
  if (held_.size() < kFramesToMeasureRate) return Status::ok();
  if (Status s = open_video(); !s.is_ok()) return s;
  for (const cv::Mat& held : held_) {
    if (Status s = append(held); !s.is_ok()) return s;
  }
  held_.clear();
  return Status::ok();
}

Status CameraOutput::close() {
  if (closed_) return Status::ok();
  closed_ = true;
  Status status = Status::ok();
  if (!writer_open_ && !held_.empty()) status = open_video();
  if (status.is_ok()) {
    for (const cv::Mat& held : held_) {
      status = append(held);
      if (!status.is_ok()) break;
    }
  }
  held_.clear();
  if (writer_open_) {
    writer_.release();  // writes the index: the file is complete after this, unless the disk was full
    std::error_code ec;
    if (const std::string problem = cut_off(writing_file(), settings_.codec == "mjpg"); !problem.empty()) {
      // Never a cut video under the video's name: it is kept beside it for what it holds.
      const fs::path kept = video_file().string() + ".partial";
      fs::rename(writing_file(), kept, ec);
      video_cut_ = true;
      if (status.is_ok()) {
        status = Status::error("cannot write " + video_file().string() + ": the video " + problem +
                               " (was the disk full?); it is kept as " + kept.string() + ", and not all " +
                               std::to_string(video_frames_) + " frames of camera '" + camera_ +
                               "' are in it; free space or choose another output folder");
      }
    } else if (fs::rename(writing_file(), video_file(), ec); ec) {
      if (status.is_ok()) {
        status = Status::error("cannot give the finished video " + writing_file().string() + " its name " +
                               video_file().filename().string() + ": " + ec.message() +
                               "; the whole video is kept under the temporary name");
      }
    } else {
      video_done_ = true;
    }
  }
  if (json_fd_ >= 0) {
    const bool ok = ::close(json_fd_) == 0;
    const int error_number = errno;
    json_fd_ = -1;
    if (!ok && status.is_ok()) {
      status = Status::error("cannot finish " + json_file().string() + ": " + std::strerror(error_number) +
                             ": " + write_error_advice(error_number));
    }
  }
  return status;
}

nlohmann::json CameraOutput::summary() const {
  return {
      {"camera", camera_},
      {"source", source_},
      {"video", video_done_ ? nlohmann::json(fs::absolute(video_file()).string()) : nlohmann::json(nullptr)},
      {"frames_json", fs::absolute(json_file()).string()},
      {"frames", frames_},
      {"video_frames", video_frames_},
      {"width", output_size_.width},
      {"height", output_size_.height},
      {"fps", fps_},
      {"fps_from", fps_from_.empty() ? nlohmann::json(nullptr) : nlohmann::json(fps_from_)},
      {"video_cut", video_cut_},
      {"resized_frames", resized_},
      {"persons_blurred", blurred_}};
}

}  // namespace oi::cctv::video
