// `lockstep verify`: re-runs the run a manifest records and reports whether its
// fingerprints match, and if not the first step (and epoch) where they differ.
#pragma once

#include <string>

namespace lockstep::cli {

struct VerifyOptions {
  std::string manifest;
  long long steps = -1;  // -1: as many as were recorded
  int threads = 0;
  std::string data;      // empty: the recorded directory
};

int run_verify(const VerifyOptions& v);  // 0 when everything compared matches, 1 otherwise

}  // namespace lockstep::cli
