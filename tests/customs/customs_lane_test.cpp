// The customs lane sample end to end, as an integrator runs it: a material calibration fitted
// on step wedges, a signing key from `oi ledger keygen`, a real Mosquitto broker with a
// mosquitto_sub subscriber, then `oi run samples/customs_lane/pipeline.yaml`. The broker is
// stopped and restarted while the lane runs. Afterwards: every scan's decision event reached
// the subscriber (none missing, each first seen in order), the ledger verifies against the
// key and one scan's inclusion proof holds, an officer's verdict reaches the ledger, an
// OPERATOR TDR and the broker, and the DICOS files read back with DCMTK and pydicom.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

#include "mosquitto_broker.hpp"
#include "oi/audit/ledger.hpp"
#include "process.hpp"
#include "scratch.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr int kScans = 12;

// What a site has before its first lane run: a material calibration fitted on step wedges
// (dir/calibration.json) and a ledger signing key (dir/lane.key).
void prepare_site(const fs::path& dir) {
  const std::string oi = OI_EXE;
  test::ProcessResult wedges = test::run_process(
      {oi, "run", "-q", std::string(OI_SOURCE_DIR) + "/samples/cargo_inspection/calibration.yaml", "--set",
       "dataset.dir=" + (dir / "wedges").string()});
  ASSERT_EQ(wedges.exit_code, 0) << wedges.err;
  test::ProcessResult fit = test::run_process(
      {oi, "calibrate-materials", (dir / "wedges").string(), "-o", (dir / "calibration.json").string()});
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  ASSERT_EQ(test::run_process({oi, "ledger", "keygen", (dir / "lane.key").string()}).exit_code, 0);
}

// `oi run` of the customs lane sample with the site's files from prepare_site(): its ledger,
// outbox and declarations under `state`, its reports and DICOS files under `out`.
std::vector<std::string> lane_command(const fs::path& dir, const fs::path& state, const fs::path& out,
                                      int scans, int port, int drain_timeout_s) {
  return {OI_EXE,
          "run",
          std::string(OI_SOURCE_DIR) + "/samples/customs_lane/pipeline.yaml",
          "--set",
          "scanner.scans=" + std::to_string(scans),
          "--set",
          "materials.calibration=" + (dir / "calibration.json").string(),
          "--set",
          "report.dir=" + (out / "scans").string(),
          "--set",
          "ledger.path=" + (state / "ledger.jsonl").string(),
          "--set",
          "ledger.key=" + (dir / "lane.key").string(),
          "--set",
          "events.port=" + std::to_string(port),
          "--set",
          "events.outbox=" + (state / "outbox.sqlite").string(),
          "--set",
          "events.drain_timeout_s=" + std::to_string(drain_timeout_s),
          "--set",
          "dicos.dir=" + (out / "dicos").string(),
          "--set",
          "scanner.declarations=" + (state / "declarations.jsonl").string(),
          "--set",
          "risk.declarations=" + (state / "declarations.jsonl").string(),
          "--set",
          "risk.store=" + (state / "declarations.sqlite").string()};
}

