// Validators for `lockstep` flags whose errors name the flag, the accepted range and the
// value given ("--epochs: expected an integer in [1, 2147483647], got 9e9"); CLI11's own
// range checks print the range as a 300-digit double and read "-1" as 2^64 - 1 for an
// unsigned flag. They run before CLI11 converts the text, so no value out of range is
// converted at all.
#pragma once

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>

namespace lockstep::cli {

// A decimal integer in [lo, hi], all of the text.
inline CLI::Validator integer_in(long long lo, long long hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        long long v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        const bool ok = ec == std::errc() && end == text.data() + text.size() && lo <= v && v <= hi;
        return ok ? "" : "expected an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + text;
      },
      "INT");
}

// An unsigned 64-bit integer (a seed): no sign, all of the text.
inline CLI::Validator uint64_value() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t v = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        const bool ok = ec == std::errc() && end == text.data() + text.size();
        return ok ? "" : "expected an integer in [0, 2^64), got " + text;
      },
      "UINT64");
}

// A finite float32 value >= 0 (learning rate, momentum).
inline CLI::Validator non_negative_float() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = text.empty() ? -1.0 : std::strtod(text.c_str(), &end);
        const bool ok = !text.empty() && end == text.c_str() + text.size() && std::isfinite(v) && v >= 0 &&
                        v <= std::numeric_limits<float>::max();
        return ok ? "" : "expected a finite number >= 0 (a float32), got " + text;
      },
      "FLOAT");
}

}  // namespace lockstep::cli
