// gpu.shader: a per-pixel stage defined in YAML by a GLSL compute shader. Planes and
// constants are bound by name through SPIR-V reflection (SPIRV-Cross), so an integrator adds
// a detection step without compiling C++. See docs/writing-a-gpu-stage.md.
#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "oi/gpu/pixel_stage.hpp"
#include "oi/plugin.hpp"
#include "oi/result.hpp"
#include "shader_interface.hpp"

namespace {

using oi::gpu_shader::ScalarKind;
using oi::gpu_shader::ShaderConstant;

// Where `identifier` first appears in the shader's own text, for diagnostics.
oi::SourceLocation locate(const oi::gpu::ShaderSource& source, const std::string& identifier) {
  oi::SourceLocation where{source.path.string(), 0, 0};
  if (identifier.empty()) return where;
  const std::regex word("\\b" + identifier + "\\b");
  std::istringstream lines(source.text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    std::smatch match;
    if (std::regex_search(line, match, word)) return {where.file, n, static_cast<int>(match.position(0)) + 1};
  }
  return where;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "none" : out;
}

// The 32 bits a push or specialization constant of `kind` holds for `text`; an error saying
// why when the value does not fit the type.
oi::Result<std::uint32_t> constant_bits(ScalarKind kind, const std::string& text) {
  if (kind == ScalarKind::kBool && (text == "true" || text == "false")) return text == "true" ? 1u : 0u;
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return oi::Status::error("'" + text + "' is not a number");
  }
  switch (kind) {
    case ScalarKind::kFloat:
      return std::bit_cast<std::uint32_t>(static_cast<float>(value));
    case ScalarKind::kBool:
      if (value == 0 || value == 1) return static_cast<std::uint32_t>(value);
      return oi::Status::error("a bool takes true, false, 0 or 1, not " + text);
    case ScalarKind::kInt:
      if (value == std::floor(value) && value >= -2147483648.0 && value <= 2147483647.0) {
        return static_cast<std::uint32_t>(static_cast<std::int32_t>(value));
      }
      return oi::Status::error("an int takes a whole number in [-2^31, 2^31), not " + text);
    case ScalarKind::kUint:
      if (value == std::floor(value) && value >= 0 && value <= 4294967295.0)
        return static_cast<std::uint32_t>(value);
      return oi::Status::error("a uint takes a whole number in [0, 2^32), not " + text);
    case ScalarKind::kOther:
      break;
  }
  return oi::Status::error("unsupported type");
}

class GpuShader final : public oi::gpu::PixelStage {
 public:
  GpuShader() : PixelStage(oi::gpu::CpuImplementation::kNo) {}

 private:
  void on_setup(oi::StageSpec& spec) override {
    spec.describe(
        "Runs a GLSL compute shader once per pixel, on a Vulkan device. Storage buffers are bound "
        "by name to the planes listed in `inputs` and `outputs`; `constants` set push constants "
        "and specialization constants by name; the push-constant member `uvec2 size` receives "
        "the plane size. Outputs have the size of the first input. No CPU fallback.");
    spec.param("shader", shader_)
        .without_default()
        .describe(
            "The compute shader (.comp), relative to the pipeline file. `#include` resolves "
            "against its folder, then the SDK's shaders/ (oi/pixel.glsl, oi/compute.glsl).");
    spec.param("inputs", inputs_)
        .without_default()
        .describe(
            "Planes the shader reads, each bound to the storage buffer of that name "
            "(declared readonly; its element type gives the plane format).");
    spec.param("outputs", outputs_)
        .without_default()
        .describe(
            "Planes the shader writes, as NAME or NAME:FORMAT (u8, u16, f32; default: the "
            "buffer's element type), each bound to the storage buffer of that name.");
    spec.param("constants", constants_)
        .describe(
            "NAME=VALUE entries, e.g. [threshold=0.5, mode=2]: push-constant members (each "
            "must be given) and specialization constants (optional) of that name.");
    spec.param("workgroup", workgroup_)
        .range(1, 1024)
        .describe("Preferred workgroup size [x, y] for shaders that use OI_WORKGROUP_2D.");
  }

