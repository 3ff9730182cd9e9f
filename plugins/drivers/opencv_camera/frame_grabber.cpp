#include "frame_grabber.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "oi/frame_cv.hpp"
#include "oi/hal/camera.hpp"

namespace oi::drivers::opencv_camera {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t host_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The number of frames a file's container declares, 0 when it declares none.
std::uint64_t declared_frame_count(const cv::VideoCapture& capture) {
  const double count = capture.get(cv::CAP_PROP_FRAME_COUNT);
  return count > 0.0 && count < 1e12 ? static_cast<std::uint64_t>(count) : 0;
}

// V4L2 stamps a buffer with CLOCK_MONOTONIC when the sensor delivered it (OpenCV reports it
// in ms as CAP_PROP_POS_MSEC); that is earlier than our grab() returning by the driver's
// and our queueing delays, so shift the host time back by that age. A value that is not a
// plausible recent monotonic time (another clock, or a backend that does not fill it) is
// ignored and the host time kept.
std::int64_t v4l2_capture_ns(double buffer_ms, std::int64_t host_ns) {
  const double now_ms = std::chrono::duration<double, std::milli>(Clock::now().time_since_epoch()).count();
  const double age_ms = now_ms - buffer_ms;
  if (buffer_ms <= 0.0 || age_ms < 0.0 || age_ms > 10000.0) return host_ns;
  return host_ns - static_cast<std::int64_t>(age_ms * 1e6);
}

}  // namespace

FrameGrabber::FrameGrabber(cv::VideoCapture& capture, GrabSettings settings, std::function<bool()> rewind,
                           std::function<void(std::uint64_t)> count_lost)
    : capture_(capture),
      settings_(std::move(settings)),
      rewind_(std::move(rewind)),
      count_lost_(std::move(count_lost)) {}

FrameGrabber::~FrameGrabber() { stop(); }

void FrameGrabber::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  if (settings_.live && !queue_.empty()) {
    // Frames captured before the last stop are stale for a live camera; they were captured
    // and will never be delivered, so they count as lost rather than vanish.
    count_lost_(queue_.size());
    queue_.clear();
  }
  if (ended_) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void FrameGrabber::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FrameGrabber::configure(GrabSettings settings) {
  std::lock_guard lock(mutex_);
  if (!thread_.joinable()) settings_ = std::move(settings);
}

Status FrameGrabber::next(FramePtr& frame, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !queue_.empty(); });
  if (queue_.empty()) return Status::ok();
  Item& item = queue_.front();
  if (item.end) return Status::end_of_stream();  // stays queued: every later read ends too
  if (!item.failure.empty()) {
    Status failed = Status::error(item.failure);
    queue_.pop_front();
    return failed;
  }
  frame = std::move(item.frame);
  queue_.pop_front();
  lock.unlock();
  changed_.notify_all();  // room for a waiting file reader
  return Status::ok();
}

bool FrameGrabber::wait_until(Clock::time_point when) {
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, when, [&] { return stopping_; });
  return !stopping_;
}

void FrameGrabber::push(Item item) {
  std::unique_lock lock(mutex_);
  if (item.frame) {
    if (settings_.live) {
      while (queue_.size() >= settings_.capacity && queue_.front().frame) {
        queue_.pop_front();
        count_lost_(1);
      }
    } else {
      // A file can wait. On stop the frame is queued anyway (one over capacity) so the next
      // start() continues exactly where this one left off.
      changed_.wait(lock, [&] { return queue_.size() < settings_.capacity || stopping_; });
    }
  }
  if (item.end) ended_ = true;
  queue_.push_back(std::move(item));
  lock.unlock();
  changed_.notify_all();
}

Result<FramePtr> FrameGrabber::convert(const cv::Mat& raw) const {
  int code = -1;  // -1: copy as is
  const bool grey = settings_.format == PixelFormat::kU8;
  if (raw.depth() != CV_8U || (raw.channels() != 1 && raw.channels() != 3 && raw.channels() != 4)) {
    return Status::error(
        "the backend delivered images of OpenCV type " + cv::typeToString(raw.type()) +
        "; the driver converts 8-bit grey, BGR and BGRA images only (try another `backend`)");
  }
  switch (raw.channels()) {
    case 1:
      code = grey ? -1 : cv::COLOR_GRAY2RGB;
      break;
    case 3:
      code = grey ? cv::COLOR_BGR2GRAY : cv::COLOR_BGR2RGB;
      break;
    case 4:
      code = grey ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGRA2RGB;
      break;
  }
  FramePtr frame = Frame::create(std::string(frame_kind::kVideo));
  Plane& plane = frame->add_plane(hal::Camera::kImagePlane, settings_.format, raw.cols, raw.rows);
  cv::Mat dst = as_mat(plane);  // a view: converting into it fills the plane without a copy
  if (code < 0) {
    raw.copyTo(dst);
  } else {
    cv::cvtColor(raw, dst, code);
  }
  return frame;
}

