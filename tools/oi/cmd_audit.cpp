// `oi audit verify LOG`: checks an audit log's hash chain and head (oi/audit/audit_log.hpp).
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.hpp"
#include "oi/audit/audit_log.hpp"

namespace oi::cli {

int verify_audit(const std::string& log, bool json) {
  std::error_code error;
  const bool exists = std::filesystem::is_regular_file(log, error);
  const audit::Verification result = audit::verify_audit_log(log);
  if (json) {
    const nlohmann::json out = {
        {"ok", result.ok}, {"records", result.records}, {"line", result.line}, {"problem", result.problem}};
    std::printf("%s\n", out.dump(2).c_str());
  } else if (result.ok) {
    std::printf("%s: %llu records, chain and head verified\n", log.c_str(),
                static_cast<unsigned long long>(result.records));
  } else {
    std::fprintf(stderr,
                 "error: audit log does not verify: %s\n"
                 "  %llu records verified before the problem; the log was altered or damaged after it was "
                 "written: keep the file as evidence and report it\n",
                 result.problem.c_str(), static_cast<unsigned long long>(result.records));
  }
  if (result.ok) return kExitOk;
  return exists ? kExitRuntime : kExitInvalid;
}

}  // namespace oi::cli
