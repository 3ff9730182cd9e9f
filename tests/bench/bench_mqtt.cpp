// sink.mqtt's path to a broker: storing an event in the durable outbox (SQLite, WAL, synced),
// and events per second sustained to a Mosquitto broker on 127.0.0.1 (stored, published with
// QoS 1, acknowledged and deleted), at 1 and 32 events in flight. The benchmark starts
// /usr/sbin/mosquitto itself. docs/performance.md, "Events to a message broker".
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "events.hpp"
#include "outbox.hpp"
#include "publisher.hpp"

namespace fs = std::filesystem;

namespace {

fs::path bench_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "oi_bench_mqtt" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A decision event as sink.mqtt sends it for an alarmed parcel.
std::string sample_event() {
  oi::FrameMetadata m;
  m.scan_id = 42;
  m.source_device = "scanner";
  m.capture_time_ns = 1700000000000000000;
  m.attributes = {{"detections", {{{"class", "narcotics"}, {"box", {10, 20, 120, 80}}, {"score", 0.81}}}},
                  {"decision", "alarm"}};
  return oi::mqtt::scan_events(m, {"lane-3", "oi"})[0].message.dump();
}

class LocalBroker {
 public:
  LocalBroker() {
    port_ = 21883 + static_cast<int>(::getpid() % 1000);
    const fs::path dir = bench_dir("broker");
    std::ofstream(dir / "m.conf") << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n";
    std::string conf = (dir / "m.conf").string();
    char* argv[] = {const_cast<char*>("/usr/sbin/mosquitto"), const_cast<char*>("-c"), conf.data(), nullptr};
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv, environ) != 0) pid_ = -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ~LocalBroker() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  bool ok() const { return pid_ > 0; }
  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

void BM_OutboxPush(benchmark::State& state) {
  oi::mqtt::Outbox outbox(bench_dir("push") / "outbox.sqlite", 10000000, oi::mqtt::Overflow::kDropOldest);
  const std::string event = sample_event();
  for (auto _ : state) outbox.push("oi/decision", event);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OutboxPush)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Arg: events in flight. Each iteration stores 2000 events and waits until the broker has
// acknowledged them all.
void BM_EventsToLocalBroker(benchmark::State& state) {
  LocalBroker broker;
  if (!broker.ok()) {
    state.SkipWithError("cannot start /usr/sbin/mosquitto");
    return;
  }
  oi::mqtt::Outbox outbox(bench_dir("publish") / "outbox.sqlite", 10000000, oi::mqtt::Overflow::kDropOldest);
  oi::mqtt::BrokerOptions options;
  options.port = broker.port();
  options.inflight = static_cast<unsigned>(state.range(0));
  oi::mqtt::Publisher publisher(options, outbox);
  const std::string event = sample_event();
  for (auto _ : state) {
    for (int i = 0; i < 2000; ++i) {
      outbox.push("oi/decision", event);
      publisher.wake();
    }
    if (!publisher.drain(60000)) state.SkipWithError(publisher.stats().last_problem.c_str());
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_EventsToLocalBroker)->Arg(1)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
