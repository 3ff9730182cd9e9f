// `oi watchlist ...`: the officers' side of the watchlist (docs/reid.md, "Watchlist"): list the
// entries, list the alerts of a run with their status, confirm or reject an alert (two
// distinct officers confirm before anyone acts, EU AI Act Art. 14(5)), purge expired entries.
// Every change is recorded in the audit log.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "watchlist.hpp"

namespace oi::cli {
namespace {

std::shared_ptr<audit::AuditLog> open_audit(const std::string& file) {
  if (file.empty())
    throw ConfigError("--audit is required: every verdict and purge is recorded in the audit log");
  return std::make_shared<audit::AuditLog>(file);
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
                       {"expired", e.expired(now)}});
      if (args.json) {
        std::printf("%s\n", out.dump(2).c_str());
      } else {
        std::printf("%s: %zu entries (%s)\n", args.file.c_str(), out.size(), list.reference().c_str());
        for (const nlohmann::json& e : out)
          std::printf(
              "  %s  %-20s expires %s%s  basis: %s  authorised by %s\n", e["id"].get<std::string>().c_str(),
              e["label"].get<std::string>().c_str(), e["expires_at"].get<std::string>().c_str(),
              e["expired"].get<bool>() ? " (EXPIRED: refused)" : "",
              e["legal_basis"].get<std::string>().c_str(), e["authorised_by"].get<std::string>().c_str());
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
    throw ConfigError("unknown watchlist action '" + args.action + "'");
  } catch (const std::exception& e) {
    return report(e);
  }
}

}  // namespace oi::cli
