// Shared by the harnesses of tests/fuzz: the readers under test take a path, as the command
// line gives them, so each input is written to one temporary file per process first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lockstep::fuzz {

/// Writes `size` bytes to this process's temporary file for `tag` (created once, rewritten
/// on every call) and returns its path.
const std::string& write_input(const char* tag, const std::uint8_t* data, std::size_t size);

/// The gzip stream (RFC 1952) of `size` bytes, so a harness can fuzz what lies inside a .gz file.
std::string gzip(const std::uint8_t* data, std::size_t size);

}  // namespace lockstep::fuzz

// libFuzzer's entry point, defined by each harness; replay_main.cpp calls it without libFuzzer.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
