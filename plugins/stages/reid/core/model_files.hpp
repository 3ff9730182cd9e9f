#pragma once
/// @file
/// Where the re-identification model shipped with OpenInspect lives, and the identifier that
/// ties embeddings (and watchlist entries) to the model that made them.

#include <filesystem>
#include <string>

namespace oi::reid {

/// The shipped model, `openinspect/models/reid_lomo_xqda.oirm` beside the SDK library
/// (libopeninspect_sdk.so; the build tree mirrors the install layout), found the same way from
/// a plugin, a tool or a test. The file may not exist (an SDK built without it).
std::filesystem::path shipped_model_path();

/// "<file name>#<first 16 hex digits of the file's SHA-256>": the same for the same model
/// bytes wherever the file lies. @throws oi::ConfigError when the file cannot be read.
std::string reid_model_id(const std::filesystem::path& model);

}  // namespace oi::reid
