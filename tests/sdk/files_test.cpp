// Input-file checks and whole-or-nothing output files (oi/files.hpp).
#include "oi/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scratch.hpp"

namespace oi {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) { return oi::test::scratch_dir("oi-files", name); }

std::string read(const fs::path& file) { return oi::test::read_text(file); }

TEST(InputFileProblem, NamesWhatIsWrong) {
  const fs::path dir = scratch("input");
  std::ofstream(dir / "ok.json") << "{}";
  EXPECT_FALSE(input_file_problem(dir / "ok.json").has_value());
  EXPECT_EQ(input_file_problem(dir / "missing.json").value_or(""), "does not exist");
  EXPECT_EQ(input_file_problem(dir).value_or(""), "is a folder, not a file");
  fs::create_symlink(dir / "gone.json", dir / "dangling.json");
  EXPECT_NE(input_file_problem(dir / "dangling.json").value_or("").find("symbolic link"), std::string::npos);
}

TEST(WriteFileAtomically, WritesWholeAndLeavesNoTemporaryFile) {
  const fs::path dir = scratch("atomic");
  const std::string text(100000, 'x');
  ASSERT_TRUE(write_file_atomically(dir / "out.txt", text).is_ok());
  EXPECT_EQ(read(dir / "out.txt"), text);
  ASSERT_TRUE(write_file_atomically(dir / "out.txt", "replaced").is_ok());
  EXPECT_EQ(read(dir / "out.txt"), "replaced");
  EXPECT_FALSE(fs::exists(dir / "out.txt.partial"));
}

TEST(WriteFileAtomically, FailureNamesTheFileAndTheReasonAndLeavesNothing) {
  const fs::path dir = scratch("fail");
  fs::create_directories(dir / "taken" / "inside");  // a folder where the file should go
  Status s = write_file_atomically(dir / "taken", "data");
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find((dir / "taken").string()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("folder"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(dir / "taken.partial"));
  EXPECT_TRUE(fs::is_directory(dir / "taken" / "inside")) << "nothing of the user's is removed";

  s = write_file_atomically(dir / "no-such-folder" / "file.json", "data");
  ASSERT_TRUE(s.is_error());
  EXPECT_NE(s.message().find("does not exist"), std::string::npos) << s.message();
}

TEST(WriteFileAtomically, AdviceNamesAFullDisk) {
  // The end-to-end case (a run writing onto a full file system) is in tests/cli.
  EXPECT_NE(write_error_advice(ENOSPC).find("disk is full"), std::string::npos);
  EXPECT_NE(write_error_advice(EROFS).find("read-only"), std::string::npos);
}

}  // namespace
}  // namespace oi
