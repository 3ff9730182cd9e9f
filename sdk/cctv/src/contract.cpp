#include "oi/cctv/contract.hpp"

#include <cmath>
#include <string>

#include "oi/error.hpp"

namespace oi::cctv {
namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw Error("camera contract: " + where + ": " + what);
}

double number(const nlohmann::json& j, const char* key, const std::string& where, double fallback,
              bool required) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (required) bad(where, std::string("has no '") + key + "'");
    return fallback;
  }
  if (!it->is_number()) bad(where, std::string("'") + key + "' is " + it->dump() + ", not a number");
  return it->get<double>();
}

std::vector<float> embedding_of(const nlohmann::json& j, const std::string& where) {
  std::vector<float> out;
  const auto it = j.find("embedding");
  if (it == j.end()) return out;
  if (!it->is_array()) bad(where, "'embedding' is not an array of numbers");
  out.reserve(it->size());
  for (const auto& v : *it) {
    if (!v.is_number()) bad(where, "'embedding' holds " + v.dump() + ", not a number");
    out.push_back(v.get<float>());
  }
  return out;
}

// Calls `read(item, where)` for each element of the list attribute `name`.
template <class T, class Read>
std::vector<T> list_of(const FrameMetadata& metadata, const char* name, Read read) {
  std::vector<T> out;
  const auto it = metadata.attributes.find(name);
  if (it == metadata.attributes.end() || it->is_null()) return out;
  if (!it->is_array()) bad(std::string("attribute '") + name + "'", "is not a list");
  out.reserve(it->size());
  for (std::size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& item = (*it)[i];
    const std::string where = std::string("attribute '") + name + "' item " + std::to_string(i);
    if (!item.is_object()) bad(where, "is " + item.dump() + ", not an object");
    out.push_back(read(item, where));
  }
  return out;
}

Box box_at(const nlohmann::json& item, const std::string& where) {
  const auto it = item.find("box");
  if (it == item.end()) bad(where, "has no 'box'");
  try {
    return box_from_json(*it);
  } catch (const Error& e) {
    bad(where, e.what());
  }
}

}  // namespace

double iou(const Box& a, const Box& b) {
  if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0) return 0.0;
  const double ix = std::max(0.0, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
  const double iy = std::max(0.0, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
  const double inter = ix * iy;
  const double uni = a.w * a.h + b.w * b.h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

nlohmann::json to_json(const Box& box) { return nlohmann::json::array({box.x, box.y, box.w, box.h}); }

nlohmann::json to_json(const Detection& d) {
  nlohmann::json j = {{"box", to_json(d.box)}, {"score", d.score}, {"class", d.object_class}};
  if (!d.embedding.empty()) j["embedding"] = d.embedding;
  return j;
}

nlohmann::json to_json(const Track& t) {
  nlohmann::json j = {
      {"id", t.id}, {"box", to_json(t.box)}, {"score", t.score}, {"state", t.state}, {"age", t.age}};
  if (!t.embedding.empty()) j["embedding"] = t.embedding;
  if (t.global_identity >= 0) j["global_identity"] = t.global_identity;
  return j;
}

nlohmann::json to_json(const GroundTruthPerson& p) {
  return {{"identity", p.identity}, {"box", to_json(p.box)}, {"visible", p.visible}};
}

nlohmann::json to_json(const WatchlistHit& h) {
  return {
      {"track", h.track}, {"entry", h.entry}, {"score", h.score}, {"alert", h.alert}, {"status", h.status}};
}

Box box_from_json(const nlohmann::json& j) {
  if (!j.is_array() || j.size() != 4) throw Error("box " + j.dump() + " is not [x, y, w, h]");
  Box b;
  double* fields[4] = {&b.x, &b.y, &b.w, &b.h};
  for (std::size_t i = 0; i < 4; ++i) {
    if (!j[i].is_number() || !std::isfinite(j[i].get<double>())) {
      throw Error("box " + j.dump() + " holds " + j[i].dump() + ", not a finite number");
    }
    *fields[i] = j[i].get<double>();
  }
  return b;
}

std::vector<Detection> detections_of(const FrameMetadata& metadata) {
  return list_of<Detection>(metadata, attr::kDetections,
                            [](const nlohmann::json& item, const std::string& where) {
                              Detection d;
                              d.box = box_at(item, where);
                              d.score = number(item, "score", where, 1.0, false);
                              if (const auto it = item.find("class"); it != item.end()) {
                                if (!it->is_string()) bad(where, "'class' is not a string");
                                d.object_class = it->get<std::string>();
                              }
                              d.embedding = embedding_of(item, where);
                              return d;
                            });
}

std::vector<Track> tracks_of(const FrameMetadata& metadata) {
  return list_of<Track>(metadata, attr::kTracks, [](const nlohmann::json& item, const std::string& where) {
    Track t;
    const double id = number(item, "id", where, 0, true);
    if (id != std::floor(id)) bad(where, "'id' is not an integer");
    t.id = static_cast<std::int64_t>(id);
    t.box = box_at(item, where);
    t.score = number(item, "score", where, 1.0, false);
    t.age = static_cast<std::int64_t>(number(item, "age", where, 0, false));
    if (const auto it = item.find("state"); it != item.end()) {
      if (!it->is_string()) bad(where, "'state' is not a string");
      t.state = it->get<std::string>();
    }
    t.embedding = embedding_of(item, where);
    const double global = number(item, "global_identity", where, -1, false);
    if (global != std::floor(global)) bad(where, "'global_identity' is not an integer");
    t.global_identity = static_cast<std::int64_t>(global);
    return t;
  });
}

std::vector<GroundTruthPerson> ground_truth_of(const FrameMetadata& metadata) {
  return list_of<GroundTruthPerson>(metadata, attr::kGroundTruth,
                                    [](const nlohmann::json& item, const std::string& where) {
                                      GroundTruthPerson p;
                                      const double id = number(item, "identity", where, 0, true);
                                      if (id != std::floor(id)) bad(where, "'identity' is not an integer");
                                      p.identity = static_cast<std::int64_t>(id);
                                      p.box = box_at(item, where);
                                      p.visible = number(item, "visible", where, 1.0, false);
                                      return p;
                                    });
}

std::vector<WatchlistHit> watchlist_hits_of(const FrameMetadata& metadata) {
  return list_of<WatchlistHit>(
      metadata, attr::kWatchlistHits, [](const nlohmann::json& item, const std::string& where) {
        WatchlistHit h;
        const double track = number(item, "track", where, 0, true);
        if (track != std::floor(track)) bad(where, "'track' is not an integer");
        h.track = static_cast<std::int64_t>(track);
        h.score = number(item, "score", where, 0, false);
        for (auto [key, field] : {std::pair{"entry", &h.entry}, {"alert", &h.alert}, {"status", &h.status}}) {
          const auto it = item.find(key);
          if (it == item.end()) continue;
          if (!it->is_string()) bad(where, std::string("'") + key + "' is not a string");
          *field = it->get<std::string>();
        }
        if (h.entry.empty()) bad(where, "has no 'entry'");
        return h;
      });
}

}  // namespace oi::cctv
