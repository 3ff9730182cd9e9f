#pragma once
/// @file
/// Parameters every genicam driver shares: how the stream is set up (packet size, resend,
/// socket, buffers), how a silent device is probed, where timestamps come from, and the
/// `features` escape hatch. Declared once here so genicam.camera and genicam.xray stay alike.

#include <arv.h>

#include <cstdint>
#include <string>
#include <vector>

#include "aravis_connection.hpp"
#include "oi/hal/device.hpp"

namespace oi::genicam {

/// Driver version reported in every genicam device's identity.
inline constexpr const char* kDriverVersion = "0.1.0";

/// Name of the `features` parameter: 'Name=Value' items a driver forwards to the device as a
/// whole.
inline constexpr const char* kFeatures = "features";

/// Values of the stream parameters, bound to their declarations (the initial values are the
/// defaults), plus the `features` list the drivers keep up to date.
struct StreamParams {
  int packet_size = 0;                 ///< GigE Vision packet size in bytes; 0 = negotiate
  bool packet_resend = true;           ///< GigE Vision: ask the camera to resend missing packets
  std::string stream_socket = "auto";  ///< "auto", "packet" or "standard"
  int socket_buffer = 0;        ///< GigE Vision receive buffer in bytes; 0 = two payloads, at least 1 MiB
  int buffers = 8;              ///< buffers queued to the stream
  int silence_check_ms = 1000;  ///< probe the device after this long without data
  std::string timestamp_source = "auto";  ///< "auto", "device" or "host"
  std::vector<std::string> features;      ///< "Name=Value" items, applied after the standard controls

  /// Declares packet_size, packet_resend, stream_socket, socket_buffer, buffers, silence_check_ms,
  /// timestamp_source and features bound to these members; `apply_features` (optional)
  /// sends a `features` list set while the device is open.
  void declare(hal::DeviceSpec& spec, hal::DeviceSpec::Apply apply_features = {});
  /// The stream settings, applied when acquisition starts.
  StreamSettings stream() const;
};

/// Capture time for a buffer, ns since the Unix epoch (0 = let the base class stamp it):
/// "device" = the camera's timestamp, "host" = when Aravis received it, "auto" = the camera's
/// when it is a wall-clock time (PTP-synchronised or a fake camera), else the host's.
std::int64_t capture_time_ns(ArvBuffer* buffer, const std::string& timestamp_source);

}  // namespace oi::genicam
