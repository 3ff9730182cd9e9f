// The watchlist's records: enrolment rules, expiry (refused and purged), the two-officer
// confirmation of alerts, files read back, and the audit records each step leaves.
#include "watchlist.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "file_size_limit.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
using oi::reid::Alert;
using oi::reid::AlertBook;
using oi::reid::Clock;
using oi::reid::Watchlist;
using oi::reid::WatchlistEntry;

namespace {

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("reid-watchlist", name); }

Clock::time_point at(const char* utc) { return *oi::reid::parse_utc(utc); }

std::vector<float> unit(std::size_t size, std::size_t hot) {
  std::vector<float> v(size, 0.0f);
  v[hot] = 1.0f;
  return v;
}

WatchlistEntry person(const std::string& label, const std::string& expires, std::size_t hot = 0) {
  WatchlistEntry e;
  e.label = label;
  e.legal_basis = "Customs Code Art. 46; warrant 2024/117";
  e.authorised_by = "Inspector A. Berg";
  e.expires_at = expires;
  e.source = {{"image", "p1.png"}};
  e.embedding = unit(8, hot);
  return e;
}

std::vector<nlohmann::json> audit_records(const fs::path& log) {
  std::ifstream in(log);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(ReidWatchlist, UtcTimesParseAndFormat) {
  EXPECT_EQ(oi::reid::format_utc(at("2024-06-01T08:00:00Z")), "2024-06-01T08:00:00Z");
  EXPECT_EQ(oi::reid::format_utc(at("2024-06-01")), "2024-06-01T00:00:00Z");
  EXPECT_EQ(oi::reid::format_utc(at("2024-06-01T08:00:00.750+00:00")), "2024-06-01T08:00:00Z");
  EXPECT_FALSE(oi::reid::parse_utc("tomorrow"));
  EXPECT_FALSE(oi::reid::parse_utc("2024-13-01"));
  EXPECT_FALSE(oi::reid::parse_utc("2024-06-01T08:00:00+02:00"));
}

TEST(ReidWatchlist, EnrolmentNeedsALegalBasisAnOfficerAndAFutureExpiry) {
  const fs::path dir = scratch("rules");
  Watchlist list(dir / "watchlist.json", nullptr);
  const auto now = at("2026-12-07T08:00:00Z");
  WatchlistEntry no_basis = person("P1", "2027-01-01T00:00:00Z");
  no_basis.legal_basis.clear();
  EXPECT_THROW(list.enrol(no_basis, "m1", now), oi::ConfigError);
  WatchlistEntry no_officer = person("P1", "2027-01-01T00:00:00Z");
  no_officer.authorised_by.clear();
  EXPECT_THROW(list.enrol(no_officer, "m1", now), oi::ConfigError);
  EXPECT_THROW(list.enrol(person("P1", "2026-12-01T00:00:00Z"), "m1", now), oi::ConfigError);
  EXPECT_THROW(list.enrol(person("P1", "next week"), "m1", now), oi::ConfigError);
  WatchlistEntry not_normalised = person("P1", "2027-01-01T00:00:00Z");
  not_normalised.embedding[0] = 3.0f;
  EXPECT_THROW(list.enrol(not_normalised, "m1", now), oi::ConfigError);
  EXPECT_TRUE(list.entries().empty());
  EXPECT_FALSE(fs::exists(dir / "watchlist.json"));

  const WatchlistEntry& e = list.enrol(person("P1", "2027-01-01T00:00:00Z"), "m1", now);
  EXPECT_EQ(e.id, "W-000001");
  EXPECT_EQ(e.enrolled_at, "2026-12-07T08:00:00Z");
  WatchlistEntry other_size = person("P2", "2027-01-01T00:00:00Z");
  other_size.embedding = unit(16, 1);
  EXPECT_THROW(list.enrol(other_size, "m1", now), oi::ConfigError);
  EXPECT_THROW(list.enrol(person("P2", "2027-01-01T00:00:00Z", 1), "another model", now), oi::ConfigError);
}

TEST(ReidWatchlist, ExpiredEntriesAreRefusedThenPurgedAndThePurgeIsAudited) {
  const fs::path dir = scratch("expiry");
  auto log = std::make_shared<oi::audit::AuditLog>(dir / "audit.jsonl");
  Watchlist list(dir / "watchlist.json", log);
  list.enrol(person("P1", "2026-12-08T00:00:00Z", 0), "m1", at("2026-12-07T08:00:00Z"));
  list.enrol(person("P2", "2027-06-01T00:00:00Z", 1), "m1", at("2026-12-07T08:00:00Z"));
  EXPECT_EQ(list.searchable(at("2026-12-07T09:00:00Z")).size(), 2u);
  // After P1's expiry it is refused at once, before any purge ran.
  const auto later = at("2026-12-09T00:00:00Z");
  const auto searchable = list.searchable(later);
  ASSERT_EQ(searchable.size(), 1u);
  EXPECT_EQ(searchable[0]->label, "P2");
  EXPECT_EQ(list.purge_expired(later), 1u);
  EXPECT_EQ(list.entries().size(), 1u);
  EXPECT_EQ(list.purge_expired(later), 0u);

  // Read back: P1 is gone from the file, not only from memory.
  Watchlist again(dir / "watchlist.json", nullptr);
  ASSERT_EQ(again.entries().size(), 1u);
  EXPECT_EQ(again.entries()[0].label, "P2");
  EXPECT_EQ(again.version(), list.version());

  const auto records = audit_records(dir / "audit.jsonl");
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["event"], "enrolment");
  EXPECT_EQ(records[0]["fields"]["legal_basis"], "Customs Code Art. 46; warrant 2024/117");
  EXPECT_EQ(records[2]["event"], "purge");
  EXPECT_EQ(records[2]["fields"]["entry"], "W-000001");
  EXPECT_EQ(records[2]["fields"]["reason"], "expired");
  EXPECT_TRUE(oi::audit::verify_audit_log(dir / "audit.jsonl").ok);
}

