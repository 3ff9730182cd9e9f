// libFuzzer target for the replay driver's recording reader (docs/recording.md): the input is
// session.json, index.jsonl and frames.bin, separated by lines "=====". open_recording() must
// return a recording or an error with a message, and reading every indexed frame (with its
// SHA-256 checked) likewise; a crash, a hang, a sanitizer report, an allocation beyond the
// limit or an exception is a finding.

#include <cstddef>
#include <cstdint>
#include <exception>

#include "fuzz_files.hpp"
#include "recording_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = oi::fuzz::split_parts(data, size, 3);
  const auto dir = oi::fuzz::fresh_dir("recording");
  oi::fuzz::write_file(dir / "session.json", parts[0]);
  if (parts.size() > 1) oi::fuzz::write_file(dir / "index.jsonl", parts[1]);
  if (parts.size() > 2) oi::fuzz::write_file(dir / "frames.bin", parts[2]);

  try {
    const auto recording = oi::replay::open_recording(dir);
    if (!recording) {
      oi::fuzz::expect_message(recording.status().message(), "open_recording failed without a message");
      return 0;
    }
    oi::replay::FrameReader reader;
    const oi::Status opened = reader.open(recording.value());
    if (opened.is_error()) {
      oi::fuzz::expect_message(opened.message(), "FrameReader::open failed without a message");
      return 0;
    }
    for (const auto& entry : recording.value().frames) {
      const auto frame = reader.read(entry, true);
      if (!frame)
        oi::fuzz::expect_message(frame.status().message(), "FrameReader::read failed without a message");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    oi::fuzz::fail("the recording reader threw instead of returning an error");
  }
  return 0;
}
