// The audit log: a chain that verifies as written, and every kind of tampering named by the
// line where it is first seen, through the library and through `oi audit verify`.
#include "oi/audit/audit_log.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "file_size_limit.hpp"
#include "log_lines.hpp"
#include "oi/error.hpp"
#include "process.hpp"
#include "scratch.hpp"

namespace fs = std::filesystem;
namespace audit = oi::audit;

namespace {

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("audit", name); }

using oi::test::read_lines;
using oi::test::write_lines;

// A log of `n` records: searches with the Art. 12(3) fields.
fs::path make_log(const std::string& name, int n) {
  const fs::path log = scratch(name) / "audit.jsonl";
  audit::AuditLog writer(log);
  for (int i = 0; i < n; ++i)
    writer.append(audit::event::kSearch, {{"camera", "gate"},
                                          {"tracklet", i},
                                          {"reference_database", "watchlist v3"},
                                          {"period", {"2024-06-01T08:00:00Z", "2024-06-01T08:00:05Z"}}});
  return log;
}

TEST(AuditLog, AChainAsWrittenVerifies) {
  const fs::path log = make_log("clean", 5);
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 5u);
  const std::vector<std::string> lines = read_lines(log);
  ASSERT_EQ(lines.size(), 5u);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(first["prev"], std::string(64, '0'));
  EXPECT_EQ(second["prev"], first["hash"]);
  EXPECT_EQ(first["seq"], 0);
  EXPECT_EQ(first["event"], "search");
  EXPECT_EQ(first["fields"]["reference_database"], "watchlist v3");
  // The hash is SHA-256 of the line without it.
  nlohmann::json without = first;
  without.erase("hash");
  EXPECT_EQ(audit::sha256_hex(without.dump()), first["hash"]);
}

TEST(AuditLog, Sha256OfAKnownText) {
  EXPECT_EQ(audit::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(AuditLog, ReopeningContinuesTheChain) {
  const fs::path log = make_log("reopen", 2);
  {
    audit::AuditLog again(log);
    EXPECT_EQ(again.size(), 2u);
    const audit::Record r = again.append(audit::event::kPurge, {{"items", 3}});
    EXPECT_EQ(r.seq, 2u);
  }
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 3u);
}

TEST(AuditLog, AnEditedLineIsFound) {
  const fs::path log = make_log("edit", 4);
  std::vector<std::string> lines = read_lines(log);
  const std::size_t at = lines[2].find("\"tracklet\":2");
  ASSERT_NE(at, std::string::npos);
  lines[2].replace(at, 12, "\"tracklet\":7");
  write_lines(log, lines);
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.line, 3u);
  EXPECT_EQ(v.records, 2u);
  EXPECT_NE(v.problem.find("edited"), std::string::npos) << v.problem;
}

TEST(AuditLog, ADeletedLineIsFound) {
  const fs::path log = make_log("delete", 4);
  std::vector<std::string> lines = read_lines(log);
  lines.erase(lines.begin() + 1);
  write_lines(log, lines);
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.line, 2u);
  EXPECT_NE(v.problem.find("deleted"), std::string::npos) << v.problem;
}

TEST(AuditLog, SwappedLinesAreFound) {
  const fs::path log = make_log("swap", 4);
  std::vector<std::string> lines = read_lines(log);
  std::swap(lines[1], lines[2]);
  write_lines(log, lines);
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.line, 2u);
}

TEST(AuditLog, ARecomputedChainStillFailsAgainstItsHead) {
  // Someone who edits a record and recomputes every hash after it still leaves the head's
  // hash behind.
  const fs::path log = make_log("rechain", 3);
  std::vector<std::string> lines = read_lines(log);
  std::string prev(64, '0');
  for (std::size_t i = 0; i < lines.size(); ++i) {
    nlohmann::json j = nlohmann::json::parse(lines[i]);
    if (i == 1) j["fields"]["camera"] = "exit";
    j["prev"] = prev;
    j.erase("hash");
    j["hash"] = audit::sha256_hex(j.dump());
    prev = j["hash"];
    lines[i] = j.dump();
  }
  write_lines(log, lines);
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("head"), std::string::npos) << v.problem;
}

TEST(AuditLog, RecordsRemovedFromTheEndAreFound) {
  const fs::path log = make_log("truncate", 4);
  std::vector<std::string> lines = read_lines(log);
  lines.pop_back();
  write_lines(log, lines);
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_FALSE(v.ok);
  EXPECT_NE(v.problem.find("removed from the end"), std::string::npos) << v.problem;
  // A log whose head was deleted cannot rule that out either.
  const fs::path other = make_log("headless", 2);
  fs::remove(audit::head_path(other));
  EXPECT_FALSE(audit::verify_audit_log(other).ok);
}