TEST(ReidWatchlist, ADamagedWatchlistFileIsAClearError) {
  const fs::path dir = scratch("damaged");
  {
    Watchlist list(dir / "watchlist.json", nullptr);
    list.enrol(person("P1", "2027-01-01T00:00:00Z"), "m1", at("2026-12-07T08:00:00Z"));
  }
  const std::string whole = oi::test::read_text(dir / "watchlist.json");
  std::ofstream(dir / "watchlist.json", std::ios::trunc) << whole.substr(0, whole.size() / 2);
  try {
    Watchlist broken(dir / "watchlist.json", nullptr);
    FAIL() << "a truncated watchlist was read";
  } catch (const oi::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("watchlist.json"), std::string::npos) << e.what();
  }
  std::ofstream(dir / "watchlist.json", std::ios::trunc) << R"({"format_version": 9})";
  EXPECT_THROW(Watchlist(dir / "watchlist.json", nullptr), oi::ConfigError);
}

// What an oi::Error from `change` says; "" when it throws none.
template <class Change>
std::string error_of(Change change) {
  try {
    change();
  } catch (const oi::Error& e) {
    return e.what();
  }
  return "";
}

bool partial_left(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".partial") return true;
  return false;
}

TEST(ReidWatchlist, AFullDiskRefusesAnEnrolmentOrPurgeAndLeavesTheWatchlistAndItsAuditAsTheyWere) {
  // A file-size limit, as a full disk: first just above the watchlist's size (the file cannot
  // be saved), then just above the audit log's (the file can, its audit record cannot). Either
  // way the change is refused with an error naming the file, and the watchlist, in memory and
  // on disk, and the audit log are as they were; the next try, with room, does it.
  const fs::path dir = scratch("full-disk");
  const fs::path file = dir / "watchlist.json", log_file = dir / "audit.jsonl";
  auto log = std::make_shared<oi::audit::AuditLog>(log_file);
  Watchlist list(file, log);
  const auto now = at("2026-12-07T08:00:00Z"), later = at("2026-12-09T00:00:00Z");
  list.enrol(person("P1", "2026-12-08T00:00:00Z", 0), "m1", now);
  list.enrol(person("P2", "2027-06-01T00:00:00Z", 1), "m1", now);
  log->append(oi::audit::event::kSearch, {{"note", std::string(2000, 'x')}});  // the site's other records
  const std::string saved = oi::test::read_text(file), audited = oi::test::read_text(log_file);
  ASSERT_GT(audited.size(), 2 * saved.size()) << "the audit log is not the larger file";
  auto as_it_was = [&] {
    EXPECT_EQ(list.entries().size(), 2u);
    EXPECT_EQ(list.version(), 2u);
    EXPECT_EQ(oi::test::read_text(file), saved);
    EXPECT_EQ(oi::test::read_text(log_file), audited);
    EXPECT_FALSE(partial_left(dir));
  };
  const std::string not_saved = "was not saved: cannot write " + file.string();
  const std::string taken_back =
      "the change was taken back, its audit record could not be written: cannot "
      "append to audit log " +
      log_file.string();
  // The limit; what the enrolment's error and the purge's (a smaller file) say.
  const std::vector<std::tuple<std::uintmax_t, std::string, std::string>> cases = {
      {100, not_saved, not_saved},
      {saved.size() + 20, not_saved, taken_back},
      {audited.size() + 20, taken_back, taken_back}};
  for (const auto& [limit, enrolment_error, purge_error] : cases) {
    SCOPED_TRACE(limit);
    std::string enrolment, purge;
    {
      const oi::test::FileSizeLimit full_disk(limit);
      ASSERT_TRUE(full_disk.ok());
      enrolment = error_of([&] { list.enrol(person("P3", "2027-06-01T00:00:00Z", 2), "m1", now); });
      purge = error_of([&] { list.purge_expired(later); });
    }
    EXPECT_NE(enrolment.find("watchlist " + file.string()), std::string::npos) << enrolment;
    EXPECT_NE(enrolment.find(enrolment_error), std::string::npos) << enrolment;
    EXPECT_NE(purge.find(purge_error), std::string::npos) << purge;
    as_it_was();
  }
  // With room again: the purge is done and audited, and the next entry gets the next id.
  EXPECT_EQ(list.purge_expired(later), 1u);
  EXPECT_EQ(list.enrol(person("P3", "2027-06-01T00:00:00Z", 2), "m1", now).id, "W-000003");
  const auto records = audit_records(log_file);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[3]["event"], "purge");
  EXPECT_EQ(records[3]["fields"]["entry"], "W-000001");
  EXPECT_EQ(records[4]["event"], "enrolment");
  EXPECT_TRUE(oi::audit::verify_audit_log(log_file).ok);
  EXPECT_EQ(Watchlist(file, nullptr).entries().size(), 2u);
}

