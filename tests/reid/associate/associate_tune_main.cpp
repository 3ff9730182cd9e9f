// reid_associate_tune: replays recorded tracks through reid.associate's associator with other
// parameters and scores each setting by the cross-camera IDF1 against the recorded ground
// truth, so thresholds are chosen on tuning runs in seconds instead of one `oi run` each
// (docs/reid.md, "Tuning the association").
//
//   reid_associate_tune --site-map FILE [--set NAME=VALUE]... [--grid NAME=V1,V2,...]... RUN.jsonl...
//
// Each RUN.jsonl is the `record` file of one reid.associate run (every camera of one site, in
// arrival order). NAME is a reid.associate parameter. Every combination of the --grid values
// is run on every file; the counts are summed over the files; one line per setting, best first.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "associator.hpp"
#include "oi/cctv/mtmc_metrics.hpp"
#include "oi/error.hpp"

namespace {

using namespace oi::cctv;
using namespace oi::cctv::reid;

struct RecordedFrame {
  std::string camera;
  std::int64_t time_ns = 0;
  std::vector<Track> tracks;
  std::vector<GroundTruthPerson> truth;
  bool has_truth = false;
};

std::vector<RecordedFrame> read_run(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw oi::Error("cannot read " + path);
  std::vector<RecordedFrame> frames;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      oi::FrameMetadata meta;
      meta.attributes = j;
      RecordedFrame f;
      f.camera = j.at("camera").get<std::string>();
      f.time_ns = j.at("capture_time_ns").get<std::int64_t>();
      f.tracks = tracks_of(meta);
      f.has_truth = j.contains(attr::kGroundTruth);
      f.truth = ground_truth_of(meta);
      frames.push_back(std::move(f));
    } catch (const std::exception& e) {
      throw oi::Error(path + ":" + std::to_string(number) + ": " + e.what());
    }
  }
  return frames;
}

void set_param(const std::string& name, double v, AssociatorParams& p) {
  const std::map<std::string, std::function<void(double)>> numbers = {
      {"min_observations", [&](double x) { p.min_observations = static_cast<int>(x); }},
      {"max_distance", [&](double x) { p.max_distance = x; }},
      {"gallery_per_identity", [&](double x) { p.gallery_per_identity = static_cast<int>(x); }},
      {"tracklet_end_s", [&](double x) { p.tracklet_end_s = x; }},
      {"tracklet_keep_s", [&](double x) { p.tracklet_keep_s = x; }},
      {"forget_after_s", [&](double x) { p.forget_after_s = x; }},
      {"max_identities", [&](double x) { p.max_identities = static_cast<int>(x); }},
      {"rematch_at_end", [&](double x) { p.rematch_at_end = x != 0.0; }},
  };
  const auto it = numbers.find(name);
  if (it == numbers.end()) throw oi::Error("unknown parameter '" + name + "'");
  it->second(v);
}

struct Score {
  IdentityMetrics mtmc;
  std::int64_t identities = 0;
  std::int64_t joined = 0;
  std::int64_t reentries = 0;
  std::int64_t truth_persons = 0;
};

Score evaluate(const std::vector<std::vector<RecordedFrame>>& runs, const AssociatorParams& params,
               const SiteMap& site) {
  Score score;
  const DistractorRule rule;
  for (const std::vector<RecordedFrame>& run : runs) {
    Associator a(params, site);
    std::map<std::string, CameraFrames> cameras;
    std::set<std::int64_t> persons;
    for (const RecordedFrame& f : run) {
      std::vector<Track> tracks = f.tracks;
      for (Track& t : tracks) t.global_identity = -1;
      a.update(f.camera, f.time_ns, tracks);
      if (!f.has_truth) continue;
      CameraFrames& cf = cameras[f.camera];
      cf.camera = f.camera;
      CameraFrame frame;
      for (const GroundTruthPerson& p : f.truth) {
        frame.truth.push_back(rule.truth_of(p));
        if (!rule.is_distractor(p)) persons.insert(p.identity);
      }
      frame.tracks = std::move(tracks);
      cf.frames.push_back(std::move(frame));
    }
    std::vector<CameraFrames> list;
    for (auto& [name, cf] : cameras) list.push_back(std::move(cf));
    score.mtmc += evaluate_cross_camera_identity(list);
    score.identities += a.stats().identities_created;
    score.joined += a.stats().joined_across_cameras;
    score.reentries += a.stats().reentries;
    score.truth_persons += static_cast<std::int64_t>(persons.size());
  }
  return score;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string site_file;
    std::vector<std::pair<std::string, double>> fixed;
    std::vector<std::pair<std::string, std::vector<double>>> grid;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&]() -> std::string {
        if (i + 1 >= argc) throw oi::Error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--site-map") {
        site_file = next();
      } else if (a == "--set" || a == "--grid") {
        const std::string kv = next();
        const auto eq = kv.find('=');
        if (eq == std::string::npos) throw oi::Error(a + " " + kv + ": expected NAME=VALUE");
        std::vector<double> values;
        std::stringstream list(kv.substr(eq + 1));
        for (std::string v; std::getline(list, v, ',');) values.push_back(std::stod(v));
        if (a == "--set") {
          fixed.emplace_back(kv.substr(0, eq), values.at(0));
        } else {
          grid.emplace_back(kv.substr(0, eq), values);
        }
      } else {
        files.push_back(a);
      }
    }
    if (files.empty()) {
      std::fprintf(stderr,
                   "usage: reid_associate_tune --site-map FILE [--set NAME=V]... [--grid NAME=V1,V2]... "
                   "RUN.jsonl...\n");
      return 2;
    }
    const SiteMap site = site_file.empty() ? SiteMap{} : load_site_map(site_file);
    std::vector<std::vector<RecordedFrame>> runs;
    for (const std::string& f : files) runs.push_back(read_run(f));
    AssociatorParams base;
    for (const auto& [name, v] : fixed) set_param(name, v, base);
    struct Row {
      std::string setting;
      Score score;
    };
    std::vector<Row> rows;
    std::vector<std::size_t> index(grid.size(), 0);
    while (true) {
      AssociatorParams p = base;
      std::string setting;
      for (std::size_t g = 0; g < grid.size(); ++g) {
        set_param(grid[g].first, grid[g].second[index[g]], p);
        char text[96];
        std::snprintf(text, sizeof text, "%s=%g ", grid[g].first.c_str(), grid[g].second[index[g]]);
        setting += text;
      }
      if (const std::vector<std::string> bad = problems(p); !bad.empty()) throw oi::Error(bad.front());
      rows.push_back({setting.empty() ? "(defaults)" : setting, evaluate(runs, p, site)});
      std::size_t g = 0;
      for (; g < grid.size(); ++g) {
        if (++index[g] < grid[g].second.size()) break;
        index[g] = 0;
      }
      if (g == grid.size()) break;
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.score.mtmc.idf1() > b.score.mtmc.idf1(); });
    std::printf("%-60s %7s %7s %7s %6s %6s %6s %6s\n", "setting", "IDF1", "IDP", "IDR", "ids", "persons",
                "joined", "reent");
    for (const Row& r : rows) {
      std::printf("%-60s %7.4f %7.4f %7.4f %6lld %6lld %6lld %6lld\n", r.setting.c_str(), r.score.mtmc.idf1(),
                  r.score.mtmc.idp(), r.score.mtmc.idr(), static_cast<long long>(r.score.identities),
                  static_cast<long long>(r.score.truth_persons), static_cast<long long>(r.score.joined),
                  static_cast<long long>(r.score.reentries));
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reid_associate_tune: %s\n", e.what());
    return 1;
  }
}
