#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "nn/checkpoint.h"
#include "tests/support/compare.h"
#include "reference/data.h"

namespace lockstep::nn {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lockstep_ckpt_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static Checkpoint sample() {
    Checkpoint c;
    c.tensors.push_back({"b.weight", test::uniform_tensor(1, {3, 4})});
    c.tensors.push_back({"a.bias", test::uniform_tensor(2, {5})});
    c.metadata["step"] = "42";
    return c;
  }

  std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void write(const std::string& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
  }

  // Expects load_checkpoint to fail with an IoError naming the file and containing `fragment`.
  void expect_load_error(const std::string& p, const std::string& fragment) {
    try {
      load_checkpoint(p);
      ADD_FAILURE() << "expected IoError containing '" << fragment << "'";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }

  void expect_load_error_for_model(const std::string& p, const std::string& model, const std::string& fragment) {
    try {
      load_checkpoint(p, model);
      ADD_FAILURE() << "expected IoError containing '" << fragment << "'";
    } catch (const IoError& e) {
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("expected '" + model + "'"), std::string::npos) << e.what();
    }
  }

  fs::path dir_;
};

TEST_F(CheckpointTest, RoundTripKeepsBitsOrderAndMetadata) {
  const Checkpoint c = sample();
  save_checkpoint(path("c.safetensors"), c);
  const Checkpoint r = load_checkpoint(path("c.safetensors"));
  ASSERT_EQ(r.tensors.size(), 2u);
  EXPECT_EQ(r.tensors[0].name, "b.weight");
  EXPECT_EQ(r.tensors[1].name, "a.bias");
  EXPECT_EQ(r.tensors[0].tensor.shape(), Shape({3, 4}));
  EXPECT_TRUE(test::bitwise_equal(r.tensors[0].tensor.to_vector(), c.tensors[0].tensor.to_vector()));
  EXPECT_TRUE(test::bitwise_equal(r.get("a.bias").to_vector(), c.tensors[1].tensor.to_vector()));
  EXPECT_EQ(r.metadata.at("step"), "42");
  EXPECT_THROW(r.get("missing"), IoError);
}

TEST_F(CheckpointTest, FileFollowsTheSafetensorsLayout) {
  save_checkpoint(path("c.safetensors"), sample());
  const std::string bytes = read(path("c.safetensors"));
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  EXPECT_EQ(bytes.size(), 8 + n + (12 + 5) * 4);
  EXPECT_EQ(bytes[8], '{');
  EXPECT_NE(bytes.find("\"dtype\":\"F32\""), std::string::npos);
}

TEST_F(CheckpointTest, AtomicWriteLeavesNoTemporaryFiles) {
  save_checkpoint(path("c.safetensors"), sample());
  save_checkpoint(path("c.safetensors"), sample());
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "c.safetensors");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(CheckpointTest, TruncatedFileIsRejected) {
  save_checkpoint(path("c.safetensors"), sample());
  const std::string bytes = read(path("c.safetensors"));
  write(path("t.safetensors"), bytes.substr(0, bytes.size() - 3));
  expect_load_error(path("t.safetensors"), "outside the data section");
  write(path("s.safetensors"), bytes.substr(0, 5));
  expect_load_error(path("s.safetensors"), "too short");
}

TEST_F(CheckpointTest, HugeHeaderLengthIsRejectedWithoutAllocating) {
  std::string bytes(8, '\xff');
  bytes += "{}";
  write(path("h.safetensors"), bytes);
  expect_load_error(path("h.safetensors"), "header length");
}

TEST_F(CheckpointTest, CorruptJsonNamesTheByte) {
  save_checkpoint(path("c.safetensors"), sample());
  std::string bytes = read(path("c.safetensors"));
  bytes[8] = '#';  // the opening brace
  write(path("j.safetensors"), bytes);
  expect_load_error(path("j.safetensors"), "byte ");
}

TEST_F(CheckpointTest, WrongDtypeAndWrongSizeAreRejected) {
  save_checkpoint(path("c.safetensors"), sample());
  std::string bytes = read(path("c.safetensors"));
  std::string dtype = bytes;
  dtype.replace(dtype.find("F32"), 3, "F16");
  write(path("d.safetensors"), dtype);
  expect_load_error(path("d.safetensors"), "expected dtype F32");
  std::string shape = bytes;
  shape.replace(shape.find("[3,4]"), 5, "[4,4]");
  write(path("e.safetensors"), shape);
  expect_load_error(path("e.safetensors"), "needs 64 bytes");
}

TEST_F(CheckpointTest, ModelNameRoundTripsInTheHeader) {
  Checkpoint c = sample();
  c.model = "mnist_net";
  save_checkpoint(path("c.safetensors"), c);
  EXPECT_NE(read(path("c.safetensors")).find("\"model\":\"mnist_net\""), std::string::npos);
  const Checkpoint r = load_checkpoint(path("c.safetensors"), "mnist_net");
  EXPECT_EQ(r.model, "mnist_net");
  EXPECT_EQ(r.metadata.count("model"), 0u);
  EXPECT_EQ(r.metadata.at("step"), "42");
}

TEST_F(CheckpointTest, AnotherModelIsRefusedNamingFileExpectedAndFound) {
  Checkpoint c = sample();
  c.model = "other_net";
  save_checkpoint(path("c.safetensors"), c);
  EXPECT_EQ(load_checkpoint(path("c.safetensors")).model, "other_net");  // no expectation: no check
  try {
    load_checkpoint(path("c.safetensors"), "mnist_net");
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              path("c.safetensors") + ": checkpoint holds model 'other_net', expected 'mnist_net'");
  }
}

