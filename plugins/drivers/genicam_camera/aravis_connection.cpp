#include "aravis_connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "aravis_text.hpp"
#include "oi/hal/uri.hpp"

namespace oi::genicam {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kScheme = "genicam://";
// GigE Vision bootstrap register CCP (control channel privilege): bit 0 exclusive access,
// bit 1 control access. A device that restarted, or gave control to someone else, clears both.
constexpr guint64 kGvCcpRegister = 0x0A00;
constexpr guint32 kGvCcpControlBits = 0x3;
// GigE Vision 1.x block ids are 16 bits and skip 0 when they wrap.
constexpr std::uint64_t kMaxShortBlockId = 0xFFFF;

const char* status_name(ArvBufferStatus status) {
  switch (status) {
    case ARV_BUFFER_STATUS_SUCCESS:
      return "success";
    case ARV_BUFFER_STATUS_CLEARED:
      return "cleared";
    case ARV_BUFFER_STATUS_TIMEOUT:
      return "timeout (packets did not all arrive)";
    case ARV_BUFFER_STATUS_MISSING_PACKETS:
      return "missing packets";
    case ARV_BUFFER_STATUS_WRONG_PACKET_ID:
      return "wrong packet id";
    case ARV_BUFFER_STATUS_SIZE_MISMATCH:
      return "size mismatch (payload larger than the buffer)";
    case ARV_BUFFER_STATUS_FILLING:
      return "still filling";
    case ARV_BUFFER_STATUS_ABORTED:
      return "aborted";
    default:
      return "unknown";
  }
}

// The heartbeat thread calls this; it only flips a flag the reading thread checks.
void on_control_lost(ArvDevice*, gpointer user_data) {
  static_cast<std::shared_ptr<std::atomic<bool>>*>(user_data)->get()->store(true);
}

void free_flag(gpointer data, GClosure*) { delete static_cast<std::shared_ptr<std::atomic<bool>>*>(data); }

bool is_loopback(ArvDevice* device) {
  if (!ARV_IS_GV_DEVICE(device)) return false;
  // Transfer none: the address belongs to the device.
  GSocketAddress* address = arv_gv_device_get_device_address(ARV_GV_DEVICE(device));
  if (address == nullptr || !G_IS_INET_SOCKET_ADDRESS(address)) return false;
  return g_inet_address_get_is_loopback(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address))) !=
         FALSE;
}

}  // namespace

BufferLease& BufferLease::operator=(BufferLease&& other) noexcept {
  if (this != &other) {
    release();
    stream_ = std::exchange(other.stream_, nullptr);
    buffer_ = std::exchange(other.buffer_, nullptr);
  }
  return *this;
}

void BufferLease::release() {
  if (buffer_ != nullptr && stream_ != nullptr)
    arv_stream_push_buffer(stream_, buffer_);  // takes our reference
  else if (buffer_ != nullptr)
    g_object_unref(buffer_);
  buffer_ = nullptr;
}

Result<std::string> AravisConnection::device_id_from_uri(const std::string& uri) {
  return hal::Uri::target_of(uri, "genicam",
                             "'genicam://DEVICE_ID' (an Aravis device id such as 'Aravis-Fake-GV01', an IP "
                             "address, a serial number) or 'genicam://' for the first device found; "
                             "`oi devices` lists them",
                             {}, /*allow_empty=*/true);
}

AravisConnection::AravisConnection(GObjectPtr<ArvCamera> camera, std::string id)
    : camera_(std::move(camera)), id_(std::move(id)) {
  name_ = "GenICam device '" +
          (id_.empty() ? text_or(arv_camera_get_device_id(camera_.get(), nullptr), "first found") : id_) +
          "'";
  // Values outside a feature's range are refused instead of written: the error then names
  // the feature and the driver can report it, rather than the camera clamping silently.
  arv_device_set_range_check_policy(device(), ARV_RANGE_CHECK_POLICY_ENABLE);
  control_lost_handler_ = g_signal_connect_data(device(), "control-lost", G_CALLBACK(on_control_lost),
                                                new std::shared_ptr<std::atomic<bool>>(control_lost_),
                                                free_flag, GConnectFlags(0));
}

AravisConnection::~AravisConnection() {
  stop();
  if (control_lost_handler_ != 0) g_signal_handler_disconnect(device(), control_lost_handler_);
  // camera_ goes last: releasing it gives the control channel back (slow when the device is gone).
}

