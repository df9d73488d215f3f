// SHA-256 (FIPS 180-4) through OpenSSL's EVP API: file and buffer digests for dataset
// checks, run manifests and weight fingerprints. The digest itself is OpenSSL's; this file
// only wraps it with lockstep errors and lowercase hex output (the `sha256sum` format).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lockstep::nn {

/// Incremental hasher: `Sha256 h; h.update(p, n); h.update(q, m); std::string hex = h.finish_hex();`
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& update(const void* data, std::size_t n);
  Sha256& update(std::string_view s) { return update(s.data(), s.size()); }
  // Finalises; a second finish or a later update throws InternalError.
  std::array<std::uint8_t, 32> finish();
  std::string finish_hex();

 private:
  void* ctx_ = nullptr;  // EVP_MD_CTX*, kept opaque so no OpenSSL header leaks out
};

/// Lowercase hex digest of a buffer: `sha256_hex("abc", 3)` == "ba7816bf...f20015ad".
std::string sha256_hex(const void* data, std::size_t n);

/// Lowercase hex digest of a file's raw bytes (as `sha256sum` prints); IoError names the path.
std::string sha256_file(const std::string& path);

/// 32 bytes to 64 lowercase hex digits.
std::string to_hex(const std::array<std::uint8_t, 32>& digest);

}  // namespace lockstep::nn
