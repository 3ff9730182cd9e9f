// sink.mqtt against a real Mosquitto broker started on 127.0.0.1 and a real mosquitto_sub:
// events arrive in order with the documented schema; the broker is stopped mid-run and
// restarted and no event is missing; a run while the broker is away leaves its events in the
// outbox and the next run sends them first; the outbox's overflow policies; the events of a
// scan built by hand (TIP left out, boxes as DeepStream's bbox).
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <thread>

#include "events.hpp"
#include "file_size_limit.hpp"
#include "mosquitto_broker.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "oi/plugin_registry.hpp"
#include "oi/xray/contract.hpp"
#include "outbox.hpp"
#include "pipeline_run.hpp"
#include "process.hpp"
#include "publisher.hpp"
#include "scratch.hpp"
#include "test_stages.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

#define REQUIRE_MOSQUITTO()                                                                              \
  if (!test::mosquitto_present())                                                                        \
  GTEST_SKIP() << "mosquitto and mosquitto-clients are not installed (scripts/install-deps.sh installs " \
                  "them)"

TEST(MqttPublisher, ABrokerRestartMidRunLosesNothingAndKeepsTheOrder) {
  REQUIRE_MOSQUITTO();
  const fs::path dir = test::scratch_dir("mqtt", "restart");
  test::MosquittoBroker broker(dir);
  ASSERT_TRUE(broker.start());
  test::MosquittoSubscriber sub(dir, broker.port(), "oi/#");
  ASSERT_TRUE(sub.ready("oi"));

  mqtt::Outbox outbox(dir / "outbox.sqlite", 1000, mqtt::Overflow::kDropOldest);
  mqtt::BrokerOptions options;
  options.port = broker.port();
  mqtt::Publisher publisher(options, outbox);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(outbox.push("oi/decision", json{{"n", i}}.dump()), "");
  publisher.wake();
  ASSERT_TRUE(publisher.drain(10000)) << publisher.stats().last_problem;

  broker.stop();
  for (int i = 20; i < 40; ++i) ASSERT_EQ(outbox.push("oi/decision", json{{"n", i}}.dump()), "");
  publisher.wake();
  EXPECT_FALSE(publisher.drain(500));
  EXPECT_EQ(outbox.size(), 20u) << "the events wait on disk while the broker is away";

  ASSERT_TRUE(broker.start());
  EXPECT_TRUE(publisher.drain(20000)) << publisher.stats().last_problem;
  EXPECT_EQ(outbox.size(), 0u);
  EXPECT_GE(publisher.stats().connects, 2u);

  const std::vector<json> received = sub.messages("oi/decision", 40);
  std::set<int> seen;
  int last_new = -1;
  for (const json& m : received) {
    const int n = m["n"].get<int>();
    if (seen.insert(n).second) {
      EXPECT_GT(n, last_new) << "a new event arrived before an older one";
      last_new = n;
    }
  }
  EXPECT_EQ(seen.size(), 40u) << "events missing at the subscriber";
}

json scan_attributes(const std::string& decision) {
  json detections = json::array();
  if (decision != "clear") {
    detections.push_back({{"class", decision == "alarm" ? "narcotics" : "shielding"},
                          {"box", {10, 20, 30, 40}},
                          {"score", 0.75}});
    detections.push_back({{"class", "knife"}, {"box", {1, 2, 3, 4}}, {"score", 0.9}, {"tip", true}});
  }
  return {{"detections", detections}, {"decision", decision}};
}

FramePtr make_scan(std::uint64_t id, const std::string& decision) {
  auto f = Frame::create(std::string(oi::xray::frame_kind::kScan));
  f->add_plane("high", PixelFormat::kU16, 8, 8);
  f->metadata().scan_id = id;
  f->metadata().capture_time_ns = 1700000000000000000 + static_cast<std::int64_t>(id);
  f->metadata().source_device = "scanner";
  f->metadata().attributes = scan_attributes(decision);
  return f;
}

