#pragma once
/// @file
/// Device URIs: the one parser every driver uses for the `uri` a pipeline gives a device.
///
/// @code
/// // on_configure(): "acme://SIM-0001" -> "SIM-0001"; anything else is a clear error.
/// oi::Result<std::string> serial = oi::hal::Uri::target_of(uri, "acme", "'acme://SERIAL', e.g.
/// 'acme://SIM-0001'"); if (!serial.ok()) return serial.status();
/// @endcode

#include <string>
#include <string_view>

#include "oi/result.hpp"

namespace oi::hal {

/// `scheme://[user[:password]@]host[:port][/path]`, or a bare path without a scheme.
struct Uri {
  std::string text;      ///< the URI as given
  std::string scheme;    ///< lower case, without "://"; empty for a bare path
  std::string rest;      ///< everything after "://" (the whole text for a bare path)
  std::string userinfo;  ///< "user" or "user:password" before '@'; empty when none
  std::string host;      ///< host[:port] between "://" (or '@') and the first '/'
  std::string path;      ///< from the first '/' after the host (for a bare path: the text)

  /// Splits `text`; never fails (a text without "://" is a bare path).
  static Uri parse(std::string_view text);

  /// What follows `scheme://` in `uri`, for drivers whose URIs name one unit, file or
  /// stream after the scheme. An empty `uri` gives `fallback` when there is one. Another
  /// scheme, or nothing after the scheme (unless `allow_empty`), is an error: "unsupported
  /// URI 'URI': the driver opens ACCEPTED" (the password redacted).
  static Result<std::string> target_of(std::string_view uri, std::string_view scheme,
                                       std::string_view accepted, std::string_view fallback = {},
                                       bool allow_empty = false);

  /// The URI with the password replaced by `***` (user:secret@host -> user:***@host), for
  /// messages and logs.
  std::string redacted() const;
  /// The URI without user and password at all.
  std::string without_credentials() const;
};

}  // namespace oi::hal
