// genicam.xray under the pipeline supervisor while Aravis' fake camera misbehaves: it is killed
// mid-scan (and started again, or not), it hangs (SIGSTOP) past frame_timeout_ms, it sends a
// short block (its Height register written mid-stream, as the controlling host would), and it
// loses stream packets. Each case must end with the fault named and every block accounted
// for: delivered, delivered in a scan marked incomplete, or counted lost; never a crash, a
// hang or a silent drop (docs/reliability.md, Drivers).
#include <arpa/inet.h>
#include <arv.h>
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "fault_harness.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"
#include "test_stages.hpp"

namespace oi::genicam::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using oi::test::TestSinkLog;
using ::testing::HasSubstr;

constexpr int kBlocksPerScan = 16;
// 64 pixels x 16 lines of Mono16 at 800 lines/s: 50 blocks/s, one scan every 320 ms.
const std::string kDetector =
    "pixels_per_line: 64, lines_per_block: 16, line_rate_hz: 800, blocks_per_scan: 16, packet_resend: false";

std::vector<FrameMetadata> blocks() { return TestSinkLog::instance().frames("sink"); }

// Writes a 32-bit register of the fake camera as its controller, the driver, would: the GVCP
// WRITEREG command goes out of every UDP socket of this process, and the camera obeys the one
// that holds control (the driver's control channel) and ignores the others.
int write_register_as_controller(std::uint32_t address, std::uint32_t value) {
  DIR* fds = ::opendir("/proc/self/fd");
  if (fds == nullptr) return 0;
  int sent = 0;
  while (dirent* entry = ::readdir(fds)) {
    const int fd = std::atoi(entry->d_name);
    int type = 0;
    socklen_t len = sizeof type;
    if (fd <= 2 || ::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM) continue;
    sockaddr_in local{};
    len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0 || local.sin_family != AF_INET)
      continue;
    // Key 0x42, flags "acknowledge", WRITEREG_CMD 0x0082, 8 bytes, request id; address, value.
    unsigned char packet[16] = {0x42, 0x01, 0x00, 0x82, 0x00, 0x08, 0x7f, 0x00};
    for (int i = 0; i < 4; ++i) {
      packet[8 + i] = static_cast<unsigned char>(address >> (24 - 8 * i));
      packet[12 + i] = static_cast<unsigned char>(value >> (24 - 8 * i));
    }
    sockaddr_in camera{};
    camera.sin_family = AF_INET;
    camera.sin_port = htons(3956);
    camera.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::sendto(fd, packet, sizeof packet, 0, reinterpret_cast<sockaddr*>(&camera), sizeof camera) ==
        static_cast<ssize_t>(sizeof packet))
      ++sent;
  }
  ::closedir(fds);
  return sent;
}

class GenicamXrayFaults : public FaultHarness {
 protected:
  void SetUp() override {
    if (fake_camera_tool().empty()) GTEST_SKIP() << "arv-fake-gv-camera-0.8 not installed (aravis-tools)";
    if (plugin_registry().find("genicam.xray") == nullptr) GTEST_SKIP() << "the genicam plugin was not built";
    TestSinkLog::instance().clear();
  }
  // Runs genicam.xray on the fake camera with `params` into test.mux, on its own thread.
  void run(const std::string& params) {
    FaultHarness::run("genicam.xray", kDetector + ", " + params, "test.mux");
  }
  // Waits until a block with this index arrives in a scan after the first, so a fault
  // injected now falls inside a scan (the rest of it is 240 ms away).
  void wait_mid_scan(std::uint32_t index = 4) {
    ASSERT_TRUE(wait_for(
        [&] {
          const auto got = blocks();
          return !got.empty() && got.back().scan_id >= 2 && got.back().block_index == index;
        },
        20s))
        << "no block " << index << " of a second scan arrived (" << blocks().size() << " blocks)";
  }
  // Waits for `n` blocks delivered after the sink's `from`-th block.
  bool wait_for_blocks_after(std::size_t from, std::size_t n, std::chrono::seconds bound = 30s) {
    return wait_for([&] { return blocks().size() >= from + n; }, bound);
  }

