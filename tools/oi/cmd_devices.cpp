// `oi devices`: the devices every driver plugin can see now, each with the URI that opens it
// in a pipeline (`devices: {NAME: {driver: TYPE, uri: URI}}`). Listing opens nothing. A driver
// whose discovery fails is named on stderr and the others are still listed; the exit status is
// 0 unless the plugins themselves could not be read.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "oi/hal/device_registry.hpp"
#include "oi/plugin_registry.hpp"
#include "terminal.hpp"

namespace oi::cli {

int list_devices(bool json) {
  PluginRegistry registry;
  registry.load_default_locations();
  const hal::DeviceRegistry::Discovery found = hal::DeviceRegistry::instance().enumerate();
  for (const std::string& problem : found.problems) spdlog::warn("{}", problem);

  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const hal::DeviceInfo& d : found.devices) list.push_back(d.to_json());
    fmt::print("{}\n", json_text(list, 2));
    return kExitOk;
  }
  const std::vector<std::string> drivers = hal::DeviceRegistry::instance().types();
  if (found.devices.empty()) {
    fmt::print("no devices found by {} driver type(s){}\n", drivers.size(),
               drivers.empty() ? " (no HAL driver plugin was loaded; see `oi plugins`)" : "");
    return kExitOk;
  }
  std::size_t driver_w = 6, uri_w = 3;
  for (const hal::DeviceInfo& d : found.devices) {
    driver_w = std::max(driver_w, d.driver.size());
    uri_w = std::max(uri_w, d.uri.size());
  }
  fmt::print("{:<{}}  {:<{}}  {}\n", "DRIVER", driver_w, "URI", uri_w, "DEVICE");
  for (const hal::DeviceInfo& d : found.devices) {
    std::string what = d.vendor;
    if (!d.model.empty()) what += (what.empty() ? "" : " ") + d.model;
    if (!d.serial.empty()) what += " (serial " + d.serial + ")";
    if (!d.description.empty()) what += (what.empty() ? "" : " - ") + d.description;
    fmt::print("{:<{}}  {:<{}}  {}\n", d.driver, driver_w, d.uri, uri_w, what);
  }
  return kExitOk;
}

}  // namespace oi::cli
