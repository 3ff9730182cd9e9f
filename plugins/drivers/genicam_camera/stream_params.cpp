#include "stream_params.hpp"

#include <chrono>

namespace oi::genicam {
namespace {

// 2000-01-01 in ns since the epoch: a device clock below this counts from power-up, not the epoch.
constexpr std::uint64_t kWallClockEpochNs = 946684800ULL * 1000000000ULL;

}  // namespace

void StreamParams::declare(hal::DeviceSpec& spec, hal::DeviceSpec::Apply apply_features) {
  spec.param("packet_size", packet_size)
      .range(0, 65535)
      .unit("bytes")
      .describe(
          "GigE Vision stream packet size (GevSCPSPacketSize); 0 = negotiate the largest the path carries.");
  spec.param("packet_resend", packet_resend)
      .describe("GigE Vision: ask the camera to resend missing packets, so frames arrive complete.");
  spec.param("stream_socket", stream_socket)
      .one_of({"auto", "packet", "standard"})
      .describe(
          "GigE Vision receive path: `packet` (AF_PACKET, needs CAP_NET_RAW), `standard` (UDP socket), "
          "`auto` = standard for a camera on loopback, else packet where permitted.");
  spec.param("socket_buffer", socket_buffer)
      .range(0, 1 << 30)
      .unit("bytes")
      .describe(
          "GigE Vision: the UDP receive buffer of the standard socket; 0 = two frames' payloads, at least "
          "1 MiB, so the packets that arrive while the receiving thread is busy are kept (the kernel caps "
          "it at net.core.rmem_max; the driver warns when that is below one frame).");
  spec.param("buffers", buffers)
      .range(2, 1024)
      .describe("Frame buffers queued to the stream; more absorb longer stalls of the pipeline.");
  spec.param("silence_check_ms", silence_check_ms)
      .range(100, 600000)
      .unit("ms")
      .describe(
          "After this long without data the driver asks the device whether it still answers; "
          "if not, the read fails and the supervisor reconnects.");
  spec.param("timestamp_source", timestamp_source)
      .one_of({"auto", "device", "host"})
      .describe(
          "capture_time_ns from the device's timestamp, the host's receive time, or `auto`: the device's "
          "when it is a wall-clock time (PTP), else the host's.");
  spec.param(kFeatures, features, std::move(apply_features))
      .describe(
          "Escape hatch: GenICam features set after the standard controls, each 'Name=Value' "
          "(or 'Name' to execute a command), e.g. ['ExposureAuto=Off', 'GammaEnable=true'].");
}

StreamSettings StreamParams::stream() const {
  StreamSettings s;
  s.buffers = buffers;
  s.packet_resend = packet_resend;
  s.socket = stream_socket;
  s.packet_size = packet_size;
  s.socket_buffer = socket_buffer;
  s.silence_check = std::chrono::milliseconds(silence_check_ms);
  return s;
}

std::int64_t capture_time_ns(ArvBuffer* buffer, const std::string& timestamp_source) {
  const std::uint64_t device = arv_buffer_get_timestamp(buffer);
  const std::uint64_t host = arv_buffer_get_system_timestamp(buffer);
  std::uint64_t t = 0;
  if (timestamp_source == "device") {
    t = device != 0 ? device : host;
  } else if (timestamp_source == "host") {
    t = host;
  } else {
    t = device >= kWallClockEpochNs ? device : host;
  }
  return static_cast<std::int64_t>(t);
}

}  // namespace oi::genicam
