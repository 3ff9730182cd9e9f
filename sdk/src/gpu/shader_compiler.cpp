#include "oi/gpu/shader_compiler.hpp"

#include <glslang/Public/ResourceLimits.h>
#include <glslang/Public/ShaderLang.h>
#include <glslang/SPIRV/GlslangToSpv.h>
#include <glslang/build_info.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "hash.hpp"
#include "oi/gpu/disk_cache.hpp"
#include "spirv_cache_payload.hpp"

namespace oi::gpu {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// glslang keeps global state: initialise once, and compile one shader at a time.
std::mutex& glslang_mutex() {
  static std::mutex mutex;
  return mutex;
}

void initialise_glslang() {
  static std::once_flag once;
  std::call_once(once, [] { glslang::InitializeProcess(); });
}

/// Resolves includes: the including file's folder ("" only), then the option folders, then
/// the shared shader folder. Records every file it hands out.
class Includer final : public glslang::TShader::Includer {
 public:
  explicit Includer(std::vector<fs::path> search) : search_(std::move(search)) {}

  IncludeResult* includeLocal(const char* header, const char* includer, std::size_t) override {
    const fs::path base = fs::path(includer).parent_path();
    return try_open(base.empty() ? fs::path(header) : base / header);
  }

  IncludeResult* includeSystem(const char* header, const char*, std::size_t) override {
    for (const fs::path& dir : search_) {
      if (IncludeResult* found = try_open(dir / header)) return found;
    }
    std::string message =
        "cannot find include file \"" + std::string(header) + "\"; looked next to the including file and in:";
    for (const fs::path& dir : search_) message += " " + dir.string();
    auto* text = new std::string(std::move(message));
    return new IncludeResult("", text->data(), text->size(), text);
  }

  void releaseInclude(IncludeResult* result) override {
    if (result == nullptr) return;
    delete static_cast<std::string*>(result->userData);
    delete result;
  }

  std::vector<detail::IncludedFile> included;

 private:
  IncludeResult* try_open(const fs::path& candidate) {
    std::error_code error;
    if (!fs::is_regular_file(candidate, error)) return nullptr;
    std::optional<std::string> text = read_text(candidate);
    if (!text) return nullptr;
    const std::string name = candidate.lexically_normal().string();
    included.push_back({name, detail::fnv1a64(*text)});
    auto* owned = new std::string(std::move(*text));
    return new IncludeResult(name, owned->data(), owned->size(), owned);
  }

  std::vector<fs::path> search_;
};

/// Turns glslang's "ERROR: file:line: message" lines into diagnostics.
std::vector<Diagnostic> parse_log(const std::string& log, const std::string& fallback_file) {
  static const std::regex located(R"(^(ERROR|WARNING): (.*):(\d+): (.*)$)");
  std::vector<Diagnostic> diagnostics;
  std::vector<std::string> unlocated;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, located)) {
      if (m[1] != "ERROR") continue;
      Diagnostic d;
      d.where.file = m[2];
      d.where.line = std::stoi(m[3]);
      d.message = m[4];
      diagnostics.push_back(std::move(d));
    } else if (line.rfind("ERROR: ", 0) == 0 && line.find("compilation errors") == std::string::npos) {
      unlocated.push_back(line.substr(7));
    }
  }
  if (diagnostics.empty()) {
    Diagnostic d;
    d.where.file = fallback_file;
    d.message = unlocated.empty() ? (log.empty() ? "compilation failed" : log) : unlocated.front();
    diagnostics.push_back(std::move(d));
  }
  return diagnostics;
}

std::vector<fs::path> search_path(const CompileOptions& options) {
  std::vector<fs::path> dirs = options.include_dirs;
  dirs.push_back(shader_directory());
  return dirs;
}

