// The inspection ledger (oi/audit/ledger.hpp): appends per second with and without signed
// checkpoints (each append is fsync'ed), against the bare audit log underneath; SHA-256 of a
// 1024 x 2000 u16 plane (what sink.ledger hashes per channel); verifying and proving in a
// ledger of 10 000 records. docs/performance.md, "Inspection ledger".
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "oi/audit/ledger.hpp"

namespace fs = std::filesystem;
namespace audit = oi::audit;

namespace {

fs::path bench_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "oi_bench_ledger" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const fs::path& bench_key() {
  static const fs::path key = [] {
    const fs::path file = bench_dir("key") / "bench.key";
    audit::SigningKey::generate(file);
    return file;
  }();
  return key;
}

nlohmann::json inspection(std::int64_t scan) {
  return {
      {"scan_id", scan},
      {"device", "scanner"},
      {"planes", {{"high", {{"sha256", std::string(64, 'a')}}}, {"low", {{"sha256", std::string(64, 'b')}}}}},
      {"report", {{"file", "scan.json"}, {"sha256", std::string(64, 'c')}}},
      {"detections", {{{"class", "narcotics"}, {"box", {10, 20, 120, 80}}, {"score", 0.81}}}},
      {"decision", "alarm"}};
}

void BM_AuditLogAppend(benchmark::State& state) {
  audit::AuditLog log(bench_dir("audit") / "log.jsonl");
  std::int64_t scan = 0;
  for (auto _ : state) log.append("inspection", inspection(scan++));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuditLogAppend)->Unit(benchmark::kMicrosecond);

// Arg: records between checkpoints (0: none).
void BM_LedgerAppend(benchmark::State& state) {
  audit::Ledger ledger(bench_dir("ledger_" + std::to_string(state.range(0))) / "ledger.jsonl",
                       {bench_key(), static_cast<std::uint64_t>(state.range(0))});
  std::int64_t scan = 0;
  for (auto _ : state) ledger.append_inspection(inspection(scan++));
  state.SetItemsProcessed(state.iterations());
  state.counters["checkpoints"] = static_cast<double>(ledger.checkpoints_written());
}
BENCHMARK(BM_LedgerAppend)->Arg(0)->Arg(100)->Arg(10)->Unit(benchmark::kMicrosecond);

void BM_PlaneSha256(benchmark::State& state) {
  const std::string plane(1024 * 2000 * 2, '\x5a');
  for (auto _ : state) benchmark::DoNotOptimize(audit::sha256_hex(plane));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(plane.size()));
}
BENCHMARK(BM_PlaneSha256)->Unit(benchmark::kMillisecond);

const fs::path& big_ledger() {
  static const fs::path file = [] {
    const fs::path path = bench_dir("big") / "ledger.jsonl";
    audit::Ledger ledger(path, {bench_key(), 100});
    for (int i = 0; i < 10000; ++i) ledger.append_inspection(inspection(i));
    ledger.checkpoint();
    return path;
  }();
  return file;
}

void BM_VerifyLedger10k(benchmark::State& state) {
  const audit::PublicKey key = audit::PublicKey::load(audit::public_key_path(bench_key()));
  big_ledger();  // made once, outside the timing
  for (auto _ : state) {
    const audit::LedgerVerification v = audit::verify_ledger(big_ledger(), key);
    if (!v.ok) state.SkipWithError(v.problem.c_str());
  }
  state.SetItemsProcessed(state.iterations() * 10101);
}
BENCHMARK(BM_VerifyLedger10k)->Unit(benchmark::kMillisecond);

void BM_ProveInclusion10k(benchmark::State& state) {
  big_ledger();
  for (auto _ : state) benchmark::DoNotOptimize(audit::prove_inclusion(big_ledger(), "5000"));
}
BENCHMARK(BM_ProveInclusion10k)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
