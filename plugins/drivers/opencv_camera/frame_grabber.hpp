#pragma once
// The capture thread of opencv.camera. Internal to the driver plugin.
//
// cv::VideoCapture::read() blocks (up to the backend's read timeout on a dead stream), but
// Device::on_read() must return within its timeout and stop() within a bound. So one thread
// per streaming device grabs and converts frames into a short queue, and on_read() waits
// on that queue. A live camera cannot be paused: when the queue is full the oldest frame is
// dropped and counted as lost, like a camera's own buffer overrun. A file can: the thread
// waits for room, so no frame of a file is lost to a slow reader. A damaged file's frames that
// cannot be decoded are skipped and counted lost, and so are the frames its container declares
// beyond where it ends.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <opencv2/videoio.hpp>
#include <string>
#include <thread>

#include "oi/error.hpp"
#include "oi/frame.hpp"
#include "oi/pixel_format.hpp"
#include "oi/result.hpp"

namespace oi::drivers::opencv_camera {

/// How the capture thread treats its source.
struct GrabSettings {
  bool live = false;             ///< a read failure is a fault (else the end of the source)
  bool loop = false;             ///< finite sources: rewind at the end instead of ending
  double pace_hz = 0.0;          ///< finite sources: frames per second to deliver at; 0 = as fast as read
  bool v4l2_timestamps = false;  ///< CAP_PROP_POS_MSEC is the V4L2 buffer time (CLOCK_MONOTONIC)
  PixelFormat format = PixelFormat::kRGB8;  ///< rgb8 or u8 (grey)
  std::size_t capacity = 8;                 ///< frames queued at most
  std::string source_name;                  ///< the source's stable name (no credentials), for messages
};

/// Grabs frames from a cv::VideoCapture on its own thread. The capture is borrowed: the
/// owner keeps it alive and does not touch it between start() and stop().
class FrameGrabber {
 public:
  /// A file whose grabs fail this many times in a row has ended; fewer failures are damaged
  /// frames, skipped and counted lost.
  static constexpr std::uint64_t kMaxUnreadableInARow = 16;

  /// `rewind` reopens the capture at its first frame (looping files); `count_lost` reports
  /// frames dropped on overrun.
  FrameGrabber(cv::VideoCapture& capture, GrabSettings settings, std::function<bool()> rewind,
               std::function<void(std::uint64_t)> count_lost);
  ~FrameGrabber();
  FrameGrabber(const FrameGrabber&) = delete;
  FrameGrabber& operator=(const FrameGrabber&) = delete;

  /// Starts the thread. Live sources first discard what was queued before (stale frames;
  /// counted as lost). A finite source that already ended stays ended.
  void start();
  /// Stops the thread; returns once it has left (a blocked read ends at the backend's read
  /// timeout). Queued frames of a finite source are kept for the next start().
  void stop();
  /// Replaces the settings while stopped (values set in Ready take effect at the next start).
  /// Queued frames and an end already reached are kept.
  void configure(GrabSettings settings);

  /// Waits up to `timeout`: ok + frame, ok + nullptr (nothing yet), end_of_stream (finite
  /// source done; repeated on every later call), or an error (the source failed; the
  /// thread has stopped).
  Status next(FramePtr& frame, std::chrono::milliseconds timeout);

 private:
  struct Item {
    FramePtr frame;       // set for a frame
    bool end = false;     // the finite source ended
    std::string failure;  // set when the source failed
  };

  void run();
  // A file's pass ended: frames its container declares beyond those read and those already
  // counted lost are counted lost now, with a warning.
  void end_pass();
  // Waits until `when` or stop; false when stopping.
  bool wait_until(std::chrono::steady_clock::time_point when);
  void push(Item item);
  // The frame `raw` becomes, or an error saying why it cannot be converted.
  Result<FramePtr> convert(const cv::Mat& raw) const;

  cv::VideoCapture& capture_;
  GrabSettings settings_;
  std::function<bool()> rewind_;
  std::function<void(std::uint64_t)> count_lost_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  bool ended_ = false;  // an end item is (or was) queued: the thread is done for good
  std::uint64_t loops_ = 0;
  // A file's pass (kept across stop() and start(), which continue it): frames delivered,
  // frames counted lost as undecodable, and the frames its container declares (0 = unknown).
  std::uint64_t pass_frames_ = 0;
  std::uint64_t pass_lost_ = 0;
  std::uint64_t declared_frames_ = 0;
  std::thread thread_;
};

}  // namespace oi::drivers::opencv_camera
