#include "nn/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace lockstep::nn {
namespace {

using nlohmann::json;

std::string errno_text() { return std::strerror(errno); }

void put_u64_le(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get_u64_le(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Largest header we accept; the safetensors reference implementation uses the same 100 MB cap.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

// The header's "__metadata__" object: strings only; "model" goes to Checkpoint::model.
void read_metadata(const std::string& path, const json& v, Checkpoint& ckpt) {
  LS_CHECK(v.is_object(), IoError, path, ": __metadata__ must be an object of strings");
  for (auto m = v.begin(); m != v.end(); ++m) {
    LS_CHECK(m.value().is_string(), IoError, path, ": __metadata__ entry '", m.key(), "' is not a string");
    (m.key() == kModelMetadataKey ? ckpt.model : ckpt.metadata[m.key()]) = m.value().get<std::string>();
  }
}

}  // namespace

const Tensor& Checkpoint::get(const std::string& name) const {
  for (const auto& t : tensors)
    if (t.name == name) return t.tensor;
  throw IoError("checkpoint: no tensor named '" + name + "'");
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp_name = ".";
  tmp_name.append(target.filename().string()).append(".tmp.").append(std::to_string(::getpid()));
  const std::string tmp = (dir / tmp_name).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  LS_CHECK(fd >= 0, IoError, tmp, ": cannot create: ", errno_text());
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw IoError(tmp + ": write failed at byte " + std::to_string(written) + ": " + why);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw IoError(tmp + ": fsync/close failed: " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw IoError(path + ": rename from temporary file failed: " + why);
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void save_checkpoint(const std::string& path, const Checkpoint& ckpt) {
  json header = json::object();
  std::uint64_t offset = 0;
  for (const auto& t : ckpt.tensors) {
    LS_CHECK(t.tensor.dtype() == DType::F32 && t.tensor.device() == Device::CPU, IoError,
             "save_checkpoint: tensor '", t.name, "' must be a CPU float32 tensor");
    const std::uint64_t bytes = static_cast<std::uint64_t>(t.tensor.numel()) * 4;
    header[t.name] = {{"dtype", "F32"}, {"shape", t.tensor.shape().dims()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  LS_CHECK(!ckpt.metadata.contains(kModelMetadataKey), Error, "save_checkpoint: ", path,
           ": metadata key 'model' is reserved for Checkpoint::model");
  json metadata = ckpt.metadata;
  if (!ckpt.model.empty()) metadata[kModelMetadataKey] = ckpt.model;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data section to 8 bytes, as the format allows
  std::string out;
  out.reserve(8 + text.size() + offset);
  put_u64_le(out, text.size());
  out += text;
  static_assert(std::endian::native == std::endian::little, "checkpoint bytes are written as stored in memory");
  for (const auto& t : ckpt.tensors)
    out.append(reinterpret_cast<const char*>(t.tensor.data<float>()), static_cast<size_t>(t.tensor.numel()) * 4);
  write_file_atomically(path, out);
}

Checkpoint load_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LS_CHECK(in.good(), IoError, path, ": cannot open checkpoint: ", errno_text());
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  LS_CHECK(bytes.size() >= 8, IoError, path, ": byte 0: file is ", bytes.size(),
           " bytes, too short for the 8-byte safetensors header length");
  const std::uint64_t header_len = get_u64_le(data);
  LS_CHECK(header_len <= kMaxHeaderBytes && header_len <= bytes.size() - 8, IoError, path,
           ": byte 0: header length ", header_len, " exceeds the file (", bytes.size(), " bytes) or the 100 MB limit");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::parse_error& e) {
    throw IoError(path + ": byte " + std::to_string(8 + e.byte - 1) + ": header is not valid JSON: " + e.what());
  }
  LS_CHECK(header.is_object(), IoError, path, ": byte 8: header must be a JSON object");
  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t data_len = bytes.size() - data_start;

  Checkpoint ckpt;
  struct Range {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<Range> ranges;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& v = it.value();
    if (name == "__metadata__") {
      read_metadata(path, v, ckpt);
      continue;
    }
    LS_CHECK(v.is_object() && v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"), IoError, path,
             ": tensor '", name, "': expected dtype, shape and data_offsets");
    LS_CHECK(v["dtype"] == "F32", IoError, path, ": tensor '", name, "': expected dtype F32, got ", v["dtype"].dump());
    LS_CHECK(v["shape"].is_array() && v["data_offsets"].is_array() && v["data_offsets"].size() == 2, IoError, path,
             ": tensor '", name, "': malformed shape or data_offsets");
    std::vector<i64> dims;
    std::uint64_t count = 1;
    for (const json& d : v["shape"]) {
      LS_CHECK(d.is_number_unsigned() && d.get<std::uint64_t>() <= (1ull << 31), IoError, path, ": tensor '", name,
               "': bad dimension ", d.dump());
      dims.push_back(d.get<i64>());
      count *= d.get<std::uint64_t>();
      LS_CHECK(count <= (1ull << 34), IoError, path, ": tensor '", name, "': too many elements");
    }
    const json& off = v["data_offsets"];
    LS_CHECK(off[0].is_number_unsigned() && off[1].is_number_unsigned(), IoError, path, ": tensor '", name,
             "': data_offsets must be unsigned integers");
    const std::uint64_t b = off[0].get<std::uint64_t>(), e = off[1].get<std::uint64_t>();
    LS_CHECK(b <= e && e <= data_len, IoError, path, ": tensor '", name, "': byte range [", b, ", ", e,
             ") lies outside the data section of ", data_len, " bytes (file truncated?)");
    LS_CHECK(e - b == count * 4, IoError, path, ": tensor '", name, "': shape ", Shape(dims), " needs ", count * 4,
             " bytes, the header gives ", e - b);
    ranges.push_back({b, e, name});
    Tensor t = Tensor::empty(Shape(dims));
    std::memcpy(t.data<float>(), bytes.data() + data_start + b, static_cast<size_t>(e - b));
    ckpt.tensors.push_back({name, t});
  }
  std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
  std::uint64_t expected = 0;
  for (const Range& r : ranges) {
    LS_CHECK(r.begin == expected, IoError, path, ": tensor '", r.name, "' starts at data byte ", r.begin,
             ", expected ", expected, " (overlapping or gapped tensors)");
    expected = r.end;
  }
  LS_CHECK(expected == data_len, IoError, path, ": data section has ", data_len, " bytes, tensors cover ", expected);
  // nlohmann's object iteration is sorted by key; restore file order so callers see the writer's order.
  std::vector<NamedTensor> ordered;
  for (const Range& r : ranges)
    for (auto& t : ckpt.tensors)
      if (t.name == r.name) ordered.push_back(t);
  ckpt.tensors = std::move(ordered);
  return ckpt;
}

Checkpoint load_checkpoint(const std::string& path, const std::string& expected_model) {
  Checkpoint ckpt = load_checkpoint(path);
  const std::string found = ckpt.model.empty() ? kUnnamedCheckpointModel : ckpt.model;
  LS_CHECK(found == expected_model, IoError, path, ": checkpoint holds model '", found, "'",
           ckpt.model.empty() ? " (it names none: written before checkpoints named their model)" : "",
           ", expected '", expected_model, "'");
  return ckpt;
}

}  // namespace lockstep::nn
