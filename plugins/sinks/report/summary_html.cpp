// summary.html: table, Pd–Pfa curve (inline SVG), thumbnails (data URIs).
#include "summary_html.hpp"

#include <cstdio>
#include <sstream>

#include "oi/xray/contract.hpp"

namespace oi::xray::report {
namespace {

std::string number(const nlohmann::json& v, const char* format = "%.3f") {
  if (!v.is_number()) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, format, v.get<double>());
  return text;
}

}  // namespace

std::string pd_pfa_svg(const nlohmann::json& curve, const nlohmann::json& operating_point) {
  // Plot area 300 x 300 px with margins for the axis labels; Pfa on x, Pd on y (ROC style).
  constexpr double kLeft = 50, kTop = 15, kSize = 300;
  auto px = [&](double pfa) { return kLeft + pfa * kSize; };
  auto py = [&](double pd) { return kTop + (1.0 - pd) * kSize; };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"380\" height=\"370\" class=\"curve\">\n";
  s << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kSize << "\" height=\"" << kSize
    << "\" fill=\"white\" stroke=\"black\"/>\n";
  for (int i = 1; i < 4; ++i) {
    const double t = i / 4.0;
    s << "<line x1=\"" << px(t) << "\" y1=\"" << kTop << "\" x2=\"" << px(t) << "\" y2=\"" << kTop + kSize
      << "\" stroke=\"#ddd\"/>\n<line x1=\"" << kLeft << "\" y1=\"" << py(t) << "\" x2=\"" << kLeft + kSize
      << "\" y2=\"" << py(t) << "\" stroke=\"#ddd\"/>\n";
  }
  for (int i = 0; i <= 4; ++i) {
    const double t = i / 4.0;
    s << "<text x=\"" << px(t) << "\" y=\"" << kTop + kSize + 15
      << "\" font-size=\"11\" text-anchor=\"middle\">" << t << "</text>\n<text x=\"" << kLeft - 6 << "\" y=\""
      << py(t) + 4 << "\" font-size=\"11\" text-anchor=\"end\">" << t << "</text>\n";
  }
  s << "<text x=\"" << px(0.5) << "\" y=\"" << kTop + kSize + 35
    << "\" font-size=\"12\" text-anchor=\"middle\">"
    << "scan Pfa</text>\n<text x=\"14\" y=\"" << py(0.5)
    << "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 " << py(0.5)
    << ")\">scan Pd</text>\n";
  if (curve.is_array() && !curve.empty()) {
    s << "<polyline fill=\"none\" stroke=\"#c00\" stroke-width=\"2\" points=\"";
    for (const auto& p : curve) s << px(p.value("pfa", 0.0)) << "," << py(p.value("pd", 0.0)) << " ";
    s << "\"/>\n";
    for (const auto& p : curve) {
      s << "<circle cx=\"" << px(p.value("pfa", 0.0)) << "\" cy=\"" << py(p.value("pd", 0.0))
        << "\" r=\"2.5\" fill=\"#c00\"><title>score ≥ " << number(p["threshold"]) << ": Pd "
        << number(p["pd"]) << ", Pfa " << number(p["pfa"]) << ", FA/scan "
        << number(p["false_alarms_per_scan"]) << "</title></circle>\n";
    }
  }
  if (operating_point.is_object() && operating_point["pd"].is_number() &&
      operating_point["pfa"].is_number()) {
    s << "<circle cx=\"" << px(operating_point["pfa"].get<double>()) << "\" cy=\""
      << py(operating_point["pd"].get<double>())
      << "\" r=\"6\" fill=\"none\" stroke=\"#00c\" stroke-width=\"2\"><title>the run's "
         "decisions</title></circle>\n";
  }
  s << "</svg>\n";
  return s.str();
}

std::string summary_html(const nlohmann::json& summary, const std::vector<Thumbnail>& thumbnails,
                         std::size_t thumbnails_left_out) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>OpenInspect run "
       "summary</title>\n"
       "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:."
       "5em 0}"
       "td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}th{background:#eee}"
       ".thumbs{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #ccc;padding:6px}"
       "figcaption{font-size:12px;max-width:340px}.alarm{color:#c00}.cannot_clear{color:#a60}"
       ".note{color:#555;font-size:13px}</style></head><body>\n";
  h << "<h1>Run summary</h1>\n<table>\n";
  h << "<tr><th>scans</th><td>" << summary.value("scans", 0) << "</td></tr>\n";
  const nlohmann::json& d = summary["decisions"];
  for (const char* k : {decision::kClear, decision::kAlarm, decision::kCannotClear}) {
    h << "<tr><th>decision: " << k << "</th><td>" << d.value(k, 0) << "</td></tr>\n";
  }
  h << "<tr><th>throughput (scans/s)</th><td>" << number(summary["throughput_scans_per_s"], "%.2f")
    << "</td></tr>\n";
  if (summary.contains("evaluation")) {
    const nlohmann::json& e = summary["evaluation"];
    for (const auto& [cls, value] : e["recall"].items()) {
      const nlohmann::json& c = e["counts"]["objects"][cls];
      h << "<tr><th>recall: " << html_escape(cls) << "</th><td>" << number(value) << " ("
        << c.value("found", 0) << " of " << c.value("objects", 0) << ")</td></tr>\n";
    }
    h << "<tr><th>false alarms per scan</th><td>" << number(e["false_alarms_per_scan"]) << "</td></tr>\n";
    h << "<tr><th>scan Pd</th><td>" << number(e["scan_pd"]) << "</td></tr>\n";
    h << "<tr><th>scan Pfa</th><td>" << number(e["scan_pfa"]) << "</td></tr>\n";
    const nlohmann::json& tip = e["tip"];
    if (tip.value("inserted", 0) > 0 || tip.value("tip_detections", 0) > 0) {
      h << "<tr><th>TIP found</th><td>" << tip.value("found", 0) << " of " << tip.value("inserted", 0)
        << "</td></tr>\n";
    }
  }
  h << "</table>\n";
  if (summary.contains("evaluation")) {
    const nlohmann::json& e = summary["evaluation"];
    h << "<h2>Pd–Pfa over the score threshold</h2>\n"
         "<p class=\"note\">Each point re-decides every scan from its detections with score ≥ the threshold "
         "(hover for "
         "values); the blue ring is the run's own decisions. Definitions: docs/reports.md.</p>\n";
    h << pd_pfa_svg(e["pd_pfa_curve"], {{"pd", e["scan_pd"]}, {"pfa", e["scan_pfa"]}});
  } else {
    h << "<p class=\"note\">No scan carried ground truth: no evaluation.</p>\n";
  }
  h << "<h2>Alarmed scans</h2>\n";
  if (thumbnails.empty()) h << "<p class=\"note\">None.</p>\n";
  h << "<div class=\"thumbs\">\n";
  for (const Thumbnail& t : thumbnails) {
    h << "<figure><img alt=\"scan " << t.scan_id << "\" src=\"data:image/png;base64," << t.png_base64
      << "\"><figcaption>scan " << t.scan_id << ": <b class=\"" << html_escape(t.decision) << "\">"
      << html_escape(t.decision) << "</b><br>" << html_escape(t.labels);
    if (!t.report_file.empty()) h << "<br><a href=\"" << html_escape(t.report_file) << "\">report</a>";
    h << "</figcaption></figure>\n";
  }
  h << "</div>\n";
  if (thumbnails_left_out > 0) {
    h << "<p class=\"note\">" << thumbnails_left_out
      << " more alarmed scans are not shown (raise `max_thumbnails` to see them).</p>\n";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace oi::xray::report
