// reid_measure_transit: the simulated site's transit times from its ground truth, to write a
// site map (samples/cctv_reid/site_map.yaml; docs/reid.md, "Association").
//
//   reid_measure_transit [--seeds 1-20] [--frames 1800] [--width 320]
//
// Renders every camera of the arrival hall for each seed (small pictures, no noise: only the
// truth is used) and finds, per person and camera, the stretches of frames where the person is
// "seen" (at least half visible and at least 40 px tall at 768 px width, the evaluation's
// rule for persons a detector is asked for; stretches broken by less than 1 s are joined).
// Consecutive stretches of one person give a transit (camera A to camera B: start in B minus
// end in A) or a re-entry (the same camera). Prints, per pair, the count and quantiles.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "site_camera.hpp"

namespace sc = oi::sim_cctv;

namespace {

struct Stretch {
  std::size_t camera = 0;
  double start_s = 0, end_s = 0;
};

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

int main(int argc, char** argv) {
  int seed_from = 1, seed_to = 20, frames = 1800, width = 320;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seeds") {
      std::sscanf(argv[i + 1], "%d-%d", &seed_from, &seed_to);
    } else if (a == "--frames") {
      frames = std::atoi(argv[i + 1]);
    } else if (a == "--width") {
      width = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: %s [--seeds A-B] [--frames N] [--width PX]\n", argv[0]);
      return 2;
    }
  }
  const sc::SiteLayout& site = sc::site_layout("arrival_hall");
  const double min_height = 40.0 * width / 768.0;
  const double join_gap_s = 1.0;
  std::map<std::pair<std::size_t, std::size_t>, std::vector<double>> gaps;  // (from, to) -> seconds
  for (int seed = seed_from; seed <= seed_to; ++seed) {
    std::vector<std::unique_ptr<sc::SiteCamera>> cams;
    for (std::size_t c = 0; c < site.cameras.size(); ++c) {
      sc::SiteCameraConfig config;
      config.camera = c;
      config.seed = static_cast<std::uint64_t>(seed);
      config.picture.width = width;
      config.picture.height = width * 3 / 4;
      config.picture.noise = 0;
      config.picture.jpeg_quality = 100;
      config.picture.motion_blur = false;
      config.picture.shadows = false;
      cams.push_back(std::make_unique<sc::SiteCamera>(config));
    }
    std::vector<std::uint8_t> rgb(static_cast<std::size_t>(width) * (width * 3 / 4) * 3);
    std::vector<oi::cctv::GroundTruthPerson> truth;
    // (identity, camera) -> open stretch
    std::map<std::int64_t, std::vector<Stretch>> stretches;
    for (int f = 0; f < frames; ++f) {
      for (std::size_t c = 0; c < cams.size(); ++c) {
        cams[c]->render(f, rgb.data(), static_cast<std::size_t>(width) * 3, truth);
        const double t = cams[c]->time_of(f);
        for (const oi::cctv::GroundTruthPerson& p : truth) {
          if (p.visible < 0.5 || p.box.h < min_height) continue;
          std::vector<Stretch>& list = stretches[p.identity];
          Stretch* open = nullptr;
          for (Stretch& s : list) {
            if (s.camera == c && t - s.end_s <= join_gap_s) open = &s;
          }
          if (open) {
            open->end_s = t;
          } else {
            list.push_back({c, t, t});
          }
        }
      }
    }
    for (auto& [id, list] : stretches) {
      std::sort(list.begin(), list.end(),
                [](const Stretch& a, const Stretch& b) { return a.start_s < b.start_s; });
      for (std::size_t i = 0; i + 1 < list.size(); ++i) {
        // Only stretches that began and ended inside the recording.
        if (list[i].start_s <= 0.0 || list[i + 1].end_s >= cams[0]->time_of(frames - 1)) continue;
        gaps[{list[i].camera, list[i + 1].camera}].push_back(list[i + 1].start_s - list[i].end_s);
      }
    }
    std::fprintf(stderr, "seed %d done\n", seed);
  }
  std::printf("%-10s %-10s %6s %7s %7s %7s %7s %7s %7s %7s\n", "from", "to", "count", "min", "p01", "p05",
              "p50", "p95", "p99", "max");
  for (const auto& [pair, v] : gaps) {
    std::printf("%-10s %-10s %6zu %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f %7.2f\n",
                site.cameras[pair.first].name.c_str(), site.cameras[pair.second].name.c_str(), v.size(),
                quantile(v, 0), quantile(v, 0.01), quantile(v, 0.05), quantile(v, 0.5), quantile(v, 0.95),
                quantile(v, 0.99), quantile(v, 1));
  }
  return 0;
}
