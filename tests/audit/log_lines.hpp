#pragma once
// Reading and rewriting an audit log's or ledger's lines, as someone editing the files would.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace oi::test {

inline std::vector<std::string> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  std::ofstream out(file, std::ios::trunc);
  for (const std::string& line : lines) out << line << '\n';
}

}  // namespace oi::test
