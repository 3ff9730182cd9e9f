#pragma once
/// @file
/// From a camera's cleaned foreground mask to person detections (the CPU half of
/// `cctv.detect`, the same for both backends): connected regions; ghosts dropped (no contrast
/// along their edge); regions grouped (fragments of one person, persons walking together);
/// groups too small for their position in the image dropped; each group explained by persons
/// of the size the camera's perspective size model expects (size_model.hpp,
/// person_placement.hpp: persons side by side and one behind the other) or, before the model
/// is fitted, a region wider than one person split (persons as tall as the region placed in
/// it, else cut at the centres OpenCV's HOG people detector finds, else at the minima of the
/// column profile); each box scored by its fit to the size model, its shape and its fill,
/// doubtful boxes confirmed or demoted by HOG; overlapping boxes suppressed. HOG runs only on
/// the regions that need it, at most `hog_max_regions` a frame: on whole frames it would cost
/// far more than the rest. The size model learns from isolated whole persons.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>
#include <opencv2/objdetect.hpp>
#include <vector>

#include "oi/cctv/contract.hpp"
#include "person_placement.hpp"
#include "size_model.hpp"

namespace oi::cctv {

/// Settings of the blob stage. Defaults are the stage's.
struct BlobParams {
  double min_height_px = 32.0;     ///< shortest person reported, image pixels
  double score_threshold = 0.4;    ///< detections scoring less are dropped
  bool hog = true;                 ///< split groups and confirm doubtful boxes with HOG
  int hog_max_regions = 4;         ///< HOG runs per frame at most
  double hog_hit_threshold = 0.0;  ///< SVM margin of a HOG hit (cv::HOGDescriptor hitThreshold)
  double split_width_ratio = 1.6;  ///< before the size model: regions wider than this many persons are split
  double too_small_ratio = 0.5;    ///< blobs shorter than this fraction of the expected height are dropped
  double doubt_margin = 0.15;      ///< scores within this of the threshold ask HOG
  double nms_iou = 0.5;            ///< of two boxes overlapping more, the lower scoring is dropped
  /// Blobs whose edge shows less colour contrast than this (RGB distance between the pixels
  /// just inside and just outside, averaged along the edge) are ghosts: background the model
  /// has not learnt yet (where a person stood while it warmed up), not objects.
  double ghost_contrast = 20.0;
  SizeModelParams size_model;  ///< the perspective size model
  PlacementParams placement;   ///< persons placed in groups (person_placement.hpp)
  /// PlacementParams::min_new_fraction before the size model is fitted (boxes as tall as the
  /// blob: a bag beside a person must not become a second person)
  double unfitted_min_new_fraction = 0.3;
};

/// What the blob stage did, summed over frames.
struct BlobStats {
  std::int64_t blobs = 0;            ///< connected regions large enough to look at
  std::int64_t merged = 0;           ///< blobs grouped with another (fragments, persons together)
  std::int64_t split = 0;            ///< blobs split into several persons
  std::int64_t split_by_hog = 0;     ///< of which at HOG's person centres
  std::int64_t too_small = 0;        ///< dropped as too small for their position
  std::int64_t ghosts = 0;           ///< dropped as ghosts (no contrast along their edge)
  std::int64_t below_threshold = 0;  ///< candidates scoring under the threshold
  std::int64_t hog_runs = 0;         ///< regions HOG ran on
  std::int64_t hog_confirmed = 0;    ///< doubtful boxes HOG confirmed
  std::int64_t hog_rejected = 0;     ///< doubtful boxes HOG did not confirm
  std::int64_t samples = 0;          ///< blobs the size model learnt from
  /// Adds another's counts.
  void add(const BlobStats& other);
  /// The counts by name.
  nlohmann::json to_json() const;
};

/// Working memory and short memory of detect(), kept between frames of one camera: a steady
/// stream allocates nothing (a fresh label image costs page faults every frame), and the size
/// model learns from persons that looked the same in two frames running.
struct BlobScratch {
  cv::Mat labels, stats, centroids;
  cv::Mat blob_mask;                // one blob's pixels at a time, else 0
  std::vector<cv::Rect> plausible;  // last frame's boxes that looked like one whole person
};

/// See the file comment. Thread-compatible: detect() is const and may run concurrently for
/// different size models.
class PersonBlobDetector {
 public:
  explicit PersonBlobDetector(const BlobParams& params);

  /// Person boxes (image pixels) in `foreground` (CV_8U 0 / 255 at 1 / `factor` of the
  /// image). `rgb` (CV_8UC3, the full image) feeds HOG; may be empty (no HOG). `sizes`
  /// learns from the isolated persons found. `stats` is added to; `scratch` is working memory.
  std::vector<Detection> detect(const cv::Mat& foreground, int factor, const cv::Mat& rgb,
                                PerspectiveSizeModel& sizes, BlobStats& stats, BlobScratch& scratch) const;

 private:
  struct Hit {
    double centre_x, centre_y, height, weight;  // image pixels
  };
  // HOG hits in `region` (image pixels), searched at the scale where a person of `height`
  // pixels fills the detector's window.
  std::vector<Hit> hog_hits(const cv::Mat& rgb, const cv::Rect& region, double height) const;

  BlobParams params_;
  cv::HOGDescriptor hog_;
};

}  // namespace oi::cctv
