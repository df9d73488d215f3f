// Compiles every kernels/*.h header in an nvcc translation unit, device side included: one
// never-launched kernel instantiates a function of each, so host-only code leaking into
// kernels/ (or device-only intrinsics into host paths) fails the build, not a GPU run.
#include "kernels/conv2d.h"
#include "kernels/dropout.h"
#include "kernels/elementwise.h"
#include "kernels/hd.h"
#include "kernels/linear.h"
#include "kernels/log_softmax.h"
#include "kernels/math.h"
#include "kernels/max_pool2d.h"
#include "kernels/nll_loss.h"
#include "kernels/philox.h"
#include "kernels/reduce.h"
#include "kernels/relu.h"
#include "kernels/shapes.h"

namespace lockstep::cuda {
namespace kn = lockstep::kernels;

__global__ void kernels_headers_compile_check(const float* x, float* y, kn::i64* idx, std::uint32_t* words) {
  const kn::Conv2dGeom cg{1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 0};
  const kn::LinearGeom lg{1, 2, 2};
  const kn::Pool2dGeom pg{1, 1, 2, 2, 2, 2, 1, 1, 2};
  y[0] = kn::conv2d_fwd_elem(x, x, x, cg, 0, 0, 0, 0) + kn::conv2d_bwd_data_elem(x, x, cg, 0, 0, 0, 0) +
         kn::conv2d_bwd_weight_elem(x, x, cg, 0, 0, 0, 0) + kn::conv2d_bwd_bias_elem(x, cg, 0);
  kn::conv2d_fwd_row(x, x, x, cg, 0, 0, 0, y);
  kn::conv2d_bwd_data_row(x, x, cg, 0, 0, 0, y);
  kn::conv2d_bwd_weight_chunk_rs(x, x, cg, 0, 0, 0, y);
  y[1] = kn::linear_fwd_elem(x, x, x, lg, 0, 0) + kn::linear_bwd_data_elem(x, x, lg, 0, 0) +
         kn::linear_bwd_weight_elem(x, x, lg, 0, 0) + kn::linear_bwd_bias_elem(x, lg, 0);
  kn::linear_fwd_row(x, x, x, lg, 0, y);
  kn::linear_bwd_data_row(x, x, lg, 0, y);
  kn::linear_bwd_weight_row(x, x, lg, 0, y, y + 2);
  kn::log_softmax_fwd_row(x, y, 2);
  kn::log_softmax_bwd_row(x, x, y, 2);
  y[2] = kn::exp(x[0]) + kn::log(x[1]) + static_cast<float>(kn::exp(double(x[0])) + kn::log(double(x[1])));
  y[3] = kn::max_pool2d_fwd_elem(x, pg, 0, 0, idx) + kn::max_pool2d_bwd_elem(x, idx, pg, 0, 0);
  kn::max_pool2d_bwd_plane(x, idx, y, pg);
  const kn::i64 target[1] = {0};
  y[4] = kn::nll_loss_fwd_partial(x, target, 1, 1, 0) + kn::nll_loss_fwd_finish(x, 1) + kn::nll_loss_bwd_value(x[0], 1);
  y[5] = kn::sum_canonical(x, 3) + kn::relu_fwd_elem(x[0]) + kn::relu_bwd_elem(x[0], x[1]) +
         kn::add_elem(x[0], x[1]) + kn::mul_elem(x[0], x[1]) + kn::scale_elem(x[0], x[1]);
  float p = x[0], v = x[1];
  kn::sgd_momentum_elem(p, v, x[2], 0.1f, 0.5f);
  kn::sgd_plain_elem(p, x[2], 0.1f);
  const kn::DropoutParams d = kn::dropout_params(kn::make_stream(1, kn::kStreamDropout, 0, 0), 0.5f, 1);
  y[6] = p + v + kn::dropout_apply_elem(x, d, 0) + kn::word_to_symmetric(words[0], 1.0f);
  const kn::Philox4 out = kn::philox4x32<7>(kn::Philox4{{words[0], 0u, 0u, 0u}}, kn::PhiloxKey{{0u, 0u}});
  words[1] = out.w[0] ^ kn::stream_word(d.stream, 5);
}

}  // namespace lockstep::cuda
