// The X-ray material discrimination plugin: xray.materials (Vulkan kernel, CPU fallback).
#include "oi/plugin.hpp"

OI_PLUGIN("oi-stages-xray-materials", "0.1.0", "Apache-2.0")
