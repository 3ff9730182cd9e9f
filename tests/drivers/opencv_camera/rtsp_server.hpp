#pragma once
// Starts tests/drivers/opencv_camera/rtsp_test_server as a child process and waits until it
// serves, for the opencv.camera tests. The server picks a free port itself (--port 0), so
// parallel ctest runs never collide.

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>

#include "process.hpp"

namespace oi::test {

/// The server cannot run here for a reason outside the code under test (a GStreamer
/// element is missing): tests skip with this message.
struct RtspServerUnavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One rtsp_test_server process.
class RtspTestServer {
 public:
  /// Starts serving rtsp://127.0.0.1:PORT/cam; `port` 0 picks a free one. Waits (bounded)
  /// for the ready line. Throws RtspServerUnavailable or std::runtime_error with its stderr.
  explicit RtspTestServer(int port = 0, int fps = 25) : fps_(fps) {
    char dir_template[] = "/tmp/oi-rtsp-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = dir_template;
    const std::string ready = dir_ + "/ready";
    process_ = std::make_unique<Process>(
        std::vector<std::string>{OI_RTSP_TEST_SERVER, "--port", std::to_string(port), "--path", "/cam",
                                 "--width", "320", "--height", "240", "--fps", std::to_string(fps),
                                 "--ready-file", ready},
        std::map<std::string, std::string>{}, dir_);
    // The first start of GStreamer in a fresh home scans its plugins: seconds, not minutes.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!std::filesystem::exists(ready) && std::chrono::steady_clock::now() < until) {
      if (::kill(process_->pid(), 0) != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(ready);
    std::string line;
    std::getline(in, line);
    std::smatch m;
    if (!std::regex_search(line, m, std::regex(R"(rtsp://127\.0\.0\.1:(\d+)/cam)"))) {
      ::kill(process_->pid(), SIGKILL);
      const ProcessResult r = process_->wait();
      process_.reset();
      if (r.exit_code == 3) throw RtspServerUnavailable(r.err);
      throw std::runtime_error("rtsp_test_server did not become ready (exit " + std::to_string(r.exit_code) +
                               "): " + r.err);
    }
    port_ = std::stoi(m[1]);
  }
  ~RtspTestServer() { stop(); }
  RtspTestServer(const RtspTestServer&) = delete;
  RtspTestServer& operator=(const RtspTestServer&) = delete;

  /// rtsp://127.0.0.1:PORT/cam
  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/cam"; }
  int port() const { return port_; }
  int fps() const { return fps_; }

  /// Ends the server the way a power cut ends a camera (SIGKILL), and reaps it.
  void kill_hard() {
    if (!process_) return;
    ::kill(process_->pid(), SIGKILL);
    process_->wait();
    process_.reset();
  }
  /// SIGSTOP: the server keeps its connections open but sends nothing, as a camera that
  /// hangs looks to a client. resume() (SIGCONT) lets it go on.
  void pause() {
    if (process_) ::kill(process_->pid(), SIGSTOP);
  }
  /// SIGCONT after pause().
  void resume() {
    if (process_) ::kill(process_->pid(), SIGCONT);
  }
  /// SIGTERM and wait; the exit code (0 = the server shut down cleanly), -1 if not running.
  int stop() {
    if (!process_) return -1;
    ::kill(process_->pid(), SIGCONT);  // a paused server acts on SIGTERM only once it runs again
    ::kill(process_->pid(), SIGTERM);
    const int code = process_->wait().exit_code;
    process_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    return code;
  }

 private:
  std::unique_ptr<Process> process_;
  std::string dir_;
  int port_ = 0;
  int fps_ = 25;
};

}  // namespace oi::test
