// `oi watchlist ...`: the officers' side of the watchlist (docs/reid.md, "Watchlist"): list the
// entries, list the alerts of a run with their status, confirm or reject an alert (two
// distinct officers confirm before anyone acts, EU AI Act Art. 14(5)), purge expired entries,
// list a run's stored tracklets and enrol a person seen in a run. Every change is recorded in
// the audit log.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "watchlist.hpp"

namespace oi::cli {
namespace {

std::shared_ptr<audit::AuditLog> open_audit(const std::string& file) {
  if (file.empty())
    throw ConfigError("--audit is required: every verdict, purge and enrolment is recorded in the audit log");
  return std::make_shared<audit::AuditLog>(file);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// One identity group as `oi watchlist tracklets --json` prints it.
nlohmann::json group_json(const reid::IdentityGroup& group) {
  std::vector<std::string> cameras, names, crops;
  for (const reid::StoredTracklet& t : group.tracklets) {
    if (std::find(cameras.begin(), cameras.end(), t.camera) == cameras.end()) cameras.push_back(t.camera);
    names.push_back(t.name);
    if (!t.crop.empty()) crops.push_back(t.crop);
  }
  return {{"global_identity",
           group.global_identity >= 0 ? nlohmann::json(group.global_identity) : nlohmann::json(nullptr)},
          {"cameras", cameras},
          {"tracklets", names},
          {"first_time", group.tracklets.front().time},
          {"crops", crops}};
}

int list_tracklets(const WatchlistArgs& args) {
  const reid::TrackletStore store(args.file);
  const std::vector<reid::IdentityGroup> groups = reid::group_by_identity(store.read_all());
  nlohmann::json out = nlohmann::json::array();
  for (const reid::IdentityGroup& g : groups) out.push_back(group_json(g));
  if (args.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::size_t tracklets = 0, identities = 0;
  for (const reid::IdentityGroup& g : groups) {
    tracklets += g.tracklets.size();
    identities += g.global_identity >= 0 ? 1 : 0;
  }
  std::printf("%s: %zu tracklets, %zu global identities, %zu tracklets without one\n",
              store.folder().string().c_str(), tracklets, identities, groups.size() - identities);
  for (const nlohmann::json& g : out) {
    const std::string who = g["global_identity"].is_null()
                                ? "no identity"
                                : "identity " + std::to_string(g["global_identity"].get<std::int64_t>());
    std::printf("  %-14s first seen %s  cameras %s  tracklets %s\n", who.c_str(),
                g["first_time"].get<std::string>().c_str(),
                joined(g["cameras"].get<std::vector<std::string>>()).c_str(),
                joined(g["tracklets"].get<std::vector<std::string>>()).c_str());
    for (const nlohmann::json& crop : g["crops"])
      std::printf("      crop %s\n", crop.get<std::string>().c_str());
  }
  if (!groups.empty())
    std::printf(
        "enrol one with: oi watchlist enrol WATCHLIST --from-run %s --identity G (or --tracklet "
        "CAMERA-TRACK) --label ... --legal-basis ... --authorised-by ... --expires ... --audit ...\n",
        args.file.c_str());
  return kExitOk;
}

int enrol_from_run(const WatchlistArgs& args) {
  // What the law requires is checked before anything is read or written.
  auto need = [](const std::string& value, const char* flag, const char* what) {
    if (value.empty()) throw ConfigError(std::string(flag) + " is required: " + what);
  };
  need(args.from_run, "--from-run", "give the run's alerts folder (reid.watchlist's alerts_dir)");
  if (!args.identity && args.tracklet.empty())
    throw ConfigError("--identity or --tracklet is required: choose whom to enrol (`oi watchlist tracklets " +
                      args.from_run + "` lists the run's identities and tracklets)");
  need(args.legal_basis, "--legal-basis", "name the law or warrant the search rests on");
  need(args.authorised_by, "--authorised-by", "name the officer who authorises the enrolment");
  need(args.expires, "--expires",
       "give the UTC time from which the entry is refused and purged, e.g. 2027-01-31T00:00:00Z");
  need(args.audit_log, "--audit", "every enrolment is recorded in the audit log");
  const auto now = reid::Clock::now();
  if (!reid::parse_utc(args.expires))
    throw ConfigError("--expires '" + args.expires + "' is not a UTC time such as 2027-01-31T00:00:00Z");

  reid::RunSelection selection;
  selection.global_identity = args.identity;
  selection.tracklet = args.tracklet;
  reid::RunEnrolment made = reid::enrolment_from_run(args.from_run, selection);
  const std::string chosen =
      args.identity ? "global identity " + std::to_string(*args.identity) : "tracklet " + args.tracklet;

  reid::WatchlistEntry& entry = made.entry;
  entry.label =
      args.label.empty() ? chosen + " of " + made.entry.source["run"].get<std::string>() : args.label;
  entry.legal_basis = args.legal_basis;
  entry.authorised_by = args.authorised_by;
  entry.expires_at = args.expires;

  // The watchlist is read (and a person enrolled already from the same tracklets refused) before
  // the audit log is opened, so a refused enrolment leaves no record.
  {
    const reid::Watchlist check(args.file, nullptr);
    for (const reid::WatchlistEntry& e : check.entries())
      if (!e.expired(now) && e.source.value("run", "") == entry.source["run"] &&
          e.source.value("tracklets", nlohmann::json()) == entry.source["tracklets"])
        throw ConfigError(chosen + " of run " + entry.source["run"].get<std::string>() +
                          " is already enrolled in " + args.file + " as " + e.id + " ('" + e.label +
                          "'); it is not enrolled twice");
  }
  reid::Watchlist list(args.file, open_audit(args.audit_log));
  const reid::WatchlistEntry& done = list.enrol(std::move(entry), made.model, now);

  if (args.json) {
    nlohmann::json out = {{"id", done.id},
                          {"label", done.label},
                          {"legal_basis", done.legal_basis},
                          {"authorised_by", done.authorised_by},
                          {"enrolled_at", done.enrolled_at},
                          {"expires_at", done.expires_at},
                          {"source", done.source},
                          {"embedding_model", list.embedding_model()},
                          {"reference_database", list.reference()}};
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s enrolled into %s (%s): '%s', %s of run %s, mean of %zu tracklets (%s); expires %s\n",
                done.id.c_str(), args.file.c_str(), list.reference().c_str(), done.label.c_str(),
                chosen.c_str(), done.source["run"].get<std::string>().c_str(), made.tracklets.size(),
                joined(done.source["tracklets"].get<std::vector<std::string>>()).c_str(),
                done.expires_at.c_str());
  }
  return kExitOk;
}

int report(const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return dynamic_cast<const ConfigError*>(&e) ? kExitInvalid : kExitRuntime;
}

}  // namespace

int watchlist_command(const WatchlistArgs& args) {
  try {
    if (args.action == "list") {
      if (auto problem = input_file_problem(args.file))
        throw ConfigError("watchlist " + args.file + " " + *problem);
      const reid::Watchlist list(args.file, nullptr);
      const auto now = reid::Clock::now();
      nlohmann::json out = nlohmann::json::array();
      for (const reid::WatchlistEntry& e : list.entries())
        out.push_back({{"id", e.id},
                       {"label", e.label},
                       {"legal_basis", e.legal_basis},
                       {"authorised_by", e.authorised_by},
                       {"enrolled_at", e.enrolled_at},
                       {"expires_at", e.expires_at},
                       {"source", e.source},
                       {"expired", e.expired(now)}});
      if (args.json) {
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        std::printf("%s: %zu entries (%s)\n", args.file.c_str(), out.size(), list.reference().c_str());
        for (const nlohmann::json& e : out) {
          std::printf(
              "  %s  %-20s expires %s%s  basis: %s  authorised by %s\n", e["id"].get<std::string>().c_str(),
              e["label"].get<std::string>().c_str(), e["expires_at"].get<std::string>().c_str(),
              e["expired"].get<bool>() ? " (EXPIRED: refused)" : "",
              e["legal_basis"].get<std::string>().c_str(), e["authorised_by"].get<std::string>().c_str());
          const nlohmann::json& source = e["source"];
          if (source.is_object() && source.contains("image") && source["image"].is_string())
            std::printf("      from image %s\n", source["image"].get<std::string>().c_str());
          else if (source.is_object() && source.contains("run") && source["run"].is_string())
            std::printf("      from run %s: %s\n", source["run"].get<std::string>().c_str(),
                        source.value("tracklets", nlohmann::json::array()).dump().c_str());
        }
      }
      return kExitOk;
    }
    if (args.action == "alerts") {
      if (auto problem = input_file_problem(args.file))
        throw ConfigError("alerts " + args.file + " " + *problem);
      const reid::AlertBook book(args.file, nullptr);
      nlohmann::json out = nlohmann::json::array();
      for (const reid::Alert& a : book.alerts()) out.push_back(a.to_json());
      if (args.json) {
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        std::printf("%s: %zu alerts\n", args.file.c_str(), out.size());
        for (const reid::Alert& a : book.alerts())
          std::printf(
              "  %-6s %-11s entry %s  camera %s track %lld  %s  score %.3f  confirmed by %zu of %zu\n",
              a.id.c_str(), a.status().c_str(), a.entry.c_str(), a.camera.c_str(),
              static_cast<long long>(a.track), a.time.c_str(), a.score, a.confirmed_by.size(),
              reid::Alert::kConfirmationsNeeded);
      }
      return kExitOk;
    }
    if (args.action == "confirm" || args.action == "reject") {
      if (auto problem = input_file_problem(args.file))
        throw ConfigError("alerts " + args.file + " " + *problem);
      reid::AlertBook book(args.file, open_audit(args.audit_log));
      const std::string status = book.verify(args.alert, args.officer, args.action == "confirm", args.note);
      std::printf("%s: %s by %s; status now %s\n", args.alert.c_str(),
                  args.action == "confirm" ? "confirmed" : "rejected", args.officer.c_str(), status.c_str());
      return kExitOk;
    }
    if (args.action == "purge") {
      if (auto problem = input_file_problem(args.file))
        throw ConfigError("watchlist " + args.file + " " + *problem);
      reid::Watchlist list(args.file, open_audit(args.audit_log));
      const std::size_t purged = list.purge_expired(reid::Clock::now());
      std::printf("%s: %zu expired entries purged, %zu kept\n", args.file.c_str(), purged,
                  list.entries().size());
      return kExitOk;
    }
    if (args.action == "tracklets") return list_tracklets(args);
    if (args.action == "enrol") return enrol_from_run(args);
    throw ConfigError("unknown watchlist action '" + args.action + "'");
  } catch (const std::exception& e) {
    return report(e);
  }
}

}  // namespace oi::cli