// Checkpoints written before the model key existed all hold the reference network.
TEST_F(CheckpointTest, CheckpointNamingNoModelLoadsOnlyAsTheReferenceNetwork) {
  save_checkpoint(path("old.safetensors"), sample());
  EXPECT_EQ(read(path("old.safetensors")).find("\"model\""), std::string::npos);
  EXPECT_EQ(load_checkpoint(path("old.safetensors"), kUnnamedCheckpointModel).model, "");
  EXPECT_EQ(std::string(kUnnamedCheckpointModel), "mnist_net");
  expect_load_error_for_model(path("old.safetensors"), "other_net", "holds model 'mnist_net' (it names none");
}

TEST_F(CheckpointTest, ModelMetadataKeyIsReserved) {
  Checkpoint c = sample();
  c.metadata["model"] = "x";
  EXPECT_THROW(save_checkpoint(path("c.safetensors"), c), Error);
}

// A safetensors file from a raw header text and data bytes (no digests: any header at all).
std::string raw_safetensors(const std::string& header, const std::string& data) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  return out + header + data;
}

// First byte of tensor `name`'s data in the file bytes.
size_t data_byte_of(const std::string& bytes, const std::string& name) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
  const std::string header = bytes.substr(8, n);
  const size_t at = header.find("\"" + name + "\"");
  const size_t off = header.find("\"data_offsets\":[", at) + 16;
  return 8 + n + std::stoull(header.substr(off));
}

TEST_F(CheckpointTest, ShapeWhoseProductWrapsIsRefused) {
  // 8681 * 1923865 * 1104524548 = 4 (mod 2^64): 16 bytes would match a wrapped count.
  const std::string h = R"({"t":{"dtype":"F32","shape":[8681,1923865,1104524548],"data_offsets":[0,16]}})";
  write(path("w.safetensors"), raw_safetensors(h, std::string(16, '\0')));
  expect_load_error(path("w.safetensors"), "too many elements");
}

TEST_F(CheckpointTest, ManyTensorsLoadInLinearTime) {
  std::string h = "{";
  const int n = 50000;
  for (int i = 0; i < n; ++i)
    h += (i ? ",\"t" : "\"t") + std::to_string(i) + R"(":{"dtype":"F32","shape":[0],"data_offsets":[0,0]})";
  h += "}";
  write(path("many.safetensors"), raw_safetensors(h, ""));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(load_checkpoint(path("many.safetensors")).tensors.size(), static_cast<size_t>(n));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(secs, 2.5) << n << " empty tensors took " << secs << " s (quadratic?)";
}

TEST_F(CheckpointTest, NumberOutOfRangeInTheHeaderIsAnIoErrorNamingTheFile) {
  write(path("big.safetensors"), raw_safetensors(R"({"a":1e999})", ""));
  expect_load_error(path("big.safetensors"), "out of range");
}

TEST_F(CheckpointTest, FlippedTensorBitIsRefusedNamingTheTensor) {
  save_checkpoint(path("c.safetensors"), sample());
  for (const char* name : {"b.weight", "a.bias"}) {
    std::string bytes = read(path("c.safetensors"));
    bytes[data_byte_of(bytes, name) + 2] ^= 0x10;
    write(path("f.safetensors"), bytes);
    expect_load_error(path("f.safetensors"), std::string("tensor '") + name + "'");
  }
}

TEST_F(CheckpointTest, ChangedMetadataValueIsRefusedNamingTheKey) {
  save_checkpoint(path("c.safetensors"), sample());
  std::string bytes = read(path("c.safetensors"));
  bytes.replace(bytes.find("\"step\":\"42\""), 11, "\"step\":\"43\"");
  write(path("m.safetensors"), bytes);
  expect_load_error(path("m.safetensors"), "metadata 'step'");
}

TEST_F(CheckpointTest, DigestsAreNotReturnedAsMetadata) {
  save_checkpoint(path("c.safetensors"), sample());
  EXPECT_EQ(load_checkpoint(path("c.safetensors")).metadata, sample().metadata);
}

// Files written before checkpoints carried digests load as before (structure checks only).
TEST_F(CheckpointTest, FileWithoutDigestsLoads) {
  const std::string h = R"({"__metadata__":{"step":"1"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  write(path("old.safetensors"), raw_safetensors(h, std::string(8, '\0')));
  const Checkpoint c = load_checkpoint(path("old.safetensors"));
  EXPECT_EQ(c.metadata.at("step"), "1");
  EXPECT_EQ(c.get("x").numel(), 2);
}

// Temporaries of a dead process go; a live process's (a write in progress) and other files stay.
TEST_F(CheckpointTest, StaleTemporariesOfDeadProcessesAreRemoved) {
  const std::string live = ".c.safetensors.tmp." + std::to_string(::getpid());
  for (const std::string& name : {std::string(".c.safetensors.tmp.2147483646"), live, std::string("c.tmp.1"),
                                  std::string(".c.tmp.12x")})
    write(path(name), "x");
  EXPECT_EQ(remove_stale_temporaries(dir_.string()), std::vector<std::string>{path(".c.safetensors.tmp.2147483646")});
  for (const std::string& name : {live, std::string("c.tmp.1"), std::string(".c.tmp.12x")})
    EXPECT_TRUE(fs::exists(path(name))) << name;
  EXPECT_TRUE(remove_stale_temporaries(path("no-such-dir")).empty());
}

TEST_F(CheckpointTest, MissingFileIsAnIoError) { expect_load_error(path("nope.safetensors"), "cannot open"); }

}  // namespace
}  // namespace lockstep::nn
