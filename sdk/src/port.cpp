#include "oi/port.hpp"

#include <algorithm>

namespace oi {

PortType PortType::of(std::string_view kind, std::vector<PixelFormat> formats) {
  PortType type;
  type.kind = std::string(kind);
  type.formats = std::move(formats);
  return type;
}

bool PortType::accepts(const PortType& produced) const {
  const bool kind_ok = kind == frame_kind::kAny || produced.kind == frame_kind::kAny || kind == produced.kind;
  if (!kind_ok) return false;
  if (formats.empty() || produced.formats.empty()) return true;
  return std::any_of(produced.formats.begin(), produced.formats.end(), [&](PixelFormat f) {
    return std::find(formats.begin(), formats.end(), f) != formats.end();
  });
}

std::string PortType::str() const {
  std::string text = kind;
  if (!formats.empty()) {
    text += '<';
    for (std::size_t i = 0; i < formats.size(); ++i) {
      if (i > 0) text += '|';
      text += to_string(formats[i]);
    }
    text += '>';
  }
  return text;
}

}  // namespace oi
