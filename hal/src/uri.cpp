#include "oi/hal/uri.hpp"

#include <algorithm>
#include <cctype>

namespace oi::hal {

Uri Uri::parse(std::string_view text) {
  Uri uri;
  uri.text = std::string(text);
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    uri.rest = uri.text;
    uri.path = uri.text;
    return uri;
  }
  uri.scheme = std::string(text.substr(0, scheme_end));
  std::transform(uri.scheme.begin(), uri.scheme.end(), uri.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  uri.rest = std::string(text.substr(scheme_end + 3));
  const auto slash = uri.rest.find('/');
  std::string authority = uri.rest.substr(0, slash);
  uri.path = slash == std::string::npos ? std::string() : uri.rest.substr(slash);
  if (const auto at = authority.rfind('@'); at != std::string::npos) {
    uri.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  uri.host = authority;
  return uri;
}

Result<std::string> Uri::target_of(std::string_view uri, std::string_view scheme, std::string_view accepted,
                                   std::string_view fallback, bool allow_empty) {
  if (uri.empty() && !fallback.empty()) return std::string(fallback);
  const Uri parsed = parse(uri);
  if (parsed.scheme != scheme || (parsed.rest.empty() && !allow_empty)) {
    return Status::error("unsupported URI '" + parsed.redacted() + "': the driver opens " +
                         std::string(accepted));
  }
  return parsed.rest;
}

std::string Uri::redacted() const {
  const auto colon = userinfo.find(':');
  if (colon == std::string::npos) return text;
  return scheme + "://" + userinfo.substr(0, colon) + ":***@" + host + path;
}

std::string Uri::without_credentials() const {
  if (userinfo.empty()) return text;
  return scheme + "://" + host + path;
}

}  // namespace oi::hal
