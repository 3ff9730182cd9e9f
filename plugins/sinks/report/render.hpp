#pragma once
/// @file
/// Images for operators: the scan's colour image (plane `rgb`, or a grey rendering of `high`
/// when no xray.colorize ran) with detection boxes and labels. Shared by sink.report and
/// sink.summary (thumbnails).

#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "evaluation.hpp"
#include "oi/frame.hpp"
#include "oi/result.hpp"

namespace oi::xray::render {

/// The scan as a BGR8 image (OpenCV order, ready for imwrite): `rgb` when present, else the
/// `high` channel mapped to grey (dark = attenuating, as X-ray viewers show it). An error
/// when the frame has neither plane in a usable format.
Result<cv::Mat> scan_image(const Frame& frame);

/// Where the image came from, for reports: "rgb", "high (grey)" or "".
std::string image_source(const Frame& frame);

/// Draws boxes and "class score" labels in place; colours by class (docs/reports.md).
void draw_detections(cv::Mat& bgr, const std::vector<eval::Detection>& detections, double scale = 1.0);

/// Scales `bgr` so that its longer side is at most `max_side` pixels (never enlarges);
/// returns the scale applied.
double fit(const cv::Mat& bgr, int max_side, cv::Mat& out);

/// Base64 text of `bytes` (for data: URIs in self-contained HTML).
std::string base64(const std::vector<unsigned char>& bytes);

}  // namespace oi::xray::render
