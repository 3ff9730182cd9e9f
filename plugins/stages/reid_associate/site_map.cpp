#include "site_map.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "oi/error.hpp"

namespace oi::cctv::reid {

bool SiteMap::has_camera(const std::string& camera) const {
  return std::find(cameras.begin(), cameras.end(), camera) != cameras.end();
}

std::optional<TimeWindow> SiteMap::transit(const std::string& from, const std::string& to) const {
  for (const CameraLink& l : links) {
    if (l.from == from && l.to == to) return l.window;
  }
  return std::nullopt;
}

bool SiteMap::overlapping(const std::string& a, const std::string& b) const {
  for (const auto& [x, y] : overlaps) {
    if ((x == a && y == b) || (x == b && y == a)) return true;
  }
  return false;
}

namespace {

// Collects every problem of one file, each with its line, and throws them together.
class Parser {
 public:
  explicit Parser(std::string origin) : origin_(std::move(origin)) {}

  void problem_at(int line, int column, const std::string& message) {
    Diagnostic d;
    d.where.file = origin_;
    d.where.line = line;
    d.where.column = column;
    d.message = message;
    diagnostics_.push_back(std::move(d));
  }

  void problem(const YAML::Node& at, const std::string& message) {
    if (at.IsDefined()) {
      problem_at(at.Mark().line + 1, at.Mark().column + 1, message);
    } else {
      problem_at(0, 0, message);
    }
  }

  void check_keys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) {
    for (const auto& kv : map) {
      const std::string key = kv.first.as<std::string>();
      if (allowed.count(key) == 0) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        problem(kv.first, "unknown key '" + key + "' in " + what + "; allowed: " + list);
      }
    }
  }

  std::optional<double> seconds(const YAML::Node& map, const char* key, const std::string& what) {
    const YAML::Node v = map[key];
    if (!v.IsDefined() || v.IsNull()) {
      problem(map, what + " has no '" + key + "'; give it in seconds");
      return std::nullopt;
    }
    try {
      const double s = v.as<double>();
      if (!(s >= 0.0)) {
        problem(v, what + ": '" + key + "' is " + v.as<std::string>() + "; times are seconds >= 0");
        return std::nullopt;
      }
      return s;
    } catch (const YAML::Exception&) {
      problem(v, what + ": '" + key + "' is not a number of seconds");
      return std::nullopt;
    }
  }

  std::optional<TimeWindow> window(const YAML::Node& map, const std::string& what) {
    const auto lo = seconds(map, "min_s", what);
    const auto hi = seconds(map, "max_s", what);
    if (!lo || !hi) return std::nullopt;
    if (*lo > *hi) {
      problem(map, what + ": min_s " + map["min_s"].as<std::string>() + " is above max_s " +
                       map["max_s"].as<std::string>() + "; swap them");
      return std::nullopt;
    }
    return TimeWindow{*lo, *hi};
  }

  std::optional<std::string> camera(const YAML::Node& v, const SiteMap& map, const std::string& what) {
    if (!v.IsDefined() || !v.IsScalar()) {
      problem(v, what + " is not a camera name");
      return std::nullopt;
    }
    const std::string name = v.as<std::string>();
    if (!map.has_camera(name)) {
      std::string list;
      for (const std::string& c : map.cameras) list += (list.empty() ? "" : ", ") + c;
      problem(v, what + " names camera '" + name + "', which `cameras` does not list (" + list +
                     "); add it there or fix the name");
      return std::nullopt;
    }
    return name;
  }

  SiteMap parse(const std::string& text) {
    SiteMap map;
    map.origin = origin_;
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      problem_at(e.mark.line + 1, e.mark.column + 1, "not valid YAML: " + e.msg);
      throw ConfigError(diagnostics_);
    }
    if (!root.IsMap()) {
      problem_at(1, 1, "a site map is a mapping with `cameras`, `links`, `reentry` and `overlaps`");
      throw ConfigError(diagnostics_);
    }
    check_keys(root, {"cameras", "links", "reentry", "overlaps", "site", "description"}, "the site map");

