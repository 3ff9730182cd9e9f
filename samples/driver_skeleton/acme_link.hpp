#pragma once
/// @file
/// `acme::Link`: stands in for the vendor's own SDK and transport (a C library, a GigE or
/// USB stack, a serial protocol). It is simulated so the sample runs anywhere, but it
/// behaves like real hardware where a driver has to care: buffers arrive on the link's own
/// thread into a bounded queue, the queue overruns when nobody reads, the cable can be
/// pulled, and interlocks change under the driver's feet. Replace this file with your SDK;
/// the driver (acme_xray.cpp) is what shows how to map such an SDK onto the HAL.
///
/// Calls report failure by returning false and leaving the reason in last_error(), like
/// most vendor C SDKs do.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace acme {

/// What a unit reports about itself when asked over the link.
struct UnitInfo {
  std::string serial;           ///< printed on the unit's label; the URI names it
  std::string model;            ///< e.g. "AX-640 DE"
  std::string firmware;         ///< firmware version string
  int pixels = 0;               ///< detector pixels per line
  int channels = 0;             ///< 1 = single energy, 2 = dual energy (high, low)
  double pixel_pitch_mm = 0.0;  ///< detector pixel size
};

/// Consecutive detector lines as the unit sends them (like a GenICam line-scan buffer).
struct LineBuffer {
  std::uint16_t object = 0;         ///< the unit's object counter: 16 bits, wraps, restarts at power-up
  std::uint32_t index = 0;          ///< buffer number within the object, from 0
  bool last = false;                ///< the object left the tunnel with this buffer
  std::int64_t time_ns = 0;         ///< read-out time of the first line, ns since the Unix epoch
  int lines = 0;                    ///< lines in this buffer
  int pixels = 0;                   ///< pixels per line
  int channels = 0;                 ///< energy channels
  std::vector<std::uint16_t> data;  ///< channel-major: channel 0 (high) lines, then channel 1 (low)
};

/// The unit's safety interlocks.
enum class Interlock { kEmergencyStop, kLightCurtain, kDoor };

/// Acquisition settings sent to the unit before it starts.
struct Acquisition {
  int lines_per_buffer = 32;    ///< lines the unit packs into one buffer
  double line_rate_hz = 640.0;  ///< lines per second
  std::size_t buffers = 64;     ///< host-side queue capacity; a full queue drops new buffers
};

/// Outcome of wait_buffer().
enum class Wait {
  kBuffer,        ///< a buffer was taken from the queue
  kTimeout,       ///< nothing arrived in time; the link is fine
  kDisconnected,  ///< the link is gone and the queue is empty
};

/// Faults the simulation injects, to show what the driver does about them.
struct Simulation {
  std::int64_t unplug_after_buffers = -1;        ///< pull the cable once after this many buffers; -1 never
  std::chrono::milliseconds unplugged_for{300};  ///< how long the cable stays out (open() fails meanwhile)
  int interlock_every_objects = 0;               ///< light curtain trips after every N-th object; 0 never
};

/// One connection to one unit. Not thread-safe except where noted: the driver calls it from
/// its hooks, which the HAL already serialises.
class Link {
 public:
  /// Called on the link's thread when an interlock engages (true) or releases (false).
  using InterlockHandler = std::function<void(Interlock which, bool engaged, std::int64_t time_ns)>;

  Link() = default;
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  /// Units that answer a broadcast now. Opens nothing.
  static std::vector<UnitInfo> discover();

  /// Connects to the unit with this serial and reads its UnitInfo.
  bool open(const std::string& serial);
  /// Stops acquisition and disconnects. Never fails.
  void close();
  /// The unit, as read by open().
  const UnitInfo& unit() const { return unit_; }

  /// Sends the source setpoints; the unit applies them at once, also while acquiring.
  bool set_source(double kv, double ma);
  /// Starts acquisition: buffers arrive in the queue on the link's thread.
  bool start(const Acquisition& acquisition);
  /// Stops acquisition at once (the link's thread waits on a condition variable, never in a
  /// blind sleep); returns how many queued buffers were discarded.
  std::size_t stop();
  /// Takes the next buffer, waiting at most `timeout`. Buffers that arrived before a
  /// disconnect are still handed out; kDisconnected comes once the queue is empty.
  Wait wait_buffer(LineBuffer& out, std::chrono::milliseconds timeout);
  /// Buffers dropped because the queue was full, since the last call. Thread-safe.
  std::uint64_t take_dropped();
  /// Takes `lines` lines with the source off (dark) or on over an empty tunnel (air).
  /// Only while not acquiring.
  bool acquire_reference(bool source_on, int lines, LineBuffer& out);
  /// Sets the interlock callback; call before open().
  void on_interlock(InterlockHandler handler) { interlock_handler_ = std::move(handler); }
  /// Why the last call failed.
  const std::string& last_error() const { return last_error_; }

  /// Arms the simulated faults (a real SDK has no such call).
  void simulate(const Simulation& simulation);

 private:
  void produce();  // the link's thread
  void fill(LineBuffer& buffer, double thickness, bool dark) const;
  bool fail(std::string why);

  UnitInfo unit_;
  std::string last_error_;
  InterlockHandler interlock_handler_;
  Acquisition acquisition_;
  Simulation simulation_;
  double kv_ = 0.0;
  double ma_ = 0.0;
  bool connected_ = false;
  std::uint16_t object_counter_ = 0;
  std::chrono::steady_clock::time_point replug_at_;  // a pulled cable is back at this time

  std::mutex mutex_;  // guards everything below, shared with the link's thread
  std::condition_variable changed_;
  std::deque<LineBuffer> queue_;
  std::uint64_t dropped_ = 0;
  std::int64_t produced_ = 0;
  bool link_down_ = false;
  bool stop_requested_ = false;
  std::thread thread_;
};

}  // namespace acme
