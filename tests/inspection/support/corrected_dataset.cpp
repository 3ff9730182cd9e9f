#include "corrected_dataset.hpp"

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <utility>

#include "correct_dataset.hpp"
#include "oi/error.hpp"

namespace oi::xray::testing {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error("cannot open " + file.string());
  return nlohmann::json::parse(in);
}

std::size_t dataset_scans(const std::filesystem::path& dataset) {
  return read_json(dataset / "dataset.json")["scans"].size();
}

CorrectedScan load_corrected_scan(const std::filesystem::path& dataset, std::size_t index) {
  CorrectedDataset::Scan s = CorrectedDataset(dataset).scan(index);
  return {s.a_high, s.a_low, std::move(s.json)};
}

int run_command(const std::string& command, const std::filesystem::path& log) {
  const std::string line = command + " > '" + log.string() + "' 2>&1";
  const int status = std::system(line.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace oi::xray::testing
