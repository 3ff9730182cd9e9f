#pragma once
// HTML escaping for the summary pages that sinks write (sink.summary, sink.cctv_summary).

#include <string>
#include <string_view>

namespace oi::html {

/// `text` with &, <, > and " replaced by their entities: safe inside elements and quoted
/// attributes.
inline std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace oi::html
