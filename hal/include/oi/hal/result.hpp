#pragma once
/// @file
/// The HAL's calls return oi::Result<T> (oi/result.hpp); this name stays for drivers that
/// include it.

#include "oi/result.hpp"

namespace oi::hal {
using oi::Result;
}  // namespace oi::hal
