// The recipe (nn/recipe.h) as run manifests and checkpoints store it. Floats travel as hex
// floats ("0x1.47ae14p-7"), so a recipe read back is the same float bit for bit; reading
// one back accepts nothing else.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/recipe.h"

namespace lockstep::cli {

std::string hex_float(double v);  // 0.5 -> "0x1p-1"

/// The number `text` spells, which must be all of it (hex or decimal, as strtod reads them,
/// no surrounding spaces); else Error "<field>: expected a hex float such as 0x1p-1, got '<text>'".
double parse_hex_float(const std::string& text, const std::string& field);

/// The recipe's fields as manifest JSON (keys as the field names, input as [C,H,W]).
nlohmann::json recipe_to_json(const nn::Recipe& r);

/// Inverse of recipe_to_json. `where` names the source in errors ("run/manifest.json: recipe").
/// model, input and the dropout p's may be absent (manifests written before the recipe
/// recorded them, all of the reference network): they read as reference_mnist()'s.
nn::Recipe recipe_from_json(const nlohmann::json& j, const std::string& where);

/// The recipe fields a checkpoint records and a resume must match, as metadata strings.
std::map<std::string, std::string> recipe_metadata(const nn::Recipe& r);

}  // namespace lockstep::cli
