#pragma once
// What the genicam fault tests share: a pipeline of one genicam device node ("dev", on the fake
// camera at genicam://127.0.0.1) into one sink node ("sink"), run on its own thread and always
// stopped and joined, however a test ends; and GigE Vision block-id arithmetic.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "fake_camera.hpp"
#include "oi/pipeline.hpp"
#include "oi/pipeline_spec.hpp"

namespace oi::genicam::test {

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (!pred() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return pred();
}

// GigE Vision 1.x block ids are 16 bits and skip 0 when they wrap (the fake camera starts near
// the wrap): the distance from `a` to `b`, delivered one after the other.
inline std::int64_t id_distance(std::uint64_t a, std::uint64_t b) {
  if (b > a) return static_cast<std::int64_t>(b - a);
  return static_cast<std::int64_t>(0xFFFF - a + b);
}

class FaultHarness : public ::testing::Test {
 protected:
  void TearDown() override {
    if (runner_.joinable()) {
      camera_.resume();  // a paused camera would hold up AcquisitionStop
      pipeline_->request_stop();
      if (!wait_for([&] { return finished_.load(); }, std::chrono::seconds(60))) {
        std::fprintf(stderr, "FAILED: the pipeline did not stop within 60 s of request_stop(): a hang\n");
        std::_Exit(1);
      }
      runner_.join();
    }
    camera_.stop();
  }

  // Runs `driver` on the fake camera with the parameters `params` into a node of `sink_type`,
  // on its own thread.
  void run(const std::string& driver, const std::string& params, const std::string& sink_type) {
    const std::string yaml = "devices:\n  dev:\n    driver: " + driver +
                             "\n    uri: genicam://127.0.0.1\n    params: { " + params +
                             " }\nstages:\n  sink: { type: " + sink_type +
                             " }\nconnections:\n  - { from: dev.out, to: sink.in }\n";
    pipeline_ = std::make_unique<Pipeline>(load_pipeline_text(yaml, "faults.yaml", "/tmp", plugin_registry()),
                                           plugin_registry());
    runner_ = std::thread([this] {
      RunOptions options;
      options.threads = 2;
      result_ = pipeline_->run(options);
      finished_ = true;
    });
  }
  // Stops the run (bounded) and returns the device node's summary.
  nlohmann::json stop() {
    pipeline_->request_stop();
    EXPECT_TRUE(wait_for([&] { return finished_.load(); }, std::chrono::seconds(60)))
        << "the pipeline did not stop";
    if (!finished_) return {};
    runner_.join();
    return summary();
  }
  // The camera hangs (SIGSTOP) for `hang` under on_fault: stop: the run must fail naming the
  // device, its URI, frame_timeout_ms (500 ms in these tests) and on_fault: stop, with one fault
  // and no restart. Returns the device's summary.
  nlohmann::json hang_under_on_fault_stop(std::chrono::milliseconds hang) {
    camera_.pause();
    std::this_thread::sleep_for(hang);  // the hang itself: the point of the test, not a wait
    camera_.resume();  // the faulted device stops acquisition, which takes the camera answering
    EXPECT_TRUE(wait_for([&] { return finished_.load(); }, std::chrono::seconds(30)))
        << "the run did not end after the fault";
    if (!finished_) return {};
    runner_.join();
    EXPECT_FALSE(result_.ok);
    for (const char* part :
         {"dev", "genicam://127.0.0.1", "no frame within 500 ms (frame_timeout_ms)", "on_fault: stop"})
      EXPECT_NE(result_.error.find(part), std::string::npos) << part << " in: " << result_.error;
    const nlohmann::json s = summary();
    EXPECT_EQ(s.value("faults", -1), 1) << s.dump();
    EXPECT_EQ(s.value("restarts", -1), 0) << s.dump();
    EXPECT_TRUE(s.value("gave_up", false)) << s.dump();
    return s;
  }
  nlohmann::json summary() {
    for (const auto& [name, s] : pipeline_->stage_summaries()) {
      if (name == "dev") return s;
    }
    ADD_FAILURE() << "no summary for the device node";
    return {};
  }

  FakeCamera camera_;
  std::unique_ptr<Pipeline> pipeline_;
  std::thread runner_;
  std::atomic<bool> finished_{false};
  RunResult result_;
};

}  // namespace oi::genicam::test
