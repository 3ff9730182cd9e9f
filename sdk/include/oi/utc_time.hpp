#pragma once
/// @file
/// Timestamps as reports, events and logs write them: UTC, ISO 8601, with milliseconds.

#include <cstdint>
#include <string>

namespace oi {

/// `2023-11-14T22:13:20.123Z` for `ns` nanoseconds since the Unix epoch.
std::string iso8601_utc_ms(std::int64_t ns);

/// iso8601_utc_ms() of the current system time.
std::string iso8601_utc_ms_now();

}  // namespace oi
