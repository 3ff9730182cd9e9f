#include "oi/utc_time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace oi {

std::string iso8601_utc_ms(std::int64_t ns) {
  const std::time_t s = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>((ns / 1000000) % 1000));
  return text;
}

std::string iso8601_utc_ms_now() {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return iso8601_utc_ms(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

}  // namespace oi