TEST(AuditLog, AnAlteredLogCannotBeContinued) {
  const fs::path log = make_log("refuse", 3);
  std::vector<std::string> lines = read_lines(log);
  std::swap(lines[0], lines[1]);
  write_lines(log, lines);
  try {
    audit::AuditLog again(log);
    FAIL() << "an altered log was continued";
  } catch (const oi::Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("new log file"), std::string::npos) << e.what();
  }
}

TEST(AuditLog, AWriteCutOffByAStopIsRemovedAndRecorded) {
  const fs::path log = make_log("cutoff", 2);
  {
    std::ofstream out(log, std::ios::app);
    out << R"({"event":"search","fields":{"camera":"ga)";  // no end of line
  }
  EXPECT_FALSE(audit::verify_audit_log(log).ok);
  {
    audit::AuditLog again(log);
    EXPECT_EQ(again.size(), 3u);  // two records and the recovery record
  }
  const std::vector<std::string> lines = read_lines(log);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["event"], "recovery");
  EXPECT_TRUE(audit::verify_audit_log(log).ok);
}

TEST(AuditLog, AHeadThatLagsByTheLastRecordIsAccepted) {
  // A stop between writing a line and replacing the head leaves the head one record behind.
  const fs::path log = make_log("lag", 2);
  const std::string head_before = oi::test::read_text(audit::head_path(log));
  {
    audit::AuditLog again(log);
    again.append(audit::event::kHit, {{"entry", "W-1"}});
  }
  std::ofstream(audit::head_path(log), std::ios::trunc) << head_before;
  EXPECT_TRUE(audit::verify_audit_log(log).ok);
}

TEST(AuditLog, FieldsMustBeAnObject) {
  audit::AuditLog log(scratch("fields") / "audit.jsonl");
  EXPECT_THROW(log.append(audit::event::kSearch, nlohmann::json::array()), oi::Error);
  EXPECT_EQ(log.size(), 0u);
}

TEST(AuditLog, AFailedWriteLeavesTheLogAsItWas) {
  // A file-size limit just above the log's size makes the next line's write fail part-way,
  // as a full disk does.
  const fs::path log = make_log("full", 2);
  const auto size = fs::file_size(log);
  std::string message;
  {
    const oi::test::FileSizeLimit full_disk(size + 20);
    ASSERT_TRUE(full_disk.ok());
    audit::AuditLog writer(log);
    try {
      writer.append(audit::event::kSearch, {{"camera", "gate"}, {"note", std::string(200, 'x')}});
    } catch (const oi::Error& e) {
      message = e.what();
    }
    EXPECT_EQ(writer.size(), 2u);
  }
  EXPECT_NE(message.find("not written"), std::string::npos) << message;
  EXPECT_EQ(fs::file_size(log), size);
  EXPECT_TRUE(audit::verify_audit_log(log).ok);
}

TEST(AuditLog, ConcurrentWritersKeepOneChain) {
  const fs::path log = scratch("threads") / "audit.jsonl";
  {
    std::shared_ptr<audit::AuditLog> a = audit::AuditLog::shared(log);
    std::shared_ptr<audit::AuditLog> b = audit::AuditLog::shared(log);
    EXPECT_EQ(a.get(), b.get());
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 25; ++i) (t % 2 ? a : b)->append(audit::event::kSearch, {{"t", t}, {"i", i}});
      });
    for (std::thread& thread : threads) thread.join();
  }
  const audit::Verification v = audit::verify_audit_log(log);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.records, 100u);
}

TEST(AuditLog, OiAuditVerifyExitsZeroOnAChainAndOneOnTampering) {
  const fs::path log = make_log("cli", 3);
  oi::test::ProcessResult ok = oi::test::run_process({OI_EXE, "audit", "verify", log.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("3 records"), std::string::npos) << ok.out;

  std::vector<std::string> lines = read_lines(log);
  std::swap(lines[1], lines[2]);
  write_lines(log, lines);
  oi::test::ProcessResult bad = oi::test::run_process({OI_EXE, "audit", "verify", log.string()});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("line 2"), std::string::npos) << bad.err;

  oi::test::ProcessResult json = oi::test::run_process({OI_EXE, "audit", "verify", "--json", log.string()});
  EXPECT_EQ(json.exit_code, 1);
  const nlohmann::json out = nlohmann::json::parse(json.out);
  EXPECT_FALSE(out["ok"].get<bool>());
  EXPECT_EQ(out["line"], 2);

  oi::test::ProcessResult missing =
      oi::test::run_process({OI_EXE, "audit", "verify", (scratch("cli-missing") / "none.jsonl").string()});
  EXPECT_EQ(missing.exit_code, 2);
}

}  // namespace
