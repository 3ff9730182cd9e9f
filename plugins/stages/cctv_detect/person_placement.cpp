// Persons placed in a blob of several (person_placement.hpp).
#include "person_placement.hpp"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace oi::cctv {
namespace {

// Sum of an integral image (CV_32S, one row and column larger) over [x0, x1) x [y0, y1).
int box_sum(const cv::Mat& ii, int x0, int y0, int x1, int y1) {
  return ii.at<int>(y1, x1) - ii.at<int>(y0, x1) - ii.at<int>(y1, x0) + ii.at<int>(y0, x0);
}

}  // namespace

std::vector<PlacedPerson> place_persons(const cv::Mat& mask, const cv::Rect& blob,
                                        const std::function<double(double bottom)>& height_at, double aspect,
                                        const PlacementParams& params) {
  std::vector<PlacedPerson> placed;
  if (blob.empty()) return placed;
  // The work area: the blob's box widened by half the widest person and raised by a third of
  // the tallest, so that boxes may reach past the blob (and count what they cover there).
  const double tallest = height_at(blob.y + blob.height);
  const int margin_x = static_cast<int>(std::ceil(0.5 * aspect * tallest)) + 1;
  const int margin_y = static_cast<int>(std::ceil(0.35 * tallest)) + 1;
  const cv::Rect area =
      cv::Rect(blob.x - margin_x, blob.y - margin_y, blob.width + 2 * margin_x, blob.height + margin_y + 1) &
      cv::Rect(0, 0, mask.cols, mask.rows);
  cv::Mat pixels;
  cv::compare(mask(area), 0, pixels, cv::CMP_NE);
  pixels /= 255;  // 0 / 1
  cv::Mat unexplained = pixels.clone(), all_ii, background_ii, unexplained_ii;
  cv::integral(pixels, all_ii, CV_32S);
  cv::integral(1 - pixels, background_ii, CV_32S);

  // Boxes by foot row: feet on the lower two thirds of the blob's rows (exclusive bottom).
  struct Row {
    int bottom, height, width;
  };
  std::vector<Row> rows;
  for (int bottom = blob.y + blob.height / 3 + 1; bottom <= blob.y + blob.height; ++bottom) {
    const double h = height_at(bottom);
    if (h < 2.0) continue;
    rows.push_back(
        {bottom, static_cast<int>(std::lround(h)), std::max(1, static_cast<int>(std::lround(aspect * h)))});
  }

  for (int round = 0; round < params.max_persons; ++round) {
    cv::integral(unexplained, unexplained_ii, CV_32S);
    double best_score = -1e300;
    int best_new = 0, best_background = 0;
    cv::Rect best_box;
    for (const Row& row : rows) {
      for (int centre = blob.x; centre <= blob.x + blob.width; ++centre) {
        const cv::Rect box(centre - row.width / 2, row.bottom - row.height, row.width, row.height);
        const cv::Rect inside = box & area;
        if (inside.empty()) continue;
        const int x0 = inside.x - area.x, y0 = inside.y - area.y;
        const int x1 = x0 + inside.width, y1 = y0 + inside.height;
        const int fresh = box_sum(unexplained_ii, x0, y0, x1, y1);
        // What lies outside the work area is background.
        const int background = box_sum(background_ii, x0, y0, x1, y1) + (box.area() - inside.area());
        const double score = fresh - params.background_cost * background;
        if (score > best_score) {
          best_score = score;
          best_new = fresh;
          best_background = background;
          best_box = box;
        }
      }
    }
    if (best_box.empty() || best_new < params.min_new_fraction * best_box.area() ||
        best_new < params.min_fill * (best_new + best_background))
      break;
    const cv::Rect inside = best_box & area;
    const cv::Rect local(inside.x - area.x, inside.y - area.y, inside.width, inside.height);
    PlacedPerson p;
    p.box = best_box;
    // A person cut off by the bottom of the picture: the box reaches from the blob's top in
    // its columns (the model's height, for feet out of sight, says nothing).
    if (best_box.y + best_box.height >= mask.rows) {
      const int from = std::max(0, local.y - static_cast<int>(std::lround(best_box.height / 3.0)));
      for (int y = from; y < local.y + local.height; ++y) {
        if (cv::countNonZero(pixels(cv::Rect(local.x, y, local.width, 1))) > 0) {
          p.box.y = area.y + y;
          p.box.height = mask.rows - p.box.y;
          break;
        }
      }
    } else {
      // A person taller than the model says (a tall one, or the model a little short there):
      // the box reaches up to the blob's top above it, by at most a third of its height.
      const int reach = std::min(local.y, static_cast<int>(std::lround(best_box.height / 3.0)));
      for (int y = local.y - reach; y < local.y; ++y) {
        if (cv::countNonZero(pixels(cv::Rect(local.x, y, local.width, 1))) > 0) {
          p.box.y -= local.y - y;
          p.box.height += local.y - y;
          break;
        }
      }
    }
    p.new_pixels = best_new;
    p.pixels = box_sum(all_ii, local.x, local.y, local.x + local.width, local.y + local.height);
    placed.push_back(p);
    unexplained(local).setTo(0);
  }
  return placed;
}

}  // namespace oi::cctv
