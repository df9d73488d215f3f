// Every kernel the dispatcher knows, with its printable name, both generated from the op
// table (core/op_table.h), so the enum and the names cannot drift apart.
#pragma once

#include <array>
#include <string_view>

#include "core/op_table.h"

namespace lockstep {

enum class OpKind {
#define LS_OP_ENUM(Kind, name, params, ...) Kind,
  LS_OP_TABLE(LS_OP_ENUM)
#undef LS_OP_ENUM
  Count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(OpKind::Count)> kOpNames = {
#define LS_OP_NAME(Kind, name, params, ...) #name,
    LS_OP_TABLE(LS_OP_NAME)
#undef LS_OP_NAME
};

inline std::string_view op_name(OpKind k) { return kOpNames[static_cast<size_t>(k)]; }

}  // namespace lockstep