std::size_t lines_in(const fs::path& file) {
  std::ifstream in(file);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

TEST(CustomsLane, SampleRunsThroughABrokerRestartAndItsRecordsReadBack) {
  if (!test::mosquitto_present())
    GTEST_SKIP() << "mosquitto is not installed (scripts/install-deps.sh installs it)";
  const fs::path dir = test::scratch_dir("customs", "lane");
  const std::string oi = OI_EXE;
  ASSERT_NO_FATAL_FAILURE(prepare_site(dir));
  const fs::path key = dir / "lane.key";

  test::MosquittoBroker broker(dir);
  ASSERT_TRUE(broker.start());
  test::MosquittoSubscriber sub(dir, broker.port(), "openinspect/#");
  ASSERT_TRUE(sub.ready("openinspect"));

  const fs::path out = dir / "output";
  test::Process lane(lane_command(dir, out, out, kScans, broker.port(), 30), {}, dir.string());
  // Once the first events are through, the broker goes away for a second and comes back.
  const auto first = sub.messages("openinspect/lane-3/decision", 2);
  ASSERT_GE(first.size(), 2u) << "no events while the lane ran";
  broker.stop();
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(broker.start());
  const test::ProcessResult run = lane.wait();
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  // The restart happened while the lane ran: the publisher connected again.
  const std::size_t at = run.out.find("\nevents: {");
  ASSERT_NE(at, std::string::npos) << run.out;
  const json events = json::parse(run.out.substr(at + 9, run.out.find('\n', at + 1) - at - 9));
  EXPECT_GE(events["connects"].get<int>(), 2) << events.dump();
  EXPECT_EQ(events["waiting"], 0) << events.dump();
  EXPECT_EQ(events["not_queued"], 0) << events.dump();

  // Events: one decision per scan, none missing; a repeat after the restart is allowed (same
  // messageid), a newer event before an older one is not.
  const std::vector<json> decisions = sub.messages("openinspect/lane-3/decision", kScans);
  std::set<std::string> ids;
  std::uint64_t last_scan = 0;
  for (const json& d : decisions) {
    if (!ids.insert(d["messageid"].get<std::string>()).second) continue;
    EXPECT_GT(d["scan"]["id"].get<std::uint64_t>(), last_scan);
    last_scan = d["scan"]["id"].get<std::uint64_t>();
    EXPECT_EQ(d["schema"], "openinspect.event");
    EXPECT_EQ(d["place"]["id"], "border-east/lane-3");
    EXPECT_EQ(d["scan"]["report"]["sha256"].get<std::string>().size(), 64u);
    // Every scan was joined to its declaration and assessed.
    EXPECT_TRUE(d["declaration_id"].is_string()) << d.dump();
    EXPECT_TRUE(d["risk"].is_object() && d["risk"].contains("score")) << d.dump();
  }
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kScans)) << "decision events missing at the subscriber";

  // The ledger: every scan, sealed, verified against the site's key; a proof for scan 1.
  const audit::PublicKey pub = audit::PublicKey::load(audit::public_key_path(key));
  const audit::LedgerVerification v = audit::verify_ledger(out / "ledger.jsonl", pub);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.unsealed, 0u);
  EXPECT_EQ(v.records - v.checkpoints, static_cast<std::uint64_t>(kScans));
  EXPECT_EQ(audit::check_inclusion_proof(audit::prove_inclusion(out / "ledger.jsonl", "1"), pub), "");
  {
    std::ifstream in(out / "ledger.jsonl");
    std::string line;
    std::getline(in, line);
    const json first = json::parse(line)["fields"];
    EXPECT_EQ(first["declaration_id"], "D-2031-000001") << first.dump();
    EXPECT_TRUE(first["risk"].contains("flags")) << first.dump();
  }

  // An officer's verdict flows to the ledger, an OPERATOR TDR and a verdict event.
  const test::ProcessResult verdict = test::run_process({oi,
                                                         "ledger",
                                                         "verdict",
                                                         (out / "ledger.jsonl").string(),
                                                         "3",
                                                         "--verdict",
                                                         "seized",
                                                         "--officer",
                                                         "C-117",
                                                         "--note",
                                                         "two bricks in the lining",
                                                         "--key",
                                                         key.string(),
                                                         "--seal",
                                                         "--dicos",
                                                         (out / "dicos").string(),
                                                         "--mqtt",
                                                         "127.0.0.1:" + std::to_string(broker.port()),
                                                         "--outbox",
                                                         (out / "outbox.sqlite").string(),
                                                         "--topic-prefix",
                                                         "openinspect/lane-3",
                                                         "--place",
                                                         "border-east/lane-3"});
  ASSERT_EQ(verdict.exit_code, 0) << verdict.out << verdict.err;
  const std::vector<json> verdicts = sub.messages("openinspect/lane-3/verdict", 1);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_EQ(verdicts[0]["verdict"]["verdict"], "seized");
  EXPECT_EQ(verdicts[0]["verdict"]["officer"], "C-117");
  EXPECT_EQ(verdicts[0]["scan"]["id"], 3);
  const test::ProcessResult operator_tdr =
      test::run_process({"/usr/bin/dcmdump", (out / "dicos" / "scan_000003_tdr_operator.dcm").string()});
  EXPECT_EQ(operator_tdr.exit_code, 0) << operator_tdr.err;
  for (const char* expected :
       {"(4010,1027) CS [OPERATOR]", "(0008,1070) PN [C-117]", "(4010,1031) CS [ALARM]",
        "operator verdict: seized; two bricks in the lining"})
    EXPECT_NE(operator_tdr.out.find(expected), std::string::npos) << expected << "\n" << operator_tdr.out;
  const audit::LedgerVerification after = audit::verify_ledger(out / "ledger.jsonl", pub);
  EXPECT_TRUE(after.ok) << after.problem;
  EXPECT_EQ(after.unsealed, 0u);

  // DICOS: DCMTK reads every file; pydicom reads scan 1's image and report.
  int dx = 0, tdr = 0;
  for (const auto& entry : fs::directory_iterator(out / "dicos")) {
    const test::ProcessResult dump = test::run_process({"/usr/bin/dcmdump", entry.path().string()});
    EXPECT_EQ(dump.exit_code, 0) << entry.path() << dump.err;
    EXPECT_EQ(dump.err, "") << entry.path();
    (entry.path().filename().string().find("_dx_") != std::string::npos ? dx : tdr)++;
  }
  EXPECT_EQ(tdr, kScans + 1);  // and the operator's
  EXPECT_EQ(dx, 2 * kScans);
  if (test::run_process({"/usr/bin/python3", "-c", "import pydicom, numpy"}).exit_code == 0) {
    const test::ProcessResult py = test::run_process(
        {"/usr/bin/python3", "-c",
         "import pydicom, sys\n"
         "dx = pydicom.dcmread(sys.argv[1]); tdr = pydicom.dcmread(sys.argv[2])\n"
         "assert dx.StudyInstanceUID == tdr.StudyInstanceUID\n"
         "print(dx.pixel_array.shape[1], tdr[0x4010, 0x1031].value in ('ALARM', 'NO_ALARM', 'UNKNOWN'))\n",
         (out / "dicos" / "scan_000001_dx_high.dcm").string(),
         (out / "dicos" / "scan_000001_tdr.dcm").string()});
    EXPECT_EQ(py.exit_code, 0) << py.err;
    EXPECT_EQ(py.out, "1024 True\n");
  }
}