Result<std::unique_ptr<AravisConnection>> AravisConnection::open(const std::string& uri) {
  Result<std::string> id = device_id_from_uri(uri);
  if (!id.ok()) return id.status();
  ErrorSlot error;
  GObjectPtr<ArvCamera> camera(
      arv_camera_new(id.value().empty() ? nullptr : id.value().c_str(), error.out()));
  if (!camera || error) {
    return Status::error("cannot open '" + uri + "': " + (error ? error.message() : "no such device") +
                         ". Check that the camera is powered and reachable (for GigE Vision: same subnet, "
                         "no firewall on UDP 3956) and that the id matches one `oi devices` lists");
  }
  return std::unique_ptr<AravisConnection>(new AravisConnection(std::move(camera), id.value()));
}

Result<std::vector<hal::DeviceInfo>> AravisConnection::discover(const std::string& description) {
  arv_update_device_list();
  std::vector<hal::DeviceInfo> found;
  const unsigned n = arv_get_n_devices();
  for (unsigned i = 0; i < n; ++i) {
    hal::DeviceInfo info;
    info.uri = std::string(kScheme) + text_or(arv_get_device_id(i), "");
    info.vendor = text_or(arv_get_device_vendor(i), "");
    info.model = text_or(arv_get_device_model(i), "");
    info.serial = text_or(arv_get_device_serial_nbr(i), "");
    info.description = description + " (" + text_or(arv_get_device_protocol(i), "?") + " at " +
                       text_or(arv_get_device_address(i), "?") + ")";
    found.push_back(std::move(info));
  }
  return found;
}

hal::DeviceIdentity AravisConnection::identity(const std::string& driver_version) const {
  ArvCamera* cam = camera_.get();
  hal::DeviceIdentity id;
  id.vendor = text_or(arv_camera_get_vendor_name(cam, nullptr), "unknown");
  id.model = text_or(arv_camera_get_model_name(cam, nullptr), "unknown");
  id.serial = text_or(arv_camera_get_device_serial_number(cam, nullptr),
                      text_or(arv_camera_get_device_id(cam, nullptr), id_.empty() ? "unknown" : id_));
  std::string firmware = string_feature("DeviceVersion");
  if (firmware.empty()) firmware = string_feature("DeviceFirmwareVersion");
  id.firmware_version = firmware.empty() ? "n/a" : firmware;
  id.driver_version = driver_version;
  return id;
}

bool AravisConnection::has_feature(const char* feature) const {
  ErrorSlot error;
  return arv_device_is_feature_available(device(), feature, error.out()) != FALSE && !error;
}

std::string AravisConnection::string_feature(const char* feature) const {
  if (!has_feature(feature)) return "";
  ErrorSlot error;
  const char* value = arv_device_get_string_feature_value(device(), feature, error.out());
  return error ? "" : text_or(value, "");
}

namespace {

// The kernel's ceiling for SO_RCVBUF (net.core.rmem_max), or 0 when it cannot be read.
std::uint64_t receive_buffer_ceiling() {
  std::ifstream in("/proc/sys/net/core/rmem_max");
  std::uint64_t bytes = 0;
  return (in >> bytes) ? bytes : 0;
}

}  // namespace

void AravisConnection::configure_socket_buffer(guint payload) {
  // The standard socket's receive buffer must hold the packets that arrive while the receiving
  // thread is busy: at the kernel's default (net.core.rmem_default, about 200 KiB) a camera
  // streaming multi-megabyte frames loses packets on every frame, even on loopback. Aravis'
  // AUTO mode sizes it to exactly one payload, which for small regions is below the default, so
  // the size is set here: two frames' payloads, at least 1 MiB (the kernel caps it at
  // net.core.rmem_max).
  constexpr std::uint64_t kMinimum = 1u << 20;
  const std::uint64_t wanted = settings_.socket_buffer > 0
                                   ? static_cast<std::uint64_t>(settings_.socket_buffer)
                                   : std::max<std::uint64_t>(2ull * payload, kMinimum);
  g_object_set(stream_.get(), "socket-buffer", ARV_GV_STREAM_SOCKET_BUFFER_FIXED, "socket-buffer-size",
               static_cast<gint>(std::min<std::uint64_t>(wanted, 1u << 30)), nullptr);
  const std::uint64_t ceiling = receive_buffer_ceiling();
  if (ceiling != 0 && ceiling < std::min<std::uint64_t>(wanted, payload)) {
    spdlog::warn(
        "{}: the UDP receive buffer is capped at {} bytes (net.core.rmem_max) but a frame is {} bytes; "
        "frames may arrive incomplete: raise it with `sysctl -w net.core.rmem_max={}` (as root)",
        name_, ceiling, payload, wanted);
  }
}

