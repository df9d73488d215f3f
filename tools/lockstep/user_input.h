// What a user hands `lockstep train` and `verify` besides flags: files that must exist, JSON
// files and their fields. Every error is an IoError (exit code 2) of one line naming the
// file, the key and what was expected and found; no library message text is passed on raw.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/shape.h"

namespace lockstep::cli {

/// IoError "<path>: no such file (expected <what>)" or "<path>: is a directory, expected
/// <what>" unless `path` names an existing regular file (or a link to one).
void check_input_file(const std::string& path, const std::string& what);

/// The JSON document in `path`; IoError naming the file and the byte of a syntax error, or
/// the number that is out of range (`1e999`).
nlohmann::json read_json_file(const std::string& path);

/// nlohmann's message without its "[json.exception.type_error.302] " prefix.
std::string json_error_text(const nlohmann::json::exception& e);

/// j[key], which must exist: IoError "<where>: no field '<key>'".
const nlohmann::json& field_value(const nlohmann::json& j, const char* key, const std::string& where);

/// j[key] as an integer in [lo, hi]: a JSON integer (not 2.0, not "2"), range-checked before
/// any conversion. IoError "<where>: field '<key>': expected an integer in [lo, hi], got 9e+14".
i64 int_field(const nlohmann::json& j, const char* key, const std::string& where, i64 lo, i64 hi);
std::uint64_t uint64_field(const nlohmann::json& j, const char* key, const std::string& where);

std::string string_field(const nlohmann::json& j, const char* key, const std::string& where);
bool bool_field(const nlohmann::json& j, const char* key, const std::string& where);

/// `value` (named `what` in the error) as an integer in [lo, hi], else IoError
/// "<where>: <what>: expected an integer in [lo, hi], got <value>".
i64 int_value(const nlohmann::json& value, const std::string& what, const std::string& where, i64 lo, i64 hi);

}  // namespace lockstep::cli
