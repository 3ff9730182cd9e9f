// oi-train-cctv-detector: trains the appearance detector of cctv.detect on the simulated site.
//
// Positives: the windows (appearance_window()) around persons at least 70 % visible and 36 px
// tall, wholly in the picture, and their mirror images. Negatives: windows at random places and
// sizes that hold no person, windows beside and around persons (shifted by most of a width,
// or far too large or small: a detector must not fire there), and after a first fit the
// windows the model fires on without a person there (hard negatives). The model is ridge
// regression of +1 / -1 on the HOG values (classes weighted equally): a closed-form linear
// classifier, deterministic, fitted in seconds. Only the tuning seeds of docs/cctv.md may be
// given (1-20).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>
#include <vector>

#include "appearance_detector.hpp"
#include "site_camera.hpp"

namespace {

namespace cc = oi::cctv;
namespace sc = oi::sim_cctv;

double iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

// The normal equations of the ridge regression, accumulated sample by sample.
struct Normal {
  explicit Normal(int n) : a(n + 1, n + 1, CV_64F, cv::Scalar(0)), b(n + 1, 1, CV_64F, cv::Scalar(0)) {}
  void add(const std::vector<float>& x, double y, double weight) {
    const int n = static_cast<int>(x.size());
    std::vector<double> v(x.begin(), x.end());
    v.push_back(1.0);
    for (int i = 0; i <= n; ++i) {
      double* row = a.ptr<double>(i);
      const double wi = weight * v[static_cast<std::size_t>(i)];
      for (int j = i; j <= n; ++j) row[j] += wi * v[static_cast<std::size_t>(j)];
      b.at<double>(i) += wi * y;
    }
  }
  cv::Mat a, b;
};

struct Samples {
  std::vector<std::vector<float>> positives, negatives;
};

// The HOG of `window` (image pixels) of `rgb`, or nothing when it is not wholly in the image.
bool features(const cv::HOGDescriptor& hog, const cv::Mat& rgb, const cv::Rect2d& window, bool mirror,
              std::vector<float>& out) {
  const cv::Rect r(static_cast<int>(std::lround(window.x)), static_cast<int>(std::lround(window.y)),
                   static_cast<int>(std::lround(window.width)), static_cast<int>(std::lround(window.height)));
  if (r.x < 0 || r.y < 0 || r.x + r.width > rgb.cols || r.y + r.height > rgb.rows || r.width < 8)
    return false;
  cv::Mat patch;
  cv::resize(rgb(r), patch, {cc::kAppearanceWindowWidth, cc::kAppearanceWindowHeight}, 0, 0,
             r.height > cc::kAppearanceWindowHeight ? cv::INTER_AREA : cv::INTER_LINEAR);
  if (mirror) cv::flip(patch, patch, 1);
  hog.compute(patch, out);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Trains cctv.detect's appearance detector (HOG + linear model) on the simulated site"};
  std::vector<int> seeds;
  std::string out;
  int first_frame = 30, last_frame = 290, step = 10;
  double ridge = 1.0;
  app.add_option("--seeds", seeds, "site seeds to train on (tuning seeds 1-20 only)")->required();
  app.add_option("--out", out, "the C++ source to write (person_hog_model.inc)")->required();
  app.add_option("--first-frame", first_frame, "first frame of each camera used");
  app.add_option("--last-frame", last_frame, "last frame of each camera used");
  app.add_option("--step", step, "frames between the frames used");
  app.add_option("--ridge", ridge, "ridge penalty (per sample weight 1)");
  CLI11_PARSE(app, argc, argv);
  for (int s : seeds) {
    if (s < 1 || s > 20) {
      std::cerr << "seed " << s << " is not a tuning seed (1-20); evaluation seeds must stay unseen\n";
      return 2;
    }
  }

  const cv::HOGDescriptor hog = cc::appearance_hog();
  const int n = static_cast<int>(hog.getDescriptorSize());
  std::mt19937 random(20261207u);
  Samples samples;
  std::vector<float> x;
  struct Frame {
    cv::Mat rgb;
    std::vector<cv::Rect2d> persons;  // every person in the truth
  };
  std::vector<Frame> mining;  // frames kept for the hard negatives
  for (int seed : seeds) {
    for (std::size_t camera = 0; camera < 4; ++camera) {
      sc::SiteCameraConfig config;
      config.seed = static_cast<std::uint64_t>(seed);
      config.camera = camera;
      sc::SiteCamera site(config);
      cv::Mat rgb(config.picture.height, config.picture.width, CV_8UC3);
      std::vector<oi::cctv::GroundTruthPerson> truth;
      for (int f = first_frame; f <= last_frame; f += step) {
        site.render(f, rgb.data, rgb.step, truth);
        std::vector<cv::Rect2d> persons;
        for (const auto& t : truth) persons.emplace_back(t.box.x, t.box.y, t.box.w, t.box.h);
        const auto free = [&](const cv::Rect2d& person, double limit) {
          for (const cv::Rect2d& p : persons)
            if (iou(person, p) > limit) return false;
          return true;
        };
        for (const auto& t : truth) {
          if (t.visible < 0.7 || t.box.h < 36) continue;
          const cv::Rect2d person(t.box.x, t.box.y, t.box.w, t.box.h);
          for (bool mirror : {false, true})
            if (features(hog, rgb, cc::appearance_window(person), mirror, x)) samples.positives.push_back(x);
          // Beside and around the person: no person there at that size.
          std::uniform_real_distribution<double> side(0.6, 1.0);
          for (int k = 0; k < 4; ++k) {
            cv::Rect2d other = person;
            if (k < 2) {
              other.x += (k == 0 ? -1 : 1) * side(random) * std::max(person.width, 0.35 * person.height);
            } else {
              const double f2 = k == 2 ? 1.8 : 0.55;
              other = cv::Rect2d(person.x + person.width / 2 - person.width * f2 / 2,
                                 person.y + person.height - person.height * f2, person.width * f2,
                                 person.height * f2);
            }
            if (free(other, 0.3) && features(hog, rgb, cc::appearance_window(other), false, x))
              samples.negatives.push_back(x);
          }
        }
        std::uniform_real_distribution<double> height(36.0, 240.0), u(0.0, 1.0);
        for (int k = 0, tries = 0; k < 24 && tries < 200; ++tries) {
          const double h = height(random), w = 0.35 * h;
          const cv::Rect2d person(u(random) * (rgb.cols - w), u(random) * (rgb.rows - h), w, h);
          if (!free(person, 0.2)) continue;
          if (features(hog, rgb, cc::appearance_window(person), false, x)) {
            samples.negatives.push_back(x);
            ++k;
          }
        }
        if ((f / step) % 3 == 0) mining.push_back({rgb.clone(), persons});
      }
      std::fprintf(stderr, "seed %d camera %zu: %zu positives, %zu negatives\n", seed, camera,
                   samples.positives.size(), samples.negatives.size());
    }
  }

  const auto fit = [&](const Samples& s) {
    Normal normal(n);
    const double wp = 0.5 / static_cast<double>(s.positives.size());
    const double wn = 0.5 / static_cast<double>(s.negatives.size());
    for (const auto& p : s.positives) normal.add(p, 1.0, wp);
    for (const auto& q : s.negatives) normal.add(q, -1.0, wn);
    for (int i = 0; i <= n; ++i)
      for (int j = 0; j < i; ++j) normal.a.at<double>(i, j) = normal.a.at<double>(j, i);
    const double lambda = ridge / static_cast<double>(s.positives.size() + s.negatives.size());
    for (int i = 0; i < n; ++i) normal.a.at<double>(i, i) += lambda;
    cv::Mat theta;
    cv::solve(normal.a, normal.b, theta, cv::DECOMP_CHOLESKY);
    std::vector<float> model(static_cast<std::size_t>(n) + 1);
    for (int i = 0; i <= n; ++i) model[static_cast<std::size_t>(i)] = static_cast<float>(theta.at<double>(i));
    return model;
  };
  const auto accuracy = [&](const std::vector<float>& model, const std::vector<std::vector<float>>& set) {
    int above = 0;
    for (const auto& v : set) {
      double score = model.back();
      for (int i = 0; i < n; ++i)
        score += model[static_cast<std::size_t>(i)] * v[static_cast<std::size_t>(i)];
      above += score > 0;
    }
    return static_cast<double>(above) / std::max<std::size_t>(1, set.size());
  };

  std::vector<float> model = fit(samples);
  for (int round = 0; round < 2; ++round) {
    std::fprintf(stderr, "round %d: positives above 0: %.3f, negatives above 0: %.4f\n", round,
                 accuracy(model, samples.positives), accuracy(model, samples.negatives));
    const cc::AppearanceDetector detector(model);
    std::size_t hard = 0;
    for (const Frame& frame : mining) {
      for (const cc::AppearanceHit& hit : detector.detect(frame.rgb, 40.0, 240.0, 0.0, 0.35, nullptr)) {
        bool person = false;
        for (const cv::Rect2d& p : frame.persons) person = person || iou(hit.box, p) > 0.3;
        if (!person && features(hog, frame.rgb, cc::appearance_window(hit.box), false, x)) {
          samples.negatives.push_back(x);
          ++hard;
        }
      }
    }
    std::fprintf(stderr, "round %d: %zu hard negatives in %zu frames\n", round, hard, mining.size());
    model = fit(samples);
  }
  std::fprintf(stderr, "final: positives above 0: %.3f, negatives above 0: %.4f (%zu / %zu)\n",
               accuracy(model, samples.positives), accuracy(model, samples.negatives),
               samples.positives.size(), samples.negatives.size());

  std::ofstream file(out);
  file << "// The appearance detector's model (appearance_detector.hpp): 756 HOG weights, then the bias.\n"
       << "// Written by oi-train-cctv-detector (tools/cctv_detector) from sim.cctv, arrival_hall, all four\n"
       << "// cameras, frames " << first_frame << "-" << last_frame << " every " << step << ", seeds";
  for (int s : seeds) file << ' ' << s;
  file << "; ridge " << ridge << ";\n// " << samples.positives.size() << " positives, "
       << samples.negatives.size() << " negatives (2 rounds of hard negatives). Do not edit: train again.\n"
       << "constexpr float kPersonHogModel[" << model.size() << "] = {\n";
  for (std::size_t i = 0; i < model.size(); ++i) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.9gf", model[i]);
    file << (i % 8 == 0 ? "    " : " ") << buffer << (i + 1 < model.size() ? "," : "")
         << (i % 8 == 7 ? "\n" : "");
  }
  file << "\n};\n";
  return file ? 0 : 1;
}
