#pragma once
/// @file
/// The whole Vulkan compute runtime in one include: runtime (instance, default device,
/// listing, validation), Device, Buffer, GpuPlaneMemory, shader compilation, Kernel and
/// CommandRecorder, StageBackend (the GPU side of a stage) and PixelStage (the base class of
/// per-pixel GPU stages). Link
/// OpenInspect::gpu. See docs/gpu-runtime.md and docs/writing-a-gpu-stage.md.

#include "oi/gpu/backend.hpp"           // IWYU pragma: export
#include "oi/gpu/buffer.hpp"            // IWYU pragma: export
#include "oi/gpu/command_recorder.hpp"  // IWYU pragma: export
#include "oi/gpu/device.hpp"            // IWYU pragma: export
#include "oi/gpu/device_info.hpp"       // IWYU pragma: export
#include "oi/gpu/disk_cache.hpp"        // IWYU pragma: export
#include "oi/gpu/kernel.hpp"            // IWYU pragma: export
#include "oi/gpu/pixel_stage.hpp"       // IWYU pragma: export
#include "oi/gpu/plane_memory.hpp"      // IWYU pragma: export
#include "oi/gpu/runtime.hpp"           // IWYU pragma: export
#include "oi/gpu/shader_compiler.hpp"   // IWYU pragma: export
#include "oi/gpu/stage_backend.hpp"     // IWYU pragma: export
