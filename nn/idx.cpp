// IDX reader (see nn/idx.h). A ByteStream hides plain vs gzip input and counts offsets in
// the decompressed stream; the readers check the header before allocating anything, grow
// the body as bytes actually arrive, and insist on end of file right after the body (which
// for .gz also makes zlib verify the CRC-32 and length trailer).
#include "nn/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/error.h"

namespace lockstep::nn {
namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kImagesMagic = 0x00000803;  // ubyte (0x08), 3 dimensions
constexpr std::uint32_t kLabelsMagic = 0x00000801;  // ubyte (0x08), 1 dimension
// Why 2^31 - 1: no real IDX file is near it, it keeps every index in int64/int32 range, and
// it rejects garbage headers before any allocation.
constexpr std::uint64_t kMaxBytes = (std::uint64_t{1} << 31) - 1;
constexpr std::size_t kChunk = std::size_t{1} << 24;  // body grows 16 MiB at a time

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", v);
  return buf;
}

std::string describe_magic(std::uint32_t m) {
  if (m == kImagesMagic) return "images";
  if (m == kLabelsMagic) return "labels";
  if ((m >> 16) != 0) return "not an IDX file";
  const std::uint32_t type = (m >> 8) & 0xFF;
  const char* name = type == 0x08 ? "ubyte" : type == 0x09 ? "sbyte" : type == 0x0B ? "int16"
                   : type == 0x0C ? "int32" : type == 0x0D ? "float32" : type == 0x0E ? "float64" : nullptr;
  if (name == nullptr) return "not an IDX file";
  return detail::concat("IDX ", name, " with ", m & 0xFF, " dimensions");
}

// Sequential reader over a plain or gzip file. Offsets count decompressed bytes.
class ByteStream {
 public:
  explicit ByteStream(const std::string& path) : path_(path) {
    std::error_code ec;
    LS_CHECK(!fs::is_directory(path, ec), IoError, path, ": is a directory, expected an IDX file");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    LS_CHECK(f != nullptr, IoError, path, ": cannot open: ", std::strerror(errno));
    unsigned char sig[2] = {0, 0};
    const std::size_t n = std::fread(sig, 1, 2, f);
    gz_ = n == 2 && sig[0] == 0x1F && sig[1] == 0x8B;  // RFC 1952 ID1 ID2
    if (gz_) {
      std::fclose(f);
      gz_file_ = gzopen(path.c_str(), "rb");
      LS_CHECK(gz_file_ != nullptr, IoError, path, ": cannot open as gzip: ", std::strerror(errno));
      gzbuffer(gz_file_, 1 << 17);
    } else {
      file_ = f;
      const auto size = fs::file_size(path, ec);
      if (!ec) plain_size_ = size;
      std::rewind(file_);
    }
  }
  ~ByteStream() {
    if (file_ != nullptr) std::fclose(file_);
    if (gz_file_ != nullptr) gzclose(gz_file_);
  }
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // Reads up to n bytes; fewer only at end of stream. Throws on read errors and corrupt gzip.
  std::size_t read(void* dst, std::size_t n) {
    auto* p = static_cast<unsigned char*>(dst);
    std::size_t got = 0;
    while (got < n) {
      const std::size_t want = std::min<std::size_t>(n - got, kChunk);
      std::size_t r = 0;
      if (gz_) {
        const int g = gzread(gz_file_, p + got, static_cast<unsigned>(want));
        if (g < 0) gz_fail();
        r = static_cast<std::size_t>(g);
      } else {
        r = std::fread(p + got, 1, want, file_);
        LS_CHECK(!(r < want && std::ferror(file_)), IoError, where(offset_ + r), "read error: ",
                 std::strerror(errno));
      }
      got += r;
      offset_ += r;
      if (r < want) {
        if (gz_) check_gz_end();
        break;
      }
    }
    return got;
  }

