#pragma once
// The `oi` subcommands. Each returns the process exit status:
// 0 success, 1 runtime failure, 2 invalid input (YAML, parameters, arguments, plugins).

#include <cstdint>
#include <string>
#include <vector>

namespace oi::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitInvalid = 2;

struct RunArgs {
  std::string pipeline;
  std::vector<std::string> sets;
  std::uint64_t max_frames = 0;
  std::string stats_file;
  bool quiet = false;
  std::size_t threads = 0;
};

int run_pipeline(const RunArgs& args);
int validate_pipeline(const std::string& pipeline, const std::vector<std::string>& sets);
int list_plugins(bool json);
int inspect_type(const std::string& type, bool json);
int write_reference(const std::string& output_file);
int list_gpus(bool json);
int list_devices(bool json);
/// `oi calibrate-materials`: material calibration from step-wedge scans (docs/materials.md).
int calibrate_materials(const std::string& dataset, const std::string& output, double sigma_max);

}  // namespace oi::cli
