#include "publisher.hpp"

#include <mosquitto.h>

#include <chrono>

#include "oi/error.hpp"

namespace oi::mqtt {
namespace {

std::once_flag g_library_once;

}  // namespace

Publisher::Publisher(BrokerOptions options, Outbox& outbox) : options_(std::move(options)), outbox_(outbox) {
  std::call_once(g_library_once, [] { mosquitto_lib_init(); });
  mosq_ = mosquitto_new(options_.client_id.empty() ? nullptr : options_.client_id.c_str(), true, this);
  if (!mosq_) throw Error("cannot create an MQTT client (libmosquitto: out of memory or bad client id)");
  auto fail = [&](int rc, const std::string& what) {
    if (rc == MOSQ_ERR_SUCCESS) return;
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    throw Error(what + ": " + mosquitto_strerror(rc));
  };
  if (!options_.username.empty())
    fail(mosquitto_username_pw_set(mosq_, options_.username.c_str(),
                                   options_.password.empty() ? nullptr : options_.password.c_str()),
         "MQTT username/password refused");
  if (!options_.tls_ca_file.empty())
    fail(mosquitto_tls_set(mosq_, options_.tls_ca_file.c_str(), nullptr,
                           options_.tls_cert_file.empty() ? nullptr : options_.tls_cert_file.c_str(),
                           options_.tls_key_file.empty() ? nullptr : options_.tls_key_file.c_str(), nullptr),
         "MQTT TLS files refused (tls_ca_file " + options_.tls_ca_file + ", tls_cert_file " +
             options_.tls_cert_file + ", tls_key_file " + options_.tls_key_file + ")");
  mosquitto_connect_callback_set(mosq_, &Publisher::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &Publisher::on_disconnect);
  mosquitto_publish_callback_set(mosq_, &Publisher::on_publish);
  mosquitto_reconnect_delay_set(mosq_, 1, 8, true);
  mosquitto_max_inflight_messages_set(mosq_, options_.inflight);
  // A broker that is not up yet is not an error: the loop keeps trying to connect.
  const int rc = mosquitto_connect_async(mosq_, options_.host.c_str(), options_.port, options_.keepalive_s);
  if (rc != MOSQ_ERR_SUCCESS) stats_.last_problem = std::string("connect: ") + mosquitto_strerror(rc);
  fail(mosquitto_loop_start(mosq_), "cannot start the MQTT network thread");
  pump_thread_ = std::thread([this] { pump(); });
}

Publisher::~Publisher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (pump_thread_.joinable()) pump_thread_.join();
  if (mosq_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, false);
    mosquitto_destroy(mosq_);
  }
}

void Publisher::on_connect(struct mosquitto*, void* self, int rc) {
  auto* p = static_cast<Publisher*>(self);
  {
    std::lock_guard lock(p->mutex_);
    if (rc == 0) {
      p->connected_ = true;
      ++p->generation_;
      ++p->stats_.connects;
      // Everything not acknowledged goes again, from the oldest.
      p->sent_up_to_ = 0;
      p->inflight_.clear();
      p->acknowledged_early_.clear();
    } else {
      p->stats_.last_problem =
          std::string("the broker refused the connection: ") + mosquitto_connack_string(rc);
    }
  }
  p->changed_.notify_all();
}

void Publisher::on_disconnect(struct mosquitto*, void* self, int rc) {
  auto* p = static_cast<Publisher*>(self);
  {
    std::lock_guard lock(p->mutex_);
    p->connected_ = false;
    ++p->stats_.disconnects;
    if (rc != 0) p->stats_.last_problem = std::string("connection lost: ") + mosquitto_strerror(rc);
  }
  p->changed_.notify_all();
}

void Publisher::on_publish(struct mosquitto*, void* self, int mid) {
  auto* p = static_cast<Publisher*>(self);
  std::int64_t id = 0;
  {
    std::lock_guard lock(p->mutex_);
    const auto found = p->inflight_.find(mid);
    if (found == p->inflight_.end()) {
      p->acknowledged_early_.insert(mid);
      return;
    }
    id = found->second;
    p->inflight_.erase(found);
    ++p->stats_.acknowledged;
  }
  p->outbox_.remove(id);
  p->changed_.notify_all();
}

void Publisher::pump() {
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!connected_ || inflight_.size() >= options_.inflight) {
      changed_.wait_for(lock, std::chrono::milliseconds(200));
      continue;
    }
    const std::int64_t after = sent_up_to_;
    const std::uint64_t generation = generation_;
    const std::size_t room = options_.inflight - inflight_.size();
    lock.unlock();
    const std::vector<OutboxEntry> entries = outbox_.after(after, room);
    lock.lock();
    if (entries.empty()) {
      changed_.wait_for(lock, std::chrono::milliseconds(200));
      continue;
    }
    for (const OutboxEntry& e : entries) {
      if (stop_ || !connected_ || generation_ != generation) break;  // a reconnect restarted the order
      int mid = 0;
      lock.unlock();
      const int rc = mosquitto_publish(mosq_, &mid, e.topic.c_str(), static_cast<int>(e.payload.size()),
                                       e.payload.data(), 1, false);
      lock.lock();
      if (rc != MOSQ_ERR_SUCCESS) {
        stats_.last_problem = std::string("publish: ") + mosquitto_strerror(rc);
        break;  // sent again after the next connect
      }
      if (generation_ != generation) break;  // reconnected meanwhile: on_connect reset the order
      if (acknowledged_early_.erase(mid) > 0) {
        ++stats_.acknowledged;
        lock.unlock();
        outbox_.remove(e.id);
        lock.lock();
      } else {
        inflight_[mid] = e.id;
      }
      sent_up_to_ = e.id;
    }
  }
}

void Publisher::wake() { changed_.notify_all(); }

bool Publisher::drain(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (outbox_.size() > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(50));
  }
  return true;
}

PublisherStats Publisher::stats() const {
  std::lock_guard lock(mutex_);
  PublisherStats s = stats_;
  s.connected = connected_;
  return s;
}

}  // namespace oi::mqtt
