// linear cases: the reference CNN's layers, a batch of 77 (every thread count up to 16
// works), odd sizes whose batch ends in a partial chunk of 8, and a single sample. Bounds
// (Higham eq. 3.5): det forward acc = b then one fma per i, backward data one fma per o:
// n = terms; det weight and bias: a chunk chain of min(N,8) roundings, then the partials
// added left to right: n = min(N,8) + chunks; fast (any order): n = terms.
#include <algorithm>

#include "core/ops.h"
#include "kernels/linear.h"
#include "tests/ops/harness/op_case.h"
#include "reference/linear_ref.h"

namespace lockstep::test {
namespace {

using ref::LinearShape;
namespace k = lockstep::kernels;

template <class T>
std::vector<T> forward(const k::LinearGeom& g, const Vecs<T>& f) {
  std::vector<T> y;
  for (i64 n = 0; n < g.N; ++n)
    for (i64 o = 0; o < g.O; ++o) y.push_back(k::linear_fwd_elem(f[0].data(), f[1].data(), f[2].data(), g, n, o));
  return y;
}

template <class T>
Vecs<T> backward(const k::LinearGeom& g, const Vecs<T>& f, const std::vector<T>& dy) {
  Vecs<T> d(3);
  for (i64 n = 0; n < g.N; ++n)
    for (i64 i = 0; i < g.I; ++i) d[0].push_back(k::linear_bwd_data_elem(dy.data(), f[1].data(), g, n, i));
  for (i64 o = 0; o < g.O; ++o) {
    for (i64 i = 0; i < g.I; ++i) d[1].push_back(k::linear_bwd_weight_elem(dy.data(), f[0].data(), g, o, i));
    d[2].push_back(k::linear_bwd_bias_elem(dy.data(), g, o));
  }
  return d;
}

std::vector<RefGroup> reference(const LinearShape& s, const Vecs<double>& f, const std::vector<double>& dy, Mode mode) {
  const auto y = ref::linear_fwd(f[0], f[1], f[2], s);
  const auto dx = ref::linear_bwd_data(dy, f[1], s);
  const auto dw = ref::linear_bwd_weight(dy, f[0], s);
  const auto db = ref::linear_bwd_bias(dy, s);
  const double chunk_n = double(std::min<i64>(s.N, k::kBatchChunk) + k::num_chunks(s.N, k::kBatchChunk));
  return {term_bounded(y), term_bounded(dx), batch_bounded(dw, mode, chunk_n), batch_bounded(db, mode, chunk_n)};
}

OpCase linear_case(const LinearShape& s) {
  const k::LinearGeom g{s.N, s.I, s.O};
  OpCase c;
  c.op = "linear";
  c.name = "linear_N" + std::to_string(s.N) + "_" + std::to_string(s.I) + "_to_" + std::to_string(s.O);
  c.inputs = {{"x", Shape{s.N, s.I}}, {"w", Shape{s.O, s.I}}, {"b", Shape{s.O}}};
  c.run = [](const std::vector<Tensor>& t) { return ops::linear(t[0], t[1], t[2]); };
  set_element_forms(
      c, [g](const auto& f, const Vecs<i64>&) { return forward(g, f); },
      [g](const auto& f, const Vecs<i64>&, const auto& dy) { return backward(g, f, dy); });
  c.reference = [s](const Vecs<double>& f, const Vecs<i64>&, const std::vector<double>& dy, Mode mode) {
    return reference(s, f, dy, mode);
  };
  return c;
}

std::vector<OpCase> linear_cases() {
  std::vector<OpCase> cases;
  for (const LinearShape& s : {LinearShape{32, 320, 50}, LinearShape{32, 50, 10}, LinearShape{77, 320, 50},
                               LinearShape{13, 7, 5}, LinearShape{19, 33, 17}, LinearShape{1, 3, 1},
                               LinearShape{37, 50, 10}, LinearShape{100, 33, 17}, LinearShape{3, 4, 5},
                               LinearShape{11, 3, 2}, LinearShape{3, 7, 5}, LinearShape{43, 50, 10}})
    cases.push_back(linear_case(s));
  return cases;
}

}  // namespace
LS_REGISTER_OP_CASES(linear_cases());
}  // namespace lockstep::test
