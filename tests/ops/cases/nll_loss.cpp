// nll_loss (mean) cases: batches of 1, 9 and 19 (partial chunks), 1024 (a power of two, so
// exact on integers) and 5000 (625 chunks: every thread count gets work). The forward adds
// at most 8 values in a chunk, then the chunk partials, then divides once:
// |err| <= chain_bound(8 + chunks, sum|picked|) / N + chain_bound(1, |loss|). The backward,
// -(dloss / N), rounds once.
#include <cmath>

#include "core/ops.h"
#include "kernels/nll_loss.h"
#include "tests/ops/harness/op_case.h"
#include "reference/nll_loss_ref.h"

namespace lockstep::test {
namespace {

OpCase nll_loss_case(i64 rows, i64 cols) {
  OpCase c;
  c.op = "nll_loss";
  c.name = "nll_loss_" + std::to_string(rows) + "x" + std::to_string(cols);
  c.inputs = {{"logp", Shape{rows, cols}}, {"target", Shape{rows}, /*is_int=*/true, /*grad=*/false, cols}};
  c.inputs[0].lo = -6.0f, c.inputs[0].hi = 0.0f;
  c.run = [](const std::vector<Tensor>& t) { return ops::nll_loss(t[0], t[1]); };
  set_element_forms(
      c,
      [rows, cols](const auto& f, const Vecs<i64>& i) {
        using T = ElemOf<decltype(f)>;
        std::vector<T> partial(static_cast<size_t>(kernels::num_chunks(rows, kernels::kBatchChunk)));
        for (size_t j = 0; j < partial.size(); ++j)
          partial[j] = kernels::nll_loss_fwd_partial(f[0].data(), i[1].data(), rows, cols, static_cast<i64>(j));
        return std::vector<T>{kernels::nll_loss_fwd_finish(partial.data(), rows)};
      },
      [rows, cols](const auto& f, const Vecs<i64>& i, const auto& dy) {
        using T = ElemOf<decltype(f)>;
        Vecs<T> d{std::vector<T>(f[0].size(), T(0))};
        for (i64 n = 0; n < rows; ++n) d[0][static_cast<size_t>(n * cols + i[1][n])] = kernels::nll_loss_bwd_value(dy[0], rows);
        return d;
      });
  c.reference = [rows, cols](const Vecs<double>& f, const Vecs<i64>& i, const std::vector<double>& dy, Mode) {
    const auto r = ref::nll_loss_fwd(f[0], i[1], rows, cols);
    const double chunks = double(kernels::num_chunks(rows, kernels::kBatchChunk));
    const double bound = chain_bound(8 + chunks, r.abs_sum) / double(rows) + chain_bound(1, std::fabs(r.loss));
    const auto d = ref::nll_loss_bwd(dy[0], i[1], rows, cols);
    return std::vector<RefGroup>{with_bound({r.loss}, bound), with_bound(d, chain_bound(1, std::fabs(dy[0]) / double(rows)))};
  };
  // The mean divides by N: exact on integers only when N is a power of two.
  c.int_range = (rows & (rows - 1)) == 0 ? 3 : 0;
  return c;
}

}  // namespace
LS_REGISTER_OP_CASES((std::vector<OpCase>{nll_loss_case(1, 3), nll_loss_case(9, 5), nll_loss_case(19, 4),
                                          nll_loss_case(1024, 7), nll_loss_case(5000, 10)}));
}  // namespace lockstep::test