  // "path: byte N: " (with "of the decompressed stream" for gzip input).
  std::string where(std::uint64_t offset) const {
    return detail::concat(path_, ": byte ", offset, gz_ ? " of the decompressed stream: " : ": ");
  }
  std::string at_byte(std::uint64_t offset) const {
    return detail::concat("byte ", offset, gz_ ? " of the decompressed stream" : "");
  }
  // Extra words for a truncation message: why a gzip stream ended.
  std::string end_reason() const { return gz_truncated_ ? " (the gzip stream itself is cut short)" : ""; }
  bool gz_truncated() const { return gz_truncated_; }
  std::uint64_t offset() const { return offset_; }
  const std::optional<std::uint64_t>& plain_size() const { return plain_size_; }
  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void gz_fail() const {
    int errnum = Z_OK;
    const char* msg = gzerror(gz_file_, &errnum);
    if (errnum == Z_ERRNO) msg = std::strerror(errno);
    throw IoError(detail::concat(where(offset_), "corrupt gzip stream: ", msg ? msg : "unknown zlib error"));
  }
  // A short gzread is either a clean end, a truncated stream (Z_BUF_ERROR) or corruption.
  void check_gz_end() {
    int errnum = Z_OK;
    gzerror(gz_file_, &errnum);
    if (errnum == Z_BUF_ERROR) {
      gz_truncated_ = true;
    } else if (errnum != Z_OK) {
      gz_fail();
    }
  }

  std::string path_;
  bool gz_ = false;
  bool gz_truncated_ = false;
  std::FILE* file_ = nullptr;
  gzFile gz_file_ = nullptr;
  std::optional<std::uint64_t> plain_size_;
  std::uint64_t offset_ = 0;
};

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

// Reads and checks the magic, then the `ndims` big-endian dimensions that follow it.
std::vector<std::uint64_t> read_header(ByteStream& in, std::uint32_t magic, const char* kind, int ndims) {
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndims);
  unsigned char buf[16];
  std::size_t n = in.read(buf, 4);
  LS_CHECK(n == 4, IoError, in.path(), ": truncated at ", in.at_byte(n), ", expected a ", header,
           "-byte IDX header (", kind, ")", in.end_reason());
  const std::uint32_t found = be32(buf);
  LS_CHECK(found == magic, IoError, in.where(0), "expected magic ", hex32(magic), " (", kind, "), found ",
           hex32(found), " (", describe_magic(found), ")");
  n = in.read(buf + 4, header - 4);
  LS_CHECK(n == header - 4, IoError, in.path(), ": truncated at ", in.at_byte(4 + n), ", expected a ", header,
           "-byte IDX header (", kind, ")", in.end_reason());
  std::vector<std::uint64_t> dims(static_cast<std::size_t>(ndims));
  for (int d = 0; d < ndims; ++d) dims[static_cast<std::size_t>(d)] = be32(buf + 4 + 4 * d);
  return dims;
}

// Reads exactly `bytes` body bytes after a `header`-byte header, then requires end of file.
std::vector<std::uint8_t> read_body(ByteStream& in, std::uint64_t header, std::uint64_t bytes,
                                    const std::string& what) {
  // Plain files: decide truncation and trailing bytes from the size before allocating.
  if (const auto& size = in.plain_size()) {
    LS_CHECK(*size >= header + bytes, IoError, in.path(), ": truncated at byte ", *size, ", expected ", bytes,
             " bytes (", what, ") after the ", header, "-byte header");
    LS_CHECK(*size == header + bytes, IoError, in.where(header + bytes), "expected end of file after ", what,
             ", found ", *size - header - bytes, " more bytes");
  }
  std::vector<std::uint8_t> body;
  body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(bytes, kChunk)));
  std::uint64_t got = 0;
  while (got < bytes) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(bytes - got, kChunk));
    body.resize(static_cast<std::size_t>(got) + want);
    const std::size_t r = in.read(body.data() + got, want);
    got += r;
    LS_CHECK(r == want, IoError, in.path(), ": truncated at ", in.at_byte(header + got), ", expected ", bytes,
             " bytes (", what, ") after the ", header, "-byte header", in.end_reason());
  }
  unsigned char extra = 0;
  LS_CHECK(in.read(&extra, 1) == 0, IoError, in.where(header + bytes), "expected end of file after ", what,
           ", found more data");
  // Every IDX byte arrived but the gzip trailer (CRC-32 and length, RFC 1952) did not.
  LS_CHECK(!in.gz_truncated(), IoError, in.where(header + bytes), "gzip stream cut short after ", what,
           ": its CRC-32/length trailer is missing, so the data cannot be verified");
  return body;
}

void check_dim(const ByteStream& in, std::uint64_t v, std::uint64_t offset, const char* name) {
  LS_CHECK(v != 0, IoError, in.where(offset), name, " is 0, expected at least 1");
  LS_CHECK(v <= kMaxBytes, IoError, in.where(offset), name, " is ", v, ", more than the limit of ", kMaxBytes,
           " (corrupt header?)");
}

}  // namespace

