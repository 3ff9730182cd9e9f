// MOTChallenge gt files as the evaluation's truth.
#include "truth_file.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>

namespace fs = std::filesystem;

namespace oi::cctv::summary {
namespace {

constexpr const char* kFormat =
    "lines are `frame,id,x,y,w,h[,mark,class,visibility]` (MOTChallenge gt, frames from 1)";
constexpr std::size_t kMaxDiagnostics = 20;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

struct Field {
  std::string_view text;
  int column = 0;  // 1-based column of the field's first character
};

std::vector<Field> split(std::string_view line) {
  std::vector<Field> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    const std::string_view raw =
        line.substr(start, comma == std::string_view::npos ? line.npos : comma - start);
    std::size_t lead = 0;
    while (lead < raw.size() && (raw[lead] == ' ' || raw[lead] == '\t')) ++lead;
    fields.push_back({trim(raw), static_cast<int>(start + lead) + 1});
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::optional<double> number(std::string_view text) {
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// MOTChallenge classes (trackeval/datasets/mot_challenge_2d_box.py): 1 pedestrian; these are
// persons that do not count (distractors); every other class is not a person at all.
bool distractor_class(int cls) { return cls == 2 || cls == 7 || cls == 8 || cls == 12; }

}  // namespace

TruthFile read_truth_file(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    throw ConfigError("cannot read the truth file " + file.string() +
                      "; set `truth` to a MOTChallenge gt file (" + kFormat + ")");
  }
  TruthFile out;
  out.path = file;
  std::vector<Diagnostic> problems;
  std::map<std::pair<std::int64_t, std::int64_t>, int> seen;  // (frame, id) -> line
  auto problem = [&](int line, int column, const std::string& what) {
    if (problems.size() < kMaxDiagnostics) problems.push_back({{file.string(), line, column}, what});
  };
  std::string text;
  int line_number = 0;
  while (std::getline(in, text)) {
    ++line_number;
    const std::string_view line = trim(text);
    if (line.empty() || line.front() == '#') continue;
    const std::vector<Field> fields = split(line);
    if (fields.size() < 6) {
      std::string what = "'";
      what.append(line).append("' has ").append(std::to_string(fields.size()));
      what.append(" columns, not at least 6; ").append(kFormat);
      problem(line_number, 1, what);
      continue;
    }
    static constexpr const char* kNames[] = {"frame", "id",   "x",     "y",         "w",
                                             "h",     "mark", "class", "visibility"};
    double v[9] = {0, 0, 0, 0, 0, 0, 1, 1, 1};
    bool ok = true;
    for (std::size_t c = 0; c < fields.size() && c < 9; ++c) {
      const std::optional<double> value = number(fields[c].text);
      if (!value) {
        problem(line_number, fields[c].column,
                "column " + std::to_string(c + 1) + " (" + kNames[c] + ") is '" +
                    std::string(fields[c].text) + "', not a number; " + kFormat);
        ok = false;
        break;
      }
      v[c] = *value;
    }
    if (!ok) continue;
    if (v[0] < 1 || v[0] != std::floor(v[0])) {
      problem(line_number, fields[0].column,
              "frame " + std::string(fields[0].text) +
                  " is not a whole number from 1 (MOTChallenge frames start at 1)");
      continue;
    }
    if (v[1] != std::floor(v[1])) {
      problem(line_number, fields[1].column, "id " + std::string(fields[1].text) + " is not a whole number");
      continue;
    }
    if (v[4] <= 0 || v[5] <= 0) {
      problem(line_number, fields[v[4] <= 0 ? 4 : 5].column,
              "box width and height must be positive, got w " + std::string(fields[4].text) + ", h " +
                  std::string(fields[5].text));
      continue;
    }
    if (fields.size() >= 9 && (v[8] < 0 || v[8] > 1)) {
      problem(line_number, fields[8].column,
              "visibility " + std::string(fields[8].text) + " is outside [0, 1]");
      continue;
    }
    const auto frame = static_cast<std::int64_t>(v[0]);
    const auto id = static_cast<std::int64_t>(v[1]);
    const int cls = fields.size() >= 8 ? static_cast<int>(v[7]) : 1;
    if (cls > 1 && !distractor_class(cls)) {  // cars, occluders...: not persons (-1, 0: unspecified)
      ++out.ignored_lines;
      continue;
    }
    const auto [it, inserted] = seen.emplace(std::make_pair(frame, id), line_number);
    if (!inserted) {
      problem(line_number, fields[1].column,
              "id " + std::to_string(id) + " appears twice in frame " + std::to_string(frame) +
                  " (also on line " + std::to_string(it->second) + "); ids must be unique within a frame");
      continue;
    }
    TruthLine t;
    t.id = id;
    t.box = {v[2], v[3], v[4], v[5]};
    t.marked_ignore = (fields.size() >= 7 && v[6] == 0) || distractor_class(cls);
    t.visible = fields.size() >= 9 ? v[8] : 1.0;
    t.line = line_number;
    out.frames[frame].push_back(t);
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return out;
}

TruthSource::TruthSource(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    single_ = read_truth_file(path);
    return;
  }
  std::vector<Diagnostic> problems;
  auto add = [&](const std::string& camera, const fs::path& file) {
    if (per_camera_.count(camera) != 0) {
      Diagnostic d;
      d.where.file = file.string();
      d.message = "a second truth file for camera '" + camera + "' (the first is ";
      d.message.append(per_camera_.at(camera).path.string()).append("); keep one");
      problems.push_back(std::move(d));
      return;
    }
    try {
      per_camera_.emplace(camera, read_truth_file(file));
    } catch (const ConfigError& e) {
      problems.insert(problems.end(), e.diagnostics().begin(), e.diagnostics().end());
    }
  };
  std::vector<fs::directory_entry> entries;
  for (const auto& entry : fs::directory_iterator(path, ec)) entries.push_back(entry);
  std::sort(entries.begin(), entries.end());
  for (const auto& entry : entries) {
    if (entry.is_regular_file(ec) && entry.path().extension() == ".txt") {
      add(entry.path().stem().string(), entry.path());
    } else if (entry.is_directory(ec) && fs::is_regular_file(entry.path() / "gt" / "gt.txt", ec)) {
      add(entry.path().filename().string(), entry.path() / "gt" / "gt.txt");
    }
  }
  if (!problems.empty()) throw ConfigError(std::move(problems));
  if (per_camera_.empty()) {
    throw ConfigError(
        "the truth folder " + path.string() +
        " holds no `<camera>.txt` and no `<camera>/gt/gt.txt`; put one MOTChallenge gt file per "
        "camera there, or set `truth` to a single file");
  }
}

const TruthFile* TruthSource::for_camera(const std::string& name, const std::string& source) const {
  if (single_) return &*single_;
  if (auto it = per_camera_.find(name); it != per_camera_.end()) return &it->second;
  if (auto it = per_camera_.find(source); it != per_camera_.end()) return &it->second;
  return nullptr;
}

std::vector<std::string> TruthSource::cameras() const {
  std::vector<std::string> names;
  for (const auto& [name, file] : per_camera_) names.push_back(name);
  return names;
}

std::vector<std::string> check_truth(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return {"`truth` " + path.string() +
            " does not exist; name a MOTChallenge gt file, or a folder with one per camera"};
  }
  try {
    TruthSource source(path);
  } catch (const ConfigError& e) {
    std::vector<std::string> problems;
    for (const Diagnostic& d : e.diagnostics()) problems.push_back(d.str());
    return problems;
  }
  return {};
}

}  // namespace oi::cctv::summary