Status AravisConnection::start(const StreamSettings& settings) {
  stop();
  settings_ = settings;
  ArvCamera* cam = camera_.get();
  ErrorSlot error;
  if (arv_camera_is_gv_device(cam)) {
    // Packet sockets (AF_PACKET, used when the process has CAP_NET_RAW) bypass the IP stack
    // and never see loopback traffic, so a camera on 127.0.0.1 needs the standard socket.
    const bool standard =
        settings.socket == "standard" || (settings.socket == "auto" && is_loopback(device()));
    arv_camera_gv_set_stream_options(
        cam, standard ? ARV_GV_STREAM_OPTION_PACKET_SOCKET_DISABLED : ARV_GV_STREAM_OPTION_NONE);
    if (settings.packet_size > 0) {
      arv_camera_gv_set_packet_size(cam, settings.packet_size, error.out());
      if (error)
        return Status::error("cannot set packet_size " + std::to_string(settings.packet_size) +
                             " (GevSCPSPacketSize): " + error.message());
    } else {
      arv_camera_gv_auto_packet_size(cam, error.out());
      if (error) {
        // Negotiation failing is not fatal: the camera's current packet size still streams.
        spdlog::warn("{}: packet size negotiation failed ({}); keeping GevSCPSPacketSize = {}", name_,
                     error.message(), arv_camera_gv_get_packet_size(cam, nullptr));
      }
    }
  }
  arv_camera_set_acquisition_mode(cam, ARV_ACQUISITION_MODE_CONTINUOUS, error.out());
  if (error) return Status::error("cannot set AcquisitionMode Continuous: " + error.message());
  const guint payload = arv_camera_get_payload(cam, error.out());
  if (error || payload == 0)
    return Status::error("cannot read PayloadSize: " + (error ? error.message() : "0 bytes"));
  stream_.reset(arv_camera_create_stream(cam, nullptr, nullptr, error.out()));
  if (!stream_ || error) {
    stream_.reset();
    return Status::error("cannot open the stream channel: " + (error ? error.message() : "no stream") +
                         " (GigE Vision: check that UDP traffic from the camera reaches this host)");
  }
  if (ARV_IS_GV_STREAM(stream_.get())) {
    g_object_set(
        stream_.get(), "packet-resend",
        settings.packet_resend ? ARV_GV_STREAM_PACKET_RESEND_ALWAYS : ARV_GV_STREAM_PACKET_RESEND_NEVER,
        nullptr);
    configure_socket_buffer(payload);
  }
  for (int i = 0; i < settings.buffers; ++i)
    arv_stream_push_buffer(stream_.get(), arv_buffer_new_allocate(payload));
  have_block_id_ = false;
  failed_since_complete_ = gap_frames_ = reported_lost_ = 0;
  last_activity_ = last_probe_ = Clock::now();
  arv_camera_start_acquisition(cam, error.out());
  if (error) {
    stream_.reset();
    return Status::error("AcquisitionStart failed: " + error.message());
  }
  return Status::ok();
}

void AravisConnection::stop() {
  if (!stream_) return;
  if (!control_lost()) {
    ErrorSlot error;
    arv_camera_stop_acquisition(camera_.get(), error.out());
    if (error) spdlog::warn("{}: AcquisitionStop failed: {}", name_, error.message());
  }
  fold_statistics();
  stream_.reset();  // stops the receiving thread; buffers still queued go with it
}

void AravisConnection::note_buffer(ArvBuffer* buffer, bool complete) {
  last_activity_ = Clock::now();
  if (!complete) {
    // Its block id cannot be trusted: a buffer whose leader packet was lost still carries the
    // id of the frame it held before. It is lost either way; the next complete frame tells
    // how many frames lie between.
    ++failed_since_complete_;
    return;
  }
  const std::uint64_t id = arv_buffer_get_frame_id(buffer);
  // The incomplete frames since the last complete one lie among the ids in between, so they
  // are counted once: as many as the ids say, never fewer than arrived incomplete (0 is never
  // a valid block id, and a device that restarted its counter gives no gap to count).
  const std::uint64_t between = (have_block_id_ && id != 0) ? blocks_between(last_block_id_, id) : 0;
  gap_frames_ += std::max(between, failed_since_complete_);
  failed_since_complete_ = 0;
  if (id == 0) return;
  have_block_id_ = true;
  last_block_id_ = id;
}

