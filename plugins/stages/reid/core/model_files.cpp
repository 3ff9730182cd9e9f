#include "model_files.hpp"

#include <fstream>
#include <iterator>

#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::reid {

std::filesystem::path shipped_model_path() { return oi::shipped_model_path("reid_lomo_xqda.oirm"); }

std::string reid_model_id(const std::filesystem::path& model) {
  if (auto problem = input_file_problem(model))
    throw ConfigError("re-identification model " + model.string() + " " + *problem);
  std::ifstream in(model, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw ConfigError("re-identification model " + model.string() + " cannot be read");
  return model.filename().string() + "#" + audit::sha256_hex(bytes).substr(0, 16);
}

}  // namespace oi::reid