  // What every case shares: blocks reach the sink in order, each scan's blocks go up, each
  // scan ends with end_of_scan, and a scan marked incomplete says why.
  static void expect_scans_well_formed(const std::vector<FrameMetadata>& got) {
    for (std::size_t i = 1; i < got.size(); ++i) {
      SCOPED_TRACE(i);
      EXPECT_LT(got[i - 1].sequence, got[i].sequence);
      if (got[i].scan_id == got[i - 1].scan_id) {
        EXPECT_LT(got[i - 1].block_index, got[i].block_index);
        EXPECT_FALSE(got[i - 1].end_of_scan) << "a block after its scan's end";
      } else {
        EXPECT_GT(got[i].scan_id, got[i - 1].scan_id);
        EXPECT_TRUE(got[i - 1].end_of_scan) << "scan " << got[i - 1].scan_id << " did not end";
      }
      if (got[i].incomplete) {
        EXPECT_TRUE(got[i].end_of_scan);
        EXPECT_FALSE(got[i].attributes.value("incomplete_reason", "").empty());
      }
    }
  }
  // The scan a fault cut: delivered as far as it came, its last block marked incomplete with
  // the fault's reason; the blocks after the restart begin a later scan. Stopping the run cuts
  // the scan then in progress too ("the stream ended"); no other scan is incomplete.
  static void expect_one_cut_scan(const std::vector<FrameMetadata>& got, const std::string& reason) {
    const auto cut =
        std::find_if(got.begin(), got.end(), [](const FrameMetadata& m) { return m.incomplete; });
    ASSERT_NE(cut, got.end()) << "no block marked incomplete";
    for (auto it = cut + 1; it != got.end(); ++it) {
      if (!it->incomplete) continue;
      EXPECT_EQ(it + 1, got.end()) << "another incomplete scan: block " << it->scan_id << "/"
                                   << it->block_index;
      EXPECT_EQ(it->attributes.value("incomplete_reason", ""), "the stream ended");
    }
    EXPECT_TRUE(cut->end_of_scan);
    EXPECT_LT(cut->block_index, static_cast<std::uint32_t>(kBlocksPerScan - 1)) << "cut inside the scan";
    EXPECT_THAT(cut->attributes.value("incomplete_reason", ""), HasSubstr(reason));
    ASSERT_NE(cut + 1, got.end()) << "no block after the restart";
    EXPECT_GT((cut + 1)->scan_id, cut->scan_id);
    EXPECT_EQ((cut + 1)->block_index, 0u) << "the restart begins a new scan";
  }
};

// The camera killed mid-scan (a power cut): silent for silence_check_ms, the driver asks the
// device whether it still answers, it does not, the device faults naming that; the supervisor
// retries until the camera is back, the cut scan is delivered marked incomplete.
TEST_F(GenicamXrayFaults, ACameraKilledMidScanFaultsNamingTheReasonAndTheSupervisorReconnects) {
  ASSERT_EQ(camera_.start(), "");
  run("on_fault: restart, max_retries: 60, retry_backoff_ms: 100, frame_timeout_ms: 8000, "
      "silence_check_ms: 300");
  wait_mid_scan();
  camera_.kill();
  std::this_thread::sleep_for(1s);  // the outage itself: the point of the test, not a wait
  ASSERT_EQ(camera_.start(), "");
  const std::size_t at_restart = blocks().size();
  EXPECT_TRUE(wait_for_blocks_after(at_restart, 2 * kBlocksPerScan))
      << "no blocks after the camera came back";
  const nlohmann::json s = stop();
  ASSERT_TRUE(result_.ok) << result_.error;
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["faults"], 1);
  EXPECT_EQ(s["restarts"], 1);
  EXPECT_GE(s["incomplete"], 1);
  EXPECT_FALSE(s["gave_up"].get<bool>());
  // Silent for silence_check_ms, the device is asked: it does not answer, or (already
  // restarted) no longer grants this host control.
  const std::string reason = s["last_fault"].get<std::string>();
  EXPECT_THAT(reason, HasSubstr("no data for 300 ms and the"));
  EXPECT_THAT(reason, HasSubstr("the camera was disconnected, powered off or restarted"));
  const std::vector<FrameMetadata> got = blocks();
  EXPECT_EQ(got.size(), s["frames"].get<std::size_t>()) << "everything emitted reached the sink";
  expect_scans_well_formed(got);
  expect_one_cut_scan(got, "the camera was disconnected, powered off or restarted");
}

// A camera that hangs under on_fault: stop: the run fails naming the device and the reason;
// the device stage cuts the scan in progress and counts it incomplete.
TEST_F(GenicamXrayFaults, ACameraThatHangsUnderOnFaultStopFailsTheRunNamingTheDevice) {
  ASSERT_EQ(camera_.start(), "");
  run("on_fault: stop, frame_timeout_ms: 500, silence_check_ms: 10000");
  wait_mid_scan();
  const nlohmann::json s = hang_under_on_fault_stop(1500ms);
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["incomplete"], 1) << "the scan in progress was cut";
  EXPECT_TRUE(s["gave_up"].get<bool>());
  const std::vector<FrameMetadata> got = blocks();
  ASSERT_FALSE(got.empty());
  expect_scans_well_formed(got);
}

