#include "watchlist.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"

namespace oi::reid {
namespace {

std::string file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string entry_id(std::uint64_t n) {
  char text[32];
  std::snprintf(text, sizeof text, "W-%06llu", static_cast<unsigned long long>(n));
  return text;
}

nlohmann::json entry_json(const WatchlistEntry& e) {
  return {{"id", e.id},
          {"label", e.label},
          {"legal_basis", e.legal_basis},
          {"authorised_by", e.authorised_by},
          {"enrolled_at", e.enrolled_at},
          {"expires_at", e.expires_at},
          {"source", e.source},
          {"embedding", e.embedding}};
}

// The fields every audit record of an entry carries.
nlohmann::json entry_audit(const WatchlistEntry& e) {
  return {{"entry", e.id},
          {"label", e.label},
          {"legal_basis", e.legal_basis},
          {"authorised_by", e.authorised_by},
          {"expires_at", e.expires_at},
          {"source", e.source}};
}

}  // namespace

std::string format_utc(Clock::time_point time) {
  const std::time_t seconds = Clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::optional<Clock::time_point> parse_utc(std::string_view text) {
  std::tm utc{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &consumed) != 3 ||
      consumed != 10)
    return std::nullopt;
  std::size_t at = 10;
  double fraction = 0;
  if (at < s.size()) {
    if (s[at] != 'T' && s[at] != ' ') return std::nullopt;
    int n = 0;
    if (std::sscanf(s.c_str() + at + 1, "%2d:%2d:%2d%n", &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &n) != 3 ||
        n != 8)
      return std::nullopt;
    at += 9;
    if (at < s.size() && s[at] == '.') {
      std::size_t end = at + 1;
      while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end]))) ++end;
      fraction = std::stod("0" + s.substr(at, end - at));
      at = end;
    }
    const std::string zone = s.substr(at);
    if (zone != "Z" && zone != "+00:00" && !zone.empty()) return std::nullopt;
  }
  if (utc.tm_mon < 1 || utc.tm_mon > 12 || utc.tm_mday < 1 || utc.tm_mday > 31 || utc.tm_hour > 23 ||
      utc.tm_min > 59 || utc.tm_sec > 60)
    return std::nullopt;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const std::time_t seconds = timegm(&utc);
  return Clock::from_time_t(seconds) +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(fraction));
}

bool WatchlistEntry::expired(Clock::time_point now) const {
  const std::optional<Clock::time_point> expiry = parse_utc(expires_at);
  return !expiry || now >= *expiry;  // an unreadable expiry is treated as expired
}

Watchlist::Watchlist(std::filesystem::path file, std::shared_ptr<audit::AuditLog> audit)
    : file_(std::move(file)), audit_(std::move(audit)) {
  std::error_code error;
  if (!std::filesystem::exists(file_, error)) return;
  if (auto problem = input_file_problem(file_))
    throw ConfigError("watchlist " + file_.string() + " " + *problem);
  const nlohmann::json j = nlohmann::json::parse(file_text(file_), nullptr, false);
  auto bad = [&](const std::string& what) {
    return ConfigError("watchlist " + file_.string() + ": " + what +
                       "; restore it from its backup, or enrol the persons again into a new file");
  };
  if (j.is_discarded() || !j.is_object()) throw bad("not JSON (truncated or not a watchlist)");
  if (j.value("format_version", 0) != kFormatVersion)
    throw bad("format version " + j.value("format_version", nlohmann::json(nullptr)).dump() +
              ", this build reads " + std::to_string(kFormatVersion));
  try {
    embedding_model_ = j.at("embedding_model").get<std::string>();
    version_ = j.at("version").get<std::uint64_t>();
    next_id_ = j.at("next_id").get<std::uint64_t>();
    std::size_t size = 0;
    for (const nlohmann::json& e : j.at("entries")) {
      WatchlistEntry entry;
      entry.id = e.at("id").get<std::string>();
      entry.label = e.at("label").get<std::string>();
      entry.legal_basis = e.at("legal_basis").get<std::string>();
      entry.authorised_by = e.at("authorised_by").get<std::string>();
      entry.enrolled_at = e.at("enrolled_at").get<std::string>();
      entry.expires_at = e.at("expires_at").get<std::string>();
      entry.source = e.value("source", nlohmann::json::object());
      entry.embedding = e.at("embedding").get<std::vector<float>>();
      if (entry.embedding.empty() || (size != 0 && entry.embedding.size() != size))
        throw bad("entry " + entry.id + " has an embedding of " + std::to_string(entry.embedding.size()) +
                  " values where the others have " + std::to_string(size));
      size = entry.embedding.size();
      entries_.push_back(std::move(entry));
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("a member is missing or of the wrong type (") + e.what() + ")");
  }
}

