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

/// Declares packet_size, packet_resend, stream_socket, buffers, silence_check_ms,
/// timestamp_source and features on `spec`.
void declare_stream_params(hal::DeviceSpec& spec);

/// True for the parameters declare_stream_params() declares.
bool is_stream_param(const std::string& name);

/// Values of the stream parameters as the connection needs them. Kept by the drivers and
/// updated from on_set_param(), because the base class stores a value only after the hook.
struct StreamParams {
  StreamSettings stream;                  ///< applied when acquisition starts
  std::string timestamp_source = "auto";  ///< "auto", "device" or "host"
  std::vector<std::string> features;      ///< "Name=Value" items, applied after the standard controls

  /// Takes `name` = `value` when it is a stream parameter; false otherwise.
  bool apply(const std::string& name, const ParamValue& value);
};

/// Capture time for a buffer, ns since the Unix epoch (0 = let the base class stamp it):
/// "device" = the camera's timestamp, "host" = when Aravis received it, "auto" = the camera's
/// when it is a wall-clock time (PTP-synchronised or a fake camera), else the host's.
std::int64_t capture_time_ns(ArvBuffer* buffer, const std::string& timestamp_source);

}  // namespace oi::genicam
