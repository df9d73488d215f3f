#include "tools/lockstep/recipe_io.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <fmt/core.h>

#include "core/error.h"
#include "tools/lockstep/user_input.h"

namespace lockstep::cli {
namespace {

using nlohmann::json;

float float_field(const json& j, const char* key, const std::string& where) {
  const std::string name = where + ": field '" + key + "'";
  const double v = parse_hex_float(string_field(j, key, where), name);
  // A finite double beyond float's range has no float value (the conversion would be undefined).
  LS_CHECK(!std::isfinite(v) || std::fabs(v) <= std::numeric_limits<float>::max(), IoError, name,
           ": expected a float32 value, got ", hex_float(v), ", beyond float32's range");
  return static_cast<float>(v);
}

// Fields a manifest may lack: those written before the recipe recorded them.
void read_later_fields(const json& j, const std::string& where, nn::Recipe& r) {
  if (j.contains("model")) r.model = string_field(j, "model", where);
  if (j.contains("input")) {
    const json& dims = j.at("input");
    LS_CHECK(dims.is_array() && dims.size() == 3, IoError, where,
             ": field 'input': expected [channels, height, width], got ", dims.dump());
    const auto dim = [&](size_t i) { return int_value(dims[i], "field 'input'", where, 1, std::int64_t{1} << 31); };
    r.input = {dim(0), dim(1), dim(2)};
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
  r.epochs = static_cast<int>(int_field(j, "epochs", where, 1, std::numeric_limits<int>::max()));
  r.batch_size = int_field(j, "batch_size", where, 1, nn::kMaxBatchSize);
  r.test_batch_size = int_field(j, "test_batch_size", where, 1, nn::kMaxBatchSize);
  r.lr = float_field(j, "lr", where);
  r.momentum = float_field(j, "momentum", where);
  r.seed = uint64_field(j, "seed", where);
  r.dropout = bool_field(j, "dropout", where);
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