  oi::gpu::PixelKernelSpec on_start(const oi::StageConfig&) override {
    oi::gpu::PixelKernelSpec k;
    // The kernel is named by its file: messages about it already carry the node's name.
    k.name = shader_.string();
    k.source = oi::gpu::ShaderSource::from_file(shader_);
    k.spirv = oi::gpu::compile_compute_shader(k.source).words;  // ShaderCompileError: FILE:LINE
    const oi::gpu_shader::ShaderInterface shader = oi::gpu_shader::reflect_shader(k.spirv);
    std::vector<oi::Diagnostic> problems;
    auto problem = [&](oi::SourceLocation where, std::string message) {
      problems.push_back({std::move(where), std::move(message)});
    };
    const oi::SourceLocation file{k.source.path.string(), 0, 0};

    for (const std::string& r : shader.unsupported) {
      problem(file,
              "the shader declares a " + r + "; this stage binds only storage buffers named after planes");
    }
    // Planes named in YAML, with the format an output asks for.
    std::map<std::string, std::optional<oi::PixelFormat>> outputs;
    std::vector<std::string> order;  // inputs, then outputs, as listed
    const std::vector<std::string>& input_names = inputs_;
    for (const std::string& name : input_names) order.push_back(name);
    for (const std::string& entry : outputs_) {
      const auto colon = entry.find(':');
      const std::string name = entry.substr(0, colon);
      std::optional<oi::PixelFormat> format;
      if (colon != std::string::npos) {
        format = oi::parse_pixel_format(entry.substr(colon + 1));
        if (!format || *format == oi::PixelFormat::kRGB8) {
          problem({}, "outputs: '" + entry + "': the format after ':' must be u8, u16 or f32");
        }
      }
      outputs[name] = format;
      order.push_back(name);
    }
    if (input_names.empty() || outputs.empty())
      problem({}, "list at least one plane under inputs and one under outputs");
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (order[i].empty() || std::count(order.begin(), order.end(), order[i]) > 1) {
        problem({}, "plane name '" + order[i] +
                        "' is empty or listed twice in inputs/outputs; "
                        "write results to a new plane name");
      }
    }

    // Storage buffers <-> planes, by name.
    std::vector<std::string> buffer_names;
    for (const auto& b : shader.buffers) buffer_names.push_back(b.name);
    for (std::size_t i = 0; i < shader.buffers.size(); ++i) {
      const auto& b = shader.buffers[i];
      const oi::SourceLocation where = locate(k.source, b.name);
      const bool is_input = std::count(input_names.begin(), input_names.end(), b.name) > 0;
      const auto out = outputs.find(b.name);
      if (!is_input && out == outputs.end()) {
        problem(where, "storage buffer '" + b.name + "' (binding " + std::to_string(b.binding) +
                           ") is not a plane listed in inputs (" + join(input_names) +
                           ") or outputs; "
                           "name it after a plane, or add the plane to the YAML");
        continue;
      }
      if (b.set != 0 || b.binding != i) {
        problem(where, "storage buffer '" + b.name + "' is at set " + std::to_string(b.set) + ", binding " +
                           std::to_string(b.binding) + "; the " + std::to_string(shader.buffers.size()) +
                           " buffers must use set 0, bindings 0.." +
                           std::to_string(shader.buffers.size() - 1));
      }
      if (!b.format) {
        problem(where, "storage buffer '" + b.name + "' holds " + b.element_type +
                           "; a plane buffer is `uint8_t px[]`, `uint16_t px[]` or `float px[]`");
        continue;
      }
      if (is_input) {
        if (!b.readonly) {
          problem(where, "input plane '" + b.name +
                             "' must be declared readonly (OI_PLANE_IN): other "
                             "stages share it");
        }
        k.inputs.push_back({b.name, *b.format});
      } else {
        if (out->second && *out->second != *b.format) {
          problem(where, "outputs: '" + b.name + ":" + std::string(oi::to_string(*out->second)) +
                             "' but the shader's buffer holds " + b.element_type);
        }
        k.outputs.push_back({b.name, *b.format});
      }
      k.bindings.push_back(b.name);
    }
    for (const std::string& name : order) {
      if (std::find(buffer_names.begin(), buffer_names.end(), name) == buffer_names.end()) {
        problem(file, "plane '" + name + "' has no storage buffer of that name in the shader (it declares " +
                          join(buffer_names) + "); the shader must use every plane listed");
      }
    }

