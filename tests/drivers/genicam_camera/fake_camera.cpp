#include "fake_camera.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "test_stages.hpp"

namespace oi::genicam::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kGvcpPort = 3956;

// True when something holds UDP 127.0.0.1:3956: binding it ourselves fails with EADDRINUSE.
// This needs no GigE Vision client and does not disturb the camera.
bool gvcp_port_taken() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kGvcpPort);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool taken = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno == EADDRINUSE;
  ::close(fd);
  return taken;
}

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds bound) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

}  // namespace

std::string fake_camera_tool() {
  const std::string path = OI_ARV_FAKE_GV_CAMERA;
  return !path.empty() && std::filesystem::exists(path) ? path : "";
}

PluginRegistry& plugin_registry() {
  static PluginRegistry* registry = [] {
    auto* r = new PluginRegistry();  // never destroyed: devices may outlive any scope
    r->load_default_locations();
    oi::test::register_test_stages(*r);
    return r;
  }();
  return *registry;
}

std::string FakeCamera::start(int lost_packets_per_thousand) {
  const std::string tool = fake_camera_tool();
  if (tool.empty()) return "arv-fake-gv-camera-0.8 was not found at configure time (install aravis-tools)";
  if (process_) return "";
  // A camera from an earlier test may still be releasing the port.
  if (!wait_for([] { return !gvcp_port_taken(); }, std::chrono::seconds(10))) {
    return "UDP 127.0.0.1:3956 stays in use by another process (a fake camera left running?); stop it first";
  }
  const char* tmp = std::getenv("TMPDIR");
  std::vector<std::string> args{tool, "-i", "127.0.0.1", "-s", serial_};
  if (lost_packets_per_thousand > 0) {
    args.push_back("-r");
    args.push_back(std::to_string(lost_packets_per_thousand));
  }
  process_ = std::make_unique<oi::test::Process>(args, std::map<std::string, std::string>{},
                                                 std::string(tmp ? tmp : "/tmp") + "/oi-genicam-tests");
  const pid_t pid = process_->pid();
  const bool up = wait_for(
      [&] {
        siginfo_t info{};
        // WNOWAIT: notice an early exit without reaping, so wait() below still gets the status.
        if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
            info.si_pid == pid)
          return true;
        return gvcp_port_taken();
      },
      std::chrono::seconds(10));
  if (!up || !gvcp_port_taken()) {
    ::kill(pid, SIGKILL);
    const oi::test::ProcessResult r = process_->wait();
    process_.reset();
    return "the fake camera did not start listening on 127.0.0.1:3956 within 10 s (exit " +
           std::to_string(r.exit_code) + "): " + r.err;
  }
  return "";
}

void FakeCamera::pause() {
  if (process_) ::kill(process_->pid(), SIGSTOP);
}

void FakeCamera::resume() {
  if (process_) ::kill(process_->pid(), SIGCONT);
}

void FakeCamera::kill() {
  if (!process_) return;
  ::kill(process_->pid(), SIGKILL);  // also ends a paused process
  process_->wait();
  process_.reset();
}

}  // namespace oi::genicam::test
