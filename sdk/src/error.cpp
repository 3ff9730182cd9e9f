#include "oi/error.hpp"

#include <string>

namespace oi {
namespace {

std::string join_diagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& d : diagnostics) {
    if (!text.empty()) text += '\n';
    text += d.str();
  }
  return text;
}

}  // namespace

std::string SourceLocation::str() const {
  std::string text = file;
  if (line > 0) {
    text += ':' + std::to_string(line);
    if (column > 0) text += ':' + std::to_string(column);
  }
  return text;
}

std::string Diagnostic::str() const {
  const std::string place = where.str();
  return place.empty() ? message : place + ": " + message;
}

ConfigError::ConfigError(std::vector<Diagnostic> diagnostics)
    : Error(join_diagnostics(diagnostics)), diagnostics_(std::move(diagnostics)) {}

ConfigError::ConfigError(const std::string& message)
    : Error(message), diagnostics_{Diagnostic{{}, message}} {}

}  // namespace oi
