#pragma once
// Runs a child process with captured output, for end-to-end tests of command-line tools.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace oi::test {

struct ProcessResult {
  int exit_code = -1;  ///< exit status, or 128 + signal when killed
  std::string out;     ///< everything written to stdout
  std::string err;     ///< everything written to stderr
};

/// A started child; wait() collects it.
class Process {
 public:
  /// Starts `argv` with `env` added to (or, with an empty value, removed from) the
  /// environment; stdout and stderr go to files under `scratch_dir`.
  Process(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
          const std::string& scratch_dir);
  pid_t pid() const { return pid_; }
  /// The file the child's stderr goes to, for watching its progress while it runs.
  const std::string& err_file() const { return err_file_; }
  /// The file the child's stdout goes to.
  const std::string& out_file() const { return out_file_; }
  ProcessResult wait();

 private:
  pid_t pid_ = -1;
  std::string out_file_;
  std::string err_file_;
};

/// Starts and waits.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env = {});

}  // namespace oi::test