IdxImages read_idx_images(const std::string& path) {
  ByteStream in(path);
  const auto dims = read_header(in, kImagesMagic, "images", 3);
  check_dim(in, dims[0], 4, "image count");
  check_dim(in, dims[1], 8, "rows");
  check_dim(in, dims[2], 12, "cols");
  // Each factor is < 2^31, so neither product overflows uint64.
  const std::uint64_t per_image = dims[1] * dims[2];
  LS_CHECK(per_image <= kMaxBytes && dims[0] * per_image <= kMaxBytes, IoError, in.where(4), dims[0],
           " images of ", dims[1], "x", dims[2], " make ", dims[0], "*", dims[1], "*", dims[2],
           " bytes, more than the limit of ", kMaxBytes, " (corrupt header?)");
  IdxImages out;
  out.count = static_cast<std::int64_t>(dims[0]);
  out.rows = static_cast<std::int64_t>(dims[1]);
  out.cols = static_cast<std::int64_t>(dims[2]);
  out.pixels = read_body(in, 16, dims[0] * per_image,
                         detail::concat(out.count, " images of ", out.rows, "x", out.cols));
  return out;
}

std::vector<std::uint8_t> read_idx_labels(const std::string& path) {
  ByteStream in(path);
  const auto dims = read_header(in, kLabelsMagic, "labels", 1);
  check_dim(in, dims[0], 4, "label count");
  return read_body(in, 8, dims[0], detail::concat(dims[0], " labels"));
}

std::string find_mnist_file(const std::string& dir, const std::string& name) {
  const fs::path plain = fs::path(dir) / name;
  const fs::path gz = fs::path(dir) / (name + ".gz");
  std::error_code ec;
  if (fs::is_regular_file(plain, ec)) return plain.string();
  if (fs::is_regular_file(gz, ec)) return gz.string();
  throw IoError(detail::concat("mnist: no ", name, " in ", dir, ": tried ", plain.string(), " and ", gz.string()));
}

namespace {

std::string absolute_path(const std::string& p) {
  std::error_code ec;
  const fs::path a = fs::absolute(p, ec);
  return ec ? p : a.lexically_normal().string();
}

MnistSplit load_split(const std::string& dir, const char* images_name, const char* labels_name, const char* split) {
  MnistSplit s;
  s.images_path = absolute_path(find_mnist_file(dir, images_name));
  s.labels_path = absolute_path(find_mnist_file(dir, labels_name));
  IdxImages im = read_idx_images(s.images_path);
  s.labels = read_idx_labels(s.labels_path);
  LS_CHECK(static_cast<std::int64_t>(s.labels.size()) == im.count, IoError, "mnist: ", split, " split: ", im.count,
           " images (", s.images_path, ") but ", s.labels.size(), " labels (", s.labels_path, ")");
  for (std::size_t i = 0; i < s.labels.size(); ++i) {
    LS_CHECK(s.labels[i] < kMnistClasses, IoError, s.labels_path, ": byte ", 8 + i, ": label ", int{s.labels[i]},
             " at index ", i, ", expected 0..", kMnistClasses - 1);
  }
  s.images = std::move(im.pixels);
  s.count = im.count;
  s.rows = im.rows;
  s.cols = im.cols;
  return s;
}

}  // namespace

MnistDataset load_mnist_dir(const std::string& dir) {
  std::error_code ec;
  LS_CHECK(fs::is_directory(dir, ec), IoError, "mnist: ", dir, " is not a directory; expected one holding ",
           kMnistTrainImages, ", ", kMnistTrainLabels, ", ", kMnistTestImages, " and ", kMnistTestLabels,
           " (each may end in .gz)");
  MnistDataset ds;
  ds.dir = absolute_path(dir);
  ds.train = load_split(dir, kMnistTrainImages, kMnistTrainLabels, "train");
  ds.test = load_split(dir, kMnistTestImages, kMnistTestLabels, "test");
  LS_CHECK(ds.train.rows == ds.test.rows && ds.train.cols == ds.test.cols, IoError, "mnist: train images are ",
           ds.train.rows, "x", ds.train.cols, " (", ds.train.images_path, ") but test images are ", ds.test.rows, "x",
           ds.test.cols, " (", ds.test.images_path, ")");
  return ds;
}

}  // namespace lockstep::nn
