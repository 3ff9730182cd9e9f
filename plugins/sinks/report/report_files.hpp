#pragma once
/// @file
/// File helpers shared by sink.report and sink.summary: output folder checks, names, writers
/// that turn every failure into a Status naming the file.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "evaluation.hpp"
#include "oi/error.hpp"
#include "oi/frame.hpp"

namespace oi::xray::report {

/// validate(): `dir` must be non-empty and, when it exists, a folder.
std::vector<std::string> validate_dir(const std::filesystem::path& dir);

/// start(): creates `dir`; without `overwrite`, throws oi::ConfigError when it already holds
/// files this sink writes (`what` names them in the message).
void prepare_dir(const std::filesystem::path& dir, bool overwrite, const std::string& what);

/// `scan_000042`, `scan_000042_2` for a scan id seen again (never over an earlier file).
std::string scan_stem(std::uint64_t scan_id, int repeat);

/// Writes a PNG (8-bit BGR or 16-bit grey); an error Status names the file.
Status write_png(const std::filesystem::path& file, const cv::Mat& image);

/// Writes pretty-printed JSON; an error Status names the file.
Status write_json(const std::filesystem::path& file, const nlohmann::json& j);

/// Writes text; an error Status names the file.
Status write_text(const std::filesystem::path& file, const std::string& text);

/// What both sinks do first with an incoming frame: a reference frame (attribute
/// `calibration`) sets `is_reference` and is not parsed; a scan's attributes are parsed into
/// `record`. A malformed attribute is an error naming the scan and the stage to fix.
Status read_incoming(const FrameMetadata& meta, eval::ScanRecord& record, bool& is_reference);

}  // namespace oi::xray::report