Alert hit(const std::string& entry) {
  Alert a;
  a.time = "2024-06-01T08:00:12Z";
  a.camera = "baggage";
  a.track = 17;
  a.frame_index = 120;
  a.score = 0.91;
  a.entry = entry;
  a.reference = "watchlist.json v3";
  a.thumbnail = "alerts/A-1.png";
  return a;
}

TEST(ReidWatchlist, AnAlertNeedsTwoDistinctOfficers) {
  const fs::path dir = scratch("alerts");
  auto log = std::make_shared<oi::audit::AuditLog>(dir / "audit.jsonl");
  AlertBook book(dir / "alerts.jsonl", log);
  const std::string id = book.raise(hit("W-000001"));
  EXPECT_EQ(id, "A-1");
  EXPECT_EQ(book.alerts()[0].status(), "unconfirmed");
  EXPECT_EQ(book.verify(id, "Officer Lind", true, "face matches"), "unconfirmed");
  // The same officer twice does not count twice.
  EXPECT_THROW(book.verify(id, "Officer Lind", true, ""), oi::ConfigError);
  EXPECT_THROW(book.verify(id, "", true, ""), oi::ConfigError);
  EXPECT_THROW(book.verify("A-9", "Officer Holm", true, ""), oi::ConfigError);
  EXPECT_EQ(book.verify(id, "Officer Holm", true, ""), "confirmed");

  // A rejection wins over confirmations.
  const std::string second = book.raise(hit("W-000002"));
  EXPECT_EQ(book.verify(second, "Officer Holm", false, "different coat"), "rejected");

  // Read back from the file.
  AlertBook again(dir / "alerts.jsonl", nullptr);
  const std::vector<Alert> alerts = again.alerts();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].status(), "confirmed");
  EXPECT_EQ(alerts[0].confirmed_by, (std::vector<std::string>{"Officer Lind", "Officer Holm"}));
  EXPECT_EQ(alerts[1].status(), "rejected");

  const auto records = audit_records(dir / "audit.jsonl");
  ASSERT_EQ(records.size(), 5u);  // two hits, three verdicts
  EXPECT_EQ(records[0]["event"], "hit");
  EXPECT_EQ(records[0]["fields"]["camera"], "baggage");
  EXPECT_EQ(records[1]["event"], "confirmation");
  EXPECT_EQ(records[1]["fields"]["verified_by"], "Officer Lind");
  EXPECT_EQ(records[1]["fields"]["status"], "unconfirmed");
  EXPECT_EQ(records[2]["fields"]["status"], "confirmed");
}

