#include "source_uri.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <regex>
#include <system_error>

#include "oi/hal/uri.hpp"

namespace oi::drivers::opencv_camera {
namespace {

namespace fs = std::filesystem;

// A printf integer conversion (%d, %04d, %3d) is what both OpenCV's image-sequence reader
// and FFmpeg's image2 demuxer expand; "%%" is a literal percent sign.
bool has_printf_index(const std::string& path) {
  static const std::regex pattern(R"((^|[^%])%0?[0-9]*d)");
  return std::regex_search(path, pattern);
}

// /dev/v4l/by-id/... survives re-plugging and reboots, unlike /dev/videoN; use it as the
// serial when udev made one for this node.
std::string v4l2_stable_name(const fs::path& node) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(node, ec);
  if (ec) return node.string();
  for (const auto& entry : fs::directory_iterator("/dev/v4l/by-id", ec)) {
    std::error_code link_ec;
    if (fs::canonical(entry.path(), link_ec) == canonical && !link_ec)
      return entry.path().filename().string();
  }
  return canonical.string();
}

Status file_problem(const std::string& uri, const fs::path& path, const std::string& what) {
  return Status::error("'" + uri + "': " + what + " '" + path.string() +
                       "'; give the absolute path of an existing video file or image pattern");
}

}  // namespace

const char* to_string(SourceKind kind) {
  switch (kind) {
    case SourceKind::kVideoFile:
      return "video file";
    case SourceKind::kImageSequence:
      return "image sequence";
    case SourceKind::kNetworkStream:
      return "network stream";
    case SourceKind::kV4l2Device:
      return "V4L2 device";
  }
  return "?";
}

const char* accepted_uri_forms() {
  return "/abs/clip.mp4 or file:///abs/clip.mp4 (video file); /abs/img_%04d.png (image sequence); "
         "rtsp://host[:port]/path, rtsps://...; http(s)://host[:port]/path; "
         "v4l2:///dev/video0, /dev/video0 or v4l2://0 (V4L2 camera)";
}

std::string without_credentials(const std::string& url) { return hal::Uri::parse(url).without_credentials(); }

Status parse_source_uri(const std::string& uri, SourceUri& out) {
  if (uri.empty()) {
    return Status::error(std::string("no URI given; the driver opens one of: ") + accepted_uri_forms());
  }
  out = SourceUri{};
  const hal::Uri parsed = hal::Uri::parse(uri);
  const std::string& scheme = parsed.scheme;
  const std::string& rest = parsed.rest;

  if (scheme == "rtsp" || scheme == "rtsps" || scheme == "http" || scheme == "https") {
    if (parsed.host.empty()) {
      return Status::error("'" + without_credentials(uri) + "' names no host; write " + scheme +
                           "://HOST[:PORT]/PATH");
    }
    out.kind = SourceKind::kNetworkStream;
    out.scheme = scheme;
    out.open_target = uri;  // credentials go to the backend, never into names or messages
    out.stable_name = without_credentials(uri);
    return Status::ok();
  }

  if (scheme == "v4l2" || (scheme.empty() && uri.rfind("/dev/video", 0) == 0)) {
    fs::path node;
    if (scheme.empty()) {
      node = uri;
    } else if (!rest.empty() &&
               std::all_of(rest.begin(), rest.end(), [](unsigned char c) { return std::isdigit(c); })) {
      node = "/dev/video" + rest;  // v4l2://0
    } else {
      node = rest;  // v4l2:///dev/video0 -> "/dev/video0"
    }
    if (node.empty() || node.string().front() != '/') {
      return Status::error("'" + uri +
                           "' is not a V4L2 device; write v4l2:///dev/videoN, /dev/videoN or v4l2://N");
    }
    std::error_code ec;
    if (!fs::exists(node, ec)) {
      return Status::error(
          "'" + uri + "': no device node '" + node.string() +
          "'; is the camera plugged in? `oi devices` lists the V4L2 cameras this driver sees");
    }
    out.kind = SourceKind::kV4l2Device;
    out.scheme = "v4l2";
    out.open_target = node.string();
    out.stable_name = v4l2_stable_name(node);
    return Status::ok();
  }

  if (!scheme.empty() && scheme != "file") {
    return Status::error("unsupported URI '" + without_credentials(uri) + "' (scheme '" + scheme +
                         "'); the driver opens: " + accepted_uri_forms());
  }

  // file:///abs/path or a plain path. file://host/path (a remote host) is not a local file.
  fs::path path = rest;
  if (scheme == "file" && !rest.empty() && rest.front() != '/') {
    return Status::error("'" + uri +
                         "' is not a local file URI; write file:///ABSOLUTE/PATH (three slashes)");
  }
  std::error_code ec;
  path = fs::absolute(path, ec);
  out.scheme = "file";
  if (has_printf_index(path.filename().string())) {
    const fs::path dir = path.parent_path();
    if (!fs::is_directory(dir, ec)) return file_problem(uri, dir, "no folder");
    out.kind = SourceKind::kImageSequence;
    out.open_target = path.string();
    out.stable_name = path.lexically_normal().string();
    return Status::ok();
  }
  if (!fs::exists(path, ec)) return file_problem(uri, path, "no such file");
  if (fs::is_directory(path, ec)) {
    return file_problem(uri, path,
                        "a folder, not a video file (for images use a pattern like img_%04d.png):");
  }
  out.kind = SourceKind::kVideoFile;
  out.open_target = path.string();
  out.stable_name = fs::canonical(path, ec).string();
  if (ec) out.stable_name = path.lexically_normal().string();
  return Status::ok();
}

}  // namespace oi::drivers::opencv_camera
