// IDX files (LeCun's MNIST format, docs/sources.md#mnist-data): unsigned-byte images and
// labels, plain or gzip-compressed (detected by the 1f 8b magic, not the file name), and
// the four-file MNIST directory layout that MNIST, Fashion-MNIST and our data/mnist share.
// Every check failure is an IoError naming the file, the byte offset (in the decompressed
// stream for .gz) and expected vs found. Nothing here converts to float or batches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace lockstep::nn {

/// Images of an idx3-ubyte file, row-major: pixel (i, r, c) is pixels[(i*rows + r)*cols + c].
struct IdxImages {
  std::vector<std::uint8_t> pixels;
  std::int64_t count = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
};

/// `auto im = read_idx_images("data/mnist/train-images-idx3-ubyte");` (or a .gz file)
IdxImages read_idx_images(const std::string& path);

/// `auto y = read_idx_labels("data/mnist/train-labels-idx1-ubyte.gz");` any byte value is accepted.
std::vector<std::uint8_t> read_idx_labels(const std::string& path);

/// One split of an MNIST-layout directory; `images_path`/`labels_path` are absolute.
struct MnistSplit {
  std::vector<std::uint8_t> images;  // count*rows*cols bytes, as IdxImages::pixels
  std::vector<std::uint8_t> labels;  // count bytes, each < kMnistClasses
  std::int64_t count = 0;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::string images_path;
  std::string labels_path;
};

struct MnistDataset {
  MnistSplit train;
  MnistSplit test;
  std::string dir;  // absolute
};
using Dataset = MnistDataset;

inline constexpr int kMnistClasses = 10;
inline constexpr const char* kMnistTrainImages = "train-images-idx3-ubyte";
inline constexpr const char* kMnistTrainLabels = "train-labels-idx1-ubyte";
inline constexpr const char* kMnistTestImages = "t10k-images-idx3-ubyte";
inline constexpr const char* kMnistTestLabels = "t10k-labels-idx1-ubyte";
/// Where Debian's dataset-fashion-mnist installs its four .gz files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// Path of `name` or `name.gz` in `dir` (the plain file wins if both exist); IoError lists both tries.
std::string find_mnist_file(const std::string& dir, const std::string& name);

/// Loads the four standard files from `dir`, each plain or .gz; checks image and label counts
/// agree, labels are < 10 and both splits share one image size:
/// `auto ds = load_mnist_dir("data/mnist"); ds.train.count == 8004`.
MnistDataset load_mnist_dir(const std::string& dir);

}  // namespace lockstep::nn
