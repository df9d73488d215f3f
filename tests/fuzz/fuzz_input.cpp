#include "tests/fuzz/fuzz_input.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>

namespace lockstep::fuzz {

const std::string& write_input(const char* tag, const std::uint8_t* data, std::size_t size) {
  static std::map<std::string, std::string> paths;
  std::string& path = paths[tag];
  if (path.empty())
    path = (std::filesystem::temp_directory_path() /
            ("lockstep-fuzz-" + std::to_string(::getpid()) + "-" + tag)).string();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("fuzz harness: cannot write " + path);
  const bool ok = size == 0 || std::fwrite(data, 1, size, f) == size;  // data may be null when size is 0
  if (std::fclose(f) != 0 || !ok) throw std::runtime_error("fuzz harness: cannot write " + path);
  return path;
}

std::string gzip(const std::uint8_t* data, std::size_t size) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer rather than zlib's.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("fuzz harness: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(size)) + 32, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("fuzz harness: deflate failed");
  return out;
}

}  // namespace lockstep::fuzz
