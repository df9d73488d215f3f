// conv2d cases: the reference CNN's layers, stride 2 and 3, padding 1 and 2 (wider than
// needed too), R != S, and batches of 13, 17 and 19 so that the batch reduction ends in a
// partial chunk of kBatchChunk = 8. Bounds (Higham eq. 3.5, |err| <= gamma_n sum|terms|):
//  * det forward: acc = b, then one fma per tap; det backward data: acc = 0, one fma per tap.
//    So n = terms, the reference's term count (padded taps counted: a loose upper bound).
//  * det weight and bias: a chunk chain of at most min(N,8)*P*Q roundings, then the partials
//    added left to right: n = min(N,8)*P*Q + chunks.
//  * fast (any order): one rounding per product and a tree of depth <= terms-1: n = terms.
#include <algorithm>

#include "core/ops.h"
#include "kernels/conv2d.h"
#include "tests/ops/harness/op_case.h"
#include "reference/conv2d_ref.h"

namespace lockstep::test {
namespace {

using ref::Conv2dShape;
namespace k = lockstep::kernels;

std::string shape_name(const Conv2dShape& s) {
  return "conv2d_N" + std::to_string(s.N) + "_C" + std::to_string(s.C) + "_" + std::to_string(s.H) + "x" +
         std::to_string(s.W) + "_K" + std::to_string(s.K) + "_" + std::to_string(s.R) + "x" + std::to_string(s.S) +
         "_st" + std::to_string(s.stride) + "_pad" + std::to_string(s.pad);
}

// Forward and backward element forms in plain loops over the outputs, for any T.
template <class T>
std::vector<T> forward(const k::Conv2dGeom& g, const Vecs<T>& f) {
  std::vector<T> y;
  for (i64 n = 0; n < g.N; ++n)
    for (i64 kk = 0; kk < g.K; ++kk)
      for (i64 p = 0; p < g.P; ++p)
        for (i64 q = 0; q < g.Q; ++q) y.push_back(k::conv2d_fwd_elem(f[0].data(), f[1].data(), f[2].data(), g, n, kk, p, q));
  return y;
}

template <class T>
Vecs<T> backward(const k::Conv2dGeom& g, const Vecs<T>& f, const std::vector<T>& dy) {
  Vecs<T> d(3);
  for (i64 n = 0; n < g.N; ++n)
    for (i64 c = 0; c < g.C; ++c)
      for (i64 h = 0; h < g.H; ++h)
        for (i64 w = 0; w < g.W; ++w) d[0].push_back(k::conv2d_bwd_data_elem(dy.data(), f[1].data(), g, n, c, h, w));
  for (i64 kk = 0; kk < g.K; ++kk) {
    for (i64 c = 0; c < g.C; ++c)
      for (i64 r = 0; r < g.R; ++r)
        for (i64 t = 0; t < g.S; ++t) d[1].push_back(k::conv2d_bwd_weight_elem(dy.data(), f[0].data(), g, kk, c, r, t));
    d[2].push_back(k::conv2d_bwd_bias_elem(dy.data(), g, kk));
  }
  return d;
}

std::vector<RefGroup> reference(const Conv2dShape& s, const Vecs<double>& f, const std::vector<double>& dy, Mode mode) {
  const auto y = ref::conv2d_fwd(f[0], f[1], f[2], s);
  const auto dx = ref::conv2d_bwd_data(dy, f[1], s);
  const auto dw = ref::conv2d_bwd_weight(dy, f[0], s);
  const auto db = ref::conv2d_bwd_bias(dy, s);
  const double chunk_n = double(std::min<i64>(s.N, k::kBatchChunk) * s.P() * s.Q() + k::num_chunks(s.N, k::kBatchChunk));
  return {term_bounded(y), term_bounded(dx), batch_bounded(dw, mode, chunk_n), batch_bounded(db, mode, chunk_n)};
}

OpCase conv2d_case(const Conv2dShape& s) {
  const k::Conv2dGeom g{s.N, s.C, s.H, s.W, s.K, s.R, s.S, s.P(), s.Q(), s.stride, s.pad};
  OpCase c;
  c.op = "conv2d";
  c.name = shape_name(s);
  c.inputs = {{"x", Shape{s.N, s.C, s.H, s.W}}, {"w", Shape{s.K, s.C, s.R, s.S}}, {"b", Shape{s.K}}};
  c.run = [s](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], t[2], {s.stride, s.pad}); };
  set_element_forms(
      c, [g](const auto& f, const Vecs<i64>&) { return forward(g, f); },
      [g](const auto& f, const Vecs<i64>&, const auto& dy) { return backward(g, f, dy); });
  c.reference = [s](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode mode) {
    return reference(s, f, dy, mode);
  };
  return c;
}

std::vector<OpCase> conv2d_cases() {
  std::vector<OpCase> cases;
  for (const Conv2dShape& s : {Conv2dShape{32, 1, 28, 28, 10, 5, 5, 1, 0}, Conv2dShape{32, 10, 12, 12, 20, 5, 5, 1, 0},
                               Conv2dShape{13, 3, 7, 9, 5, 3, 3, 2, 1}, Conv2dShape{13, 2, 6, 5, 3, 4, 3, 1, 2},
                               Conv2dShape{19, 2, 11, 10, 4, 5, 4, 3, 2}, Conv2dShape{17, 3, 6, 6, 5, 3, 3, 1, 2},
                               Conv2dShape{2, 2, 5, 5, 3, 3, 3, 2, 1}, Conv2dShape{9, 1, 4, 5, 2, 2, 3, 1, 1},
                               Conv2dShape{5, 10, 12, 12, 20, 5, 5, 1, 0}, Conv2dShape{3, 1, 28, 28, 10, 5, 5, 1, 0},
                               Conv2dShape{3, 2, 9, 7, 4, 3, 3, 2, 1}})
    cases.push_back(conv2d_case(s));
  return cases;
}

}  // namespace
LS_REGISTER_OP_CASES(conv2d_cases());
}  // namespace lockstep::test
