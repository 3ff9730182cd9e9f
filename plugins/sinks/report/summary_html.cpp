// summary.html: table, Pd–Pfa curve (inline SVG), thumbnails (data URIs).
#include "summary_html.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>
#include <tuple>

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

namespace {

// One line of a chart: its points (x, y, hover text), colour and dash pattern ("" solid).
struct ChartLine {
  std::vector<std::tuple<double, double, std::string>> points;
  std::string colour = "#c00";
  std::string dash;
};

// A 300 x 300 px chart, x in [0, x_max], y in [0, 1], grid at quarters; points beyond x_max
// are drawn at the edge. `ring`: an extra marked point (x, y, hover text).
std::string chart_svg(const std::vector<ChartLine>& lines, double x_max, const std::string& x_label,
                      const std::string& y_label, const std::string& title,
                      const std::optional<std::tuple<double, double, std::string>>& ring = std::nullopt) {
  constexpr double kLeft = 50, kTop = 25, kSize = 300;
  auto px = [&](double x) { return kLeft + std::min(x / x_max, 1.0) * kSize; };
  auto py = [&](double y) { return kTop + (1.0 - y) * kSize; };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"380\" height=\"380\" class=\"curve\">\n";
  if (!title.empty())
    s << "<text x=\"" << kLeft + kSize / 2 << "\" y=\"14\" font-size=\"13\" text-anchor=\"middle\">"
      << html_escape(title) << "</text>\n";
  s << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kSize << "\" height=\"" << kSize
    << "\" fill=\"white\" stroke=\"black\"/>\n";
  for (int i = 1; i < 4; ++i) {
    const double t = i / 4.0;
    s << "<line x1=\"" << px(t * x_max) << "\" y1=\"" << kTop << "\" x2=\"" << px(t * x_max) << "\" y2=\""
      << kTop + kSize << "\" stroke=\"#ddd\"/>\n<line x1=\"" << kLeft << "\" y1=\"" << py(t) << "\" x2=\""
      << kLeft + kSize << "\" y2=\"" << py(t) << "\" stroke=\"#ddd\"/>\n";
  }
  for (int i = 0; i <= 4; ++i) {
    const double t = i / 4.0;
    s << "<text x=\"" << px(t * x_max) << "\" y=\"" << kTop + kSize + 15
      << "\" font-size=\"11\" text-anchor=\"middle\">" << t * x_max << "</text>\n<text x=\"" << kLeft - 6
      << "\" y=\"" << py(t) + 4 << "\" font-size=\"11\" text-anchor=\"end\">" << t << "</text>\n";
  }
  s << "<text x=\"" << px(x_max / 2) << "\" y=\"" << kTop + kSize + 35
    << "\" font-size=\"12\" text-anchor=\"middle\">" << html_escape(x_label) << "</text>\n<text x=\"14\" y=\""
    << py(0.5) << "\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 " << py(0.5) << ")\">"
    << html_escape(y_label) << "</text>\n";
  for (const ChartLine& line : lines) {
    if (line.points.empty()) continue;
    s << "<polyline fill=\"none\" stroke=\"" << line.colour << "\" stroke-width=\"2\"";
    if (!line.dash.empty()) s << " stroke-dasharray=\"" << line.dash << "\"";
    s << " points=\"";
    for (const auto& [x, y, text] : line.points) s << px(x) << "," << py(y) << " ";
    s << "\"/>\n";
    for (const auto& [x, y, text] : line.points) {
      s << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y) << "\" r=\"2.5\" fill=\"" << line.colour
        << "\"><title>" << html_escape(text) << "</title></circle>\n";
    }
  }
  if (ring) {
    const auto& [x, y, text] = *ring;
    s << "<circle cx=\"" << px(x) << "\" cy=\"" << py(y)
      << "\" r=\"6\" fill=\"none\" stroke=\"#00c\" stroke-width=\"2\"><title>" << html_escape(text)
      << "</title></circle>\n";
  }
  s << "</svg>\n";
  return s.str();
}

}  // namespace

