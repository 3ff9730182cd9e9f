// sink.mqtt: one JSON event per decision and per alarm (events.hpp) to an MQTT broker with
// QoS 1, through a durable, bounded outbox (outbox.hpp) so that none is lost while the broker
// is away (publisher.hpp). docs/integration.md, "Events to a message broker".
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "events.hpp"
#include "oi/plugin.hpp"
#include "oi/xray/contract.hpp"
#include "outbox.hpp"
#include "publisher.hpp"

namespace fs = std::filesystem;

namespace oi::mqtt {
namespace {

class MqttSink final : public Stage {
 public:
  void setup(StageSpec& spec) override {
    spec.describe(
        "Publishes one JSON event per inspected scan (`decision`) and one more per alarm (`alarm`, also for "
        "cannot_clear), and one per re-identification alert and status change (`reid_alert`, from camera "
        "frames "
        "after reid.watchlist) to an MQTT broker, QoS 1, on topics `<topic_prefix>/decision` and "
        "`<topic_prefix>/alarm`; schema openinspect.event v1 (DeepStream-style: messageid, @timestamp, "
        "place, "
        "sensor, event, objects with bbox). Every event is first stored in a durable SQLite outbox and "
        "deleted when the broker acknowledges it: while the broker is away events wait there (at most "
        "`max_queued`, then `overflow` decides, counted) and go out in order when it returns, also in a "
        "later "
        "run. TIP detections are never sent. See docs/integration.md.");
    spec.input(
        "in", PortType::any(),
        "inspected whole scans (after xray.detect, or sink.report's `out` to carry the report's hash), or "
        "camera frames after reid.watchlist (re-identification alerts)");
    spec.param("host", options_.host).describe("Broker host name or address.");
    spec.param("port", options_.port).min(1).max(65535).describe("Broker port (8883 is usual for TLS).");
    spec.param("client_id", options_.client_id).describe("MQTT client id; empty: one is generated.");
    spec.param("username", options_.username).describe("User name; empty: none.");
    spec.param("password_file", password_file_)
        .describe("File whose first line is the password (kept out of the pipeline file); empty: none.");
    spec.param("tls_ca_file", tls_ca_file_)
        .describe("CA certificate file: connect with TLS and check the broker's certificate; empty: no TLS.");
    spec.param("tls_cert_file", tls_cert_file_).describe("Client certificate for TLS (with tls_key_file).");
    spec.param("tls_key_file", tls_key_file_).describe("Client private key for TLS.");
    spec.param("topic_prefix", site_.topic_prefix).describe("Topics are <topic_prefix>/<event type>.");
    spec.param("place", site_.place).describe("The lane or site id events carry as place.id.");
    spec.param("outbox", outbox_file_)
        .without_default()
        .describe("SQLite file of the durable outbox; created when missing, its waiting events sent first.");
    spec.param("max_queued", max_queued_).min(1).describe("Events the outbox holds at most.");
    spec.param("overflow", overflow_)
        .one_of({"drop_oldest", "drop_newest"})
        .describe(
            "When the outbox is full: delete the oldest waiting event, or do not store the new one "
            "(either is counted as dropped_overflow).");
    spec.param("drain_timeout_s", drain_timeout_s_)
        .min(0.0)
        .unit("s")
        .describe(
            "At the end of the run, how long to wait for the outbox to empty; what is left stays in it.");
    spec.param("inflight", inflight_)
        .min(1)
        .max(1000)
        .describe("Events sent and not yet acknowledged, at most.");
  }

  void start(const StageConfig& config) override {
    name_ = config.name;
    if (!password_file_.empty()) {
      std::ifstream in(password_file_);
      if (!in || !std::getline(in, options_.password))
        throw ConfigError("stage '" + name_ + "': password_file " + password_file_.string() +
                          " cannot be read; name a readable file whose first line is the password");
    }
    if (tls_ca_file_.empty() && (!tls_cert_file_.empty() || !tls_key_file_.empty()))
      throw ConfigError("stage '" + name_ +
                        "': tls_cert_file and tls_key_file need tls_ca_file (the CA that signed "
                        "the broker's certificate); set it to use TLS");
    options_.tls_ca_file = tls_ca_file_.string();
    options_.tls_cert_file = tls_cert_file_.string();
    options_.tls_key_file = tls_key_file_.string();
    options_.inflight = static_cast<unsigned>(inflight_);
    outbox_ =
        std::make_unique<Outbox>(outbox_file_, static_cast<std::uint64_t>(max_queued_),
                                 overflow_ == "drop_newest" ? Overflow::kDropNewest : Overflow::kDropOldest);
    waiting_at_start_ = outbox_->size();
    if (waiting_at_start_ > 0)
      spdlog::info("stage '{}' (sink.mqtt): {} events from an earlier run wait in {}; they go first", name_,
                   waiting_at_start_, outbox_file_.string());
    publisher_ = std::make_unique<Publisher>(options_, *outbox_);
  }