std::string Watchlist::reference() const {
  return file_.filename().string() + " v" + std::to_string(version_);
}

const WatchlistEntry& Watchlist::enrol(WatchlistEntry entry, const std::string& embedding_model,
                                       Clock::time_point now) {
  auto refuse = [&](const std::string& why) {
    return ConfigError("cannot enrol '" + entry.label + "' into watchlist " + file_.string() + ": " + why);
  };
  if (entry.legal_basis.empty())
    throw refuse("no legal basis is given; name the law or warrant the search rests on");
  if (entry.authorised_by.empty()) throw refuse("no authorising officer is given");
  const std::optional<Clock::time_point> expiry = parse_utc(entry.expires_at);
  if (!expiry)
    throw refuse("expiry '" + entry.expires_at + "' is not a UTC time such as 2027-01-31T00:00:00Z");
  if (*expiry <= now) throw refuse("expiry " + entry.expires_at + " is not in the future");
  if (entry.embedding.empty()) throw refuse("the embedding is empty");
  double norm = 0;
  for (float v : entry.embedding) norm += static_cast<double>(v) * v;
  if (!std::isfinite(norm) || std::abs(std::sqrt(norm) - 1.0) > 1e-3)
    throw refuse("the embedding is not L2-normalised (norm " + std::to_string(std::sqrt(norm)) + ")");
  if (!entries_.empty() && entries_.front().embedding.size() != entry.embedding.size())
    throw refuse("the embedding has " + std::to_string(entry.embedding.size()) + " values, the watchlist's " +
                 std::to_string(entries_.front().embedding.size()));
  if (!embedding_model_.empty() && !entries_.empty() && embedding_model != embedding_model_)
    throw refuse("the embedding was made with model '" + embedding_model +
                 "', the watchlist's entries with '" + embedding_model_ + "'");
  Watchlist before = *this;
  embedding_model_ = embedding_model;
  entry.id = entry_id(next_id_++);
  entry.enrolled_at = format_utc(now);
  entry.expires_at = format_utc(*expiry);
  entries_.push_back(std::move(entry));
  ++version_;
  commit(std::move(before), [&] {
    if (!audit_) return;
    nlohmann::json fields = entry_audit(entries_.back());
    fields["reference_database"] = reference();
    fields["input"] = entries_.back().source;  // Art. 12(3): the data the entry was made from
    audit_->append(audit::event::kEnrolment, fields);
  });
  return entries_.back();
}

std::size_t Watchlist::purge_expired(Clock::time_point now) {
  std::vector<WatchlistEntry> kept, purged;
  for (const WatchlistEntry& e : entries_) (e.expired(now) ? purged : kept).push_back(e);
  if (purged.empty()) return 0;
  Watchlist before = *this;
  entries_ = std::move(kept);
  ++version_;
  commit(std::move(before), [&] {
    if (!audit_) return;
    for (const WatchlistEntry& e : purged) {
      nlohmann::json fields = entry_audit(e);
      fields["reason"] = "expired";
      fields["data"] = "watchlist entry and its embedding";
      fields["reference_database"] = reference();
      audit_->append(audit::event::kPurge, fields);
    }
  });
  return purged.size();
}

void Watchlist::commit(Watchlist before, const std::function<void()>& audit_records) {
  bool saved = false;
  try {
    save();
    saved = true;
    audit_records();
  } catch (const Error& e) {
    // A change the file or the audit log did not take is taken back whole, in memory and on
    // disk: no entry is searched, and none purged, that the audit log does not name, and a
    // purge that failed is tried again.
    *this = std::move(before);
    if (!saved) throw;
    const std::string why = "watchlist " + file_.string() +
                            ": the change was taken back, its audit record could not be written: " + e.what();
    try {
      save();
    } catch (const Error& again) {
      throw Error(why + "; and the file could not be put back either: " + again.what());
    }
    throw Error(why);
  }
}

