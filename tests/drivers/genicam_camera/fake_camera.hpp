#pragma once
// Aravis's fake GigE Vision camera (`arv-fake-gv-camera-0.8 -i 127.0.0.1`) as a child process
// the tests start, kill and restart. It answers GVCP on UDP 127.0.0.1:3956, so only one can
// run at a time: ctest serialises these tests with RESOURCE_LOCK aravis_fake_camera.

#include <memory>
#include <string>

#include "oi/plugin_registry.hpp"
#include "process.hpp"

namespace oi::genicam::test {

/// Path of arv-fake-gv-camera-0.8 found at configure time ("" when missing).
std::string fake_camera_tool();

/// The plugin registry of this test binary, with the default plugin locations and the test
/// stages (oi/test_stages.hpp) loaded; it lives as long as the process, so the plugins stay
/// loaded for every device made from them.
PluginRegistry& plugin_registry();

/// One fake camera process.
class FakeCamera {
 public:
  /// Serial number given with -s; the Aravis device id becomes "Aravis-Fake-" + serial.
  explicit FakeCamera(std::string serial = "OITEST01") : serial_(std::move(serial)) {}
  ~FakeCamera() { stop(); }
  FakeCamera(const FakeCamera&) = delete;
  FakeCamera& operator=(const FakeCamera&) = delete;

  /// Starts the tool and waits (bounded) until it listens on 127.0.0.1:3956. Returns "" or
  /// what went wrong (tool missing, port held by another process, tool exited).
  /// `lost_packets_per_thousand` > 0 makes the camera drop that share of its stream packets
  /// (its -r option), as a lossy link would.
  std::string start(int lost_packets_per_thousand = 0);
  /// SIGKILL, as a power cut or a pulled cable looks to the host; waits for the exit.
  void kill();
  /// SIGSTOP: the camera neither streams nor answers, and keeps its sockets open, as a
  /// device that hangs looks to the host. resume() (SIGCONT) lets it go on.
  void pause();
  /// SIGCONT after pause().
  void resume();
  /// Stops the process if running.
  void stop() { kill(); }
  /// True while the process runs.
  bool running() const { return process_ != nullptr; }
  /// The Aravis device id, "Aravis-Fake-SERIAL".
  std::string device_id() const { return "Aravis-Fake-" + serial_; }

 private:
  std::string serial_;
  std::unique_ptr<oi::test::Process> process_;
};

}  // namespace oi::genicam::test
