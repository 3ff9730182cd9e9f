// `oi gpu`: which Vulkan devices the runtime sees, what they can do, and which one GPU stages
// run on and why. Listing never fails: without a Vulkan driver it says so and exits 0, since
// stages with a CPU implementation still run.
#include <fmt/format.h>

#include <cstdint>
#include <string>

#include "commands.hpp"
#include "oi/gpu/runtime.hpp"
#include "terminal.hpp"

namespace oi::cli {
namespace {

std::string bytes_text(std::uint64_t bytes) {
  const double gib = static_cast<double>(bytes) / (1024.0 * 1024.0 * 1024.0);
  if (gib >= 1.0) return fmt::format("{:.1f} GiB", gib);
  return fmt::format("{} MiB", bytes / (1024 * 1024));
}

void print_device(const gpu::DeviceInfo& d, bool selected) {
  fmt::print("{} {}: {} ({})\n", selected ? "*" : " ", d.index, d.name, gpu::to_string(d.type));
  fmt::print("    driver:        {} {} (Vulkan {})\n", d.driver_name, d.driver_info, d.api_version);
  for (std::size_t h = 0; h < d.memory_heaps.size(); ++h) {
    const gpu::MemoryHeapInfo& heap = d.memory_heaps[h];
    std::string flags = heap.device_local ? "device-local" : "host";
    if (heap.host_visible) flags += ", host-visible";
    fmt::print("    memory heap {}: {} ({})\n", h, bytes_text(heap.size_bytes), flags);
  }
  fmt::print("    workgroup:     at most {}x{}x{}, {} invocations; {} KiB shared memory\n",
             d.max_workgroup_size[0], d.max_workgroup_size[1], d.max_workgroup_size[2],
             d.max_workgroup_invocations, d.max_shared_memory_bytes / 1024);
  fmt::print("    planes:        {}; 16-bit storage {}, 8-bit storage {}\n",
             d.unified_memory ? "used in place (unified memory)" : "staged through host memory",
             d.storage_16bit ? "yes" : "no", d.storage_8bit ? "yes" : "no");
  if (!d.usable()) {
    fmt::print("    not usable:    {}\n",
               !d.has_compute_queue ? "no compute queue" : "Vulkan 1.1 is required");
  }
}

}  // namespace

int list_gpus(bool json) {
  const gpu::DeviceListing listing = gpu::list_devices();
  if (json) {
    fmt::print("{}\n", json_text(listing.to_json(), 2));
    return kExitOk;
  }
  if (listing.devices.empty()) {
    const bool says_it = listing.reason.rfind("no Vulkan device", 0) == 0;
    fmt::print("{}{}\n", says_it ? "" : "no Vulkan device: ", listing.reason);
    fmt::print("GPU stages with a CPU implementation run on the CPU; gpu.shader stages cannot run.\n");
    return kExitOk;
  }
  for (const gpu::DeviceInfo& d : listing.devices) print_device(d, listing.selected == d.index);
  if (listing.selected) {
    fmt::print("selected: {} ({}): {}\n", *listing.selected, listing.devices[*listing.selected].name,
               listing.reason);
  } else {
    fmt::print("selected: none: {}\n", listing.reason);
  }
  fmt::print("override with OI_VK_DEVICE=<index or part of the name>\n");
  return kExitOk;
}

}  // namespace oi::cli