std::vector<const WatchlistEntry*> Watchlist::searchable(Clock::time_point now) const {
  std::vector<const WatchlistEntry*> out;
  for (const WatchlistEntry& e : entries_)
    if (!e.expired(now)) out.push_back(&e);
  return out;
}

const WatchlistEntry* Watchlist::find(std::string_view id) const {
  for (const WatchlistEntry& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

void Watchlist::save() {
  nlohmann::json j = {{"format_version", kFormatVersion},
                      {"embedding_model", embedding_model_},
                      {"version", version_},
                      {"next_id", next_id_},
                      {"entries", nlohmann::json::array()}};
  for (const WatchlistEntry& e : entries_) j["entries"].push_back(entry_json(e));
  std::error_code error;
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path(), error);
  if (Status status = write_file_atomically(file_, j.dump(1) + "\n"); status.is_error())
    throw Error("watchlist " + file_.string() + " was not saved: " + status.message());
}

namespace {

// What the tracklet store's messages add so an officer can find what is there.
std::string retention_note(const std::filesystem::path& alerts_dir) {
  return "reid.watchlist deletes the tracklets of persons who matched no entry `retention_hours` after "
         "they were stored (default 24); `oi watchlist tracklets " +
         alerts_dir.string() + "` lists those still stored";
}

// A tracklet's name must name a file in the store, not a path elsewhere.
bool plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

TrackletStore::TrackletStore(std::filesystem::path alerts_dir) : alerts_dir_(std::move(alerts_dir)) {
  std::error_code error;
  if (!std::filesystem::is_directory(alerts_dir_, error))
    throw ConfigError("run folder " + alerts_dir_.string() +
                      (std::filesystem::exists(alerts_dir_, error) ? " is not a folder" : " does not exist") +
                      "; give the `alerts_dir` of the reid.watchlist stage that searched the run");
  if (!std::filesystem::is_directory(folder(), error))
    throw ConfigError(
        "run folder " + alerts_dir_.string() +
        " has no tracklets/ folder: it is not the `alerts_dir` of a reid.watchlist stage, or the "
        "stage has not searched anyone yet; give the folder that holds alerts.jsonl and tracklets/");
}

std::vector<std::string> TrackletStore::names() const {
  std::vector<std::string> out;
  std::error_code error;
  for (const auto& item : std::filesystem::directory_iterator(folder(), error))
    if (item.path().extension() == ".json") out.push_back(item.path().stem().string());
  if (error)
    throw ConfigError("cannot list " + folder().string() + ": " + error.message() +
                      "; check the folder's permissions");
  std::sort(out.begin(), out.end());
  return out;
}

StoredTracklet TrackletStore::read(std::string_view name) const {
  if (!plain_name(name))
    throw ConfigError("'" + std::string(name) +
                      "' is not a tracklet name; a tracklet is named <camera>-<track>, e.g. gate-12");
  StoredTracklet t;
  t.name = std::string(name);
  t.file = folder() / (t.name + ".json");
  std::error_code error;
  if (!std::filesystem::exists(t.file, error)) {
    const std::vector<std::string> stored = names();
    std::string list;
    for (std::size_t i = 0; i < stored.size() && i < 20; ++i) list += (i ? ", " : "") + stored[i];
    if (stored.size() > 20) list += ", ... (" + std::to_string(stored.size()) + " in all)";
    throw ConfigError(
        "no tracklet " + t.name + " in " + folder().string() + " (" + t.file.filename().string() +
        " is missing): the person was not searched under that name, or the tracklet was purged; " +
        retention_note(alerts_dir_) +
        (stored.empty() ? std::string("; none is stored now") : "; stored now: " + list));
  }
  if (auto problem = input_file_problem(t.file))
    throw ConfigError("tracklet " + t.file.string() + " " + *problem);
  const nlohmann::json j = nlohmann::json::parse(file_text(t.file), nullptr, false);
  auto bad = [&](const std::string& what) {
    return ConfigError(
        "tracklet " + t.file.string() + " " + what +
        "; the file was damaged or is not a reid.watchlist tracklet: move it out of the folder, "
        "or choose another tracklet");
  };
  if (j.is_discarded() || !j.is_object()) throw bad("is not JSON (truncated or edited)");
  try {
    t.camera = j.at("camera").get<std::string>();
    t.track = j.at("track").get<std::int64_t>();
    t.global_identity = j.contains("global_identity") && !j["global_identity"].is_null()
                            ? j["global_identity"].get<std::int64_t>()
                            : -1;
    t.time = j.value("time", "");
    t.embedding = j.at("embedding").get<std::vector<float>>();
    t.model = j.at("model").get<std::string>();
    t.stored_at = j.value("stored_at", "");
    const std::string crop = j.value("crop", "");
    // The crop lies beside the JSON; the recorded path may be relative to the run's folder.
    std::filesystem::path crop_file = std::filesystem::path(t.file).replace_extension(".png");
    if (!std::filesystem::exists(crop_file, error)) crop_file = crop;
    if (!crop.empty() && std::filesystem::exists(crop_file, error))
      t.crop = std::filesystem::absolute(crop_file, error).lexically_normal().string();
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("lacks a member or has one of the wrong type (") + e.what() + ")");
  }
  if (t.embedding.empty())
    throw bad("has an empty embedding: the person cannot be enrolled from it; choose another tracklet");
  for (float v : t.embedding)
    if (!std::isfinite(v)) throw bad("has an embedding value that is not a finite number");
  return t;
}

std::vector<StoredTracklet> TrackletStore::read_all() const {
  std::vector<StoredTracklet> out;
  for (const std::string& name : names()) out.push_back(read(name));
  return out;
}

std::vector<IdentityGroup> group_by_identity(std::vector<StoredTracklet> tracklets) {
  std::stable_sort(tracklets.begin(), tracklets.end(), [](const StoredTracklet& a, const StoredTracklet& b) {
    return a.time != b.time ? a.time < b.time : a.name < b.name;
  });
  std::map<std::int64_t, IdentityGroup> identities;
  std::vector<IdentityGroup> alone;
  for (StoredTracklet& t : tracklets) {
    if (t.global_identity < 0) {
      alone.push_back({-1, {std::move(t)}});
      continue;
    }
    IdentityGroup& group = identities[t.global_identity];
    group.global_identity = t.global_identity;
    group.tracklets.push_back(std::move(t));
  }
  std::vector<IdentityGroup> out;
  for (auto& [identity, group] : identities) out.push_back(std::move(group));
  for (IdentityGroup& group : alone) out.push_back(std::move(group));
  return out;
}

RunEnrolment enrolment_from_run(const std::filesystem::path& alerts_dir, const RunSelection& selection) {
  const TrackletStore store(alerts_dir);
  RunEnrolment out;
  std::string chosen;  // for messages: "global identity 7" or "tracklet gate-3"
  if (selection.global_identity) {
    const std::int64_t wanted = *selection.global_identity;
    chosen = "global identity " + std::to_string(wanted);
    if (wanted < 0)
      throw ConfigError(chosen +
                        " is not an identity: global identities are 0 or more; a tracklet "
                        "without one is enrolled by its name (<camera>-<track>)");
    std::set<std::int64_t> identities;
    std::size_t without = 0;
    for (StoredTracklet& t : store.read_all()) {
      if (t.global_identity < 0)
        ++without;
      else
        identities.insert(t.global_identity);
      if (t.global_identity == wanted) out.tracklets.push_back(std::move(t));
    }
    if (out.tracklets.empty()) {
      std::string list;
      std::size_t listed = 0;
      for (std::int64_t id : identities) {
        if (listed++ == 20) {
          list += ", ... (" + std::to_string(identities.size()) + " in all)";
          break;
        }
        list += (list.empty() ? "" : ", ") + std::to_string(id);
      }
      throw ConfigError(
          "no tracklet of " + chosen + " in " + store.folder().string() + "; " +
          (identities.empty() ? std::string("no tracklet there has a global identity (the run had no "
                                            "reid.associate stage?): choose one tracklet instead")
                              : "the identities stored are " + list) +
          (without > 0 ? " (and " + std::to_string(without) + " tracklets without an identity)" : "") + "; " +
          retention_note(alerts_dir));
    }
  } else {
    if (selection.tracklet.empty())
      throw ConfigError("choose whom to enrol from run " + alerts_dir.string() +
                        ": a global identity or a tracklet (<camera>-<track>)");
    chosen = "tracklet " + selection.tracklet;
    out.tracklets.push_back(store.read(selection.tracklet));
  }

  // The tracklets must come from one embedding model: their mean is meaningless otherwise.
  const StoredTracklet& first = out.tracklets.front();
  for (const StoredTracklet& t : out.tracklets) {
    if (t.embedding.size() != first.embedding.size())
      throw ConfigError("cannot enrol " + chosen + " of run " + alerts_dir.string() + ": tracklet " +
                        t.file.string() + " has an embedding of " + std::to_string(t.embedding.size()) +
                        " values, " + first.file.string() + " of " + std::to_string(first.embedding.size()) +
                        "; they were made by different models: enrol one tracklet instead");
    if (t.model != first.model)
      throw ConfigError("cannot enrol " + chosen + " of run " + alerts_dir.string() + ": tracklet " +
                        t.file.string() + " was embedded with model '" + t.model + "', " +
                        first.file.string() + " with '" + first.model + "'; enrol one tracklet instead");
  }
  std::vector<double> sum(first.embedding.size(), 0.0);
  for (const StoredTracklet& t : out.tracklets)
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += t.embedding[i];
  double norm = 0;
  for (double v : sum) norm += v * v;
  norm = std::sqrt(norm);
  if (!(norm > 1e-12) || !std::isfinite(norm))
    throw ConfigError("cannot enrol " + chosen + " of run " + alerts_dir.string() +
                      ": the mean of its tracklets' embeddings is zero; enrol one tracklet instead");
  out.entry.embedding.resize(sum.size());
  for (std::size_t i = 0; i < sum.size(); ++i) out.entry.embedding[i] = static_cast<float>(sum[i] / norm);
  out.model = first.model;

  nlohmann::json names = nlohmann::json::array(), crops = nlohmann::json::array();
  for (const StoredTracklet& t : out.tracklets) {
    names.push_back(t.name);
    if (!t.crop.empty()) crops.push_back(t.crop);
  }
  std::error_code error;
  std::filesystem::path run = std::filesystem::absolute(alerts_dir, error).lexically_normal();
  if (run.filename().empty() && run.has_parent_path()) run = run.parent_path();  // "/runs/a/" -> "/runs/a"
  out.entry.source = {
      {"run", run.string()},
      {"global_identity",
       selection.global_identity ? nlohmann::json(*selection.global_identity) : nlohmann::json(nullptr)},
      {"tracklets", names},
      {"crops", crops}};
  return out;
}

std::string Alert::status() const {
  if (!rejected_by.empty()) return "rejected";
  return confirmed_by.size() >= kConfirmationsNeeded ? "confirmed" : "unconfirmed";
}

nlohmann::json Alert::to_json() const {
  return {{"id", id},
          {"time", time},
          {"camera", camera},
          {"track", track},
          {"global_identity", global_identity},
          {"frame_index", frame_index},
          {"score", score},
          {"entry", entry},
          {"reference_database", reference},
          {"thumbnail", thumbnail},
          {"confirmed_by", confirmed_by},
          {"rejected_by", rejected_by},
          {"status", status()}};
}

AlertBook::AlertBook(std::filesystem::path file, std::shared_ptr<audit::AuditLog> audit)
    : file_(std::move(file)), audit_(std::move(audit)) {
  std::error_code error;
  if (file_.has_parent_path()) std::filesystem::create_directories(file_.parent_path(), error);
  std::ifstream in(file_);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    auto bad = [&] {
      return Error(
          "alerts " + file_.string() + ":" + std::to_string(number) +
          ": not an alert or verdict line; the file was damaged: restore it, or move it away to start "
          "a new one");
    };
    if (j.is_discarded() || !j.is_object() || !j.contains("type")) throw bad();
    try {
      if (j["type"] == "alert") {
        Alert a;
        a.id = j.at("id");
        a.time = j.at("time");
        a.camera = j.at("camera");
        a.track = j.at("track");
        a.global_identity = j.value("global_identity", std::int64_t{-1});
        a.frame_index = j.value("frame_index", std::int64_t{-1});
        a.score = j.at("score");
        a.entry = j.at("entry");
        a.reference = j.value("reference_database", "");
        a.thumbnail = j.value("thumbnail", "");
        alerts_.push_back(std::move(a));
      } else if (j["type"] == "verdict") {
        const std::string id = j.at("alert");
        for (Alert& a : alerts_)
          if (a.id == id)
            (j.at("confirm").get<bool>() ? a.confirmed_by : a.rejected_by).push_back(j.at("officer"));
      } else {
        throw bad();
      }
    } catch (const nlohmann::json::exception&) {
      throw bad();
    }
  }
}

