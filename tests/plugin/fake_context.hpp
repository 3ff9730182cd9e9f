#pragma once
// A StageContext without a scheduler: frames to take are queued by the test, emitted frames
// are collected per output.

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include "oi/stage.hpp"

namespace oi::test {

class FakeContext final : public StageContext {
 public:
  explicit FakeContext(StageSpec spec, std::string name = "node")
      : spec_(std::move(spec)),
        name_(std::move(name)),
        inputs_(spec_.inputs().size()),
        outputs_(spec_.outputs().size()) {}

  /// Queues a frame on input `index`.
  void push(std::size_t index, FramePtr frame) { inputs_.at(index).push_back(std::move(frame)); }
  /// Frames emitted on output `index` so far.
  const std::vector<FramePtr>& emitted(std::size_t index) const { return outputs_.at(index); }

  FramePtr take(std::size_t index) override {
    if (index >= inputs_.size() || inputs_[index].empty()) return nullptr;
    FramePtr frame = std::move(inputs_[index].front());
    inputs_[index].pop_front();
    return frame;
  }
  void emit(std::size_t index, FramePtr frame) override { outputs_.at(index).push_back(std::move(frame)); }
  bool stop_requested() const override { return false; }
  const std::string& stage_name() const override { return name_; }
  const StageSpec& spec() const override { return spec_; }

 private:
  StageSpec spec_;
  std::string name_;
  std::vector<std::deque<FramePtr>> inputs_;
  std::vector<std::vector<FramePtr>> outputs_;
};

}  // namespace oi::test
