#pragma once
/// @file
/// Stages: the nodes of a pipeline. A stage declares its ports and its parameters (bound to
/// members) in `setup()`, is started once in `start()`, and does its work in `process()`. Device
/// drivers are stages without inputs (sources).

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oi/error.hpp"
#include "oi/event.hpp"
#include "oi/frame.hpp"
#include "oi/params.hpp"
#include "oi/port.hpp"

namespace oi {

/// What a stage declares about itself: ports, parameters, a description.
class StageSpec {
 public:
  /// Declares an input port. Inputs are required unless `.required = false` is set on the
  /// returned spec. Returned references are valid until the next declaration.
  PortSpec& input(std::string name, PortType type = PortType::any(), std::string description = {});
  /// Declares an output port.
  PortSpec& output(std::string name, PortType type = PortType::any(), std::string description = {});
  /// Declares a parameter bound to `member` (see oi/params.hpp): its type follows the
  /// member's, its default is the member's current value (`.without_default()` makes it required), and the
  /// host writes the validated value into the member before validate() and start(). Chain
  /// setters on the result.
  template <param_detail::Bindable T>
  ParamSpec& param(std::string name, T& member) {
    return add(make_bound_param(std::move(name), member));
  }
  /// Declares a parameter that is not bound to a member (a stage that forwards its values as
  /// a whole, e.g. to a device); read it from StageConfig::params. Chain setters on the result.
  ParamSpec& param(std::string name, ParamType type);
  /// Sets the stage's description (a paragraph for `oi inspect` and the reference page).
  void describe(std::string text) { description_ = std::move(text); }

  const std::vector<PortSpec>& inputs() const { return inputs_; }
  const std::vector<PortSpec>& outputs() const { return outputs_; }
  const std::vector<ParamSpec>& params() const { return params_; }
  const std::string& description() const { return description_; }

  /// Index of an input port, or -1.
  int input_index(std::string_view name) const;
  /// Index of an output port, or -1.
  int output_index(std::string_view name) const;
  /// A parameter declaration, or nullptr.
  const ParamSpec* find_param(std::string_view name) const;
  /// Writes the values of the bound parameters into their members (see assign_bound()).
  void assign(const ParamSet& values, const std::filesystem::path& base) const {
    assign_bound(params_, values, base);
  }
  /// Drops every binding: for declarations kept after the object that made them is gone.
  void unbind();
  /// Declares a parameter renamed in an earlier version: a pipeline that still sets
  /// `old_name` gets a load-time error naming `new_name`.
  void renamed(std::string old_name, std::string new_name) {
    renamed_[std::move(old_name)] = std::move(new_name);
  }
  /// The new name of a renamed parameter, or nullptr.
  const std::string* new_name_of(std::string_view old_name) const;
  /// Every renamed parameter, old name -> new name.
  const std::map<std::string, std::string, std::less<>>& renamed_params() const { return renamed_; }
  /// Adds a whole declaration (made with make_bound_param() or copied from another spec).
  ParamSpec& add(ParamSpec param);

 private:
  std::vector<PortSpec> inputs_;
  std::vector<PortSpec> outputs_;
  // A vector, not a map: declaration order is the order docs list parameters in.
  std::vector<ParamSpec> params_;
  std::map<std::string, std::string, std::less<>> renamed_;
  std::string description_;
};

/// Everything a stage gets once, before the pipeline runs.
struct StageConfig {
  std::string name;                     ///< the node's name in the pipeline
  std::string type;                     ///< the registered type name
  std::string uri;                      ///< drivers: which device to open (empty for stages)
  ParamSet params;                      ///< validated parameters, defaults filled in
  std::filesystem::path pipeline_dir;   ///< folder of the pipeline file (for relative paths)
  std::filesystem::path pipeline_file;  ///< the pipeline file itself (absolute; empty when built in code)
};

/// The scheduler's side of one `process()` call: take frames from inputs, emit to outputs.
/// Only valid during the call it was passed to.
class StageContext {
 public:
  virtual ~StageContext() = default;

  /// Takes the next frame of input `index`; nullptr when that input is unconnected.
  /// When a stage runs, every connected input has at least one frame.
  virtual FramePtr take(std::size_t index) = 0;
  /// Sends a frame on output `index`. An unconnected output discards it (counted).
  virtual void emit(std::size_t index, FramePtr frame) = 0;
  /// True once the pipeline is stopping; long-running sources should return soon.
  virtual bool stop_requested() const = 0;
  /// The node's name.
  virtual const std::string& stage_name() const = 0;
  /// The stage's own declarations (port names -> indices).
  virtual const StageSpec& spec() const = 0;
  /// Tells the application something that is not a frame (a device fault, a reconnect, an
  /// interlock; see oi/event.hpp). The pipeline fills in the source and time, keeps the
  /// event for Pipeline::events() and calls RunOptions::on_event. Outside a pipeline the
  /// default logs it.
  virtual void post_event(PipelineEvent event);
  /// A source that has read frames it has not emitted yet (a scanner's adapter holds the
  /// newest scan block until it knows whether its scan ends there) says how many. The
  /// scheduler counts them towards `max_frames`, so a source stopped by `--max-frames N`
  /// delivers exactly N frames, the held ones in finish(). Outside a pipeline it is ignored.
  virtual void set_frames_held(std::size_t count) { (void)count; }

  /// take() by port name; throws oi::Error when the stage has no such input.
  FramePtr take(std::string_view port);
  /// emit() by port name; throws oi::Error when the stage has no such output.
  void emit(std::string_view port, FramePtr frame);
};

/// Base class of every stage and driver.
///
/// Lifecycle: `setup()` (may be called on a fresh object just to read declarations),
/// `start()` once, `process()` many times, `finish()` once at end of stream, `stop()` once.
/// Exceptions thrown from any of these are caught by the host and reported with the stage,
/// type and plugin names; the data path prefers returning `Status::error()`.
class Stage {
 public:
  virtual ~Stage() = default;

  /// Declares ports, parameters and a description. Must not depend on parameter values.
  virtual void setup(StageSpec& spec) = 0;
  /// Checks what single parameter declarations cannot express (combinations of values,
  /// files that must exist, a shader that must compile) without opening devices or
  /// allocating resources. Called by the pipeline loader, so `oi validate` reports the
  /// problems with the node's FILE:LINE:COL; returns one message per problem, empty when
  /// valid. Bound parameters already hold the node's values (setup() ran on this object).
  virtual std::vector<std::string> validate(const StageConfig& config) const {
    (void)config;
    return {};
  }
  /// Starts the stage; bound parameters hold their validated values, `config` has the rest
  /// (node name, URI, pipeline folder). Throw oi::ConfigError for problems validate() could
  /// not foresee.
  virtual void start(const StageConfig& config) { (void)config; }
  /// Does one unit of work. Stages with inputs are called when every connected input holds a
  /// frame; sources are called repeatedly and return `Status::end_of_stream()` when done.
  virtual Status process(StageContext& ctx) = 0;
  /// Called once after all inputs reached end of stream (or a source ended): emit whatever
  /// is still buffered.
  virtual Status finish(StageContext& ctx) {
    (void)ctx;
    return Status::ok();
  }
  /// Releases resources; called once, also after errors.
  virtual void stop() {}
  /// What the stage wants the user to know after the run, e.g. a sink's
  /// `{"output": "/abs/dir", "files": 40}`; null when nothing. `oi run` prints it and writes
  /// it into `--stats`.
  virtual nlohmann::json summary() const { return nullptr; }
};

}  // namespace oi