std::uintmax_t AlertBook::append_line(const nlohmann::json& line) {
  const std::string text = line.dump() + "\n";
  auto failure = [&](int error_number) {
    return Error("cannot append to alerts " + file_.string() + ": " + std::strerror(error_number) + ": " +
                 write_error_advice(error_number) + "; nothing was added to it");
  };
  const int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw failure(errno);
  struct stat before {};
  if (::fstat(fd, &before) != 0) {
    const int error_number = errno;
    ::close(fd);
    throw failure(error_number);
  }
  // A line is written whole or taken back: a line cut off by a full disk would make the file
  // unreadable from there on.
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error_number = n < 0 ? errno : ENOSPC;
      if (::ftruncate(fd, before.st_size) != 0) {
        // The cut line stays; reading the file back names its line.
      }
      ::close(fd);
      throw failure(error_number);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int error_number = errno;
    take_back(static_cast<std::uintmax_t>(before.st_size));
    throw failure(error_number);
  }
  return static_cast<std::uintmax_t>(before.st_size);
}

void AlertBook::take_back(std::uintmax_t size) {
  std::error_code error;
  std::filesystem::resize_file(file_, size, error);
}

void AlertBook::audit_or_take_back(std::string_view event, const nlohmann::json& fields,
                                   std::uintmax_t before, const std::string& what) {
  if (!audit_) return;
  try {
    audit_->append(event, fields);
  } catch (const Error& e) {
    // Every alert and verdict in the file is in the audit log too (EU AI Act Art. 12).
    take_back(before);
    throw Error(what + " was not recorded in " + file_.string() +
                ": its audit record could not be written: " + e.what());
  }
}