std::string cache_key(const ShaderSource& source, const CompileOptions& options) {
  std::string key = "glsl-compute;glslang=" + std::to_string(GLSLANG_VERSION_MAJOR) + "." +
                    std::to_string(GLSLANG_VERSION_MINOR) + "." + std::to_string(GLSLANG_VERSION_PATCH) +
                    ";target=vulkan1.1/spirv1.3";
  key += ";debug=" + std::to_string(options.debug_info ? 1 : 0);
  key += ";file=" + source.path.lexically_normal().string();
  for (const auto& [name, value] : options.defines) key += ";D" + name + "=" + value;
  for (const fs::path& dir : search_path(options)) key += ";I" + dir.string();
  const detail::Digest128 digest = detail::digest128(source.text);
  key += ";source=" + detail::to_hex(digest);
  return key;
}

}  // namespace

ShaderSource ShaderSource::from_file(const fs::path& path) {
  std::optional<std::string> text = read_text(path);
  if (!text) {
    throw ConfigError({Diagnostic{{path.string(), 0, 0},
                                  "cannot read shader source; check that the file exists and "
                                  "is readable"}});
  }
  return ShaderSource{std::move(*text), path};
}

ShaderSource ShaderSource::from_text(std::string text, fs::path name) {
  return ShaderSource{std::move(text), std::move(name)};
}

SpirvModule compile_compute_shader(const ShaderSource& source, const CompileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  const std::string key = cache_key(source, options);
  DiskCache cache(cache_directory() / "spirv", "spirv");
  if (auto payload = cache.load(key)) {
    if (auto cached = detail::decode_spirv_payload(*payload)) {
      if (detail::includes_unchanged(cached->includes)) {
        SpirvModule module;
        module.words = std::move(cached->words);
        for (const auto& inc : cached->includes) module.includes.emplace_back(inc.path);
        module.from_cache = true;
        module.milliseconds = elapsed_ms();
        return module;
      }
      spdlog::debug("SPIR-V cache entry for {} is stale (an included file changed); recompiling",
                    source.path.string());
    } else {
      spdlog::debug("SPIR-V cache entry for {} has a malformed payload; recompiling", source.path.string());
    }
  }

  initialise_glslang();
  std::lock_guard lock(glslang_mutex());
  std::string preamble = "#extension GL_GOOGLE_include_directive : require\n";
  for (const auto& [name, value] : options.defines) preamble += "#define " + name + " " + value + "\n";
  const std::string name = source.path.string();
  const char* text = source.text.c_str();
  const int length = static_cast<int>(source.text.size());
  const char* names[] = {name.c_str()};

  glslang::TShader shader(EShLangCompute);
  shader.setStringsWithLengthsAndNames(&text, &length, names, 1);
  shader.setPreamble(preamble.c_str());
  shader.setEnvInput(glslang::EShSourceGlsl, EShLangCompute, glslang::EShClientVulkan, 100);
  shader.setEnvClient(glslang::EShClientVulkan, glslang::EShTargetVulkan_1_1);
  shader.setEnvTarget(glslang::EShTargetSpv, glslang::EShTargetSpv_1_3);
  Includer includer(search_path(options));
  const auto messages = static_cast<EShMessages>(EShMsgSpvRules | EShMsgVulkanRules);
  if (!shader.parse(GetDefaultResources(), 450, false, messages, includer)) {
    std::vector<Diagnostic> diagnostics = parse_log(shader.getInfoLog(), name);
    throw ShaderCompileError(std::move(diagnostics));
  }
  glslang::TProgram program;
  program.addShader(&shader);
  if (!program.link(messages)) {
    throw ShaderCompileError(parse_log(program.getInfoLog(), name));
  }
  if (const char* log = shader.getInfoLog(); log != nullptr && log[0] != '\0') {
    spdlog::debug("glslang: {}", log);
  }
  SpirvModule module;
  glslang::SpvOptions spv_options;
  spv_options.generateDebugInfo = options.debug_info;
  spv::SpvBuildLogger logger;
  glslang::GlslangToSpv(*program.getIntermediate(EShLangCompute), module.words, &logger, &spv_options);
  if (std::string log = logger.getAllMessages(); !log.empty()) {
    spdlog::debug("glslang SPIR-V for {}: {}", name, log);
  }
  for (const auto& inc : includer.included) module.includes.emplace_back(inc.path);
  cache.store(key, detail::encode_spirv_payload(includer.included, module.words));
  module.milliseconds = elapsed_ms();
  return module;
}

}  // namespace oi::gpu
