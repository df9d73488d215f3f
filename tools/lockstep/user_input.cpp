#include "tools/lockstep/user_input.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"

namespace lockstep::cli {

using nlohmann::json;

void check_input_file(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  LS_CHECK(fs::exists(st), IoError, path, ": no such file (expected ", what, ")");
  LS_CHECK(!fs::is_directory(st), IoError, path, ": is a directory, expected ", what);
  LS_CHECK(fs::is_regular_file(st), IoError, path, ": not a regular file, expected ", what);
}

std::string json_error_text(const json::exception& e) {
  const std::string what = e.what();
  const size_t close = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

json read_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  LS_CHECK(in.good(), IoError, path, ": cannot open");
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw IoError(path + ": byte " + std::to_string(e.byte) + ": not valid JSON: " + json_error_text(e));
  } catch (const json::exception& e) {
    throw IoError(path + ": " + json_error_text(e) + " (a number out of range)");
  }
}

const json& field_value(const json& j, const char* key, const std::string& where) {
  LS_CHECK(j.is_object() && j.contains(key), IoError, where, ": no field '", key, "'");
  return j.at(key);
}

i64 int_value(const json& v, const std::string& what, const std::string& where, i64 lo, i64 hi) {
  bool ok = false;
  i64 out = 0;
  if (v.is_number_unsigned()) {
    const std::uint64_t u = v.get<std::uint64_t>();
    ok = hi >= 0 && u <= static_cast<std::uint64_t>(hi) && static_cast<i64>(u) >= lo;
    out = ok ? static_cast<i64>(u) : 0;
  } else if (v.is_number_integer()) {
    out = v.get<i64>();
    ok = lo <= out && out <= hi;
  }
  LS_CHECK(ok, IoError, where, ": ", what, ": expected an integer in [", lo, ", ", hi, "], got ", v.dump());
  return out;
}

i64 int_field(const json& j, const char* key, const std::string& where, i64 lo, i64 hi) {
  return int_value(field_value(j, key, where), std::string("field '") + key + "'", where, lo, hi);
}

std::uint64_t uint64_field(const json& j, const char* key, const std::string& where) {
  const json& v = field_value(j, key, where);
  LS_CHECK(v.is_number_unsigned() || (v.is_number_integer() && v.get<i64>() >= 0), IoError, where, ": field '", key,
           "': expected an integer in [0, 2^64), got ", v.dump());
  return v.get<std::uint64_t>();
}

std::string string_field(const json& j, const char* key, const std::string& where) {
  const json& v = field_value(j, key, where);
  LS_CHECK(v.is_string(), IoError, where, ": field '", key, "': expected a string, got ", v.dump());
  return v.get<std::string>();
}

bool bool_field(const json& j, const char* key, const std::string& where) {
  const json& v = field_value(j, key, where);
  LS_CHECK(v.is_boolean(), IoError, where, ": field '", key, "': expected true or false, got ", v.dump());
  return v.get<bool>();
}

}  // namespace lockstep::cli
