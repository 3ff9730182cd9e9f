// Run-time GLSL compilation: error locations, include resolution, defines.

#include <gtest/gtest.h>

#include <cstdlib>

#include "gpu_test_fixture.hpp"

namespace oi::gpu::testing {
namespace {

class GpuShaderCompiler : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("OI_CACHE_DIR", fresh_dir("shader-cache").c_str(), 1);
    dir_ = fresh_dir("shaders");
  }
  std::filesystem::path dir_;
};

constexpr const char* kValidBody = R"(
layout(local_size_x = 64) in;
layout(std430, binding = 0) buffer Out { uint v[]; } out_buffer;
void main() { out_buffer.v[gl_GlobalInvocationID.x] = VALUE; }
)";

std::vector<Diagnostic> diagnostics_of(const ShaderSource& source, const CompileOptions& options = {}) {
  try {
    compile_compute_shader(source, options);
  } catch (const ShaderCompileError& e) {
    return e.diagnostics();
  }
  ADD_FAILURE() << "expected a ShaderCompileError for " << source.path;
  return {};
}

TEST_F(GpuShaderCompiler, SyntaxErrorReportsFileAndLine) {
  const auto path = dir_ / "broken.comp";
  write_file(path,
             "#version 450\n"                  // 1
             "layout(local_size_x = 1) in;\n"  // 2
             "void main() {\n"                 // 3
             "  float x = 1.0;\n"              // 4
             "  x += undeclared_thing;\n"      // 5: the mistake
             "}\n");
  const auto diagnostics = diagnostics_of(ShaderSource::from_file(path));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics.front().where.file, path.string());
  EXPECT_EQ(diagnostics.front().where.line, 5);
  EXPECT_NE(diagnostics.front().message.find("undeclared_thing"), std::string::npos);
  try {
    compile_compute_shader(ShaderSource::from_file(path));
  } catch (const ShaderCompileError& e) {
    EXPECT_NE(std::string(e.what()).find(path.string() + ":5"), std::string::npos) << e.what();
  }
}

TEST_F(GpuShaderCompiler, ErrorInsideAnIncludeNamesTheIncludedFile) {
  write_file(dir_ / "lib" / "helpers.glsl",
             "// helpers\n"
             "float twice(float x) { return 2.0 * x; }\n"
             "float broken() { return undeclared_name; }\n");
  const auto path = dir_ / "uses_helpers.comp";
  write_file(path,
             "#version 450\n#include \"lib/helpers.glsl\"\n"
             "layout(local_size_x = 1) in;\nvoid main() {}\n");
  const auto diagnostics = diagnostics_of(ShaderSource::from_file(path));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics.front().where.file, (dir_ / "lib" / "helpers.glsl").string());
  EXPECT_EQ(diagnostics.front().where.line, 3);
  EXPECT_NE(diagnostics.front().message.find("undeclared_name"), std::string::npos);
}

TEST_F(GpuShaderCompiler, IncludesResolveFromOwnFolderThenOptionsThenSharedShaders) {
  write_file(dir_ / "local.glsl", "const uint kLocal = 1u;\n");
  const auto extra = fresh_dir("extra-includes");
  write_file(extra / "extra.glsl", "const uint kExtra = 2u;\n");
  const auto path = dir_ / "all_includes.comp";
  write_file(path,
             "#version 450\n"
             "#include \"local.glsl\"\n"       // next to the shader
             "#include \"extra.glsl\"\n"       // CompileOptions::include_dirs
             "#include \"oi/compute.glsl\"\n"  // the repository's shaders/
             "OI_WORKGROUP_1D;\n"
             "layout(std430, binding = 0) buffer Out { uint v[]; } o;\n"
             "void main() { o.v[gl_GlobalInvocationID.x] = kLocal + kExtra; }\n");
  CompileOptions options;
  options.include_dirs = {extra};
  const SpirvModule module = compile_compute_shader(ShaderSource::from_file(path), options);
  EXPECT_FALSE(module.words.empty());
  EXPECT_EQ(module.words.front(), 0x07230203u);  // SPIR-V magic
  ASSERT_EQ(module.includes.size(), 3u);
  EXPECT_EQ(module.includes[0], (dir_ / "local.glsl").lexically_normal());
  EXPECT_EQ(module.includes[1], (extra / "extra.glsl").lexically_normal());
  EXPECT_EQ(module.includes[2], (shader_directory() / "oi" / "compute.glsl").lexically_normal());
}

TEST_F(GpuShaderCompiler, MissingIncludeSaysWhereItLooked) {
  const auto path = dir_ / "missing.comp";
  write_file(path,
             "#version 450\n#include \"nowhere.glsl\"\nlayout(local_size_x = 1) in;\n"
             "void main() {}\n");
  const auto diagnostics = diagnostics_of(ShaderSource::from_file(path));
  ASSERT_FALSE(diagnostics.empty());
  EXPECT_EQ(diagnostics.front().where.line, 2);
  EXPECT_NE(diagnostics.front().message.find("nowhere.glsl"), std::string::npos);
  EXPECT_NE(diagnostics.front().message.find(shader_directory().string()), std::string::npos)
      << diagnostics.front().message;
}

TEST_F(GpuShaderCompiler, DefinesAreApplied) {
  const ShaderSource source =
      ShaderSource::from_text(std::string("#version 450\n") + kValidBody, dir_ / "defines.comp");
  EXPECT_FALSE(diagnostics_of(source).empty()) << "VALUE is undefined without the define";
  CompileOptions options;
  options.defines = {{"VALUE", "7u"}};
  EXPECT_FALSE(compile_compute_shader(source, options).words.empty());
}

TEST_F(GpuShaderCompiler, UnreadableFileIsAConfigErrorNamingIt) {
  try {
    ShaderSource::from_file(dir_ / "absent.comp");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("absent.comp"), std::string::npos);
  }
}

}  // namespace
}  // namespace oi::gpu::testing
