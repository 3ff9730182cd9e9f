// cctv_track_tune: replays recorded detections through cctv.track's tracker with other
// parameters and scores each setting against the recorded ground truth (MOTA, IDF1, HOTA with
// TrackEval's definitions), so the tracker can be tuned to a pipeline's detector in seconds
// instead of one `oi run` per setting (docs/cctv.md, "Tuning the tracker").
//
//   cctv_track_tune [--set NAME=VALUE]... [--grid NAME=V1,V2,...]... FILE.frames.jsonl...
//
// The files are sink.video's per-frame JSON lines (detections and, from sim.cctv, the ground
// truth); each file is one camera. NAME is a cctv.track parameter. Every combination of the
// --grid values is run; one line per setting, best IDF1 first.
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "camera_trackers.hpp"
#include "oi/cctv/metrics.hpp"
#include "oi/error.hpp"

namespace {

using namespace oi::cctv;

struct RecordedFrame {
  std::string source;
  FrameClock clock;
  std::vector<Detection> detections;
  std::vector<GroundTruthPerson> truth;
  bool has_truth = false;
};

std::vector<RecordedFrame> read_frames(const std::string& path) {
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
      f.source = j.value("source", j.value("camera", std::string("camera")));
      f.clock.sequence = j.value("sequence", std::uint64_t{0});
      f.clock.time_ns = j.value("capture_time_ns", std::int64_t{0});
      meta.capture_time_ns = f.clock.time_ns;
      meta.sequence = f.clock.sequence;
      f.clock = clock_of(meta);
      f.detections = detections_of(meta);
      f.has_truth = j.contains(attr::kGroundTruth);
      f.truth = ground_truth_of(meta);
      frames.push_back(std::move(f));
    } catch (const std::exception& e) {
      throw oi::Error(path + ":" + std::to_string(number) + ": " + e.what());
    }
  }
  return frames;
}

// Writes one named parameter into the tracker's and the clock's settings.
void set_param(const std::string& name, const std::string& value, TrackerParams& p, ClockParams& c) {
  const std::map<std::string, std::function<void(double)>> numbers = {
      {"high_threshold", [&](double v) { p.high_threshold = v; }},
      {"low_threshold", [&](double v) { p.low_threshold = v; }},
      {"new_track_threshold", [&](double v) { p.new_track_threshold = v; }},
      {"match_threshold", [&](double v) { p.match_threshold = v; }},
      {"low_match_threshold", [&](double v) { p.low_match_threshold = v; }},
      {"tentative_match_threshold", [&](double v) { p.tentative_match_threshold = v; }},
      {"track_buffer", [&](double v) { p.track_buffer = static_cast<int>(v); }},
      {"min_hits", [&](double v) { p.min_hits = static_cast<int>(v); }},
      {"appearance_weight", [&](double v) { p.appearance_weight = v; }},
      {"embedding_momentum", [&](double v) { p.embedding_momentum = v; }},
      {"kalman_position_noise", [&](double v) { p.noise.position = v; }},
      {"kalman_velocity_noise", [&](double v) { p.noise.velocity = v; }},
      {"frame_rate_hz", [&](double v) { c.frame_rate_hz = v; }},
  };
  if (name == "fuse_score" || name == "output_lost") {
    if (value != "true" && value != "false")
      throw oi::Error(name + " takes true or false, got '" + value + "'");
    (name == "fuse_score" ? p.fuse_score : p.output_lost) = value == "true";
    return;
  }
  if (name == "gap_from") {
    if (value == "auto")
      c.gap_from = GapFrom::kAuto;
    else if (value == "sequence")
      c.gap_from = GapFrom::kSequence;
    else if (value == "time")
      c.gap_from = GapFrom::kTime;
    else
      throw oi::Error("gap_from takes auto, sequence or time, got '" + value + "'");
    return;
  }
  const auto it = numbers.find(name);
  if (it == numbers.end())
    throw oi::Error("no tracker parameter '" + name + "' (see `oi inspect cctv.track`)");
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size()) throw oi::Error(name + " takes a number, got '" + value + "'");
  it->second(v);
}