    // Constants: push-constant members (all required) and specialization constants.
    std::map<std::string, std::string> values;
    for (const std::string& entry : constants_) {
      const auto eq = entry.find('=');
      if (eq == std::string::npos || eq == 0) {
        problem({}, "constants: '" + entry + "' is not NAME=VALUE, e.g. threshold=0.5");
        continue;
      }
      values[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    std::vector<std::string> known;
    k.push_constants.assign((shader.push_block_bytes + 3) / 4 * 4, std::byte{0});
    k.size_offset.reset();
    std::map<std::string, bool> used;
    for (const ShaderConstant& c : shader.push_members) {
      const oi::SourceLocation where = locate(k.source, c.name);
      if (c.name == "size") {
        if (c.kind != ScalarKind::kUint || c.components != 2) {
          problem(where, "push constant 'size' is " + c.type + "; declare it `uvec2 size` (the plane size)");
        }
        k.size_offset = c.offset;
        continue;
      }
      known.push_back(c.name + " (push " + c.type + ")");
      if (c.kind == ScalarKind::kOther || c.components != 1) {
        problem(where, "push constant '" + c.name + "' is " + c.type +
                           "; this stage sets only float, int, uint and bool members");
        continue;
      }
      const auto v = values.find(c.name);
      if (v == values.end()) {
        problem(where, "push constant '" + c.name + "' has no value: add " + c.name + "=VALUE to constants");
        continue;
      }
      used[c.name] = true;
      if (const oi::Result<std::uint32_t> bits = constant_bits(c.kind, v->second)) {
        std::memcpy(k.push_constants.data() + c.offset, &bits.value(), 4);
      } else {
        problem(where, "constants: " + c.name + " (" + c.type + "): " + bits.status().message());
      }
    }
    if (!shader.push_members.empty() && !k.size_offset) {
      problem(file,
              "the push-constant block has no `uvec2 size`; add it: the stage writes the plane size "
              "there so the shader can skip invocations outside the plane");
    } else if (shader.push_members.empty()) {
      problem(file,
              "the shader has no push-constant block; declare `layout(push_constant) uniform Push "
              "{ uvec2 size; } push;` and skip invocations outside push.size");
    }
    for (const ShaderConstant& c : shader.spec_constants) {
      known.push_back(c.name + " (specialization " + c.type + ", id " + std::to_string(c.constant_id) + ")");
      const auto v = values.find(c.name);
      if (v == values.end()) continue;
      used[c.name] = true;
      if (const oi::Result<std::uint32_t> bits = constant_bits(c.kind, v->second)) {
        using Kind = oi::gpu::SpecConstant::Kind;
        const Kind kind = c.kind == ScalarKind::kFloat ? Kind::kFloat
                          : c.kind == ScalarKind::kInt ? Kind::kInt
                                                       : Kind::kUint;  // uint and bool
        k.spec_constants.push_back({c.constant_id, bits.value(), kind});
      } else {
        problem(locate(k.source, c.name),
                "constants: " + c.name + " (" + c.type + "): " + bits.status().message());
      }
    }
    for (const auto& [name, value] : values) {
      if (!used.count(name)) {
        problem(file, "constants: '" + name +
                          "' is neither a push constant nor a specialization constant "
                          "of the shader; it declares: " +
                          join(known));
      }
    }
    if (workgroup_.size() != 2)
      problem({}, "workgroup takes two sizes [x, y]");
    else
      k.workgroup = {static_cast<std::uint32_t>(workgroup_[0]), static_cast<std::uint32_t>(workgroup_[1]), 1};
    if (!problems.empty()) throw oi::ConfigError(std::move(problems));
    return k;
  }

  std::filesystem::path shader_;                    // parameter `shader`
  std::vector<std::string> inputs_;                 // parameter `inputs`
  std::vector<std::string> outputs_;                // parameter `outputs`
  std::vector<std::string> constants_;              // parameter `constants`
  std::vector<std::int64_t> workgroup_ = {16, 16};  // parameter `workgroup`
};

}  // namespace

OI_REGISTER_STAGE(GpuShader, "gpu.shader",
                  "Runs a GLSL compute shader per pixel; planes and constants bound by name.");
OI_PLUGIN("oi-stages-gpu-shader", "0.1.0", "Apache-2.0")
