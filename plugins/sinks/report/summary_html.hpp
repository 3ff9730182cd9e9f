#pragma once
/// @file
/// summary.html of sink.summary: one self-contained page (thumbnails embedded as PNG data
/// URIs, the Pd–Pfa curve as inline SVG, no scripts, no external files).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "html_escape.hpp"

namespace oi::xray::report {

/// A thumbnail of an alarmed (or cannot-clear) scan, boxes already drawn.
struct Thumbnail {
  std::uint64_t scan_id = 0;
  std::string decision;
  std::string labels;       ///< "firearm 0.91, narcotics 0.55"
  std::string png_base64;   ///< the encoded PNG
  std::string report_file;  ///< sink.report's JSON for this scan, when known ("" otherwise)
};

/// The page for `summary` (the contents of summary.json) and the thumbnails;
/// `thumbnails_left_out` alarmed scans had no room (`max_thumbnails`) and are counted on it.
std::string summary_html(const nlohmann::json& summary, const std::vector<Thumbnail>& thumbnails,
                         std::size_t thumbnails_left_out);

/// The Pd–Pfa curve (summary["evaluation"]["pd_pfa_curve"]) as an inline <svg> element.
std::string pd_pfa_svg(const nlohmann::json& curve, const nlohmann::json& operating_point);

/// A class's FROC curve (summary["evaluation"]["classes"][cls]["froc"]): recall of all objects
/// (and, dashed, of the visible ones) against the class's false alarms per scan, as an inline
/// <svg> element titled `cls`.
std::string froc_svg(const nlohmann::json& froc, const std::string& cls);

/// HTML escaping (plugins/common/html).
inline std::string html_escape(const std::string& text) { return oi::html::escape(text); }

}  // namespace oi::xray::report
