#pragma once
// sink.mqtt's publisher: sends the outbox's events to an MQTT broker with QoS 1, in the order
// they were stored, and deletes each one when the broker acknowledges it. libmosquitto's own
// thread keeps the connection and reconnects with back-off while the broker is away; after a
// reconnect everything not yet acknowledged is sent again from the oldest (at least once: a
// consumer recognises a repeat by its `messageid`).
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "outbox.hpp"

struct mosquitto;

namespace oi::mqtt {

/// Where and how to connect.
struct BrokerOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  ///< empty: the library makes one
  int keepalive_s = 30;
  std::string username;
  std::string password;
  std::string tls_ca_file;    ///< non-empty: TLS, the broker's certificate checked against this CA
  std::string tls_cert_file;  ///< client certificate (with tls_key_file), optional
  std::string tls_key_file;
  unsigned inflight = 32;  ///< events sent and not yet acknowledged, at most
};

/// Counters, for the stage summary.
struct PublisherStats {
  std::uint64_t acknowledged = 0;  ///< events the broker acknowledged (deleted from the outbox)
  std::uint64_t connects = 0;      ///< successful connections (1 + reconnections)
  std::uint64_t disconnects = 0;
  std::string last_problem;  ///< the last connection or publish problem, empty when none
  bool connected = false;
};

class Publisher {
 public:
  /// Starts connecting in the background. @throws oi::Error for options libmosquitto refuses
  /// (a TLS file that cannot be read, say), naming the option.
  Publisher(BrokerOptions options, Outbox& outbox);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  /// New events are in the outbox.
  void wake();
  /// Waits until the outbox is empty or `timeout_ms` passed; true when empty.
  bool drain(int timeout_ms);
  PublisherStats stats() const;

 private:
  static void on_connect(struct mosquitto*, void* self, int rc);
  static void on_disconnect(struct mosquitto*, void* self, int rc);
  static void on_publish(struct mosquitto*, void* self, int mid);
  void pump();

  BrokerOptions options_;
  Outbox& outbox_;
  struct mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_ = false;
  bool connected_ = false;
  std::uint64_t generation_ = 0;          // connections so far; a new one restarts the order
  std::int64_t sent_up_to_ = 0;           // outbox id of the last event sent on this connection
  std::map<int, std::int64_t> inflight_;  // message id -> outbox id
  std::set<int> acknowledged_early_;      // acks that came before publish() returned the mid
  PublisherStats stats_;
  std::thread pump_thread_;
};

}  // namespace oi::mqtt
