#pragma once
/// @file
/// Files a stage, driver or tool reads as input or writes as output, checked and written the
/// same way everywhere: an input file that is missing, a folder or unreadable gets one clear
/// reason; an output file is either whole or absent, and a failed write says why (a full disk
/// is called a full disk).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "oi/error.hpp"

namespace oi {

/// Why `file` cannot be read as an input file: "does not exist", "is a folder, not a file",
/// "cannot be read: Permission denied: give the user running OpenInspect read permission on
/// it ...", ...; nullopt when it is a readable regular file. A file this user may not read
/// (its mode, or a folder above it that may not be entered) is never called missing.
std::optional<std::string> input_file_problem(const std::filesystem::path& file);

/// Whether a problem input_file_problem() gave is that the file exists but may not be read
/// ("cannot be read: ..."): advice to create or rewrite the file does not apply then.
bool is_unreadable(const std::string& problem);

/// The advice for an input file that open() refused with `error_number`, e.g. for EACCES
/// "give the user running OpenInspect read permission on it and search (x) permission on every
/// folder above it, ...".
std::string read_error_advice(int error_number);

/// Writes `bytes` to `file` whole or not at all: into `FILE.partial` beside it first, then
/// renamed over `file`, so a reader, or a run killed in the middle, never sees half a file.
/// The error names the file and the system's reason with what to do, e.g. "cannot write
/// /out/scan_000001.png: No space left on device: the disk is full; free space or choose
/// another output folder". Nothing is left behind on failure.
Status write_file_atomically(const std::filesystem::path& file, std::string_view bytes);

/// The advice write_file_atomically() gives for a failed write's errno: what to do about it.
std::string write_error_advice(int error_number);
/// Creates `folder` and its parents where missing, for output. Returns nullopt when it is (now)
/// a folder, else why not, with what to do: "cannot create /out/a-file/scans: Not a directory:
/// part of the path is a file, not a folder; choose another output folder".
std::optional<std::string> make_output_folder(const std::filesystem::path& folder);

}  // namespace oi
