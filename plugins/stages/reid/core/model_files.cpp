#include "model_files.hpp"

#include <dlfcn.h>

#include <fstream>
#include <iterator>

#include "oi/audit/audit_log.hpp"
#include "oi/error.hpp"
#include "oi/files.hpp"
#include "oi/plugin_registry.hpp"

namespace oi::reid {

std::filesystem::path shipped_model_path() {
  // Any function of the SDK library names the file it was loaded from.
  Dl_info info{};
  std::filesystem::path folder;
  if (::dladdr(reinterpret_cast<const void*>(&oi::installed_plugin_subdir), &info) != 0 &&
      info.dli_fname != nullptr) {
    std::error_code error;
    folder = std::filesystem::weakly_canonical(info.dli_fname, error).parent_path();
    if (error) folder = std::filesystem::path(info.dli_fname).parent_path();
  }
  return folder / "openinspect" / "models" / "reid_lomo_xqda.oirm";
}

std::string reid_model_id(const std::filesystem::path& model) {
  if (auto problem = input_file_problem(model))
    throw ConfigError("re-identification model " + model.string() + " " + *problem);
  std::ifstream in(model, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw ConfigError("re-identification model " + model.string() + " cannot be read");
  return model.filename().string() + "#" + audit::sha256_hex(bytes).substr(0, 16);
}

}  // namespace oi::reid
