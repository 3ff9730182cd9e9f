#include "events.hpp"

#include "oi/utc_time.hpp"
#include "oi/xray/contract.hpp"

namespace oi::mqtt {
namespace {

// DeepStream's bbox from a record's `box` [x, y, w, h], when it has one.
void add_bbox(const nlohmann::json& record, nlohmann::json& object) {
  if (!record.contains("box") || !record["box"].is_array() || record["box"].size() != 4) return;
  const nlohmann::json& b = record["box"];
  const double x = b[0].get<double>(), y = b[1].get<double>();
  object["bbox"] = {{"topleftx", x},
                    {"toplefty", y},
                    {"bottomrightx", x + b[2].get<double>()},
                    {"bottomrighty", y + b[3].get<double>()}};
}

}  // namespace

std::vector<Event> scan_events(const FrameMetadata& m, const EventSite& site) {
  namespace attr = oi::xray::attr;
  const nlohmann::json& a = m.attributes;
  const std::string decision = a.contains(attr::kDecision) && a[attr::kDecision].is_string()
                                   ? a[attr::kDecision].get<std::string>()
                                   : std::string("none");
  nlohmann::json objects = nlohmann::json::array();
  if (a.contains(attr::kDetections) && a[attr::kDetections].is_array()) {
    int index = 0;
    for (const nlohmann::json& d : a[attr::kDetections]) {
      if (d.value("tip", false)) continue;
      nlohmann::json object = {{"id", std::to_string(m.scan_id) + "-" + std::to_string(index++)},
                               {"class", d.value("class", "")},
                               {"score", d.value("score", 0.0)}};
      add_bbox(d, object);
      objects.push_back(std::move(object));
    }
  }
  auto event = [&](const std::string& type) {
    const std::string id = m.source_device + "-" + std::to_string(m.scan_id) + "-" +
                           std::to_string(m.capture_time_ns) + "-" + type;
    nlohmann::json message = {{"schema", kSchema},
                              {"version", kSchemaVersion},
                              {"messageid", id},
                              {"@timestamp", iso8601_utc_ms(m.capture_time_ns)},
                              {"place", {{"id", site.place}}},
                              {"sensor", {{"id", m.source_device}, {"type", "xray.scanner"}}},
                              {"event", {{"id", id}, {"type", type}}},
                              {"scan",
                               {{"id", m.scan_id},
                                {"decision", decision},
                                {"decision_reason", a.value(attr::kDecisionReason, nlohmann::json(nullptr))},
                                {"incomplete", m.incomplete},
                                {"report", a.value("report", nlohmann::json(nullptr))}}},
                              {"declaration_id", a.contains("declaration") && a["declaration"].is_object()
                                                     ? a["declaration"].value("id", nlohmann::json(nullptr))
                                                     : nlohmann::json(nullptr)},
                              {"risk", a.value("risk", nlohmann::json(nullptr))},
                              {"objects", objects}};
    return Event{site.topic_prefix + "/" + type, std::move(message)};
  };
  std::vector<Event> events{event("decision")};
  if (decision == oi::xray::decision::kAlarm || decision == oi::xray::decision::kCannotClear)
    events.push_back(event("alarm"));
  return events;
}

std::vector<Event> alert_events(const FrameMetadata& m, const EventSite& site,
                                std::set<std::string>& reported) {
  std::vector<Event> events;
  const nlohmann::json& a = m.attributes;
  if (!a.contains("watchlist_hits") || !a["watchlist_hits"].is_array()) return events;
  for (const nlohmann::json& hit : a["watchlist_hits"]) {
    const std::string alert = hit.value("alert", "");
    const std::string status = hit.value("status", "unconfirmed");
    if (alert.empty() || !reported.insert(alert + "/" + status).second) continue;
    const std::int64_t track = hit.value("track", std::int64_t{-1});
    nlohmann::json object = {{"id", m.source_device + "-" + std::to_string(track)}, {"class", "person"}};
    if (a.contains("tracks") && a["tracks"].is_array()) {
      for (const nlohmann::json& t : a["tracks"]) {
        if (t.value("id", std::int64_t{-2}) != track) continue;
        object["global_identity"] = t.value("global_identity", std::int64_t{-1});
        add_bbox(t, object);
      }
    }
    const std::string id = m.source_device + "-" + alert + "-" + status;
    nlohmann::json message = {{"schema", kSchema},
                              {"version", kSchemaVersion},
                              {"messageid", id},
                              {"@timestamp", iso8601_utc_ms(m.capture_time_ns)},
                              {"place", {{"id", site.place}}},
                              {"sensor", {{"id", m.source_device}, {"type", "camera"}}},
                              {"event", {{"id", id}, {"type", "reid_alert"}}},
                              {"alert",
                               {{"id", alert},
                                {"status", status},
                                {"entry", hit.value("entry", "")},
                                {"score", hit.value("score", 0.0)},
                                {"track", track}}},
                              {"objects", nlohmann::json::array({object})}};
    events.push_back({site.topic_prefix + "/reid_alert", std::move(message)});
  }
  return events;
}

Event verdict_event(const std::string& scan_id, const std::string& verdict, const std::string& officer,
                    const std::string& note, std::uint64_t ledger_seq, std::int64_t time_ns,
                    const EventSite& site) {
  // As in decision events: a numeric scan id is a number.
  const bool numeric =
      !scan_id.empty() && scan_id.size() < 20 && scan_id.find_first_not_of("0123456789") == std::string::npos;
  const std::string id =
      "verdict-" + scan_id + "-" + std::to_string(ledger_seq) + "-" + std::to_string(time_ns);
  nlohmann::json message = {
      {"schema", kSchema},
      {"version", kSchemaVersion},
      {"messageid", id},
      {"@timestamp", iso8601_utc_ms(time_ns)},
      {"place", {{"id", site.place}}},
      {"sensor", {{"id", officer}, {"type", "officer"}}},
      {"event", {{"id", id}, {"type", "verdict"}}},
      {"scan", {{"id", numeric ? nlohmann::json(std::stoull(scan_id)) : nlohmann::json(scan_id)}}},
      {"verdict", {{"verdict", verdict}, {"officer", officer}, {"note", note}, {"ledger_seq", ledger_seq}}},
      {"objects", nlohmann::json::array()}};
  return Event{site.topic_prefix + "/verdict", std::move(message)};
}

}  // namespace oi::mqtt
