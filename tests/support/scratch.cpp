#include "scratch.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace oi::test {

std::filesystem::path scratch_dir(const std::string& group, const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (group + "-" + std::to_string(::getpid())) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace oi::test
