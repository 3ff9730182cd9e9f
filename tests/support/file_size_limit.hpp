#pragma once
// A full disk in a test: while a FileSizeLimit lives, no file this process writes may grow past
// `bytes` (RLIMIT_FSIZE, with SIGXFSZ ignored so that the write fails with EFBIG instead of
// killing the test). The previous limit and handler come back when it is destroyed.
#include <sys/resource.h>

#include <csignal>
#include <cstdint>

namespace oi::test {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(std::uintmax_t bytes) {
    ok_ = getrlimit(RLIMIT_FSIZE, &saved_) == 0;
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit tight = saved_;
    tight.rlim_cur = static_cast<rlim_t>(bytes);
    ok_ = ok_ && setrlimit(RLIMIT_FSIZE, &tight) == 0;
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

  /// False when the limit could not be set (the test should fail then).
  bool ok() const { return ok_; }

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = SIG_DFL;
  bool ok_ = false;
};

}  // namespace oi::test
