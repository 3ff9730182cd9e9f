#pragma once
// The events sink.mqtt publishes: schema "openinspect.event" version 1, modelled on
// DeepStream's nvmsgconv message (messageid, @timestamp, sensor, place, object with bbox, event
// type). docs/integration.md, "Events" gives every member.
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "oi/frame.hpp"

namespace oi::mqtt {

inline constexpr const char* kSchema = "openinspect.event";
inline constexpr int kSchemaVersion = 1;

/// Where the events come from and where they go.
struct EventSite {
  std::string place;         ///< the lane or site id, e.g. "border-east/lane-3"
  std::string topic_prefix;  ///< topics are <prefix>/<event type>
};

/// One event to publish.
struct Event {
  std::string topic;
  nlohmann::json message;
};

/// The events of one inspected scan: a `decision` event always, and an `alarm` event when the
/// decision is `alarm` or `cannot_clear`. Detections flagged `tip` (Threat Image Projection)
/// are never sent.
std::vector<Event> scan_events(const FrameMetadata& scan, const EventSite& site);

/// The `reid_alert` events of a camera frame (reid.watchlist's `watchlist_hits`), on
/// `<prefix>/reid_alert`: one per alert the first time it is seen and again when its status
/// changes (confirmed, rejected); `reported` holds "<alert>/<status>" pairs already sent and is
/// updated. Each carries the camera, the track and its box, the global identity, the watchlist
/// entry, the similarity and the status; never an image.
std::vector<Event> alert_events(const FrameMetadata& frame, const EventSite& site,
                                std::set<std::string>& reported);

/// The event of an officer's verdict on a scan, recorded as ledger record `ledger_seq`, on
/// `<prefix>/verdict`; `time_ns` is when it was recorded.
Event verdict_event(const std::string& scan_id, const std::string& verdict, const std::string& officer,
                    const std::string& note, std::uint64_t ledger_seq, std::int64_t time_ns,
                    const EventSite& site);

}  // namespace oi::mqtt
