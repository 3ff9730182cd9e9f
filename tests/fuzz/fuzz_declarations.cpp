// libFuzzer target for risk.declaration's declaration reader (docs/integration.md): the
// input's first byte picks CSV ('c') or JSON lines (anything else), the rest is the file.
// import_new() must store the good lines and return one "file:line: what" per bad one, or
// throw oi::Error for a CSV file without a usable header; afterwards the store must still
// answer look-ups. A crash, a sanitizer report or another exception is a finding.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "declaration_store.hpp"
#include "fuzz_files.hpp"
#include "oi/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return -1;
  const bool csv = data[0] == 'c';
  const auto file = oi::fuzz::scratch() / (csv ? "declarations.csv" : "declarations.jsonl");
  oi::fuzz::write_file(file, std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  try {
    oi::risk::DeclarationStore store(":memory:", "scan_id");
    try {
      for (const std::string& problem : store.import_new(file, true)) {
        if (problem.rfind(file.string() + ":", 0) != 0)
          oi::fuzz::fail("a problem that does not name file:line");
      }
    } catch (const oi::Error& e) {
      oi::fuzz::expect_message(e.what(), "oi::Error without a message");
    }
    // The store stays usable after any input, the refused ones included.
    const std::uint64_t stored = store.size();
    for (const char* key : {"1", "2", "scan-1", ""}) {
      if (const auto d = store.find(key); d && d->key != key) oi::fuzz::fail("find() returned another key");
    }
    if (store.size() != stored) oi::fuzz::fail("a look-up changed the store");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    oi::fuzz::fail("the declaration reader threw something other than oi::Error");
  }
  return 0;
}