std::uint64_t AravisConnection::blocks_between(std::uint64_t previous_id, std::uint64_t id) {
  if (previous_id == 0 || id == 0) return 0;
  if (id > previous_id) return id - previous_id - 1;
  if (previous_id <= kMaxShortBlockId && previous_id > kMaxShortBlockId - 0x1000 && id < 0x1000)
    return (kMaxShortBlockId - previous_id) + (id - 1);  // wrapped past 65535 to 1
  return 0;                                              // the device restarted its counter: no gap to count
}

void AravisConnection::fold_statistics() {
  if (!stream_) return;
  guint64 completed = 0, failures = 0, underruns = 0;
  arv_stream_get_statistics(stream_.get(), &completed, &failures, &underruns);
  // Failed buffers are counted when popped and most underruns show up as block-id gaps; the
  // stream's own counters are a floor for what the driver could not see (e.g. the last
  // frames before a stop). The larger of the two is lost, so nothing is counted twice.
  const std::uint64_t seen = gap_frames_ + failed_since_complete_;
  const std::uint64_t total = std::max<std::uint64_t>(seen, failures + underruns);
  if (total > reported_lost_) {
    pending_lost_ += total - reported_lost_;
    reported_lost_ = total;
  }
}

std::uint64_t AravisConnection::take_lost() {
  fold_statistics();
  return std::exchange(pending_lost_, 0);
}

Status AravisConnection::lost_error(const std::string& what) const {
  return Status::error(what +
                       "; the camera was disconnected, powered off or restarted. "
                       "The supervisor reconnects (on_fault: restart) once it answers again");
}

Status AravisConnection::probe() {
  if (!arv_camera_is_gv_device(camera_.get())) return Status::ok();
  guint32 ccp = 0;
  ErrorSlot error;
  if (!arv_device_read_register(device(), kGvCcpRegister, &ccp, error.out()) || error) {
    // A device that does not answer cannot be told to stop either: stop() then skips
    // AcquisitionStop, which would only wait for its timeouts.
    control_lost_->store(true);
    return lost_error("no data for " + std::to_string(settings_.silence_check.count()) +
                      " ms and the control channel does not answer (" + error.message() + ")");
  }
  if ((ccp & kGvCcpControlBits) == 0) {
    return lost_error(
        "no data for " + std::to_string(settings_.silence_check.count()) +
        " ms and the device no longer grants this host control (CCP register = " + std::to_string(ccp) + ")");
  }
  return Status::ok();
}

Status AravisConnection::pop(std::chrono::milliseconds timeout, BufferLease& out) {
  out = BufferLease();
  if (!stream_) return Status::error("not acquiring (start() first)");
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (control_lost()) return lost_error("the control channel was lost (heartbeat failed)");
    // Short waits, so a lost control channel is noticed while the caller waits long.
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    const auto wait = std::clamp<std::chrono::microseconds>(left, 0us, 100ms);
    ArvBuffer* raw = arv_stream_timeout_pop_buffer(stream_.get(), static_cast<guint64>(wait.count()));
    if (raw == nullptr) {
      if (Clock::now() < deadline) continue;
      const auto now = Clock::now();
      if (now - last_activity_ >= settings_.silence_check && now - last_probe_ >= settings_.silence_check) {
        last_probe_ = now;
        if (Status s = probe(); !s.is_ok()) return s;
      }
      return Status::ok();
    }
    BufferLease lease(stream_.get(), raw);
    const ArvBufferStatus status = arv_buffer_get_status(raw);
    if (status == ARV_BUFFER_STATUS_SUCCESS) {
      note_buffer(raw, true);
      out = std::move(lease);
      return Status::ok();
    }
    last_activity_ = Clock::now();
    if (status != ARV_BUFFER_STATUS_ABORTED) {
      note_buffer(raw, false);
      spdlog::warn("{}: a frame arrived incomplete ({}); counted as lost{}", name_, status_name(status),
                   settings_.packet_resend ? "" : " (packet_resend is off)");
    }
    if (Clock::now() >= deadline) return Status::ok();
  }
}

}  // namespace oi::genicam
