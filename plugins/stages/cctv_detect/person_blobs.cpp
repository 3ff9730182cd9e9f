// From a cleaned foreground mask to person detections (person_blobs.hpp).
#include "person_blobs.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <opencv2/imgproc.hpp>
#include <utility>

#include "blob_pixels.hpp"
#include "person_placement.hpp"

namespace oi::cctv {
namespace {

// HOG's window is 64 x 128 pixels with the person about 96 pixels tall in it.
constexpr double kHogPersonHeight = 96.0;

// What a person at some foot row should measure, in processing pixels; `known` where the
// camera's size model covers the row.
struct Expectation {
  bool known = false;
  double height = 0.0, width = 0.0;
};

// A candidate detection in processing pixels.
struct Candidate {
  cv::Rect rect;
  int pixels = 0;       // blob pixels inside it
  bool whole = false;   // one blob that is one person: may teach the size model
  int placed_new = -1;  // placed in a group (person_placement.hpp): the pixels it explained
  int group = -1;       // the group it came from
  double score = 0.0;
};

// Rows (or columns) between two intervals; negative when they overlap.
int gap(int a0, int a1, int b0, int b1) { return std::max(a0, b0) - std::min(a1, b1); }

double gaussian_score(double log_ratio, double sigma) {
  return std::exp(-0.5 * (log_ratio / sigma) * (log_ratio / sigma));
}

}  // namespace

void BlobStats::add(const BlobStats& o) {
  blobs += o.blobs;
  merged += o.merged;
  split += o.split;
  split_by_hog += o.split_by_hog;
  too_small += o.too_small;
  ghosts += o.ghosts;
  below_threshold += o.below_threshold;
  hog_runs += o.hog_runs;
  hog_confirmed += o.hog_confirmed;
  hog_rejected += o.hog_rejected;
  samples += o.samples;
}

nlohmann::json BlobStats::to_json() const {
  return {{"blobs", blobs},
          {"merged", merged},
          {"split", split},
          {"split_by_hog", split_by_hog},
          {"too_small", too_small},
          {"ghosts", ghosts},
          {"below_threshold", below_threshold},
          {"hog_runs", hog_runs},
          {"hog_confirmed", hog_confirmed},
          {"hog_rejected", hog_rejected},
          {"size_samples", samples}};
}

PersonBlobDetector::PersonBlobDetector(const BlobParams& params) : params_(params) {
  if (params_.hog) hog_.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
}

std::vector<PersonBlobDetector::Hit> PersonBlobDetector::hog_hits(const cv::Mat& rgb, const cv::Rect& region,
                                                                  double height) const {
  // Search around the region: the window has margins around its person.
  const double scale = kHogPersonHeight / std::max(8.0, height);
  const int margin_x = static_cast<int>(std::ceil(20.0 / scale)),
            margin_y = static_cast<int>(std::ceil(20.0 / scale));
  const cv::Rect image(0, 0, rgb.cols, rgb.rows);
  const cv::Rect area = cv::Rect(region.x - margin_x, region.y - margin_y, region.width + 2 * margin_x,
                                 region.height + 2 * margin_y) &
                        image;
  if (area.empty()) return {};
  cv::Mat roi;
  cv::resize(rgb(area), roi, {}, scale, scale, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
  // The window must fit: pad small regions (replicated border, centred).
  const int pad_x = std::max(0, 64 + 16 - roi.cols), pad_y = std::max(0, 128 + 16 - roi.rows);
  if (pad_x > 0 || pad_y > 0)
    cv::copyMakeBorder(roi, roi, pad_y / 2, pad_y - pad_y / 2, pad_x / 2, pad_x - pad_x / 2,
                       cv::BORDER_REPLICATE);
  std::vector<cv::Rect> found;
  std::vector<double> weights;
  hog_.detectMultiScale(roi, found, weights, params_.hog_hit_threshold, cv::Size(8, 8), cv::Size(0, 0), 1.1,
                        1.0);
  std::vector<Hit> hits;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const cv::Rect& f = found[i];
    // The window's person: its middle 3/4 of the height.
    const double cx = (f.x + f.width / 2.0 - pad_x / 2) / scale + area.x;
    const double cy = (f.y + f.height / 2.0 - pad_y / 2) / scale + area.y;
    hits.push_back({cx, cy, f.height * 0.75 / scale, i < weights.size() ? weights[i] : 0.0});
  }
  return hits;
}

std::vector<Detection> PersonBlobDetector::detect(const cv::Mat& foreground, int factor, const cv::Mat& rgb,
                                                  PerspectiveSizeModel& sizes, BlobStats& stats,
                                                  BlobScratch& scratch) const {
  const double f = factor;
  const cv::Size size = foreground.size();
  const cv::Rect frame(0, 0, size.width, size.height);
  const int count = cv::connectedComponentsWithStats(foreground, scratch.labels, scratch.stats,
                                                     scratch.centroids, 8, CV_32S);
  const auto expect = [&](double bottom) {  // bottom row in processing pixels
    Expectation e;
    if (!sizes.covers(bottom * f)) return e;
    e.known = true;
    e.height = sizes.expected_height(bottom * f) / f;
    e.width = e.height * sizes.aspect();
    return e;
  };
  const double min_height = params_.min_height_px / f;
  // Smaller regions are noise: no part of a person worth keeping is this small.
  const int min_area = std::max(4, static_cast<int>(0.05 * min_height * min_height));

  // 1. Blobs: the connected regions large enough, less the ghosts (no contrast along their
  // edge: background the model has not learnt yet, where a person stood while it warmed up).
  std::vector<int> owner(static_cast<std::size_t>(count), -1);  // label -> blob, then -> group
  std::vector<cv::Rect> rects;
  std::vector<int> areas;
  const BlobPixels pixels(scratch.labels, owner);
  for (int label = 1; label < count; ++label) {
    const int* s = scratch.stats.ptr<int>(label);
    if (s[cv::CC_STAT_AREA] < min_area) continue;
    const cv::Rect r(s[cv::CC_STAT_LEFT], s[cv::CC_STAT_TOP], s[cv::CC_STAT_WIDTH], s[cv::CC_STAT_HEIGHT]);
    owner[static_cast<std::size_t>(label)] = static_cast<int>(rects.size());
    if (!rgb.empty() && params_.ghost_contrast > 0 &&
        pixels.edge_contrast(static_cast<int>(rects.size()), r, rgb, factor) < params_.ghost_contrast) {
      owner[static_cast<std::size_t>(label)] = -1;
      ++stats.ghosts;
      continue;
    }
    rects.push_back(r);
    areas.push_back(s[cv::CC_STAT_AREA]);
  }
  stats.blobs += static_cast<std::int64_t>(rects.size());

  // 2. Groups: blobs that may show one person or persons standing together. Where the size
  // model covers them, blobs closer than half a person's width and a third of their height (the
  // nearer one's); elsewhere, fragments stacked within one person's width (a torso and legs cut
  // apart by an occluder or by a coat that matches the floor).
  std::vector<int> parent(rects.size());
  std::iota(parent.begin(), parent.end(), 0);
  const auto root = [&](int b) {
    while (parent[static_cast<std::size_t>(b)] != b) b = parent[static_cast<std::size_t>(b)];
    return b;
  };
  for (std::size_t i = 0; i < rects.size(); ++i) {
    for (std::size_t j = i + 1; j < rects.size(); ++j) {
      const cv::Rect& a = rects[i];
      const cv::Rect& b = rects[j];
      const int dx = gap(a.x, a.x + a.width, b.x, b.x + b.width);
      const int dy = gap(a.y, a.y + a.height, b.y, b.y + b.height);
      const Expectation e = expect(std::max(a.y + a.height, b.y + b.height));
      bool join;
      if (e.known) {
        join = dx <= 0.5 * e.width && dy <= 0.35 * e.height;
      } else {
        const cv::Rect u = a | b;
        const double person_height = std::max(a.height, b.height) * 1.5;
        join = -dx >= 0.5 * std::min(a.width, b.width) && dy <= 0.3 * person_height &&
               u.width <= 1.3 * person_height * sizes.aspect();
      }
      if (join) {
        const int ri = root(static_cast<int>(i)), rj = root(static_cast<int>(j));
        if (ri != rj) {
          parent[static_cast<std::size_t>(std::max(ri, rj))] = std::min(ri, rj);
          ++stats.merged;
        }
      }
    }
  }
  std::vector<cv::Rect> group_rect(rects.size());
  std::vector<int> group_area(rects.size(), 0), group_blobs(rects.size(), 0);
  for (std::size_t i = 0; i < rects.size(); ++i) {
    const int g = root(static_cast<int>(i));
    group_rect[static_cast<std::size_t>(g)] |= rects[i];
    group_area[static_cast<std::size_t>(g)] += areas[i];
    ++group_blobs[static_cast<std::size_t>(g)];
  }
  for (int& o : owner)
    if (o >= 0) o = root(o);

  // 3. Persons in each group.
  int hog_budget = params_.hog && !rgb.empty() ? params_.hog_max_regions : 0;
  const auto to_image = [&](const cv::Rect& r) {
    return cv::Rect(static_cast<int>(r.x * f), static_cast<int>(r.y * f), static_cast<int>(r.width * f),
                    static_cast<int>(r.height * f));
  };
  std::vector<Candidate> candidates;
  const auto add_placed = [&](const std::vector<PlacedPerson>& placed, int g) {
    for (const PlacedPerson& p : placed) {
      const cv::Rect box = cv::Rect(p.box) & frame;
      if (box.height < min_height) continue;
      Candidate c;
      c.rect = box;
      c.pixels = p.pixels;
      c.placed_new = p.new_pixels;
      c.group = g;
      candidates.push_back(c);
    }
  };
  for (std::size_t gi = 0; gi < rects.size(); ++gi) {
    if (parent[gi] != static_cast<int>(gi)) continue;
    const int g = static_cast<int>(gi);
    const cv::Rect& r = group_rect[gi];
    const Expectation e = expect(r.y + r.height);
    const bool at_border =
        r.x <= 1 || r.y <= 1 || r.x + r.width >= size.width - 1 || r.y + r.height >= size.height - 1;
    const bool at_bottom = r.y + r.height >= size.height - 1;
    if (r.height < min_height || (e.known && !at_border && r.height < params_.too_small_ratio * e.height)) {
      ++stats.too_small;
      continue;
    }
    Candidate single;
    single.rect = r;
    single.pixels = group_area[gi];
    single.whole = group_blobs[gi] == 1;
    single.group = g;
    // With the size model: explain the group by model-sized persons (those cut off by the
    // bottom of the picture reach from their top down: person_placement.hpp).
    if (e.known) {
      cv::Mat& mask = scratch.blob_mask;
      if (mask.size() != size) mask = cv::Mat::zeros(size, CV_8U);
      pixels.paint(g, r, mask);
      const std::vector<PlacedPerson> placed = place_persons(
          mask, r, [&](double bottom) { return sizes.expected_height(bottom * f) / f; }, sizes.aspect(),
          params_.placement);
      mask(r).setTo(0);
      if (placed.size() >= 2 || (placed.size() == 1 && group_blobs[gi] > 1)) {
        if (placed.size() >= 2) ++stats.split;
        add_placed(placed, g);
      } else if (!placed.empty()) {
        candidates.push_back(single);
      }
      continue;
    }
    // Without it: a blob wider than one person (the prior width / height) is a group side by
    // side: persons as tall as the blob placed in it, asking more of each (a bag beside a
    // person must not become a second person), or else cut at HOG's person centres or at the
    // minima of the column profile.
    const double persons = r.width / std::max(1.0, r.height * sizes.aspect());
    if (persons < params_.split_width_ratio) {
      candidates.push_back(single);
      continue;
    }
    ++stats.split;
    if (!at_bottom) {
      cv::Mat& mask = scratch.blob_mask;
      if (mask.size() != size) mask = cv::Mat::zeros(size, CV_8U);
      pixels.paint(g, r, mask);
      PlacementParams placement = params_.placement;
      placement.min_new_fraction = params_.unfitted_min_new_fraction;
      const std::vector<PlacedPerson> placed = place_persons(
          mask, r, [&](double) { return static_cast<double>(r.height); }, sizes.aspect(), placement);
      mask(r).setTo(0);
      if (placed.size() >= 2) {
        add_placed(placed, g);
        continue;
      }
    }
    const int n = std::clamp(static_cast<int>(std::lround(persons)), 2, 8);
    std::vector<int> cuts;
    if (hog_budget > 0) {
      --hog_budget;
      ++stats.hog_runs;
      std::vector<double> centres;
      for (const Hit& h : hog_hits(rgb, to_image(r), r.height * f)) {
        const double cx = h.centre_x / f;
        if (cx > r.x && cx < r.x + r.width) centres.push_back(cx);
      }
      std::sort(centres.begin(), centres.end());
      // Hits closer than half a person are the same person.
      std::vector<double> distinct;
      for (double c : centres)
        if (distinct.empty() || c - distinct.back() > 0.5 * r.height * sizes.aspect()) distinct.push_back(c);
      if (distinct.size() >= 2) {
        for (std::size_t k = 1; k < distinct.size(); ++k)
          cuts.push_back(static_cast<int>(std::lround((distinct[k - 1] + distinct[k]) / 2.0)));
        ++stats.split_by_hog;
      }
    }
    if (cuts.empty()) cuts = pixels.column_cuts(g, r, n);
    cuts.push_back(r.x + r.width);
    int x0 = r.x;
    for (int cut : cuts) {
      if (cut <= x0) continue;
      Candidate c;
      c.rect = pixels.part(g, r, x0, cut, c.pixels);
      c.group = g;
      x0 = cut;
      if (c.pixels == 0 || c.rect.height < min_height) {
        ++stats.too_small;
        continue;
      }
      candidates.push_back(c);
    }
  }

  // 4. Scores: a box's fit to the size model, its shape and fill; a person placed in a group is
  // as sure as the pixels it explains. Doubtful boxes (and parts of a group cut at the column
  // profile) ask HOG, when the budget allows.
  for (Candidate& c : candidates) {
    const cv::Rect& r = c.rect;
    const Expectation e = expect(r.y + r.height);
    const double aspect = static_cast<double>(r.width) / r.height;
    const double fill = static_cast<double>(c.pixels) / r.area();
    const double s_aspect = gaussian_score(std::log(aspect / sizes.aspect()), 0.5);
    const double s_fill = std::clamp((fill - 0.25) / 0.35, 0.0, 1.0);
    double score;
    if (c.placed_new >= 0) {
      score = 0.35 + 0.65 * std::min(1.0, c.placed_new / (0.4 * r.area()));
    } else if (e.known) {
      const double s_height = gaussian_score(std::log(r.height / e.height), 0.3);
      score = 0.45 * s_height + 0.35 * s_aspect + 0.2 * s_fill;
    } else {
      score = 0.55 * s_aspect + 0.45 * s_fill;
    }
    const bool cut_part = !c.whole && c.placed_new < 0 && c.group >= 0 &&
                          group_blobs[static_cast<std::size_t>(c.group)] >= 1 &&
                          r != group_rect[static_cast<std::size_t>(c.group)];
    if (hog_budget > 0 && (std::abs(score - params_.score_threshold) < params_.doubt_margin || cut_part)) {
      --hog_budget;
      ++stats.hog_runs;
      const cv::Rect box = to_image(r);
      bool confirmed = false;
      for (const Hit& h : hog_hits(rgb, box, box.height)) {
        if (h.centre_x >= box.x && h.centre_x <= box.x + box.width && h.centre_y >= box.y &&
            h.centre_y <= box.y + box.height && h.height > 0.6 * box.height && h.height < 1.6 * box.height) {
          confirmed = true;
          score = std::max(score, std::min(1.0, 0.6 + 0.2 * std::max(0.0, h.weight)));
        }
      }
      if (confirmed) {
        ++stats.hog_confirmed;
      } else {
        ++stats.hog_rejected;
        if (c.whole) score *= 0.85;
      }
    }
    c.score = score;
  }

  // 5. Non-maximum suppression (persons placed in neighbouring groups may overlap), the
  // threshold, and the size model's samples: isolated whole persons with a head, away from
  // the image border. No gate by the model itself: its robust fit sorts out fragments and
  // groups, and a model that went wrong early can still be put right.
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
  std::vector<Detection> detections;
  std::vector<cv::Rect> kept, plausible;
  for (const Candidate& c : candidates) {
    const cv::Rect& r = c.rect;
    if (c.score < params_.score_threshold) {
      ++stats.below_threshold;
      continue;
    }
    bool suppressed = false;
    for (const cv::Rect& k : kept) {
      const double inter = (r & k).area();
      if (inter > params_.nms_iou * (r.area() + k.area() - inter)) suppressed = true;
    }
    if (suppressed) continue;
    kept.push_back(r);
    const bool inside =
        r.x > 1 && r.y > 1 && r.x + r.width < size.width - 1 && r.y + r.height < size.height - 1;
    const double elongation = static_cast<double>(r.height) / r.width;
    const double fill = static_cast<double>(c.pixels) / r.area();
    if (c.whole && inside && elongation >= 2.3 && elongation <= 4.5 && fill >= 0.5 &&
        pixels.has_head(c.group, r)) {
      // Taken when the same person looked the same in the last frame: groups passing each other
      // and flickering fragments seldom do.
      plausible.push_back(r);
      for (const cv::Rect& p : scratch.plausible) {
        const double inter = (r & p).area();
        const double ratio = static_cast<double>(r.height) / p.height;
        if (inter >= 0.5 * (r.area() + p.area() - inter) && ratio >= 0.9 && ratio <= 1.1) {
          sizes.add((r.y + r.height) * f, r.height * f, r.width * f);
          ++stats.samples;
          break;
        }
      }
    }
    Detection d;
    d.box = {r.x * f, r.y * f, r.width * f, r.height * f};
    d.score = c.score;
    detections.push_back(std::move(d));
  }
  scratch.plausible = std::move(plausible);
  return detections;
}

}  // namespace oi::cctv
