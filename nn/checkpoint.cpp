#include "nn/checkpoint.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "nn/sha256.h"

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

// The header's "__metadata__" object: strings only.
std::map<std::string, std::string> read_metadata(const std::string& path, const json& v) {
  LS_CHECK(v.is_object(), IoError, path, ": __metadata__ must be an object of strings");
  std::map<std::string, std::string> all;
  for (auto m = v.begin(); m != v.end(); ++m) {
    LS_CHECK(m.value().is_string(), IoError, path, ": __metadata__ entry '", m.key(), "' is not a string");
    all[m.key()] = m.value().get<std::string>();
  }
  return all;
}

// nlohmann's message without its "[json.exception.<kind>.<id>] " prefix.
std::string json_error_text(const json::exception& e) {
  const std::string what = e.what();
  const size_t close = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

// Integrity keys in __metadata__ (docs/fingerprint.md#checkpoint-digests): one digest per
// tensor's bytes and per metadata value, and kDigestKey over all of them and the layout.
constexpr const char* kDigestKey = "digest";
const std::string kTensorDigestPrefix = "digest.tensor.";
const std::string kMetadataDigestPrefix = "digest.metadata.";

bool is_integrity_key(const std::string& key) { return key == kDigestKey || key.rfind("digest.", 0) == 0; }

std::string tensor_digest(const Tensor& t) {
  return sha256_hex(t.data<float>(), static_cast<size_t>(t.numel()) * 4);
}

// Length-prefixed, so no two different inputs feed the same bytes.
void hash_field(Sha256& h, const std::string& s) {
  const std::uint64_t n = s.size();
  h.update(&n, sizeof n);
  h.update(s);
}

// kDigestKey's value: every tensor's name, shape and digest in file order, then every
// metadata key and value but kDigestKey's, in key order.
std::string overall_digest(const std::vector<NamedTensor>& tensors, const std::map<std::string, std::string>& all) {
  Sha256 h;
  hash_field(h, "lockstep-checkpoint-digest-v1");
  for (const auto& t : tensors) {
    hash_field(h, t.name);
    for (i64 d : t.tensor.shape().dims()) hash_field(h, std::to_string(d));
    hash_field(h, "|");
  }
  for (const auto& [key, value] : all)
    if (key != kDigestKey) {
      hash_field(h, key);
      hash_field(h, value);
    }
  return h.finish_hex();
}

// Every metadata string of the file, "model" included, with the digests added.
std::map<std::string, std::string> with_digests(const Checkpoint& ckpt) {
  std::map<std::string, std::string> values = ckpt.metadata;
  if (!ckpt.model.empty()) values[kModelMetadataKey] = ckpt.model;
  std::map<std::string, std::string> all = values;
  for (const auto& [key, value] : values) all[kMetadataDigestPrefix + key] = sha256_hex(value.data(), value.size());
  for (const auto& t : ckpt.tensors) all[kTensorDigestPrefix + t.name] = tensor_digest(t.tensor);
  all[kDigestKey] = overall_digest(ckpt.tensors, all);
  return all;
}

std::string recorded(const std::map<std::string, std::string>& all, const std::string& key, const std::string& path,
                     const std::string& what) {
  auto it = all.find(key);
  LS_CHECK(it != all.end(), IoError, path, ": ", what, " has no recorded digest (metadata '", key,
           "' missing): the header was altered");
  return it->second;
}

// Compares each tensor and metadata value with the digest recorded when the file was
// written; the first that differs is named. Files without kDigestKey predate digests.
void check_digests(const std::string& path, const std::vector<NamedTensor>& tensors,
                   const std::map<std::string, std::string>& all) {
  if (!all.contains(kDigestKey)) {
    for (const auto& [key, value] : all)
      LS_CHECK(!is_integrity_key(key), IoError, path, ": metadata '", key, "' present but '", kDigestKey,
               "' missing: the header was altered");
    return;
  }
  for (const auto& t : tensors) {
    const std::string want = recorded(all, kTensorDigestPrefix + t.name, path, "tensor '" + t.name + "'");
    const std::string have = tensor_digest(t.tensor);
    LS_CHECK(have == want, IoError, path, ": tensor '", t.name, "': data has sha256 ", have, ", written as ", want,
             ": the file is corrupted");
  }
  size_t digests = 0;
  for (const auto& [key, value] : all) {
    if (is_integrity_key(key)) {
      ++digests;
      continue;
    }
    const std::string want = recorded(all, kMetadataDigestPrefix + key, path, "metadata '" + key + "'");
    LS_CHECK(sha256_hex(value.data(), value.size()) == want, IoError, path, ": metadata '", key, "' = '", value,
             "' differs from the value written (its recorded sha256 is ", want, "): the file is corrupted");
  }
  LS_CHECK(digests == 1 + tensors.size() + (all.size() - digests), IoError, path,
           ": the header records digests of tensors or metadata it does not hold: the header was altered");
  LS_CHECK(overall_digest(tensors, all) == all.at(kDigestKey), IoError, path, ": metadata '", kDigestKey,
           "' does not match the tensors' names and shapes: the header was altered");
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
  for (const auto& [key, value] : ckpt.metadata)
    LS_CHECK(!is_integrity_key(key), Error, "save_checkpoint: ", path, ": metadata key '", key,
             "' is reserved for the checkpoint's digests");
  header["__metadata__"] = with_digests(ckpt);
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

namespace {

// Elements per tensor we accept: 2^34 (64 GiB of float32), far beyond any model here.
constexpr std::uint64_t kMaxElements = 1ull << 34;

struct TensorEntry {
  std::string name;
  std::vector<i64> dims;
  std::uint64_t begin = 0, end = 0;  // byte range in the data section
};

// The element count of `shape`, refused before any product could pass kMaxElements (so
// before one could wrap around 2^64).
std::vector<i64> read_shape(const std::string& path, const std::string& name, const json& shape,
                            std::uint64_t& count) {
  std::vector<i64> dims;
  count = 1;
  for (const json& d : shape) {
    LS_CHECK(d.is_number_unsigned() && d.get<std::uint64_t>() <= (1ull << 31), IoError, path, ": tensor '", name,
             "': expected dimensions in [0, 2^31], got ", d.dump());
    const std::uint64_t n = d.get<std::uint64_t>();
    LS_CHECK(n == 0 || count <= kMaxElements / n, IoError, path, ": tensor '", name, "': shape ", shape.dump(),
             " has too many elements (more than 2^34)");
    count *= n;
    dims.push_back(static_cast<i64>(n));
  }
  return dims;
}

TensorEntry read_entry(const std::string& path, const std::string& name, const json& v, std::uint64_t data_len) {
  LS_CHECK(v.is_object() && v.contains("dtype") && v.contains("shape") && v.contains("data_offsets"), IoError, path,
           ": tensor '", name, "': expected dtype, shape and data_offsets");
  LS_CHECK(v["dtype"] == "F32", IoError, path, ": tensor '", name, "': expected dtype F32, got ", v["dtype"].dump());
  LS_CHECK(v["shape"].is_array() && v["data_offsets"].is_array() && v["data_offsets"].size() == 2, IoError, path,
           ": tensor '", name, "': malformed shape or data_offsets");
  TensorEntry e{name, {}, 0, 0};
  std::uint64_t count = 0;
  e.dims = read_shape(path, name, v["shape"], count);
  const json& off = v["data_offsets"];
  LS_CHECK(off[0].is_number_unsigned() && off[1].is_number_unsigned(), IoError, path, ": tensor '", name,
           "': data_offsets must be unsigned integers");
  e.begin = off[0].get<std::uint64_t>();
  e.end = off[1].get<std::uint64_t>();
  LS_CHECK(e.begin <= e.end && e.end <= data_len, IoError, path, ": tensor '", name, "': byte range [", e.begin, ", ",
           e.end, ") lies outside the data section of ", data_len, " bytes (file truncated?)");
  LS_CHECK(e.end - e.begin == count * 4, IoError, path, ": tensor '", name, "': shape ", Shape(e.dims), " needs ",
           count * 4, " bytes, the header gives ", e.end - e.begin);
  return e;
}

json parse_header(const std::string& path, const std::string& bytes, std::uint64_t header_len) {
  try {
    return json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<std::ptrdiff_t>(header_len));
  } catch (const json::parse_error& e) {
    throw IoError(path + ": byte " + std::to_string(8 + e.byte - 1) + ": header is not valid JSON: " +
                  json_error_text(e));
  } catch (const json::exception& e) {
    throw IoError(path + ": header: " + json_error_text(e) + " (a number out of range)");
  }
}

// The tensors in file order: contiguous from data byte 0, no overlap, covering the data section.
std::vector<TensorEntry> in_file_order(const std::string& path, std::vector<TensorEntry> entries,
                                       std::uint64_t data_len) {
  std::sort(entries.begin(), entries.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.begin < b.begin; });
  std::uint64_t expected = 0;
  for (const TensorEntry& r : entries) {
    LS_CHECK(r.begin == expected, IoError, path, ": tensor '", r.name, "' starts at data byte ", r.begin,
             ", expected ", expected, " (overlapping or gapped tensors)");
    expected = r.end;
  }
  LS_CHECK(expected == data_len, IoError, path, ": data section has ", data_len, " bytes, tensors cover ", expected);
  return entries;
}

}  // namespace

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
  const json header = parse_header(path, bytes, header_len);
  LS_CHECK(header.is_object(), IoError, path, ": byte 8: header must be a JSON object");
  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t data_len = bytes.size() - data_start;

  std::map<std::string, std::string> all;
  std::vector<TensorEntry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__")
      all = read_metadata(path, it.value());
    else
      entries.push_back(read_entry(path, it.key(), it.value(), data_len));
  }
  Checkpoint ckpt;
  for (const TensorEntry& e : in_file_order(path, std::move(entries), data_len)) {
    Tensor t = Tensor::empty(Shape(e.dims));
    if (e.end > e.begin) std::memcpy(t.data<float>(), bytes.data() + data_start + e.begin, e.end - e.begin);
    ckpt.tensors.push_back({e.name, t});
  }
  check_digests(path, ckpt.tensors, all);
  for (auto& [key, value] : all) {
    if (key == kModelMetadataKey)
      ckpt.model = value;
    else if (!is_integrity_key(key))
      ckpt.metadata[key] = value;
  }
  return ckpt;
}

std::vector<std::string> remove_stale_temporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> removed;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    const size_t tmp = name.rfind(".tmp.");
    if (name.size() < 2 || name[0] != '.' || tmp == std::string::npos || tmp + 5 >= name.size()) continue;
    const char* first = name.data() + tmp + 5;
    const char* last = name.data() + name.size();
    long long pid = 0;
    const auto [end, parse_error] = std::from_chars(first, last, pid);
    if (parse_error != std::errc() || end != last || pid <= 0 || pid > 0x7fffffff) continue;
    // A temporary of a live process may be a write in progress (another run in this directory).
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;
    if (fs::remove(e.path(), ec)) removed.push_back(e.path().string());
  }
  return removed;
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
