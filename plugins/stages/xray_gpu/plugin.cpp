// The X-ray GPU stage family: per-pixel dual-energy stages on Vulkan, each with a CPU
// reference implementation used when there is no Vulkan device.
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-xray-gpu", "0.1.0", "Apache-2.0")
