#include "oi/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace oi {

namespace fs = std::filesystem;

std::string read_error_advice(int error_number) {
  switch (error_number) {
    case EACCES:
    case EPERM:
      return "give the user running OpenInspect read permission on it and search (x) permission on every "
             "folder above it, or run as a user who may read it";
    case ENOENT:
      return "check the path";
    case ELOOP:
      return "a symbolic link on its path loops";
    case ENAMETOOLONG:
      return "the path is too long";
    default:
      return "check the file and the disk";
  }
}

std::optional<std::string> input_file_problem(const fs::path& file) {
  std::error_code error;
  const fs::file_status status = fs::status(file, error);
  if (status.type() == fs::file_type::not_found) {
    if (fs::is_symlink(file, error)) return "is a symbolic link to a file that does not exist";
    return "does not exist";
  }
  // A folder above it that this user may not enter: the file may well exist.
  if (error) return "cannot be read: " + error.message() + ": " + read_error_advice(error.value());
  if (status.type() == fs::file_type::directory) return "is a folder, not a file";
  if (status.type() != fs::file_type::regular) return "is not a regular file";
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error_number = errno;
    return std::string("cannot be read: ") + std::strerror(error_number) + ": " +
           read_error_advice(error_number);
  }
  ::close(fd);
  return std::nullopt;
}

bool is_unreadable(const std::string& problem) { return problem.rfind("cannot be read: ", 0) == 0; }

std::string write_error_advice(int error_number) {
  switch (error_number) {
    case ENOSPC:
    case EDQUOT:
      return "the disk is full; free space or choose another output folder";
    case EFBIG:
      return "the file is larger than this file system or process allows";
    case EACCES:
    case EPERM:
      return "choose an output folder you may write to";
    case EROFS:
      return "the file system is read-only; choose another output folder";
    case ENOENT:
      return "the output folder does not exist (was it removed during the run?)";
    case ENOTDIR:
      return "part of the path is a file, not a folder; choose another output folder";
    case EISDIR:
      return "a folder stands where the file should go; remove it or choose another output folder";
    default:
      return "check the output folder and the disk";
  }
}

namespace {

Status failure(const fs::path& file, int error_number) {
  return Status::error("cannot write " + file.string() + ": " + std::strerror(error_number) + ": " +
                       write_error_advice(error_number));
}

}  // namespace

Status write_file_atomically(const fs::path& file, std::string_view bytes) {
  const fs::path partial = file.string() + ".partial";
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    // Name the destination; where the folder itself is the problem, say so.
    return failure(file, errno);
  }
  const char* at = bytes.data();
  std::size_t left = bytes.size();
  int error_number = 0;
  while (left > 0) {
    const ssize_t wrote = ::write(fd, at, left);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      error_number = errno;
      break;
    }
    at += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
  // close() reports delayed write errors on some file systems (NFS, quotas).
  if (::close(fd) != 0 && error_number == 0) error_number = errno;
  if (error_number == 0 && ::rename(partial.c_str(), file.c_str()) != 0) error_number = errno;
  if (error_number != 0) {
    ::unlink(partial.c_str());
    return failure(file, error_number);
  }
  return Status::ok();
}

std::optional<std::string> make_output_folder(const fs::path& folder) {
  if (folder.empty()) return std::nullopt;  // the working folder
  std::error_code error;
  fs::create_directories(folder, error);
  if (!error && fs::is_directory(folder, error)) return std::nullopt;
  const int error_number = error ? error.value() : ENOTDIR;
  return "cannot create " + folder.string() + ": " + std::strerror(error_number) + ": " +
         write_error_advice(error_number);
}

}  // namespace oi
