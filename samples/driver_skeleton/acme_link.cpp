// The simulated ACME link: two units on a pretend network, a producer thread per connection
// that paces buffers at the line rate, and the injected faults of acme::Simulation.
// Nothing here is HAL code; a vendor replaces this file with its own SDK.
#include "acme_link.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace acme {
namespace {

using Clock = std::chrono::steady_clock;

const std::vector<UnitInfo>& simulated_units() {
  static const std::vector<UnitInfo> units = {
      {"SIM-0001", "AX-640 DE", "2.4.1", 640, 2, 0.8},
      {"SIM-0002", "AX-640 SE", "2.4.1", 640, 1, 0.8},
  };
  return units;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Link::~Link() { close(); }

std::vector<UnitInfo> Link::discover() { return simulated_units(); }

bool Link::fail(std::string why) {
  last_error_ = std::move(why);
  return false;
}

bool Link::open(const std::string& serial) {
  close();
  const auto& units = simulated_units();
  auto it = std::find_if(units.begin(), units.end(), [&](const UnitInfo& u) { return u.serial == serial; });
  if (it == units.end()) {
    std::string seen;
    for (const auto& u : units) seen += (seen.empty() ? "" : ", ") + u.serial;
    return fail("no unit with serial '" + serial + "' answered (units answering: " + seen + ")");
  }
  {
    std::lock_guard lock(mutex_);
    if (Clock::now() < replug_at_)
      return fail("unit " + serial + " does not answer: link down (cable unplugged)");
    link_down_ = false;
  }
  unit_ = *it;
  connected_ = true;
  return true;
}

void Link::close() {
  stop();
  connected_ = false;
}

bool Link::set_source(double kv, double ma) {
  if (!connected_) return fail("not connected");
  kv_ = kv;
  ma_ = ma;
  return true;
}

bool Link::start(const Acquisition& acquisition) {
  if (!connected_) return fail("not connected");
  if (thread_.joinable()) return fail("already acquiring");
  {
    std::lock_guard lock(mutex_);
    if (link_down_) return fail("unit " + unit_.serial + " does not answer: link down");
    stop_requested_ = false;
    queue_.clear();
  }
  acquisition_ = acquisition;
  thread_ = std::thread([this] { produce(); });
  return true;
}

std::size_t Link::stop() {
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  const std::size_t discarded = queue_.size();
  queue_.clear();
  return discarded;
}

Wait Link::wait_buffer(LineBuffer& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return !queue_.empty() || link_down_; });
  if (!queue_.empty()) {
    out = std::move(queue_.front());
    queue_.pop_front();
    return Wait::kBuffer;
  }
  if (link_down_) {
    last_error_ = "unit " + unit_.serial + " stopped answering (cable unplugged or unit powered off)";
    return Wait::kDisconnected;
  }
  return Wait::kTimeout;
}

std::uint64_t Link::take_dropped() {
  std::lock_guard lock(mutex_);
  return std::exchange(dropped_, 0);
}

bool Link::acquire_reference(bool source_on, int lines, LineBuffer& out) {
  if (!connected_) return fail("not connected");
  if (thread_.joinable()) return fail("acquiring; stop first");
  out = LineBuffer{};
  out.time_ns = now_ns();
  out.lines = lines;
  fill(out, 0.0, !source_on);
  return true;
}

void Link::simulate(const Simulation& simulation) {
  std::lock_guard lock(mutex_);
  simulation_ = simulation;
  produced_ = 0;
}

void Link::produce() {
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(acquisition_.lines_per_buffer / acquisition_.line_rate_hz));
  auto due = Clock::now();
  std::unique_lock lock(mutex_);
  // Waits until `until` or a stop request; false on stop. Releases the lock meanwhile.
  auto wait = [&](Clock::time_point until) {
    return !changed_.wait_until(lock, until, [&] { return stop_requested_; });
  };
  // Every object is 3 to 5 buffers long, followed by an empty belt of 2 buffers.
  for (int object = 0;; ++object) {
    const std::uint16_t id = ++object_counter_;
    const int length = 3 + object % 3;
    const double thickness = 1.0 + 0.5 * (object % 4);
    for (int index = 0; index < length; ++index) {
      due += period;
      if (!wait(due)) return;
      if (simulation_.unplug_after_buffers >= 0 && produced_ >= simulation_.unplug_after_buffers) {
        simulation_.unplug_after_buffers = -1;  // once
        replug_at_ = Clock::now() + simulation_.unplugged_for;
        link_down_ = true;
        changed_.notify_all();
        return;
      }
      LineBuffer buffer;
      buffer.object = id;
      buffer.index = static_cast<std::uint32_t>(index);
      buffer.last = index + 1 == length;
      buffer.time_ns = now_ns();
      buffer.lines = acquisition_.lines_per_buffer;
      lock.unlock();  // the reader may take queued buffers meanwhile
      fill(buffer, thickness, false);
      lock.lock();
      ++produced_;
      if (queue_.size() >= acquisition_.buffers) {
        ++dropped_;  // the host did not keep up: the newest buffer has nowhere to go
      } else {
        queue_.push_back(std::move(buffer));
        changed_.notify_all();
      }
    }
    const bool trip =
        simulation_.interlock_every_objects > 0 && (object + 1) % simulation_.interlock_every_objects == 0;
    if (trip && interlock_handler_) {
      lock.unlock();  // never call out while holding the lock the caller may need
      interlock_handler_(Interlock::kLightCurtain, true, now_ns());
      lock.lock();
    }
    due += 2 * period;
    if (!wait(due)) return;
    if (trip && interlock_handler_) {
      lock.unlock();
      interlock_handler_(Interlock::kLightCurtain, false, now_ns());
      lock.lock();
    }
  }
}

void Link::fill(LineBuffer& buffer, double thickness, bool dark) const {
  constexpr double kAir = 60000.0;  // unattenuated counts, below 16-bit saturation
  constexpr double kOffset = 100.0;
  buffer.pixels = unit_.pixels;
  buffer.channels = unit_.channels;
  buffer.data.resize(static_cast<std::size_t>(buffer.channels) * buffer.lines * buffer.pixels);
  std::uint16_t* out = buffer.data.data();
  for (int c = 0; c < buffer.channels; ++c) {
    const double mu = c == 0 ? 0.5 : 0.6;  // the low-energy channel is attenuated more
    for (int y = 0; y < buffer.lines; ++y) {
      for (int x = 0; x < buffer.pixels; ++x) {
        const bool inside = x > buffer.pixels / 4 && x < 3 * buffer.pixels / 4;
        const double counts =
            dark ? kOffset + x % 7 : kOffset + kAir * std::exp(-mu * (inside ? thickness : 0.0));
        *out++ = static_cast<std::uint16_t>(counts);
      }
    }
  }
}

}  // namespace acme