    const YAML::Node cameras = root["cameras"];
    if (!cameras.IsDefined() || !cameras.IsSequence() || cameras.size() == 0) {
      problem(cameras.IsDefined() ? cameras : root, "`cameras` must list the site's camera names");
    } else {
      for (const YAML::Node& c : cameras) {
        if (!c.IsScalar() || c.as<std::string>().empty()) {
          problem(c, "a camera name must be a non-empty string");
          continue;
        }
        const std::string name = c.as<std::string>();
        if (map.has_camera(name)) {
          problem(c, "camera '" + name + "' is listed twice");
          continue;
        }
        map.cameras.push_back(name);
      }
    }

    if (const YAML::Node reentry = root["reentry"]; reentry.IsDefined()) {
      if (!reentry.IsMap()) {
        problem(reentry, "`reentry` must be a mapping { min_s: ..., max_s: ... }");
      } else {
        check_keys(reentry, {"min_s", "max_s"}, "`reentry`");
        if (auto w = window(reentry, "`reentry`")) map.reentry = *w;
      }
    }

    if (const YAML::Node links = root["links"]; links.IsDefined() && !links.IsNull()) {
      if (!links.IsSequence()) {
        problem(links, "`links` must be a list of { from, to, min_s, max_s[, two_way] }");
      } else {
        for (std::size_t i = 0; i < links.size(); ++i) {
          const YAML::Node l = links[i];
          const std::string what = "link " + std::to_string(i + 1);
          if (!l.IsMap()) {
            problem(l, what + " must be a mapping { from, to, min_s, max_s[, two_way] }");
            continue;
          }
          check_keys(l, {"from", "to", "min_s", "max_s", "two_way"}, what);
          const auto from = camera(l["from"], map, what + " `from`");
          const auto to = camera(l["to"], map, what + " `to`");
          const auto w = window(l, what);
          bool two_way = false;
          if (const YAML::Node t = l["two_way"]; t.IsDefined()) {
            try {
              two_way = t.as<bool>();
            } catch (const YAML::Exception&) {
              problem(t, what + ": `two_way` must be true or false");
            }
          }
          if (!from || !to || !w) continue;
          if (*from == *to) {
            problem(l, what + " leads from '" + *from + "' to itself; use `reentry` for the same camera");
            continue;
          }
          if (map.transit(*from, *to) || (two_way && map.transit(*to, *from))) {
            problem(l, what + " repeats a link from '" + *from + "' to '" + *to + "'; give each link once");
            continue;
          }
          map.links.push_back({*from, *to, *w});
          if (two_way) map.links.push_back({*to, *from, *w});
        }
      }
    }

    if (const YAML::Node overlaps = root["overlaps"]; overlaps.IsDefined() && !overlaps.IsNull()) {
      if (!overlaps.IsSequence()) {
        problem(overlaps, "`overlaps` must be a list of camera pairs, e.g. [[baggage, exit]]");
      } else {
        for (const YAML::Node& pair : overlaps) {
          if (!pair.IsSequence() || pair.size() != 2) {
            problem(pair, "an overlap is a pair of camera names, e.g. [baggage, exit]");
            continue;
          }
          const auto a = camera(pair[0], map, "overlap");
          const auto b = camera(pair[1], map, "overlap");
          if (a && b && *a == *b) {
            problem(pair, "camera '" + *a + "' cannot overlap itself");
            continue;
          }
          if (a && b) map.overlaps.emplace_back(*a, *b);
        }
      }
    }
    if (!diagnostics_.empty()) throw ConfigError(diagnostics_);
    return map;
  }

 private:
  std::string origin_;
  std::vector<Diagnostic> diagnostics_;
};

}  // namespace

SiteMap parse_site_map(const std::string& text, const std::string& origin) {
  return Parser(origin).parse(text);
}

SiteMap load_site_map(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw ConfigError(
        "cannot read the site map '" + file.string() +
        "'; set `site_map` to an existing YAML file (samples/cctv_reid/site_map.yaml shows the form)");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_site_map(text.str(), file.string());
}

}  // namespace oi::cctv::reid