TEST(ReidWatchlist, ADamagedAlertsFileNamesTheLine) {
  const fs::path dir = scratch("alerts-damaged");
  {
    AlertBook book(dir / "alerts.jsonl", nullptr);
    book.raise(hit("W-000001"));
  }
  std::ofstream(dir / "alerts.jsonl", std::ios::app) << "{\"type\": \"alert\", \"id\n";
  try {
    AlertBook broken(dir / "alerts.jsonl", nullptr);
    FAIL() << "a damaged alerts file was read";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("alerts.jsonl:2"), std::string::npos) << e.what();
  }
}

TEST(ReidWatchlist, AFullDiskRefusesAnAlertOrVerdictAndLeavesTheAlertsFileWhole) {
  // A file-size limit, as a full disk: just above alerts.jsonl's size, a new line is cut off
  // part-way; just above the audit log's, the line fits but its audit record does not. Either
  // way the alert or verdict is refused naming the file, alerts.jsonl is as it was (no cut
  // line: it reads back), and what the book holds is what the audit log holds.
  const fs::path dir = scratch("alerts-full-disk");
  const fs::path file = dir / "alerts.jsonl", log_file = dir / "audit.jsonl";
  auto log = std::make_shared<oi::audit::AuditLog>(log_file);
  AlertBook book(file, log);
  ASSERT_EQ(book.raise(hit("W-000001")), "A-1");
  log->append(oi::audit::event::kSearch, {{"note", std::string(2000, 'x')}});  // the site's other records
  const std::string alerts = oi::test::read_text(file), audited = oi::test::read_text(log_file);
  ASSERT_GT(audited.size(), 2 * alerts.size() + 100) << "the audit log is not the larger file";
  for (const std::uintmax_t limit : {alerts.size() + 20, audited.size() + 20}) {
    SCOPED_TRACE(limit);
    std::string raised, verdict;
    {
      const oi::test::FileSizeLimit full_disk(limit);
      ASSERT_TRUE(full_disk.ok());
      raised = error_of([&] { book.raise(hit("W-000002")); });
      verdict = error_of([&] { book.verify("A-1", "Officer Lind", true, "face matches"); });
    }
    const std::string why = limit < audited.size() ? "cannot append to alerts " + file.string()
                                                   : "was not recorded in " + file.string() +
                                                         ": its audit record could not be written";
    EXPECT_NE(raised.find(why), std::string::npos) << raised;
    EXPECT_NE(verdict.find(why), std::string::npos) << verdict;
    EXPECT_EQ(oi::test::read_text(file), alerts);
    EXPECT_EQ(oi::test::read_text(log_file), audited);
    ASSERT_EQ(book.alerts().size(), 1u);
    EXPECT_TRUE(book.alerts()[0].confirmed_by.empty());
  }
  // With room again: the next alert is A-2, and the file reads back whole.
  EXPECT_EQ(book.raise(hit("W-000002")), "A-2");
  EXPECT_EQ(book.verify("A-1", "Officer Lind", true, ""), "unconfirmed");
  EXPECT_EQ(AlertBook(file, nullptr).alerts().size(), 2u);
  EXPECT_EQ(audit_records(log_file).size(), 4u);  // two hits, a search, one verdict
  EXPECT_TRUE(oi::audit::verify_audit_log(log_file).ok);
}