void FrameGrabber::end_pass() {
  const std::uint64_t seen = pass_frames_ + pass_lost_;
  // Containers without a frame index (Matroska, WebM) declare a count estimated from their
  // duration and frame rate, which may be off by a frame or two on an intact file: so short a
  // shortfall counts only where frames of this pass could not be decoded.
  const std::uint64_t slack = pass_lost_ > 0 ? 0 : std::max<std::uint64_t>(2, declared_frames_ / 100);
  if (declared_frames_ > seen + slack) {
    const std::uint64_t missing = declared_frames_ - seen;
    count_lost_(missing);
    spdlog::warn(
        "opencv.camera '{}': ended after {} of the {} frames its container declares: the file is damaged "
        "or cut short; the {} frame(s) that could not be read are counted lost",
        settings_.source_name, pass_frames_, declared_frames_, missing + pass_lost_);
  }
  pass_frames_ = pass_lost_ = 0;
  declared_frames_ = 0;
}

void FrameGrabber::run() {
  auto next_due = Clock::now();
  // Grabs in a row that gave no frame: a damaged frame of a file, or its end.
  std::uint64_t failed_in_row = 0;
  if (!settings_.live && declared_frames_ == 0) declared_frames_ = declared_frame_count(capture_);
  for (;;) {
    double pace_hz = 0.0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      pace_hz = settings_.pace_hz;
    }
    if (pace_hz > 0.0 && failed_in_row == 0) {
      if (!wait_until(next_due)) return;
      const auto interval =
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / pace_hz));
      next_due += interval;
      // Behind schedule (a slow consumer): carry on from now rather than burst to catch up.
      if (next_due + interval < Clock::now()) next_due = Clock::now();
    }
    const bool grabbed = capture_.grab();
    const std::int64_t host_ns = host_now_ns();
    cv::Mat raw;
    const bool decoded = grabbed && capture_.retrieve(raw) && !raw.empty();
    if (!decoded) {
      if (settings_.live) {
        // The device names itself and its URI in front of this message.
        push({nullptr, false,
              std::string("stream lost (") +
                  (grabbed ? "a frame could not be decoded"
                           : "the backend returned no frame: the connection closed or stayed silent past "
                             "read_timeout_ms") +
                  "); the supervisor reconnects when on_fault is restart"});
        return;
      }
      // A file: a frame that cannot be read is not yet its end. The grabs go on past damaged
      // frames; only kMaxUnreadableInARow failures in a row end the file.
      if (++failed_in_row < kMaxUnreadableInARow) continue;
      failed_in_row = 0;
      const bool had_frames = pass_frames_ > 0;
      end_pass();
      if (settings_.loop && had_frames) {
        if (rewind_()) {
          ++loops_;
          declared_frames_ = declared_frame_count(capture_);
          continue;
        }
        push({nullptr, false, "cannot reopen '" + settings_.source_name + "' to loop it (loop: true)"});
        return;
      }
      push({nullptr, true, {}});
      return;
    }
    Result<FramePtr> converted = convert(raw);
    if (!converted.ok()) {
      push({nullptr, false, converted.status().message()});
      return;
    }
    FramePtr frame = std::move(converted.value());
    FrameMetadata& meta = frame->metadata();
    if (failed_in_row > 0) {
      // Frames went by that could not be decoded: counted lost now, and this frame says so.
      count_lost_(failed_in_row);
      pass_lost_ += failed_in_row;
      meta.attributes["undecodable_before"] = failed_in_row;
      spdlog::warn(
          "opencv.camera '{}': could not decode {} frame(s) from frame {} on (counting from 0): the "
          "file is damaged there; skipped and counted lost",
          settings_.source_name, failed_in_row, pass_frames_ + pass_lost_ - failed_in_row);
      failed_in_row = 0;
    }
    ++pass_frames_;
    const double pos_ms = capture_.get(cv::CAP_PROP_POS_MSEC);
    if (settings_.v4l2_timestamps) {
      meta.capture_time_ns = v4l2_capture_ns(pos_ms, host_ns);
    } else {
      // Files and network streams carry presentation times relative to their own start,
      // not wall-clock times; those go in an attribute and the host time is the capture time.
      meta.capture_time_ns = host_ns;
      if (pos_ms >= 0.0) meta.attributes["stream_time_ms"] = pos_ms;
    }
    if (settings_.loop) meta.attributes["loop"] = loops_;
    push({std::move(frame), false, {}});
  }
}

}  // namespace oi::drivers::opencv_camera
