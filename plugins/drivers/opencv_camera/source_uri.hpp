#pragma once
// What an opencv.camera URI names: a video file, an image sequence, a network stream or a
// V4L2 device, and how to hand it to cv::VideoCapture. Internal to the driver plugin.
//
//   /abs/clip.avi, file:///abs/clip.avi       video file (finite)
//   /abs/img_%04d.png, file:///abs/img_%04d.png image sequence, printf pattern (finite)
//   rtsp://[user:pass@]host[:port]/path        live RTSP stream (also rtsps://)
//   http(s)://host[:port]/path                 live HTTP stream (MJPEG, HLS, ...)
//   v4l2:///dev/video0, /dev/video0, v4l2://0  V4L2 capture device

#include <optional>
#include <string>

#include "oi/error.hpp"

namespace oi::drivers::opencv_camera {

/// The kinds of source the driver tells apart; they differ in how an end of data is read
/// (finite sources end, live ones fault) and which parameters apply.
enum class SourceKind {
  kVideoFile,      ///< a file cv::VideoCapture decodes (finite)
  kImageSequence,  ///< numbered image files, printf pattern (finite)
  kNetworkStream,  ///< rtsp://, rtsps://, http://, https:// (live)
  kV4l2Device,     ///< a V4L2 capture node (live)
};

/// "video file", "image sequence", "network stream", "V4L2 device".
const char* to_string(SourceKind kind);

/// A parsed URI.
struct SourceUri {
  SourceKind kind = SourceKind::kVideoFile;
  std::string open_target;  ///< what cv::VideoCapture::open() gets (a path or the URL)
  std::string scheme;       ///< "file", "rtsp", "http", "v4l2", ... (lower case)
  std::string stable_name;  ///< the serial: a name that stays the same for the same source
                            ///< (absolute path, URL without credentials, /dev/v4l/by-id link)

  /// True for sources that never end by themselves (a read failure is a fault).
  bool live() const { return kind == SourceKind::kNetworkStream || kind == SourceKind::kV4l2Device; }
};

/// Parses `uri`; an error says what is wrong and shows the accepted forms. Checks that
/// files, folders and device nodes exist, so a typo is reported before any backend runs.
Status parse_source_uri(const std::string& uri, SourceUri& out);

/// `url` with any "user:password@" removed, for names and messages.
std::string without_credentials(const std::string& url);

/// The accepted URI forms, one line each, for error messages and the driver description.
const char* accepted_uri_forms();

}  // namespace oi::drivers::opencv_camera
