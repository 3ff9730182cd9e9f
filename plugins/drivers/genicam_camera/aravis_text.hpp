#pragma once
// Small text helpers shared by the Aravis connection's source files (internal).

#include <sstream>
#include <string>

namespace oi::genicam {

/// `text` when it is set and not empty, else `fallback` (Aravis returns NULL for absent values).
inline std::string text_or(const char* text, const std::string& fallback) {
  return text != nullptr && *text != '\0' ? std::string(text) : fallback;
}

/// A number as a person writes it (10000, 0.5), for messages.
inline std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

}  // namespace oi::genicam
