// summary.html: per-camera table, HOTA curves (inline SVG), thumbnails (JPEG files).
#include "summary_page.hpp"

#include <cstdio>
#include <sstream>

namespace oi::cctv::summary {
namespace {

std::string number(const nlohmann::json& v, const char* format = "%.3f") {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (!v.is_number()) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, format, v.get<double>());
  return text;
}

struct Column {
  const char* key;
  const char* heading;
  const char* title;  // hover text: the definition
};

constexpr Column kColumns[] = {
    {"frames", "frames", "frames received"},
    {"evaluated_frames", "evaluated", "frames with ground truth"},
    {"gt_persons", "persons", "distinct truth identities (don't-care persons not counted)"},
    {"det_recall", "det. recall", "detections: found truth boxes / truth boxes, IoU >= 0.5"},
    {"det_precision", "det. precision", "detections: correct boxes / boxes not on a don't-care person"},
    {"false_boxes_per_frame", "false boxes / frame", "detections on no person, per evaluated frame"},
    {"mota", "MOTA", "1 - (FN + FP + IDSW) / truth boxes"},
    {"motp", "MOTP", "mean IoU of matched tracks"},
    {"idf1", "IDF1", "2 IDTP / (2 IDTP + IDFP + IDFN)"},
    {"idp", "IDP", "IDTP / (IDTP + IDFP)"},
    {"idr", "IDR", "IDTP / (IDTP + IDFN)"},
    {"hota", "HOTA", "mean over alpha of sqrt(DetA x AssA)"},
    {"det_a", "DetA", "detection accuracy, mean over alpha"},
    {"ass_a", "AssA", "association accuracy, mean over alpha"},
    {"id_switches", "ID switches", "a person matched to another track id than at its last match"},
    {"fragmentations", "Frag", "times a tracked person was resumed after a gap"},
    {"mt", "MT", "persons tracked in more than 80 % of their frames"},
    {"ml", "ML", "persons tracked in less than 20 % of their frames"},
};

void table_row(std::ostringstream& h, const std::string& label, const nlohmann::json& figures, bool bold) {
  h << "<tr" << (bold ? " class=\"overall\"" : "") << "><th>" << html_escape(label) << "</th>";
  for (const Column& c : kColumns) h << "<td>" << number(figures.value(c.key, nlohmann::json())) << "</td>";
  h << "</tr>\n";
}

}  // namespace

