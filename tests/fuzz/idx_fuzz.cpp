// Fuzzes the IDX reader (nn/idx.h) as `lockstep train --data` reaches it. The first input
// byte picks the case: bit 0 set reads labels (idx1), else images (idx3); bit 1 set gzips
// the remaining bytes first, so the fuzzer also explores what lies inside a valid .gz file
// (without it, gzip files are read as given: the reader detects 1f 8b itself).
// A lockstep::Error is the expected answer to a malformed file; anything else is a bug.
#include <cstring>
#include <string>

#include "core/error.h"
#include "nn/idx.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  ++data, --size;
  std::string packed;
  if (mode & 2) {
    packed = lockstep::fuzz::gzip(data, size);
    data = reinterpret_cast<const std::uint8_t*>(packed.data());
    size = packed.size();
  }
  const std::string& path = lockstep::fuzz::write_input("idx", data, size);
  try {
    if (mode & 1) {
      volatile std::size_t n = lockstep::nn::read_idx_labels(path).size();
      (void)n;
    } else {
      const lockstep::nn::IdxImages im = lockstep::nn::read_idx_images(path);
      // Every pixel the header promises must be there (ASan checks the reads).
      if (static_cast<std::int64_t>(im.pixels.size()) != im.count * im.rows * im.cols) __builtin_trap();
      unsigned sum = 0;
      for (std::uint8_t p : im.pixels) sum += p;
      volatile unsigned sink = sum;
      (void)sink;
    }
  } catch (const lockstep::Error&) {
  }
  return 0;
}
