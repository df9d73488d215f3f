#include "tools/lockstep/recipe_io.h"

#include <cctype>
#include <cstdlib>

#include <fmt/core.h>

#include "core/error.h"

namespace lockstep::cli {
namespace {

using nlohmann::json;

// j[key] as T; IoError naming the source and the field when it is missing or of another type.
template <class T>
T field(const json& j, const char* key, const std::string& where) {
  LS_CHECK(j.is_object() && j.contains(key), IoError, where, ": no field '", key, "'");
  try {
    return j.at(key).get<T>();
  } catch (const json::exception& e) {
    throw IoError(where + ": field '" + key + "': " + e.what());
  }
}

float float_field(const json& j, const char* key, const std::string& where) {
  return static_cast<float>(parse_hex_float(field<std::string>(j, key, where), where + ": field '" + key + "'"));
}

// Fields a manifest may lack: those written before the recipe recorded them.
void read_later_fields(const json& j, const std::string& where, nn::Recipe& r) {
  if (j.contains("model")) r.model = field<std::string>(j, "model", where);
  if (j.contains("input")) {
    const auto dims = field<std::vector<i64>>(j, "input", where);
    LS_CHECK(dims.size() == 3, IoError, where, ": field 'input': expected [channels, height, width], got ",
             j.at("input").dump());
    r.input = {dims[0], dims[1], dims[2]};
  }
  if (j.contains("conv_dropout_p")) r.conv_dropout_p = float_field(j, "conv_dropout_p", where);
  if (j.contains("fc_dropout_p")) r.fc_dropout_p = float_field(j, "fc_dropout_p", where);
}

}  // namespace

std::string hex_float(double v) { return fmt::format("{:a}", v); }

double parse_hex_float(const std::string& text, const std::string& field) {
  const bool starts_clean = !text.empty() && !std::isspace(static_cast<unsigned char>(text.front()));
  char* end = nullptr;
  const double v = starts_clean ? std::strtod(text.c_str(), &end) : 0.0;
  LS_CHECK(starts_clean && end == text.c_str() + text.size(), IoError, field,
           ": expected a hex float such as 0x1p-1, got '", text, "'");
  return v;
}

json recipe_to_json(const nn::Recipe& r) {
  return {{"model", r.model},
          {"input", {r.input.channels, r.input.height, r.input.width}},
          {"epochs", r.epochs},
          {"batch_size", r.batch_size},
          {"test_batch_size", r.test_batch_size},
          {"lr", hex_float(r.lr)},
          {"momentum", hex_float(r.momentum)},
          {"seed", r.seed},
          {"dropout", r.dropout},
          {"conv_dropout_p", hex_float(r.conv_dropout_p)},
          {"fc_dropout_p", hex_float(r.fc_dropout_p)},
          {"norm_mean", hex_float(r.norm_mean)},
          {"norm_std", hex_float(r.norm_std)}};
}

nn::Recipe recipe_from_json(const json& j, const std::string& where) {
  nn::Recipe r = nn::reference_mnist();
  read_later_fields(j, where, r);
  r.epochs = field<int>(j, "epochs", where);
  r.batch_size = field<i64>(j, "batch_size", where);
  r.test_batch_size = field<i64>(j, "test_batch_size", where);
  r.lr = float_field(j, "lr", where);
  r.momentum = float_field(j, "momentum", where);
  r.seed = field<std::uint64_t>(j, "seed", where);
  r.dropout = field<bool>(j, "dropout", where);
  r.norm_mean = float_field(j, "norm_mean", where);
  r.norm_std = float_field(j, "norm_std", where);
  return r;
}

std::map<std::string, std::string> recipe_metadata(const nn::Recipe& r) {
  return {{"seed", std::to_string(r.seed)},
          {"batch_size", std::to_string(r.batch_size)},
          {"lr", hex_float(r.lr)},
          {"momentum", hex_float(r.momentum)},
          {"dropout", r.dropout ? "1" : "0"},
          {"conv_dropout_p", hex_float(r.conv_dropout_p)},
          {"fc_dropout_p", hex_float(r.fc_dropout_p)},
          {"input", nn::shape_text(r.input)},
          {"norm_mean", hex_float(r.norm_mean)},
          {"norm_std", hex_float(r.norm_std)}};
}

}  // namespace lockstep::cli