std::string AlertBook::raise(Alert alert) {
  std::lock_guard lock(mutex_);
  alert.id = "A-" + std::to_string(alerts_.size() + 1);
  alert.confirmed_by.clear();
  alert.rejected_by.clear();
  nlohmann::json line = alert.to_json();
  line.erase("confirmed_by");
  line.erase("rejected_by");
  line.erase("status");
  line["type"] = "alert";
  const std::uintmax_t before = append_line(line);
  nlohmann::json fields = alert.to_json();
  fields.erase("confirmed_by");
  fields.erase("rejected_by");
  fields["alerts_file"] = file_.string();
  audit_or_take_back(audit::event::kHit, fields, before, "alert " + alert.id);
  alerts_.push_back(alert);
  return alert.id;
}

std::string AlertBook::verify(std::string_view alert_id, std::string_view officer, bool confirm,
                              std::string_view note) {
  std::lock_guard lock(mutex_);
  if (officer.empty()) throw ConfigError("a verdict needs the officer's name (--officer)");
  Alert* alert = nullptr;
  for (Alert& a : alerts_)
    if (a.id == alert_id) alert = &a;
  if (!alert) throw ConfigError("no alert '" + std::string(alert_id) + "' in " + file_.string());
  for (const auto* list : {&alert->confirmed_by, &alert->rejected_by})
    for (const std::string& who : *list)
      if (who == officer)
        throw ConfigError("officer '" + std::string(officer) + "' already gave a verdict on " + alert->id +
                          "; a second officer must verify it");
  const nlohmann::json line = {{"type", "verdict"},  {"alert", alert->id},
                               {"officer", officer}, {"confirm", confirm},
                               {"note", note},       {"time", format_utc(Clock::now())}};
  const std::uintmax_t before = append_line(line);
  std::vector<std::string>& verdicts = confirm ? alert->confirmed_by : alert->rejected_by;
  verdicts.emplace_back(officer);
  try {
    audit_or_take_back(audit::event::kConfirmation,
                       {{"alert", alert->id},
                        {"entry", alert->entry},
                        {"verified_by", officer},
                        {"verdict", confirm ? "confirmed" : "rejected"},
                        {"note", note},
                        {"status", alert->status()},
                        {"input",
                         {{"camera", alert->camera},
                          {"track", alert->track},
                          {"time", alert->time},
                          {"thumbnail", alert->thumbnail}}},
                        {"reference_database", alert->reference}},
                       before, "the verdict of " + std::string(officer) + " on " + alert->id);
  } catch (...) {
    verdicts.pop_back();
    throw;
  }
  return alert->status();
}

std::vector<Alert> AlertBook::alerts() const {
  std::lock_guard lock(mutex_);
  return alerts_;
}

}  // namespace oi::reid
