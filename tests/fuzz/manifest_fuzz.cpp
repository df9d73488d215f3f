// Fuzzes the run manifest reader as `lockstep verify <manifest> --data <dir>` reaches it:
// run_verify parses the JSON, the recipe and the recorded fingerprints, then loads the data
// directory, which here does not exist, so a well-formed manifest ends in that IoError and
// no training runs. A lockstep::Error is the expected answer; anything else is a bug.
#include <string>

#include "core/error.h"
#include "tests/fuzz/fuzz_input.h"
#include "tools/lockstep/verify.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  lockstep::cli::VerifyOptions v;
  v.manifest = lockstep::fuzz::write_input("manifest.json", data, size);
  v.data = "/nonexistent/lockstep-fuzz-data";
  v.threads = 1;
  try {
    lockstep::cli::run_verify(v);
  } catch (const lockstep::Error&) {
  }
  return 0;
}