std::string hota_svg(const nlohmann::json& hota, const std::string& title) {
  // Plot area 240 x 200 px; alpha on x (0 to 1), score on y (0 to 1), as TrackEval's plot.
  constexpr double kLeft = 40, kTop = 25, kW = 240, kH = 200;
  auto px = [&](double alpha) { return kLeft + alpha * kW; };
  auto py = [&](double v) { return kTop + (1.0 - v) * kH; };
  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"270\" class=\"curve\">\n";
  s << "<text x=\"" << px(0.5) << "\" y=\"15\" font-size=\"12\" text-anchor=\"middle\">" << html_escape(title)
    << "</text>\n";
  s << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kW << "\" height=\"" << kH
    << "\" fill=\"white\" stroke=\"black\"/>\n";
  for (int i = 0; i <= 4; ++i) {
    const double t = i / 4.0;
    if (i > 0 && i < 4) {
      s << "<line x1=\"" << px(t) << "\" y1=\"" << kTop << "\" x2=\"" << px(t) << "\" y2=\"" << kTop + kH
        << "\" stroke=\"#ddd\"/>\n<line x1=\"" << kLeft << "\" y1=\"" << py(t) << "\" x2=\"" << kLeft + kW
        << "\" y2=\"" << py(t) << "\" stroke=\"#ddd\"/>\n";
    }
    s << "<text x=\"" << px(t) << "\" y=\"" << kTop + kH + 14 << "\" font-size=\"10\" text-anchor=\"middle\">"
      << t << "</text>\n<text x=\"" << kLeft - 5 << "\" y=\"" << py(t) + 4
      << "\" font-size=\"10\" text-anchor=\"end\">" << t << "</text>\n";
  }
  s << "<text x=\"" << px(0.5) << "\" y=\"" << kTop + kH + 30
    << "\" font-size=\"11\" text-anchor=\"middle\">alpha (IoU threshold)</text>\n";
  const nlohmann::json& alphas = hota.value("alpha", nlohmann::json::array());
  const nlohmann::json& by_alpha = hota.value("by_alpha", nlohmann::json::object());
  struct Curve {
    const char* key;
    const char* label;
    const char* colour;
  };
  int legend = 0;
  for (const Curve& c :
       {Curve{"hota", "HOTA", "#c00"}, Curve{"det_a", "DetA", "#06c"}, Curve{"ass_a", "AssA", "#090"}}) {
    const nlohmann::json& values = by_alpha.value(c.key, nlohmann::json::array());
    if (!alphas.is_array() || !values.is_array() || values.size() != alphas.size() || values.empty())
      continue;
    s << "<polyline fill=\"none\" stroke=\"" << c.colour << "\" stroke-width=\"2\" points=\"";
    for (std::size_t i = 0; i < values.size(); ++i) {
      s << px(alphas[i].get<double>()) << "," << py(values[i].get<double>()) << " ";
    }
    s << "\"><title>" << c.label << " (mean " << number(hota.value(c.key, nlohmann::json()))
      << ")</title></polyline>\n";
    s << "<text x=\"" << kLeft + 8 << "\" y=\"" << kTop + kH - 8 - 14 * (2 - legend)
      << "\" font-size=\"11\" fill=\"" << c.colour << "\">" << c.label << " "
      << number(hota.value(c.key, nlohmann::json())) << "</text>\n";
    ++legend;
  }
  s << "</svg>\n";
  return s.str();
}