std::string pd_pfa_svg(const nlohmann::json& curve, const nlohmann::json& operating_point) {
  ChartLine line;
  if (curve.is_array()) {
    for (const auto& p : curve) {
      line.points.emplace_back(p.value("pfa", 0.0), p.value("pd", 0.0),
                               "score ≥ " + number(p["threshold"]) + ": Pd " + number(p["pd"]) + ", Pfa " +
                                   number(p["pfa"]) + ", FA/scan " + number(p["false_alarms_per_scan"]));
    }
  }
  std::optional<std::tuple<double, double, std::string>> ring;
  if (operating_point.is_object() && operating_point["pd"].is_number() && operating_point["pfa"].is_number())
    ring.emplace(operating_point["pfa"].get<double>(), operating_point["pd"].get<double>(),
                 "the run's decisions");
  return chart_svg({line}, 1.0, "scan Pfa", "scan Pd", "", ring);
}

std::string froc_svg(const nlohmann::json& froc, const std::string& cls) {
  ChartLine all, visible;
  visible.colour = "#06a";
  visible.dash = "5,3";
  double x_max = 0.25;
  if (froc.is_array()) {
    for (const auto& p : froc) {
      const double fa = p.value("false_alarms_per_scan", 0.0);
      x_max = std::max(x_max, fa);
      const std::string text = "score ≥ " + number(p["threshold"]) + ": recall " + number(p["recall"]) +
                               " (visible " + number(p["recall_visible"]) + "), FA/scan " +
                               number(p["false_alarms_per_scan"]);
      all.points.emplace_back(fa, p.value("recall", 0.0), text);
      if (p["recall_visible"].is_number())
        visible.points.emplace_back(fa, p["recall_visible"].get<double>(), text);
    }
  }
  // A round axis end: 0.25, 0.5, 1, 2, ...
  double end = 0.25;
  while (end < x_max) end *= 2;
  return chart_svg({all, visible}, end, "false alarms per scan (" + cls + ")", "recall", cls);
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
    if (const nlohmann::json& pd = e.value("pd_at_pfa", nlohmann::json()); pd.is_array() && !pd.empty()) {
      h << "<p>Scan Pd at a fixed Pfa:";
      for (const auto& p : pd)
        h << " " << number(p["pd"]) << " at Pfa &le; " << number(p["pfa"], "%.2f") << ";";
      h << "</p>\n";
    }
    if (const nlohmann::json& classes = e.value("classes", nlohmann::json()); classes.is_object()) {
      h << "<h2>Per class: visible and shielded objects, "
           "FROC</h2>\n<table>\n<tr><th>class</th><th>recall</th>"
           "<th>visible</th><th>shielded found</th><th>shielded inside a shielding alarm</th><th>false "
           "alarms per scan</th></tr>\n";
      for (const auto& [cls, c] : classes.items()) {
        const nlohmann::json& v = c["visible"];
        const nlohmann::json& sh = c["shielded"];
        h << "<tr><th>" << html_escape(cls) << "</th><td>" << number(c["recall"]) << " ("
          << c.value("found", 0) << "/" << c.value("objects", 0) << ")</td><td>" << number(v["recall"])
          << " (" << v.value("found", 0) << "/" << v.value("objects", 0) << ")</td><td>"
          << sh.value("found", 0) << "/" << sh.value("objects", 0) << "</td><td>"
          << sh.value("covered_by_shielding_alarm", 0) << "/" << sh.value("objects", 0) << "</td><td>"
          << number(c["false_alarms_per_scan"]) << "</td></tr>\n";
      }
      h << "</table>\n<p class=\"note\">Shielded: at least half of the object's box lies behind impenetrable "
           "material; it cannot be seen, and the scan is covered when its centre lies inside a shielding "
           "detection. FROC: per-object recall (solid: all objects, dashed: visible ones) against the "
           "class's "
           "false alarms per scan as its score threshold rises from the detector's own; hover for "
           "values.</p>\n"
           "<div class=\"thumbs\">\n";
      for (const auto& [cls, c] : classes.items())
        if (c.value("objects", 0) > 0 || c.value("false_alarms", 0) > 0) h << froc_svg(c["froc"], cls);
      h << "</div>\n";
    }
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
