// SHA-256 via OpenSSL EVP (libcrypto). See nn/sha256.h.
#include "nn/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/error.h"

namespace lockstep::nn {
namespace {

EVP_MD_CTX* as_ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

[[noreturn]] void evp_failed(const char* what) {
  throw InternalError(detail::concat("sha256: OpenSSL ", what, " failed"));
}

}  // namespace

Sha256::Sha256() {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr) evp_failed("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    evp_failed("EVP_DigestInit_ex");
  }
  ctx_ = ctx;
}

Sha256::~Sha256() { EVP_MD_CTX_free(as_ctx(ctx_)); }

Sha256::Sha256(Sha256&& other) noexcept : ctx_(other.ctx_) { other.ctx_ = nullptr; }

Sha256& Sha256::operator=(Sha256&& other) noexcept {
  if (this != &other) {
    EVP_MD_CTX_free(as_ctx(ctx_));
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
  }
  return *this;
}

Sha256& Sha256::update(const void* data, std::size_t n) {
  LS_CHECK(ctx_ != nullptr, InternalError, "sha256: update after finish (or on a moved-from hasher)");
  if (n != 0 && EVP_DigestUpdate(as_ctx(ctx_), data, n) != 1) evp_failed("EVP_DigestUpdate");
  return *this;
}

std::array<std::uint8_t, 32> Sha256::finish() {
  LS_CHECK(ctx_ != nullptr, InternalError, "sha256: finish called twice (or on a moved-from hasher)");
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  const int ok = EVP_DigestFinal_ex(as_ctx(ctx_), out.data(), &len);
  EVP_MD_CTX_free(as_ctx(ctx_));
  ctx_ = nullptr;
  if (ok != 1 || len != out.size()) evp_failed("EVP_DigestFinal_ex");
  return out;
}

std::string Sha256::finish_hex() { return to_hex(finish()); }

std::string to_hex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(64, '0');
  for (std::size_t i = 0; i < digest.size(); ++i) {
    s[2 * i] = kDigits[digest[i] >> 4];
    s[2 * i + 1] = kDigits[digest[i] & 0xF];
  }
  return s;
}

std::string sha256_hex(const void* data, std::size_t n) { return Sha256().update(data, n).finish_hex(); }

std::string sha256_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  LS_CHECK(f != nullptr, IoError, path, ": cannot open for SHA-256: ", std::strerror(errno));
  Sha256 h;
  std::vector<unsigned char> buf(1 << 20);
  std::uint64_t offset = 0;
  for (;;) {
    const std::size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    h.update(buf.data(), n);
    offset += n;
    if (n < buf.size()) {
      LS_CHECK(!std::ferror(f.get()), IoError, path, ": byte ", offset, ": read error while hashing: ",
               std::strerror(errno));
      break;
    }
  }
  return h.finish_hex();
}

}  // namespace lockstep::nn
