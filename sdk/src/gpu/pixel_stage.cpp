#include "oi/gpu/pixel_stage.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <set>

#include "oi/gpu/backend.hpp"
#include "oi/gpu/command_recorder.hpp"
#include "oi/gpu/device.hpp"
#include "oi/gpu/runtime.hpp"

namespace oi::gpu {
namespace {

// The X-ray contract's kind of a whole scan and its test for a block of a scan still arriving
// (oi::xray::frame_kind::kScan, oi::xray::is_scan_part(): the GPU component does not depend on
// the X-ray one, so the test is repeated here; XrayStreaming tests keep the two in step).
constexpr std::string_view kWholeScanKind = "xray.scan";

// A block of a scan still arriving: it carries a scan id, is not a whole scan and is not a
// single block holding its whole scan. Reference frames (scan id 0) and other frames are not.
bool is_scan_part(const Frame& frame) {
  const FrameMetadata& m = frame.metadata();
  return m.scan_id != 0 && frame.kind() != kWholeScanKind && !(m.block_index == 0 && m.end_of_scan);
}

std::string plane_list(const std::vector<std::pair<std::string, Plane>>& planes) {
  std::string out;
  for (const auto& [name, plane] : planes) out += (out.empty() ? "'" : ", '") + name + "'";
  return out;
}

std::string size_text(const Plane& p) { return std::to_string(p.width) + "x" + std::to_string(p.height); }

}  // namespace

const Plane& PixelPlanes::input(std::string_view name) const {
  for (const auto& [n, plane] : inputs_) {
    if (n == name) return plane;
  }
  throw Error("PixelPlanes::input: '" + std::string(name) +
              "' is not an input of this stage; its inputs: " + plane_list(inputs_));
}

Plane& PixelPlanes::output(std::string_view name) {
  for (auto& [n, plane] : outputs_) {
    if (n == name) return plane;
  }
  throw Error("PixelPlanes::output: '" + std::string(name) +
              "' is not an output of this stage; its outputs: " + plane_list(outputs_));
}

// Scan blocks held for PixelKernelSpec::line_halo.
struct PixelStage::BlockHalo {
  std::string device;            // the scan whose blocks are held: its source device ...
  std::uint64_t scan = 0;        // ... and scan id
  int width = 0;                 // and its width
  std::deque<FramePtr> pending;  // blocks not emitted yet, oldest first (inputs checked)
  // Per input plane: the last (up to line_halo) lines of the scan before pending.front().
  std::vector<Plane> above;
  int above_lines = 0;
};

PixelStage::PixelStage(CpuImplementation cpu) : gpu_(cpu) {}

PixelStage::~PixelStage() = default;

void PixelStage::setup(StageSpec& spec) {
  on_setup(spec);
  if (spec.inputs().empty()) spec.input("in", PortType::any(), "frames holding the input planes");
  if (spec.outputs().empty()) {
    PortSpec& out = spec.output("out", PortType::any(), "the same frames plus the output planes");
    if (spec.input_index("in") >= 0) out.kind_follows = "in";
  }
  gpu_.declare(spec);
}

void PixelStage::adapt_to_device(const DeviceInfo&, PixelKernelSpec&) {}

Status PixelStage::process_cpu(PixelPlanes&) { return Status::error("this stage has no CPU implementation"); }

void PixelStage::check_spec() const {
  const std::string where = "kernel '" + spec_.name + "'";
  if (spec_.inputs.empty() || spec_.outputs.empty()) {
    throw ConfigError(where + ": a pixel stage needs at least one input and one output plane");
  }
  std::set<std::string> names;
  for (const auto* list : {&spec_.inputs, &spec_.outputs}) {
    for (const PlaneDecl& p : *list) {
      if (p.name.empty() || !names.insert(p.name).second) {
        throw ConfigError(where + ": plane name '" + p.name +
                          "' is empty or used twice; give every input and output its own name");
      }
    }
  }
  if (!spec_.bindings.empty()) {
    std::set<std::string> bound(spec_.bindings.begin(), spec_.bindings.end());
    if (bound != names || spec_.bindings.size() != names.size()) {
      throw ConfigError(where + ": PixelKernelSpec::bindings must name every input and output plane once");
    }
  }
  if (spec_.push_constants.size() % 4 != 0) {
    throw ConfigError(where + ": the push-constant block is " + std::to_string(spec_.push_constants.size()) +
                      " bytes; it must be a multiple of 4");
  }
  if (spec_.size_offset &&
      (*spec_.size_offset % 4 != 0 || *spec_.size_offset + 8 > spec_.push_constants.size())) {
    throw ConfigError(where + ": `uvec2 size` at byte " + std::to_string(*spec_.size_offset) +
                      " does not fit the " + std::to_string(spec_.push_constants.size()) +
                      "-byte push-constant block; make the block start with two uint32 fields");
  }
}

void PixelStage::start(const StageConfig& config) {
  spec_ = on_start(config);
  if (spec_.name.empty()) spec_.name = config.type;
  check_spec();
  binding_names_ = spec_.bindings;
  if (binding_names_.empty()) {
    for (const PlaneDecl& p : spec_.inputs) binding_names_.push_back(p.name);
    for (const PlaneDecl& p : spec_.outputs) binding_names_.push_back(p.name);
  }
  if (!gpu_.start(config)) return;
  adapt_to_device(gpu_.device()->info(), spec_);
  check_spec();
  KernelDesc desc;
  desc.name = spec_.name;
  desc.source = spec_.source;
  desc.options = spec_.options;
  desc.spirv = spec_.spirv;
  for (const std::string& name : binding_names_) {
    const bool input = std::any_of(spec_.inputs.begin(), spec_.inputs.end(),
                                   [&](const PlaneDecl& p) { return p.name == name; });
    desc.bindings.push_back({name, input ? Access::kRead : Access::kWrite});
  }
  desc.push_constant_bytes = static_cast<std::uint32_t>(spec_.push_constants.size());
  desc.push_layout = spec_.push_layout;
  desc.spec_constants = spec_.spec_constants;
  desc.workgroup = spec_.workgroup;
  kernel_ = gpu_.kernel(desc);
  if (spec_.pixels_per_invocation > 0 && (kernel_->local_size()[1] != 1 || kernel_->local_size()[2] != 1)) {
    throw ConfigError(
        "kernel '" + spec_.name + "': pixels_per_invocation needs a 1-D workgroup (OI_WORKGROUP_1D), " +
        "but the shader's is " + std::to_string(kernel_->local_size()[0]) + "x" +
        std::to_string(kernel_->local_size()[1]) + "x" + std::to_string(kernel_->local_size()[2]));
  }
}

void PixelStage::stop() {
  kernel_.reset();
  gpu_.stop();
}

nlohmann::json PixelStage::summary() const { return gpu_.summary(); }

Status PixelStage::check_inputs(const Frame& frame, int& width, int& height) const {
  const Plane* first = nullptr;
  for (const PlaneDecl& decl : spec_.inputs) {
    if (!frame.has_plane(decl.name)) {
      std::string present;
      for (const std::string& n : frame.plane_names()) present += (present.empty() ? "'" : ", '") + n + "'";
      return Status::error("the frame has no plane '" + decl.name + "' (it has " +
                           (present.empty() ? "none" : present) + "); feed it frames that carry it");
    }
    const Plane& plane = frame.plane(decl.name);
    if (plane.format != decl.format) {
      return Status::error("plane '" + decl.name + "' is " + std::string(to_string(plane.format)) +
                           ", the kernel reads " + std::string(to_string(decl.format)));
    }
    if (first == nullptr) {
      first = &plane;
    } else if (plane.width != first->width || plane.height != first->height) {
      return Status::error("plane '" + decl.name + "' is " + size_text(plane) + " but '" +
                           spec_.inputs.front().name + "' is " + size_text(*first) +
                           "; a pixel stage needs inputs of one size");
    }
  }
  width = first->width;
  height = first->height;
  return Status::ok();
}

Status PixelStage::run(Frame& frame, int width, int height) {
  if (gpu_.on_gpu()) return process_gpu(frame, width, height);
  PixelPlanes planes;
  planes.width_ = width;
  planes.height_ = height;
  for (const PlaneDecl& d : spec_.inputs)
    planes.inputs_.emplace_back(d.name, std::as_const(frame).plane(d.name));
  for (const PlaneDecl& d : spec_.outputs)
    planes.outputs_.emplace_back(d.name, Plane::allocate(d.format, width, height));
  if (Status s = process_cpu(planes); !s.is_ok()) return s;
  for (auto& [name, plane] : planes.outputs_) frame.set_plane(name, std::move(plane));
  return Status::ok();
}

Status PixelStage::process(StageContext& ctx) {
  FramePtr in = ctx.take(0);
  if (!in) return Status::ok();
  if (spec_.line_halo > 0) {
    if (is_scan_part(*in)) return add_block(ctx, std::move(in));
    // Not a block: whatever is held belongs to a scan that was cut, and comes first.
    if (Status s = emit_blocks(ctx, true); !s.is_ok()) return s;
  }
  FramePtr frame = in->clone();  // others may hold `in`: add planes to our own copy
  int width = 0, height = 0;
  if (Status s = check_inputs(*frame, width, height); !s.is_ok()) return s;
  if (Status s = run(*frame, width, height); !s.is_ok()) return s;
  ctx.emit(0, std::move(frame));
  return Status::ok();
}

Status PixelStage::finish(StageContext& ctx) { return emit_blocks(ctx, true); }

// ---- line halo: scan blocks processed as they arrive ----

namespace {

// Copies `lines` lines of `from` starting at `from_line` into `to` at `to_line`.
void copy_lines(const Plane& from, int from_line, Plane& to, int to_line, int lines) {
  const std::size_t bytes = from.row_bytes();
  for (int y = 0; y < lines; ++y)
    std::memcpy(to.row<std::byte>(to_line + y), from.row<std::byte>(from_line + y), bytes);
}

}  // namespace

Status PixelStage::add_block(StageContext& ctx, FramePtr block) {
  if (!halo_) halo_ = std::make_unique<BlockHalo>();
  BlockHalo& h = *halo_;
  int width = 0, height = 0;
  if (Status s = check_inputs(*block, width, height); !s.is_ok()) return s;
  const FrameMetadata& m = block->metadata();
  if ((!h.pending.empty() || h.above_lines > 0) &&
      (m.scan_id != h.scan || m.source_device != h.device || width != h.width)) {
    // The held scan was cut (another scan began): its blocks end where they are.
    if (Status s = emit_blocks(ctx, true); !s.is_ok()) return s;
  }
  if (h.pending.empty() && h.above_lines == 0) {  // the scan's first block (or first after a cut)
    h.device = m.source_device;
    h.scan = m.scan_id;
    h.width = width;
  }
  const bool scan_over = m.end_of_scan;
  h.pending.push_back(std::move(block));
  return emit_blocks(ctx, scan_over);
}

Status PixelStage::emit_blocks(StageContext& ctx, bool scan_over) {
  if (!halo_) return Status::ok();
  BlockHalo& h = *halo_;
  const int halo = spec_.line_halo;
  const auto lines_of = [&](const FramePtr& f) {
    return std::as_const(*f).plane(spec_.inputs.front().name).height;
  };
  while (!h.pending.empty()) {
    int below = 0;  // lines after the front block that have arrived, up to the halo
    for (std::size_t i = 1; i < h.pending.size() && below < halo; ++i) below += lines_of(h.pending[i]);
    if (!scan_over && below < halo) break;
    below = std::min(below, halo);
    // Taken off first: a block the kernel fails on is reported once, not retried forever.
    const FramePtr block = h.pending.front();
    h.pending.pop_front();
    const int lines = lines_of(block), top = h.above_lines, total = top + lines + below;

    // The block with its neighbours' lines, inputs only.
    auto extended = Frame::create(block->kind());
    extended->metadata() = block->metadata();
    std::vector<Plane> above(spec_.inputs.size());
    const int keep = std::min(halo, top + lines);  // lines above the next block
    for (std::size_t i = 0; i < spec_.inputs.size(); ++i) {
      const PlaneDecl& d = spec_.inputs[i];
      Plane plane = Plane::allocate(d.format, h.width, total);
      if (top > 0) copy_lines(h.above[i], 0, plane, 0, top);
      copy_lines(std::as_const(*block).plane(d.name), 0, plane, top, lines);
      for (std::size_t k = 0, at = static_cast<std::size_t>(top + lines);
           at < static_cast<std::size_t>(total); ++k) {
        const Plane& next = std::as_const(*h.pending[k]).plane(d.name);
        const int take = std::min(next.height, total - static_cast<int>(at));
        copy_lines(next, 0, plane, static_cast<int>(at), take);
        at += static_cast<std::size_t>(take);
      }
      above[i] = Plane::allocate(d.format, h.width, keep);
      copy_lines(plane, top + lines - keep, above[i], 0, keep);
      extended->set_plane(d.name, std::move(plane));
    }
    if (Status s = run(*extended, h.width, total); !s.is_ok()) {
      h.above_lines = 0;  // the next block starts as if the scan began there
      h.above.clear();
      return s;
    }

    // The block as it came, plus its own lines of every output.
    FramePtr out = block->clone();
    for (const PlaneDecl& d : spec_.outputs) {
      Plane plane = Plane::allocate(d.format, h.width, lines);
      copy_lines(std::as_const(*extended).plane(d.name), top, plane, 0, lines);
      out->set_plane(d.name, std::move(plane));
    }
    h.above = std::move(above);
    h.above_lines = keep;
    ctx.emit(0, std::move(out));
  }
  if (scan_over) {
    h.pending.clear();
    h.above.clear();
    h.above_lines = 0;
  }
  return Status::ok();
}

Status PixelStage::process_gpu(Frame& frame, int width, int height) {
  // Inputs first: a converted input replaces the frame's plane, so later GPU stages find it
  // resident instead of copying it again.
  for (const PlaneDecl& d : spec_.inputs) {
    if (Result<Plane> p = gpu_.input(frame, d.name, true, spec_.residency); !p.ok()) return p.status();
  }
  try {
    for (std::size_t o = 0; o < spec_.outputs.size(); ++o) {
      const PlaneDecl& d = spec_.outputs[o];
      frame.set_plane(d.name, gpu_.output(o, d.format, width, height, spec_.clear_outputs, spec_.residency));
    }
  } catch (const std::exception& e) {
    return Status::error(e.what());
  }
  std::vector<BufferRef> refs;
  refs.reserve(binding_names_.size());
  for (const std::string& name : binding_names_) refs.emplace_back(std::as_const(frame).plane(name));

  std::vector<std::byte> push = spec_.push_constants;
  if (spec_.size_offset) {
    const std::uint32_t size[2] = {static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height)};
    std::memcpy(push.data() + *spec_.size_offset, size, sizeof size);
  }
  CommandRecorder& recorder = gpu_.recorder();
  Status dispatched;
  if (spec_.pixels_per_invocation > 0) {
    // Linear: fold the workgroups into rows of at most maxComputeWorkGroupCount[0]
    // (oi_linear_id() undoes it); the last workgroups overhang the plane.
    const auto div_up = [](std::uint64_t n, std::uint64_t d) { return (n + d - 1) / d; };
    const std::uint64_t invocations = div_up(
        static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height), spec_.pixels_per_invocation);
    const std::uint64_t groups = div_up(invocations, kernel_->local_size()[0]);
    const std::uint64_t row =
        std::min<std::uint64_t>(groups, gpu_.device()->limits().maxComputeWorkGroupCount[0]);
    const auto rows = div_up(groups, std::max<std::uint64_t>(row, 1));
    dispatched =
        recorder.dispatch(*kernel_, refs, push,
                          {static_cast<std::uint32_t>(row),
                           static_cast<std::uint32_t>(std::min<std::uint64_t>(rows, UINT32_MAX)), 1});
  } else {
    dispatched = recorder.dispatch_grid(*kernel_, refs, push, static_cast<std::uint32_t>(width),
                                        static_cast<std::uint32_t>(height));
  }
  if (!dispatched.is_ok()) return dispatched;
  return gpu_.submit();
}

}  // namespace oi::gpu