// The lane killed (SIGKILL: an operator's kill -9 or the kernel's out-of-memory killer; the
// page cache survives, so this says nothing about a power cut) in the middle of its run,
// then started again on the same ledger, outbox and declarations. Every file the killed run
// left under its final name reads back whole (reports, PNGs, DICOS), the restarted run goes on
// from the ledger and outbox the killed one left, and at its end the ledger verifies against
// the site's key and the broker has received every event that had been queued.
TEST(CustomsLane, ALaneKilledMidRunLeavesEveryRecordReadableAndTheNextRunGoesOn) {
  if (!test::mosquitto_present())
    GTEST_SKIP() << "mosquitto is not installed (scripts/install-deps.sh installs it)";
  const fs::path dir = test::scratch_dir("customs", "killed");
  ASSERT_NO_FATAL_FAILURE(prepare_site(dir));
  const fs::path state = dir / "state";
  // No broker for the first run: its events wait in the outbox. The port is held by a socket
  // that is bound but does not listen, so connections are refused and no other test's broker
  // can take it meanwhile.
  const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(holder, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int refused_port = ntohs(address.sin_port);

  test::Process killed(lane_command(dir, state, dir / "first", 40, refused_port, 0), {}, dir.string());
  // Killed once the ledger holds a few scans and the DICOS branch (not ordered with the
  // ledger) has written one.
  const auto some_dicos = [&] {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir / "first" / "dicos", error)) {
      if (entry.path().extension() == ".dcm") return true;
    }
    return false;
  };
  const auto give_up = std::chrono::steady_clock::now() + 120s;
  while ((lines_in(state / "ledger.jsonl") < 4 || !some_dicos()) &&
         std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(20ms);
  ASSERT_GE(lines_in(state / "ledger.jsonl"), 4u) << "the lane recorded nothing within 120 s";
  ASSERT_EQ(::kill(killed.pid(), SIGKILL), 0);
  const test::ProcessResult first = killed.wait();
  ASSERT_NE(first.exit_code, 0) << "the lane ended before it was killed: " << first.out;

  // Whatever has its final name is whole: partial files keep a ".partial" suffix.
  int reports = 0, images = 0, dicos = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "first")) {
    if (!entry.is_regular_file() || entry.path().extension() == ".partial") continue;
    const std::string bytes = test::read_text(entry.path());
    if (entry.path().extension() == ".json") {
      EXPECT_NO_THROW((void)json::parse(bytes)) << entry.path();
      ++reports;
    } else if (entry.path().extension() == ".png") {
      ASSERT_GE(bytes.size(), 20u) << entry.path();
      EXPECT_EQ(bytes.substr(1, 3), "PNG") << entry.path();
      EXPECT_EQ(bytes.substr(bytes.size() - 8, 4), "IEND") << entry.path() << " is cut short";
      ++images;
    } else if (entry.path().extension() == ".dcm") {
      const test::ProcessResult dump = test::run_process({"/usr/bin/dcmdump", entry.path().string()});
      EXPECT_EQ(dump.exit_code, 0) << entry.path() << dump.err;
      ++dicos;
    }
  }
  EXPECT_GT(reports, 0);
  EXPECT_GT(images, 0);
  EXPECT_GT(dicos, 0);

  ::close(holder);

  // The next run appends to the same ledger (a record cut by the kill is removed and the
  // removal recorded) and sends what the outbox kept as well as its own.
  test::MosquittoBroker broker(dir);
  ASSERT_TRUE(broker.start());
  const test::ProcessResult again =
      test::run_process(lane_command(dir, state, dir / "second", 3, broker.port(), 30));
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  const std::size_t at = again.out.find("\nevents: {");
  ASSERT_NE(at, std::string::npos) << again.out;
  const json events = json::parse(again.out.substr(at + 9, again.out.find('\n', at + 1) - at - 9));
  EXPECT_EQ(events["waiting"], 0) << events.dump();
  EXPECT_EQ(events["not_queued"], 0) << events.dump();
  EXPECT_GT(events["waiting_at_start"].get<int>(), 0) << "the killed run queued events: " << events.dump();
  EXPECT_EQ(events["acknowledged"].get<int>(),
            events["waiting_at_start"].get<int>() + events["events"].get<int>())
      << "every waiting event and every new one reached the broker: " << events.dump();

  const audit::PublicKey pub = audit::PublicKey::load(audit::public_key_path(dir / "lane.key"));
  const audit::LedgerVerification v = audit::verify_ledger(state / "ledger.jsonl", pub);
  EXPECT_TRUE(v.ok) << v.problem << " at line " << v.line;
  EXPECT_EQ(v.unsealed, 0u);
  EXPECT_GE(v.records - v.checkpoints, 3u + 3u) << "the killed run's records and the new run's";
}

}  // namespace
}  // namespace oi