// The officers' side through `oi watchlist`: an alert stays unconfirmed after one officer,
// the same officer cannot confirm twice, a second officer confirms it; all audited.
TEST(ReidWatchlist, OiWatchlistConfirmNeedsTwoOfficers) {
  const fs::path dir = scratch("cli");
  {
    AlertBook book(dir / "alerts.jsonl", nullptr);
    book.raise(hit("W-000001"));
  }
  const std::string alerts = (dir / "alerts.jsonl").string(), log = (dir / "audit.jsonl").string();
  using oi::test::run_process;
  auto confirm = [&](const std::string& officer) {
    return run_process({OI_EXE, "watchlist", "confirm", alerts, "A-1", "--officer", officer, "--audit", log});
  };
  oi::test::ProcessResult first = confirm("Officer Lind");
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("status now unconfirmed"), std::string::npos) << first.out;
  oi::test::ProcessResult again = confirm("Officer Lind");
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_NE(again.err.find("already gave a verdict"), std::string::npos) << again.err;
  oi::test::ProcessResult second = confirm("Officer Holm");
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("status now confirmed"), std::string::npos) << second.out;

  oi::test::ProcessResult list = run_process({OI_EXE, "watchlist", "alerts", "--json", alerts});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const nlohmann::json out = nlohmann::json::parse(list.out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["status"], "confirmed");
  EXPECT_EQ(run_process({OI_EXE, "audit", "verify", log}).exit_code, 0);
  EXPECT_EQ(audit_records(dir / "audit.jsonl").size(), 2u);
  // No audit log, no verdict.
  EXPECT_NE(
      run_process({OI_EXE, "watchlist", "confirm", alerts, "A-1", "--officer", "Officer Berg"}).exit_code, 0);
}

TEST(ReidWatchlist, OiWatchlistPurgeRemovesExpiredEntries) {
  const fs::path dir = scratch("cli-purge");
  {
    Watchlist list(dir / "watchlist.json", nullptr);
    list.enrol(person("P1", "2026-12-08T00:00:00Z", 0), "m1", at("2026-12-07T08:00:00Z"));
    list.enrol(person("P2", "2099-01-01T00:00:00Z", 1), "m1", at("2026-12-07T08:00:00Z"));
  }
  // Today (the machine's clock) is after P1's expiry only if the clock is past 2026-12-08;
  // edit P1's expiry into the past to be independent of the clock.
  std::string text = oi::test::read_text(dir / "watchlist.json");
  text.replace(text.find("2026-12-08T00:00:00Z"), 20, "2000-01-01T00:00:00Z");
  std::ofstream(dir / "watchlist.json", std::ios::trunc) << text;
  oi::test::ProcessResult listed =
      oi::test::run_process({OI_EXE, "watchlist", "list", (dir / "watchlist.json").string()});
  EXPECT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("EXPIRED"), std::string::npos) << listed.out;
  oi::test::ProcessResult purged =
      oi::test::run_process({OI_EXE, "watchlist", "purge", (dir / "watchlist.json").string(), "--audit",
                             (dir / "audit.jsonl").string()});
  EXPECT_EQ(purged.exit_code, 0) << purged.err;
  EXPECT_NE(purged.out.find("1 expired entries purged, 1 kept"), std::string::npos) << purged.out;
  EXPECT_EQ(Watchlist(dir / "watchlist.json", nullptr).entries().size(), 1u);
}

}  // namespace
