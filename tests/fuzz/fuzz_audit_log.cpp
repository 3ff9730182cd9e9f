// libFuzzer target for the readers of the hash-chained logs (docs/integration.md, docs/reid.md):
// the input is a log file and its head file, separated by a line "=====". verify_audit_log()
// and verify_ledger() must report ok or the first problem with a message, never throw; a
// crash, a sanitizer report or an exception is a finding.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "fuzz_files.hpp"
#include "oi/audit/audit_log.hpp"
#include "oi/audit/ledger.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = oi::fuzz::split_parts(data, size, 3);
  const auto dir = oi::fuzz::fresh_dir("log");
  const auto log = dir / "ledger.jsonl";
  oi::fuzz::write_file(log, parts[0]);
  if (parts.size() > 1) oi::fuzz::write_file(oi::audit::head_path(log), parts[1]);
  if (parts.size() > 2) oi::fuzz::write_file(dir / "ledger.jsonl.checkpoint", parts[2]);
  try {
    const oi::audit::Verification v = oi::audit::verify_audit_log(log);
    if (!v.ok) oi::fuzz::expect_message(v.problem, "a failed audit-log verification without a problem");
    const oi::audit::LedgerVerification l = oi::audit::verify_ledger(log, std::nullopt);
    if (!l.ok) oi::fuzz::expect_message(l.problem, "a failed ledger verification without a problem");
    if (l.ok && !v.ok) oi::fuzz::fail("the ledger verified where its audit log did not");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    oi::fuzz::fail("verification threw");
  }
  return 0;
}
