// A tiny MNIST-layout directory for in-process tests of the training driver and the study:
// the four IDX files, 28x28 images from an integer hash, labels cycling 0..9. Small enough
// that a few training steps take milliseconds; different `salt`s give different images.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "reference/data.h"

namespace lockstep::test {

inline void write_idx(const std::string& path, const std::vector<std::uint32_t>& header,
                      const std::vector<std::uint8_t>& body) {
  std::ofstream out(path, std::ios::binary);
  for (std::uint32_t v : header)
    for (int shift = 24; shift >= 0; shift -= 8) out.put(static_cast<char>((v >> shift) & 0xff));
  out.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
}

inline void write_tiny_split(const std::string& dir, const char* images, const char* labels, std::uint32_t count,
                             std::uint64_t salt) {
  std::vector<std::uint8_t> pixels(static_cast<size_t>(count) * 28 * 28), ys(count);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<std::uint8_t>(mix64(salt * 1000003 + i) & 0xff);
  for (std::uint32_t i = 0; i < count; ++i) ys[i] = static_cast<std::uint8_t>(i % 10);
  write_idx(dir + "/" + images, {0x00000803u, count, 28, 28}, pixels);
  write_idx(dir + "/" + labels, {0x00000801u, count}, ys);
}

// A fresh directory under the system temp dir, removed by the destructor.
class TinyMnistDir {
 public:
  explicit TinyMnistDir(const std::string& tag, std::uint64_t salt = 1, std::uint32_t train = 96,
                        std::uint32_t test = 20)
      : dir_((std::filesystem::temp_directory_path() /
              ("lockstep_tiny_" + tag + "_" + std::to_string(::getpid())))
                 .string()) {
    std::filesystem::create_directories(dir_);
    write_tiny_split(dir_, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", train, salt);
    write_tiny_split(dir_, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", test, salt + 7);
  }
  ~TinyMnistDir() { std::filesystem::remove_all(dir_); }
  TinyMnistDir(const TinyMnistDir&) = delete;
  TinyMnistDir& operator=(const TinyMnistDir&) = delete;
  const std::string& path() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace lockstep::test