std::string summary_page(const nlohmann::json& summary,
                         const std::map<std::string, std::vector<PageThumbnail>>& thumbnails,
                         const std::vector<PageIdentity>& identities,
                         const std::vector<PageReidExample>& reid_examples) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>OpenInspect tracking "
       "summary</title>\n"
       "<style>body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:."
       "5em 0}"
       "td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}th{background:#eee}"
       "td{text-align:right}tr.overall td,tr.overall th{font-weight:bold}"
       ".thumbs{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;border:1px solid #ccc;padding:6px}"
       "figcaption{font-size:12px;max-width:340px}.curves{display:flex;flex-wrap:wrap;gap:12px}"
       ".right{border:3px solid #1a1}.wrong{border:3px solid #d22}.query{border:3px solid #36c}"
       ".note{color:#555;font-size:13px}.warn{color:#a60}</style></head><body>\n";
  h << "<h1>Tracking summary</h1>\n";
  const nlohmann::json& cameras = summary.value("cameras", nlohmann::json::object());
  const nlohmann::json& params = summary.value("parameters", nlohmann::json::object());
  h << "<p class=\"note\">TrackEval's definitions (CLEAR, Identity, HOTA); detections and tracks match a "
       "person at IoU &ge; 0.5. Persons less than "
    << number(params.value("min_visible", nlohmann::json()), "%.2f") << " visible or under "
    << number(params.value("min_height_px", nlohmann::json()), "%.0f")
    << " px tall are &ldquo;don't care&rdquo;: neither missed nor false when found. See docs/cctv.md.</p>\n";
  h << "<table>\n<tr><th>camera</th>";
  for (const Column& c : kColumns)
    h << "<th title=\"" << html_escape(c.title) << "\">" << c.heading << "</th>";
  h << "</tr>\n";
  for (const auto& [name, cam] : cameras.items()) table_row(h, name, cam, false);
  if (cameras.size() > 1)
    table_row(h, "all cameras", summary.value("overall", nlohmann::json::object()), true);
  h << "</table>\n";

  // What could not be evaluated, per camera: never silently left out.
  std::ostringstream notes;
  for (const auto& [name, cam] : cameras.items()) {
    const nlohmann::json& ne = cam.value("not_evaluated", nlohmann::json::object());
    if (ne.value("no_truth", 0) > 0) {
      notes << "<li>" << html_escape(name) << ": " << ne.value("no_truth", 0)
            << " frames without ground truth (no <code>ground_truth</code> attribute, no truth file): not "
               "evaluated</li>\n";
    }
    if (ne.value("not_annotated", 0) > 0) {
      notes << "<li>" << html_escape(name) << ": " << ne.value("not_annotated", 0)
            << " frames not named in the truth file: not evaluated (sparse truth)</li>\n";
    }
    if (cam.value("annotated_frames_missing", 0) > 0) {
      notes << "<li>" << html_escape(name) << ": " << cam.value("annotated_frames_missing", 0)
            << " frames of the truth file never arrived</li>\n";
    }
    if (ne.value("skipped", 0) > 0) {
      notes << "<li>" << html_escape(name) << ": the first " << ne.value("skipped", 0)
            << " frames skipped (<code>skip_frames</code>): not evaluated</li>\n";
    }
    if (cam.value("evaluated_frames", 0) > 0 && cam.contains("tracking_note")) {
      notes << "<li>" << html_escape(name)
            << ": no tracking figures: " << html_escape(cam.value("tracking_note", std::string()))
            << "</li>\n";
    }
    if (cam.value("evaluated_frames", 0) > 0 && cam.value("frames_with_detections", 0) == 0) {
      notes << "<li>" << html_escape(name)
            << ": no evaluated frame carried detections: no detection figures</li>\n";
    }
    if (cam.value("frames_out_of_order", 0) > 0) {
      notes << "<li>" << html_escape(name) << ": " << cam.value("frames_out_of_order", 0)
            << " frames arrived with a frame number not above the previous one</li>\n";
    }
  }
  if (!notes.str().empty()) h << "<ul class=\"warn\">\n" << notes.str() << "</ul>\n";

  if (const nlohmann::json& g = summary.value("global_identities", nlohmann::json()); g.is_object()) {
    h << "<h2>Global identities</h2>\n<p>" << number(g.value("count", nlohmann::json())) << " identities, "
      << number(g.value("in_several_cameras", nlohmann::json())) << " seen in several cameras, "
      << number(g.value("reentered", nlohmann::json())) << " re-entered a camera (reid.associate).";
    if (const nlohmann::json& x = g.value("cross_camera", nlohmann::json()); x.is_object()) {
      h << " Cross-camera IDF1 <b>" << number(x.value("idf1", nlohmann::json())) << "</b> (IDP "
        << number(x.value("idp", nlohmann::json())) << ", IDR " << number(x.value("idr", nlohmann::json()))
        << ").</p>\n<p class=\"note\">" << html_escape(x.value("definition", std::string()));
    }
    h << "</p>\n";
    if (!identities.empty()) {
      h << "<p class=\"note\">Reunited identities: one crop per tracklet (camera, track id).</p>\n";
    }
    for (const PageIdentity& id : identities) {
      h << "<h3>identity " << id.id << "</h3>\n<div class=\"thumbs\">\n";
      for (const PageThumbnail& c : id.crops) {
        h << "<figure>";
        if (!c.file.empty())
          h << "<img alt=\"" << html_escape(c.caption) << "\" src=\"" << html_escape(c.file) << "\">";
        h << "<figcaption>" << html_escape(c.caption) << "</figcaption></figure>\n";
      }
      h << "</div>\n";
    }
  }

  if (const nlohmann::json& r = summary.value("reid", nlohmann::json()); r.is_object()) {
    h << "<h2>Re-identification</h2>\n<p>" << number(r.value("valid_queries", nlohmann::json()))
      << " tracklet queries: rank-1 " << number(r.value("rank1", nlohmann::json())) << ", rank-5 "
      << number(r.value("rank5", nlohmann::json())) << ", mAP " << number(r.value("map", nlohmann::json()))
      << " (" << number(r.value("tracklets", nlohmann::json())) << " tracklets, "
      << number(r.value("tracklets_without_person", nlohmann::json())) << " of them following nobody).</p>\n"
      << "<p class=\"note\">" << html_escape(r.value("definition", std::string()))
      << ". Sample queries (blue) with their five nearest tracklets in that ranking, nearest first: green "
         "&#10003; the same person, red &#10007; another. The persons are simulated (the frames carry the "
         "simulator's ground truth), so the crops are not blurred.</p>\n";
    for (const PageReidExample& e : reid_examples) {
      h << "<div class=\"thumbs\">\n<figure class=\"query\">";
      if (!e.query.file.empty())
        h << "<img alt=\"" << html_escape(e.query.caption) << "\" src=\"" << html_escape(e.query.file)
          << "\">";
      h << "<figcaption>query: " << html_escape(e.query.caption) << "<br>first right at rank "
        << e.first_match_rank << "</figcaption></figure>\n";
      for (std::size_t k = 0; k < e.top.size(); ++k) {
        const PageRanked& g = e.top[k];
        h << "<figure class=\"" << (g.right ? "right" : "wrong") << "\">";
        if (!g.crop.file.empty())
          h << "<img alt=\"" << html_escape(g.crop.caption) << "\" src=\"" << html_escape(g.crop.file)
            << "\">";
        h << "<figcaption>" << (k + 1) << ". " << (g.right ? "&#10003; " : "&#10007; ")
          << html_escape(g.crop.caption) << "</figcaption></figure>\n";
      }
      h << "</div>\n";
    }
  }

  h << "<h2>HOTA over the localisation threshold</h2>\n<p class=\"note\">HOTA, DetA and AssA at each IoU "
       "threshold alpha (0.05 to 0.95); the table shows their means.</p>\n<div class=\"curves\">\n";
  bool any_curve = false;
  for (const auto& [name, cam] : cameras.items()) {
    const nlohmann::json& tracking = cam.value("tracking", nlohmann::json());
    if (!tracking.is_object()) continue;
    h << hota_svg(tracking.value("hota", nlohmann::json::object()), name);
    any_curve = true;
  }
  h << "</div>\n";
  if (!any_curve) h << "<p class=\"note\">No camera had both truth and tracks: no curves.</p>\n";

  for (const auto& [name, cam] : cameras.items()) {
    h << "<h2>" << html_escape(name) << "</h2>\n";
    h << "<p class=\"note\">source <code>" << html_escape(cam.value("source", std::string()))
      << "</code>, truth: " << html_escape(cam.value("truth", std::string()))
      << ". Green: truth, grey: don't care, coloured: tracks "
      << "with their ids. MOTChallenge files: ";
    const nlohmann::json& mot = cam.value("mot", nlohmann::json::object());
    for (const char* k : {"gt", "tracks", "seqinfo"}) {
      if (mot.contains(k)) {
        const std::string file = mot[k].get<std::string>();
        h << "<a href=\"" << html_escape(file) << "\">" << html_escape(file) << "</a> ";
      }
    }
    h << "</p>\n";
    const auto it = thumbnails.find(name);
    if (it == thumbnails.end() || it->second.empty()) {
      h << "<p class=\"note\">No thumbnails (no rgb8 image plane, or `thumbnails: 0`).</p>\n";
      continue;
    }
    h << "<div class=\"thumbs\">\n";
    for (const PageThumbnail& t : it->second) {
      h << "<figure><a href=\"" << html_escape(t.file) << "\"><img alt=\"" << html_escape(t.caption)
        << "\" src=\"" << html_escape(t.file) << "\"></a><figcaption>" << html_escape(t.caption)
        << "</figcaption></figure>\n";
    }
    h << "</div>\n";
  }
  h << "</body></html>\n";
  return h.str();
}

}  // namespace oi::cctv::summary
