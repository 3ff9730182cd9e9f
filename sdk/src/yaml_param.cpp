#include "yaml_param.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

namespace oi {
namespace {

// yaml-cpp reports a plain scalar with the non-specific tag "?" and a quoted one with "!".
constexpr std::string_view kPlainTag = "?";
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";

bool is_plain(const YAML::Node& node) { return node.Tag() == kPlainTag; }

bool is_one_of(std::string_view text, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (text == w) return true;
  }
  return false;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    base = text[1] == 'x' ? 16 : 8;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  // Parse the magnitude unsigned so that INT64_MIN is representable.
  std::uint64_t magnitude = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, magnitude, base);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > kMax + 1) return std::nullopt;
    return magnitude == kMax + 1 ? std::numeric_limits<std::int64_t>::min()
                                 : -static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > kMax) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

std::optional<double> parse_float(std::string_view text) {
  std::string_view body = text;
  double sign = 1.0;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    sign = body[0] == '-' ? -1.0 : 1.0;
    body.remove_prefix(1);
  }
  if (is_one_of(body, {".inf", ".Inf", ".INF"})) return sign * std::numeric_limits<double>::infinity();
  if (text == body && is_one_of(body, {".nan", ".NaN", ".NAN"})) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // from_chars also reads "inf", "nan" and hex floats; YAML numbers are decimal digits with
  // an optional point and exponent, so require a digit and nothing else exotic.
  bool digit = false;
  for (char c : body) {
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c != '.' && c != 'e' && c != 'E' && c != '-' && c != '+') {
      return std::nullopt;
    }
  }
  if (!digit || body.empty() || body[0] == 'e' || body[0] == 'E') return std::nullopt;
  double value = 0;
  const char* end = body.data() + body.size();
  auto [ptr, ec] = std::from_chars(body.data(), end, value, std::chars_format::general);
  // Out-of-range text (1e999) is still a number; report it as infinite rather than as text.
  if (ec == std::errc::result_out_of_range && ptr == end) {
    return sign * std::numeric_limits<double>::infinity();
  }
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return sign * value;
}

std::string resolve_path(const std::string& text, const std::filesystem::path& base_dir) {
  if (text.empty()) return text;
  std::filesystem::path path(text);
  if (path.is_absolute()) return path.lexically_normal().string();
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(base_dir, ec);
  if (ec) base = base_dir;
  return (base / path).lexically_normal().string();
}

bool is_text_type(ParamType type) {
  return type == ParamType::kString || type == ParamType::kEnum || type == ParamType::kPath;
}

// The element declaration of a list: same constraints, element type.
ParamSpec element_spec(const ParamSpec& list) {
  ParamSpec element(list.name(), list.element_type());
  if (list.min_value()) element.min(*list.min_value());
  if (list.max_value()) element.max(*list.max_value());
  element.allowed(list.allowed_values());
  element.unit(list.unit());
  return element;
}

// A float parameter takes integers too; stored as float so get<double>() always works.
ParamValue coerce(const ParamValue& value, ParamType type) {
  if (type == ParamType::kFloat && value.is_number_integer()) return value.get<double>();
  return value;
}

// The YAML 1.2 core schema reading of a plain scalar.
std::optional<ParamValue> plain_value(const std::string& text) {
  if (!is_valid_utf8(text)) return std::nullopt;
  if (is_one_of(text, {"", "~", "null", "Null", "NULL"})) return ParamValue(nullptr);
  if (is_one_of(text, {"true", "True", "TRUE"})) return ParamValue(true);
  if (is_one_of(text, {"false", "False", "FALSE"})) return ParamValue(false);
  if (auto i = parse_int(text)) return ParamValue(*i);
  if (auto f = parse_float(text)) return ParamValue(*f);
  return ParamValue(text);
}

// Reads one scalar (or non-scalar, which is always wrong here) as `type`.
ParamConversion convert_scalar(const YAML::Node& node, const ParamSpec& spec,
                               const std::filesystem::path& base_dir) {
  ParamConversion out;
  const ParamType type = spec.type();
  if (node.IsMap() || node.IsSequence()) {
    out.problem =
        "expects " + spec.type_description() + ", got " + std::string(node.IsMap() ? "a map" : "a list");
    return out;
  }
  std::optional<ParamValue> natural = scalar_value(node);
  if (!natural) {
    out.problem = "expects " + spec.type_description() + ", got text that is not valid UTF-8";
    return out;
  }
  ParamValue value = *natural;
  if (is_text_type(type) && node.IsScalar()) {
    value = node.Scalar();
    if (type == ParamType::kPath) value = resolve_path(node.Scalar(), base_dir);
  } else {
    value = coerce(value, type);
  }
  if (auto problem = spec.check(value)) {
    out.problem = *problem;
    // A quoted number is a string by YAML's rules; say how to write it instead.
    if (node.IsScalar() && !is_plain(node) && !is_text_type(type)) {
      if (auto plain = plain_value(node.Scalar()); plain && !spec.check(coerce(*plain, type))) {
        out.problem += " (quoted values are strings; write it without quotes)";
      }
    }
    return out;
  }
  out.value = std::move(value);
  return out;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (text.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::optional<ParamValue> scalar_value(const YAML::Node& scalar) {
  if (scalar.IsNull()) return ParamValue(nullptr);
  if (!scalar.IsScalar()) return std::nullopt;
  const std::string& text = scalar.Scalar();
  if (scalar.Tag() == "!" || scalar.Tag() == kStrTag) {
    if (!is_valid_utf8(text)) return std::nullopt;
    return ParamValue(text);
  }
  // Plain, or another explicit tag (!!int, !!float, ...), which reads like plain.
  return plain_value(text);
}

ParamConversion convert_param(const YAML::Node& node, const ParamSpec& spec,
                              const std::filesystem::path& base_dir) {
  if (spec.type() != ParamType::kList) return convert_scalar(node, spec, base_dir);
  ParamConversion out;
  if (!node.IsSequence()) {
    if (node.IsMap()) {
      out.problem = "expects " + spec.type_description() + ", got a map";
    } else if (auto natural = scalar_value(node)) {
      out.problem = "expects " + spec.type_description() + ", got " + natural->dump() +
                    " (write a list as [a, b] or one '- item' per line)";
    } else {
      out.problem = "expects " + spec.type_description() + ", got text that is not valid UTF-8";
    }
    return out;
  }
  const ParamSpec element = element_spec(spec);
  ParamValue list = ParamValue::array();
  std::size_t index = 0;
  for (auto it = node.begin(); it != node.end(); ++it, ++index) {
    ParamConversion item = convert_scalar(*it, element, base_dir);
    if (!item.value) {
      out.problem = "element " + std::to_string(index) + ": " + item.problem;
      out.where = it->Mark();
      return out;
    }
    list.push_back(std::move(*item.value));
  }
  if (auto problem = spec.check(list)) {
    out.problem = *problem;
    return out;
  }
  out.value = std::move(list);
  return out;
}

ParamValue resolve_paths(const ParamSpec& spec, ParamValue value, const std::filesystem::path& base_dir) {
  if (spec.type() == ParamType::kPath && value.is_string()) {
    return resolve_path(value.get<std::string>(), base_dir);
  }
  if (spec.type() == ParamType::kList && spec.element_type() == ParamType::kPath && value.is_array()) {
    for (ParamValue& element : value) {
      if (element.is_string()) element = resolve_path(element.get<std::string>(), base_dir);
    }
  }
  return value;
}

}  // namespace oi
