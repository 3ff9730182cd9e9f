#include "stream_params.hpp"

#include <algorithm>
#include <array>

namespace oi::genicam {
namespace {

constexpr std::array<const char*, 7> kNames = {"packet_size", "packet_resend",    "stream_socket",
                                               "buffers",     "silence_check_ms", "timestamp_source",
                                               "features"};
// 2000-01-01 in ns since the epoch: a device clock below this counts from power-up, not the epoch.
constexpr std::uint64_t kWallClockEpochNs = 946684800ULL * 1000000000ULL;

}  // namespace

void declare_stream_params(hal::DeviceSpec& spec) {
  spec.param("packet_size", ParamType::kInt)
      .default_value(0)
      .range(0, 65535)
      .unit("bytes")
      .describe(
          "GigE Vision stream packet size (GevSCPSPacketSize); 0 = negotiate the largest the path carries.");
  spec.param("packet_resend", ParamType::kBool)
      .default_value(true)
      .describe("GigE Vision: ask the camera to resend missing packets, so frames arrive complete.");
  spec.param("stream_socket", ParamType::kEnum)
      .allowed({"auto", "packet", "standard"})
      .default_value("auto")
      .describe(
          "GigE Vision receive path: `packet` (AF_PACKET, needs CAP_NET_RAW), `standard` (UDP socket), "
          "`auto` = standard for a camera on loopback, else packet where permitted.");
  spec.param("buffers", ParamType::kInt)
      .default_value(8)
      .range(2, 1024)
      .describe("Frame buffers queued to the stream; more absorb longer stalls of the pipeline.");
  spec.param("silence_check_ms", ParamType::kInt)
      .default_value(1000)
      .range(100, 600000)
      .unit("ms")
      .describe(
          "After this long without data the driver asks the device whether it still answers; "
          "if not, the read fails and the supervisor reconnects.");
  spec.param("timestamp_source", ParamType::kEnum)
      .allowed({"auto", "device", "host"})
      .default_value("auto")
      .describe(
          "capture_time_ns from the device's timestamp, the host's receive time, or `auto`: the device's "
          "when it is a wall-clock time (PTP), else the host's.");
  spec.param("features", ParamType::kList)
      .element_type(ParamType::kString)
      .default_value(nlohmann::json::array())
      .describe(
          "Escape hatch: GenICam features set after the standard controls, each 'Name=Value' "
          "(or 'Name' to execute a command), e.g. ['ExposureAuto=Off', 'GammaEnable=true'].");
}

bool is_stream_param(const std::string& name) {
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

bool StreamParams::apply(const std::string& name, const ParamValue& value) {
  if (name == "packet_size")
    stream.packet_size = value.get<int>();
  else if (name == "packet_resend")
    stream.packet_resend = value.get<bool>();
  else if (name == "stream_socket")
    stream.socket = value.get<std::string>();
  else if (name == "buffers")
    stream.buffers = value.get<int>();
  else if (name == "silence_check_ms")
    stream.silence_check = std::chrono::milliseconds(value.get<std::int64_t>());
  else if (name == "timestamp_source")
    timestamp_source = value.get<std::string>();
  else if (name == "features")
    features = value.get<std::vector<std::string>>();
  else
    return false;
  return true;
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