TrackingMetrics score(const std::vector<std::vector<RecordedFrame>>& cameras, const TrackerParams& params,
                      const ClockParams& clock) {
  TrackingMetrics total;
  const DistractorRule rule;
  for (const std::vector<RecordedFrame>& frames : cameras) {
    CameraTrackers trackers(params, clock);
    EvalSequence sequence;
    for (const RecordedFrame& f : frames) {
      const SourceUpdate update = trackers.update(f.source, f.clock, f.detections);
      if (!f.has_truth) continue;
      EvalFrame e;
      for (const GroundTruthPerson& p : f.truth) e.truth.push_back(rule.truth_of(p));
      for (const Track& t : update.tracks)
        if (t.state == track_state::kConfirmed) e.tracks.push_back({t.id, t.box});
      sequence.push_back(std::move(e));
    }
    total += evaluate_tracking(sequence);
  }
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> fixed;
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--set" || arg == "--grid") && i + 1 < argc) {
      const std::string item = argv[++i];
      const std::size_t eq = item.find('=');
      if (eq == std::string::npos) {
        std::cerr << arg << " " << item << ": expected NAME=VALUE\n";
        return 2;
      }
      if (arg == "--set") {
        fixed.emplace_back(item.substr(0, eq), item.substr(eq + 1));
      } else {
        std::vector<std::string> values;
        std::stringstream list(item.substr(eq + 1));
        for (std::string v; std::getline(list, v, ',');) values.push_back(v);
        grid.emplace_back(item.substr(0, eq), values);
      }
    } else if (arg == "--help" || arg == "-h" || arg.starts_with("--")) {
      std::cerr
          << "usage: cctv_track_tune [--set NAME=VALUE]... [--grid NAME=V1,V2,...]... FILE.frames.jsonl...\n"
             "Replays sink.video's recorded detections through cctv.track's tracker and scores every\n"
             "setting against the recorded ground truth (docs/cctv.md, \"Tuning the tracker\").\n";
      return arg == "--help" || arg == "-h" ? 0 : 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::cerr << "cctv_track_tune: no .frames.jsonl files given (sink.video writes them; --help)\n";
    return 2;
  }
  try {
    std::vector<std::vector<RecordedFrame>> cameras;
    std::size_t frames = 0, truth_frames = 0;
    for (const std::string& file : files) {
      cameras.push_back(read_frames(file));
      frames += cameras.back().size();
      for (const RecordedFrame& f : cameras.back()) truth_frames += f.has_truth;
    }
    std::printf("# %zu file(s), %zu frames, %zu with ground truth\n", files.size(), frames, truth_frames);
    if (truth_frames == 0)
      throw oi::Error("no frame has ground truth (record a sim.cctv run with sink.video)");

    struct Row {
      std::string setting;
      TrackingMetrics m;
    };
    std::vector<Row> rows;
    std::vector<std::size_t> index(grid.size(), 0);
    while (true) {
      TrackerParams params;
      ClockParams clock;
      std::string setting;
      for (const auto& [name, value] : fixed) set_param(name, value, params, clock);
      for (std::size_t g = 0; g < grid.size(); ++g) {
        set_param(grid[g].first, grid[g].second[index[g]], params, clock);
        setting += (setting.empty() ? "" : " ") + grid[g].first + "=" + grid[g].second[index[g]];
      }
      if (const std::vector<std::string> found = problems(params); !found.empty()) {
        std::fprintf(stderr, "skipped %s: %s\n", setting.c_str(), found.front().c_str());
      } else {
        rows.push_back({setting.empty() ? "(defaults)" : setting, score(cameras, params, clock)});
      }
      std::size_t g = 0;
      for (; g < grid.size(); ++g) {
        if (++index[g] < grid[g].second.size()) break;
        index[g] = 0;
      }
      if (g == grid.size()) break;
    }
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row& a, const Row& b) { return a.m.identity.idf1() > b.m.identity.idf1(); });
    std::printf("%-60s %7s %7s %7s %6s %6s %7s %7s\n", "setting", "IDF1", "MOTA", "HOTA", "IDSW", "Frag",
                "FP", "FN");
    for (const Row& r : rows) {
      std::printf("%-60s %7.4f %7.4f %7.4f %6lld %6lld %7lld %7lld\n", r.setting.c_str(), r.m.identity.idf1(),
                  r.m.clear.mota(), r.m.hota.hota(), static_cast<long long>(r.m.clear.idsw),
                  static_cast<long long>(r.m.clear.frag), static_cast<long long>(r.m.clear.fp),
                  static_cast<long long>(r.m.clear.fn));
    }
  } catch (const std::exception& e) {
    std::cerr << "cctv_track_tune: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