TEST(MqttEvents, ScanEventsFollowTheSchemaAndLeaveTipOut) {
  FrameMetadata m;
  m.scan_id = 7;
  m.source_device = "lane3";
  m.capture_time_ns = 1700000000123456789;
  m.attributes = scan_attributes("alarm");
  const std::vector<mqtt::Event> events = mqtt::scan_events(m, {"border-east/lane-3", "oi"});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].topic, "oi/decision");
  EXPECT_EQ(events[1].topic, "oi/alarm");
  const json& alarm = events[1].message;
  EXPECT_EQ(alarm["schema"], "openinspect.event");
  EXPECT_EQ(alarm["version"], 1);
  EXPECT_EQ(alarm["messageid"], "lane3-7-1700000000123456789-alarm");
  EXPECT_EQ(alarm["@timestamp"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(alarm["place"]["id"], "border-east/lane-3");
  EXPECT_EQ(alarm["sensor"], json({{"id", "lane3"}, {"type", "xray.scanner"}}));
  EXPECT_EQ(alarm["event"]["type"], "alarm");
  EXPECT_EQ(alarm["scan"]["decision"], "alarm");
  ASSERT_EQ(alarm["objects"].size(), 1u) << "the TIP knife must not be sent";
  EXPECT_EQ(alarm["objects"][0]["class"], "narcotics");
  EXPECT_EQ(alarm["objects"][0]["bbox"],
            json({{"topleftx", 10.0}, {"toplefty", 20.0}, {"bottomrightx", 40.0}, {"bottomrighty", 60.0}}));
  m.attributes = scan_attributes("cannot_clear");
  EXPECT_EQ(mqtt::scan_events(m, {"", "oi"}).size(), 2u);
  m.attributes = scan_attributes("clear");
  EXPECT_EQ(mqtt::scan_events(m, {"", "oi"}).size(), 1u);
}

TEST(MqttEvents, AReidAlertIsSentOnceAndAgainWhenItsStatusChanges) {
  FrameMetadata m;
  m.source_device = "gate";
  m.capture_time_ns = 1700000000500000000;
  m.attributes = {
      {"tracks",
       {{{"id", 4}, {"box", {100, 50, 40, 120}}, {"global_identity", 17}},
        {{"id", 5}, {"box", {10, 10, 30, 90}}}}},
      {"watchlist_hits",
       {{{"track", 4}, {"entry", "W-2"}, {"score", 0.83}, {"alert", "A-1"}, {"status", "unconfirmed"}}}}};
  std::set<std::string> reported;
  const std::vector<mqtt::Event> first = mqtt::alert_events(m, {"airport/arrivals", "oi"}, reported);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].topic, "oi/reid_alert");
  const json& e = first[0].message;
  EXPECT_EQ(e["messageid"], "gate-A-1-unconfirmed");
  EXPECT_EQ(e["event"]["type"], "reid_alert");
  EXPECT_EQ(e["sensor"], json({{"id", "gate"}, {"type", "camera"}}));
  EXPECT_EQ(
      e["alert"],
      json({{"id", "A-1"}, {"status", "unconfirmed"}, {"entry", "W-2"}, {"score", 0.83}, {"track", 4}}));
  EXPECT_EQ(e["objects"][0]["global_identity"], 17);
  EXPECT_EQ(
      e["objects"][0]["bbox"],
      json({{"topleftx", 100.0}, {"toplefty", 50.0}, {"bottomrightx", 140.0}, {"bottomrighty", 170.0}}));
  EXPECT_TRUE(mqtt::alert_events(m, {"", "oi"}, reported).empty()) << "the same alert in the next frame";
  m.attributes["watchlist_hits"][0]["status"] = "confirmed";
  EXPECT_EQ(mqtt::alert_events(m, {"", "oi"}, reported).size(), 1u);
  m.attributes.erase("watchlist_hits");
  EXPECT_TRUE(mqtt::alert_events(m, {"", "oi"}, reported).empty());
}

TEST(MqttOutbox, OverflowPoliciesAreExplicitAndCounted) {
  const fs::path dir = test::scratch_dir("mqtt", "overflow");
  {
    mqtt::Outbox oldest(dir / "oldest.sqlite", 3, mqtt::Overflow::kDropOldest);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(oldest.push("t", std::to_string(i)), "");
    EXPECT_EQ(oldest.size(), 3u);
    EXPECT_EQ(oldest.dropped(), 2u);
    const auto kept = oldest.after(0, 10);
    ASSERT_EQ(kept.size(), 3u);
    EXPECT_EQ(kept[0].payload, "2");
    EXPECT_EQ(kept[2].payload, "4");
  }
  mqtt::Outbox newest(dir / "newest.sqlite", 3, mqtt::Overflow::kDropNewest);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(newest.push("t", std::to_string(i)), "");
  const auto kept = newest.after(0, 10);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[2].payload, "2");
  EXPECT_EQ(newest.dropped(), 2u);
  // Reopened, the waiting events are still there, with their order.
  mqtt::Outbox again(dir / "oldest.sqlite", 3, mqtt::Overflow::kDropOldest);
  EXPECT_EQ(again.size(), 3u);
  EXPECT_EQ(again.after(0, 1)[0].payload, "2");
  std::ofstream(dir / "not-sqlite") << "this is not a database\n";
  EXPECT_THROW(mqtt::Outbox(dir / "not-sqlite", 3, mqtt::Overflow::kDropOldest), Error);
}

