#pragma once
/// @file
/// `DeviceStage`: runs any Device as a pipeline source, with its supervisor. Drivers do not
/// use it directly; OI_REGISTER_DEVICE_DRIVER (driver.hpp) wraps their class in it.

#include <memory>
#include <string>
#include <vector>

#include "oi/hal/device_registry.hpp"
#include "oi/hal/supervisor.hpp"
#include "oi/stage.hpp"

namespace oi::hal {

/// A source stage around one device:
/// - setup(): the device's parameters become the node's parameters (plus the supervisor's);
///   one output `out` of the device's frame kind and formats;
/// - start(): configure (a bad URI or value is an oi::ConfigError naming the node) and start;
/// - process(): read one frame within `frame_timeout_ms` and emit it; faults are handled by
///   the supervisor policy (see supervisor.hpp and docs/hal.md);
/// - finish(): emits a scan block still held back (marked incomplete when its scan was cut);
/// - stop(): closes the device;
/// - summary(): device identity plus the supervisor's counters.
///
/// Scan blocks are held back by one block so that, when a fault cuts a scan short, the last
/// block that did arrive can still be delivered with `incomplete` and `end_of_scan` set:
/// nothing is dropped silently and an oi::xray::ScanAssembler downstream closes the scan at once.
class DeviceStage : public Stage {
 public:
  /// `factory` makes the device; called once for setup() and once per start().
  explicit DeviceStage(DeviceFactory factory);
  ~DeviceStage() override;

  void setup(StageSpec& spec) override;
  void start(const StageConfig& config) override;
  Status process(StageContext& ctx) override;
  Status finish(StageContext& ctx) override;
  void stop() override;
  nlohmann::json summary() const override;

  /// The device (nullptr before start()); for tests and tools.
  Device* device() const { return device_.get(); }
  /// The supervisor's counters so far.
  const SupervisorCounters& counters() const { return counters_; }

 private:
  Status handle_fault(StageContext& ctx, const std::string& reason);
  void cut_short(StageContext& ctx, const std::string& reason);
  void deliver(StageContext& ctx, FramePtr frame);
  void emit(StageContext& ctx, FramePtr frame);
  void poll_interlocks(StageContext& ctx);
  void settle_outage();
  void acquire_references();

  DeviceFactory factory_;
  std::unique_ptr<Device> device_;
  std::string name_;
  std::string type_;
  SupervisorPolicy policy_;
  SupervisorCounters counters_;
  bool scan_blocks_ = false;
  FramePtr held_;                             // the newest scan block, not yet emitted (see class comment)
  std::vector<FramePtr> pending_references_;  // references: start, emitted by the first process()
  int consecutive_attempts_ = 0;              // recovery attempts since the last delivered frame
  bool ended_ = false;                        // the device ended (end of stream, or on_fault: ignore)
  bool outage_open_ = false;                  // a non-scan device faulted and has not delivered since
  std::uint64_t lost_before_outage_ = 0;      // the driver's lost count when the outage began
};

}  // namespace oi::hal