// The camera hangs (SIGSTOP) longer than frame_timeout_ms, then goes on: the supervisor's
// timeout faults the device, it is reconnected once the camera answers again.
TEST_F(GenicamXrayFaults, ACameraThatHangsPastFrameTimeoutIsRestartedWhenItAnswersAgain) {
  ASSERT_EQ(camera_.start(), "");
  run("on_fault: restart, max_retries: 60, retry_backoff_ms: 100, frame_timeout_ms: 500, "
      "silence_check_ms: 10000");
  wait_mid_scan();
  camera_.pause();
  std::this_thread::sleep_for(1500ms);  // the hang itself: the point of the test, not a wait
  camera_.resume();
  const std::size_t at_resume = blocks().size();
  EXPECT_TRUE(wait_for_blocks_after(at_resume, 2 * kBlocksPerScan)) << "no blocks after the camera went on";
  const nlohmann::json s = stop();
  ASSERT_TRUE(result_.ok) << result_.error;
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["faults"], 1);
  EXPECT_EQ(s["restarts"], 1);
  EXPECT_GE(s["incomplete"], 1);
  EXPECT_THAT(s["last_fault"].get<std::string>(), HasSubstr("no frame within 500 ms (frame_timeout_ms)"));
  const std::vector<FrameMetadata> got = blocks();
  EXPECT_EQ(got.size(), s["frames"].get<std::size_t>());
  expect_scans_well_formed(got);
  expect_one_cut_scan(got, "no frame within 500 ms");
}

// The detector sends a block of 8 lines where a block has 16 (its Height changed behind the
// driver's back, as a frame that ends early looks): refused before any stage sees it, the
// device faults naming the short block, the restart sets the detector up again.
TEST_F(GenicamXrayFaults, AShortBlockIsRefusedNamingItAndTheRestartSetsTheDetectorUpAgain) {
  ASSERT_EQ(camera_.start(), "");
  run("on_fault: restart, max_retries: 10, retry_backoff_ms: 50, frame_timeout_ms: 3000");
  wait_mid_scan();
  ASSERT_GT(write_register_as_controller(ARV_FAKE_CAMERA_REGISTER_HEIGHT, 8), 0);
  ASSERT_TRUE(wait_for([&] { return summary().value("restarts", 0) >= 1; }, 20s)) << "no restart";
  const std::size_t at_restart = blocks().size();
  EXPECT_TRUE(wait_for_blocks_after(at_restart, kBlocksPerScan)) << "no blocks after the restart";
  const nlohmann::json s = stop();
  ASSERT_TRUE(result_.ok) << result_.error;
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["faults"], 1);
  EXPECT_EQ(s["restarts"], 1);
  EXPECT_GE(s["incomplete"], 1);
  EXPECT_GE(s["lost"].get<int>(), 1) << "the refused block is counted lost";
  const std::string reason = s["last_fault"].get<std::string>();
  EXPECT_THAT(reason, HasSubstr("the detector delivered a short block: 8 of the 16 lines"));
  EXPECT_THAT(reason, HasSubstr("lines_per_block"));
  const std::vector<FrameMetadata> got = blocks();
  EXPECT_EQ(got.size(), s["frames"].get<std::size_t>());
  expect_scans_well_formed(got);
  expect_one_cut_scan(got, "short block");
}

// The link loses 3 % of the stream packets: the blocks they belonged to arrive incomplete (or
// not at all) and are counted lost, and each keeps its place in its scan, so the scan shows
// the gap and is marked incomplete downstream instead of closing up over it.
TEST_F(GenicamXrayFaults, BlocksLostOnTheLinkAreCountedAndLeaveTheirGapInTheScan) {
  ASSERT_EQ(camera_.start(/*lost_packets_per_thousand=*/30), "");
  run("on_fault: restart, frame_timeout_ms: 3000");
  EXPECT_TRUE(wait_for_blocks_after(0, 5 * kBlocksPerScan, 30s)) << blocks().size() << " blocks";
  const nlohmann::json s = stop();
  ASSERT_TRUE(result_.ok) << result_.error;
  SCOPED_TRACE(s.dump());
  EXPECT_EQ(s["faults"], 0);
  const std::vector<FrameMetadata> got = blocks();
  ASSERT_GE(got.size(), 2u);
  expect_scans_well_formed(got);
  std::int64_t missing = 0;
  bool gap_shown = false;
  for (std::size_t i = 1; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    const std::int64_t ids =
        id_distance(got[i - 1].attributes.value("frame_id", 0u), got[i].attributes.value("frame_id", 0u));
    const std::int64_t places =
        static_cast<std::int64_t>(got[i].scan_id * kBlocksPerScan + got[i].block_index) -
        static_cast<std::int64_t>(got[i - 1].scan_id * kBlocksPerScan + got[i - 1].block_index);
    // A block id is a place in the scans: the scan position moves on as far as the ids do.
    EXPECT_EQ(places, ids) << "block ids " << got[i - 1].attributes.value("frame_id", 0u) << " -> "
                           << got[i].attributes.value("frame_id", 0u);
    missing += ids - 1;
    if (ids > 1 && got[i].scan_id == got[i - 1].scan_id) gap_shown = true;
  }
  ASSERT_GT(missing, 0) << "no block was lost: the fake camera's -r option did not drop packets";
  EXPECT_GE(s["lost"].get<std::int64_t>(), missing) << "every block missing between two delivered is lost";
  EXPECT_TRUE(gap_shown) << "a block lost inside a scan leaves a gap in its block indices";
}

}  // namespace
}  // namespace oi::genicam::test