TEST(MqttOutbox, AFullDiskIsAProblemAndLosesNothingStored) {
  const fs::path dir = test::scratch_dir("mqtt", "full");
  mqtt::Outbox outbox(dir / "outbox.sqlite", 1000, mqtt::Overflow::kDropOldest);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(outbox.push("t", std::to_string(i)), "");
  std::string problem;
  {
    const test::FileSizeLimit full_disk(64 * 1024);
    ASSERT_TRUE(full_disk.ok());
    for (int i = 0; i < 200 && problem.empty(); ++i) problem = outbox.push("t", std::string(4096, 'x'));
  }
  EXPECT_FALSE(problem.empty()) << "a 64 KiB limit never refused an event";
  const auto kept = outbox.after(0, 3);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].payload, "0");
  EXPECT_EQ(outbox.push("t", "after"), "") << "the outbox works again once there is room";
}

class MqttSink : public ::testing::Test {
 protected:
  void SetUp() override {
    const PluginRecord& record = registry_.load_file(OI_MQTT_PLUGIN);
    ASSERT_FALSE(record.error) << *record.error;
    test::register_test_scans(registry_);
    dir_ = test::scratch_dir("mqtt", ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  RunResult run(std::vector<FramePtr> frames, int port) {
    test::set_test_scans(std::move(frames));
    std::ofstream(dir_ / "pipeline.yaml")
        << "devices:\n  scanner: { driver: test.scans }\nstages:\n  events:\n    type: sink.mqtt\n    "
           "params: "
           "{ port: "
        << port
        << ", topic_prefix: oi, place: lane-3, outbox: outbox.sqlite, drain_timeout_s: 1 }\n"
           "connections:\n  - { from: scanner.out, to: events.in }\n";
    test::PipelineRun run = test::run_pipeline_file(dir_ / "pipeline.yaml", registry_);
    summaries_ = run.summaries;
    return run.result;
  }

  PluginRegistry registry_;
  fs::path dir_;
  json summaries_ = json::object();
};

TEST_F(MqttSink, ARunWithoutItsBrokerKeepsTheEventsAndTheNextRunSendsThemFirst) {
  REQUIRE_MOSQUITTO();
  test::MosquittoBroker broker(dir_);  // not started yet: the first run finds no broker
  RunResult first = run({make_scan(1, "alarm"), make_scan(2, "clear")}, broker.port());
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(summaries_["events"]["events"], 3);
  EXPECT_EQ(summaries_["events"]["waiting"], 3);
  EXPECT_EQ(summaries_["events"]["acknowledged"], 0);

  ASSERT_TRUE(broker.start());
  test::MosquittoSubscriber sub(dir_, broker.port(), "oi/#");
  ASSERT_TRUE(sub.ready("oi"));
  RunResult second = run({make_scan(3, "cannot_clear")}, broker.port());
  ASSERT_TRUE(second.ok) << second.error;
  EXPECT_EQ(summaries_["events"]["waiting_at_start"], 3);
  EXPECT_EQ(summaries_["events"]["waiting"], 0);

  const std::vector<json> decisions = sub.messages("oi/decision", 3);
  ASSERT_EQ(decisions.size(), 3u);
  EXPECT_EQ(decisions[0]["scan"]["id"], 1);
  EXPECT_EQ(decisions[1]["scan"]["id"], 2);
  EXPECT_EQ(decisions[2]["scan"]["id"], 3);
  EXPECT_EQ(decisions[2]["place"]["id"], "lane-3");
  const std::vector<json> alarms = sub.messages("oi/alarm", 2);
  ASSERT_EQ(alarms.size(), 2u);
  EXPECT_EQ(alarms[0]["objects"][0]["class"], "narcotics");
  EXPECT_EQ(alarms[1]["scan"]["decision"], "cannot_clear");
}

}  // namespace
}  // namespace oi
