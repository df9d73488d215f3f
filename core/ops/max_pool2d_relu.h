// The shared body of ops::max_pool2d_relu and ops::dropout2d_max_pool2d_relu (core/ops/
// max_pool2d.cpp): the dropout op validates its key and builds the mask's params
// (core/ops/dropout.cpp), then both run the same fused kernels.
#pragma once

#include <string_view>

#include "core/tensor.h"
#include "kernels/dropout.h"
#include "kernels/shapes.h"

namespace lockstep::ops {

// relu(max_pool2d(x)) over geometry g; with drop, relu(max_pool2d(dropout2d(x))) with that mask.
Tensor max_pool2d_relu_with(std::string_view op, const Tensor& x, const kernels::Pool2dGeom& g,
                            const kernels::DropoutParams* drop);

}  // namespace lockstep::ops
