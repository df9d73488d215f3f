// The op test harness (in the spirit of ggml's test-backend-ops): an op declares cases, the
// harness runs the same checks on every case (tests/ops/harness/op_harness_test.cpp):
//   * det on the CPU is bitwise the kernels/ element forms at 1, 2, 3, 7 and 16 threads,
//     and run to run;
//   * det and fast are within a float64 reference's error bound (the reference never
//     includes kernels/, so it is independent of the code under test);
//   * on small-integer data, where every order is exact, det and fast equal the reference;
//   * a float64 full-Jacobian gradient check of the element forms (their backward is the
//     vector-Jacobian product of their forward);
//   * where a GPU is usable, CUDA det is bitwise CPU det and CUDA fast is within the bound.
// A case is a value: tests/ops/cases/<op>.cpp builds its cases and registers them with
// LS_REGISTER_OP_CASES. Adding an op's tests means declaring its cases there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "core/mode.h"
#include "core/tensor.h"
#include "reference/ref_sums.h"
#include "tests/support/compare.h"

namespace lockstep::test {

template <class T>
using Vecs = std::vector<std::vector<T>>;

// One input of the op under test.
struct InputSpec {
  std::string name;
  Shape shape;
  bool is_int = false;     // int64 (e.g. class targets); never differentiated
  bool grad = true;        // float inputs: does the op's backward give a gradient?
  i64 int_hi = 0;          // int inputs: values in [0, int_hi)
  float lo = -1.0f, hi = 1.0f;  // float inputs: uniform data range
};

// The inputs of one run: float values (empty for int inputs) and int values (empty for float).
struct CaseData {
  Vecs<float> f;
  Vecs<i64> i;
  std::vector<float> dy;  // the cotangent of the output
};

// The kernels/ element forms of an op for one T: the output, and the gradient of each
// input with `grad` set (in input order), given dy.
template <class T>
struct ElementForms {
  std::function<std::vector<T>(const Vecs<T>& f, const Vecs<i64>& i)> forward;
  std::function<Vecs<T>(const Vecs<T>& f, const Vecs<i64>& i, const std::vector<T>& dy)> backward;
};

// A float64 reference value per output element and its error bound for a mode.
struct RefGroup {
  std::vector<double> value, bound;
};

struct OpCase {
  std::string op;    // the op's name, e.g. "max_pool2d"
  std::string name;  // unique among all cases: the op and its shape
  std::vector<InputSpec> inputs;
  // The op through the public API (autograd included), on the tensors' device.
  std::function<Tensor(const std::vector<Tensor>&)> run;
  ElementForms<float> f32;
  ElementForms<double> f64;
  // Output, then each gradient, with bounds for `mode` (chain lengths differ between det and
  // fast). Data in double; int inputs as given.
  std::function<std::vector<RefGroup>(const Vecs<double>& f, const Vecs<i64>& i, const std::vector<double>& dy,
                                      Mode mode)>
      reference;
  // Small integers in [-int_range, int_range] keep every partial sum exact (0: the op is not
  // exact on integers, e.g. it takes an exp).
  int int_range = 3;
  // Where the gradient check evaluates the Jacobian (default: the uniform data), e.g. distinct
  // values for max_pool2d so that no difference step changes an argmax.
  std::function<void(Vecs<double>& f)> gradcheck_point;
  bool gradcheck = true;
};

std::vector<OpCase>& op_cases();
bool register_op_cases(std::vector<OpCase> cases);

// Both element-form instantiations from generic lambdas taking (f, i[, dy]) with T deduced:
// `forms_of(case, [](const auto& f, const Vecs<i64>&) { ... }, [](const auto& f, ...) { ... })`.
template <class Fwd, class Bwd>
void set_element_forms(OpCase& c, Fwd fwd, Bwd bwd) {
  c.f32 = {fwd, bwd};
  c.f64 = {fwd, bwd};
}

// The T of a generic lambda's Vecs<T> argument.
template <class V>
using ElemOf = typename std::decay_t<V>::value_type::value_type;

// A reference sum with the bound chain_bound(n(i), sum|terms_i|) for each element.
RefGroup bounded(const ref::RefSums& r, const std::function<double(size_t)>& n_roundings);
// A reference with one bound for every element.
RefGroup with_bound(std::vector<double> value, double bound);
// A chain per element as long as the reference's term count (n = terms[i]).
RefGroup term_bounded(const ref::RefSums& r);
// A batch reduction (weight and bias gradients): det adds chunk chains, then the partials,
// det_roundings in all; fast may take any order of the reference's terms.
RefGroup batch_bounded(const ref::RefSums& r, Mode mode, double det_roundings);
// "2x3x11x9": a shape for case names.
std::string dims(const Shape& shape);

}  // namespace lockstep::test

#define LS_OP_CASES_CONCAT2(a, b) a##b
#define LS_OP_CASES_CONCAT(a, b) LS_OP_CASES_CONCAT2(a, b)
// LS_REGISTER_OP_CASES(make_cases()): registers the cases at start-up (the harness binary
// links every tests/ops/cases/*.cpp object directly, so static registration is safe here).
#define LS_REGISTER_OP_CASES(expr) \
  static const bool LS_OP_CASES_CONCAT(ls_op_cases_registered_, __LINE__) = ::lockstep::test::register_op_cases(expr)
