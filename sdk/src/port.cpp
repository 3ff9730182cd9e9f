#include "oi/port.hpp"

#include <algorithm>

namespace oi {

PortType PortType::of(std::string_view kind, std::vector<PixelFormat> formats) {
  PortType type;
  type.kind = std::string(kind);
  type.formats = std::move(formats);
  return type;
}

PortType PortType::of_kinds(std::initializer_list<std::string_view> kinds, std::vector<PixelFormat> formats) {
  PortType type = of("", std::move(formats));
  for (std::string_view k : kinds) type.kind += (type.kind.empty() ? "" : "|") + std::string(k);
  return type;
}

namespace {

// The kinds of a PortType::kind ("KIND" or "KIND|KIND|...").
std::vector<std::string_view> kinds_of(std::string_view kind) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t bar = kind.find('|', start);
    out.push_back(kind.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (bar == std::string_view::npos) return out;
    start = bar + 1;
  }
}

}  // namespace

bool PortType::accepts(const PortType& produced) const {
  bool kind_ok = kind == frame_kind::kAny || produced.kind == frame_kind::kAny || kind == produced.kind;
  if (!kind_ok) {
    const std::vector<std::string_view> mine = kinds_of(kind);
    for (std::string_view k : kinds_of(produced.kind))
      kind_ok = kind_ok || std::find(mine.begin(), mine.end(), k) != mine.end();
  }
  if (!kind_ok) return false;
  if (formats.empty() || produced.formats.empty()) return true;
  return std::any_of(produced.formats.begin(), produced.formats.end(), [&](PixelFormat f) {
    return std::find(formats.begin(), formats.end(), f) != formats.end();
  });
}

PortType PortType::narrowed_to(const PortType& produced) const {
  PortType out;
  if (kind == frame_kind::kAny) {
    out.kind = produced.kind;
  } else if (produced.kind == frame_kind::kAny) {
    out.kind = kind;
  } else {
    const std::vector<std::string_view> mine = kinds_of(kind);
    out.kind.clear();
    for (std::string_view k : kinds_of(produced.kind)) {
      if (std::find(mine.begin(), mine.end(), k) != mine.end())
        out.kind += (out.kind.empty() ? "" : "|") + std::string(k);
    }
  }
  if (formats.empty() || produced.formats.empty()) {
    out.formats = formats.empty() ? produced.formats : formats;
  } else {
    for (PixelFormat f : produced.formats)
      if (std::find(formats.begin(), formats.end(), f) != formats.end()) out.formats.push_back(f);
  }
  return out;
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
