// Every kernel the dispatcher knows, with its printable name. The static_assert keeps the
// enum and the name table in step.
#pragma once

#include <array>
#include <string_view>

namespace lockstep {

enum class OpKind {
  Fill,
  Add,
  Mul,
  Scale,
  Sum,
  Conv2dFwd,
  Conv2dBwdData,
  Conv2dBwdWeight,
  MaxPool2dFwd,
  MaxPool2dBwd,
  LinearFwd,
  LinearBwdData,
  LinearBwdWeight,
  ReluFwd,
  ReluBwd,
  LogSoftmaxFwd,
  LogSoftmaxBwd,
  NllLossFwd,
  NllLossBwd,
  SgdUpdate,
  DropoutApply,
  GatherRows,
  Count
};

inline constexpr std::array<std::string_view, static_cast<size_t>(OpKind::Count)> kOpNames = {
    "fill",           "add",
    "mul",            "scale",
    "sum",            "conv2d_fwd",
    "conv2d_bwd_data", "conv2d_bwd_weight",
    "max_pool2d_fwd", "max_pool2d_bwd",
    "linear_fwd",     "linear_bwd_data",
    "linear_bwd_weight", "relu_fwd",
    "relu_bwd",       "log_softmax_fwd",
    "log_softmax_bwd", "nll_loss_fwd",
    "nll_loss_bwd",   "sgd_update",
    "dropout_apply",  "gather_rows",
};
static_assert(kOpNames.size() == static_cast<size_t>(OpKind::Count));
static_assert(!kOpNames.back().empty(), "every OpKind needs a name");

inline std::string_view op_name(OpKind k) { return kOpNames[static_cast<size_t>(k)]; }

}  // namespace lockstep