  Status process(StageContext& ctx) override {
    FramePtr frame = ctx.take(0);
    if (!frame) return Status::ok();
    if (frame->metadata().attributes.contains(oi::xray::attr::kCalibration)) return Status::ok();
    const std::vector<Event> events = frame->kind() == oi::xray::frame_kind::kScan
                                          ? scan_events(frame->metadata(), site_)
                                          : alert_events(frame->metadata(), site_, reported_alerts_);
    for (const Event& e : events) {
      ++events_;
      if (std::string problem = outbox_->push(e.topic, e.message.dump()); !problem.empty()) {
        // Not stored: counted, and the run fails at its end; the scan goes on.
        if (not_queued_++ % 100 == 0)
          spdlog::error("stage '{}' (sink.mqtt): an event could not be stored in {}: {}", name_,
                        outbox_file_.string(), problem);
        last_store_problem_ = problem;
      }
    }
    publisher_->wake();
    return Status::ok();
  }

  Status finish(StageContext&) override {
    const bool drained = publisher_->drain(static_cast<int>(drain_timeout_s_ * 1000));
    if (!drained)
      spdlog::warn(
          "stage '{}' (sink.mqtt): the broker at {}:{} did not take every event within {} s: {} wait in {} "
          "and are sent first when the lane runs again ({})",
          name_, options_.host, options_.port, drain_timeout_s_, outbox_->size(), outbox_file_.string(),
          publisher_->stats().last_problem);
    if (not_queued_ > 0)
      return Status::error("sink.mqtt '" + name_ + "': " + std::to_string(not_queued_) + " of " +
                           std::to_string(events_) + " events could not be stored in the outbox " +
                           outbox_file_.string() + " (" + last_store_problem_ + ")");
    return Status::ok();
  }

  void stop() override {
    if (!publisher_) return;
    final_stats_ = publisher_->stats();
    publisher_.reset();
  }

  nlohmann::json summary() const override {
    nlohmann::json s = {{"broker", options_.host + ":" + std::to_string(options_.port)},
                        {"events", events_},
                        {"not_queued", not_queued_},
                        {"waiting_at_start", waiting_at_start_}};
    if (outbox_) {
      s["outbox"] = fs::absolute(outbox_file_).string();
      s["waiting"] = outbox_->size();
      s["dropped_overflow"] = outbox_->dropped();
    }
    {
      const PublisherStats p = publisher_ ? publisher_->stats() : final_stats_;
      s["acknowledged"] = p.acknowledged;
      s["connects"] = p.connects;
      s["disconnects"] = p.disconnects;
      s["connected"] = p.connected;
      s["last_problem"] = p.last_problem;
    }
    return s;
  }

 private:
  BrokerOptions options_;
  EventSite site_{"", "openinspect"};
  fs::path password_file_, tls_ca_file_, tls_cert_file_, tls_key_file_;
  fs::path outbox_file_;
  int max_queued_ = 100000;
  std::string overflow_ = "drop_oldest";
  double drain_timeout_s_ = 5.0;
  int inflight_ = 32;
  std::string name_;
  std::unique_ptr<Outbox> outbox_;
  std::unique_ptr<Publisher> publisher_;
  PublisherStats final_stats_;  // the publisher's counters when the run stopped
  std::uint64_t events_ = 0;
  std::uint64_t not_queued_ = 0;
  std::uint64_t waiting_at_start_ = 0;
  std::string last_store_problem_;
  std::set<std::string> reported_alerts_;  // "<alert>/<status>" already sent
};

}  // namespace
}  // namespace oi::mqtt

OI_REGISTER_STAGE(oi::mqtt::MqttSink, "sink.mqtt",
                  "Events (decisions, alarms) to an MQTT broker, QoS 1, through a durable outbox.");
OI_PLUGIN("oi-sink-mqtt", "0.1.0", "Apache-2.0")
