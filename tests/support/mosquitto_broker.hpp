#pragma once
// A real Mosquitto broker and mosquitto_sub for tests, both on 127.0.0.1 (Debian's mosquitto
// and mosquitto-clients; tools_present() says whether they are installed).
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "process.hpp"

namespace oi::test {

/// True when /usr/sbin/mosquitto, mosquitto_sub and mosquitto_pub exist.
bool mosquitto_present();

/// A broker with persistence, so that a subscriber's session and its queued messages survive a
/// restart (as a production broker's do). Listens on a free port chosen at construction.
class MosquittoBroker {
 public:
  explicit MosquittoBroker(std::filesystem::path dir);
  ~MosquittoBroker();
  /// Starts it and waits until it accepts connections; false when it did not within 5 s.
  bool start();
  /// SIGTERM, as a service manager stops it: it saves its sessions and exits.
  void stop();
  int port() const { return port_; }

 private:
  std::filesystem::path dir_;
  int port_;
  std::unique_ptr<Process> process_;
};

/// mosquitto_sub with a persistent session (-c -i), QoS 1, printing "topic payload" lines.
class MosquittoSubscriber {
 public:
  MosquittoSubscriber(const std::filesystem::path& dir, int port, const std::string& topic);
  ~MosquittoSubscriber();
  /// Publishes probes on `<prefix>/probe` with mosquitto_pub until one arrives: the
  /// subscription is in place. `prefix` must be covered by the subscribed topic.
  bool ready(const std::string& prefix);
  /// The JSON messages received on `topic`, once `count` of them arrived (or after 20 s).
  std::vector<nlohmann::json> messages(const std::string& topic, std::size_t count) const;

 private:
  int port_;
  std::unique_ptr<Process> process_;
};

}  // namespace oi::test
