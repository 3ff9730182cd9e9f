#pragma once
/// @file
/// Errors and statuses. The data path returns `Status`; configuration and the plugin boundary
/// throw `oi::Error` subclasses, which the host catches and reports.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace oi {

/// A place in a file: 1-based line and column; 0 means "unknown".
struct SourceLocation {
  std::string file;  ///< path as the user gave it
  int line = 0;      ///< 1-based line, 0 when unknown
  int column = 0;    ///< 1-based column, 0 when unknown

  /// "FILE:LINE:COL", "FILE:LINE" or "FILE", depending on what is known.
  std::string str() const;
};

/// One problem found while loading or validating configuration.
struct Diagnostic {
  SourceLocation where;  ///< where the problem is
  std::string message;   ///< what is wrong and what to do about it

  /// "FILE:LINE:COL: message".
  std::string str() const;
};

/// Base of every exception the SDK throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Invalid configuration: YAML, parameters, arguments. Carries every problem found, so a
/// user sees them all at once. `oi` exits with status 2 on it.
class ConfigError : public Error {
 public:
  /// Builds the error from a list of diagnostics (must not be empty).
  explicit ConfigError(std::vector<Diagnostic> diagnostics);
  /// Convenience for a single problem without a file location.
  explicit ConfigError(const std::string& message);

  /// Every problem found, in file order.
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

/// A failure inside plugin code or while loading a plugin; the message names the plugin
/// (file and name) and, where there is one, the type and the stage.
class PluginError : public Error {
 public:
  using Error::Error;
};

/// Result of one step on the data path.
class Status {
 public:
  /// What happened.
  enum class Code {
    kOk,           ///< the step succeeded
    kEndOfStream,  ///< the source has nothing more to give; not an error
    kError         ///< the step failed; `message()` says why
  };

  /// Success.
  static Status ok() { return Status(Code::kOk, {}); }
  /// The source is exhausted.
  static Status end_of_stream() { return Status(Code::kEndOfStream, {}); }
  /// Failure with a message that says what and what to do.
  static Status error(std::string message) { return Status(Code::kError, std::move(message)); }

  Status() = default;
  /// The code.
  Code code() const { return code_; }
  /// True for kOk.
  bool is_ok() const { return code_ == Code::kOk; }
  /// True for kEndOfStream.
  bool is_end_of_stream() const { return code_ == Code::kEndOfStream; }
  /// True for kError.
  bool is_error() const { return code_ == Code::kError; }
  /// The error message (empty unless is_error()).
  const std::string& message() const { return message_; }

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace oi
