// The checks every op case gets (tests/ops/harness/op_case.h says which and why).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/ops.h"
#include "core/transfer.h"
#include "tests/ops/harness/op_case.h"
#include "reference/data.h"
#include "tests/support/gradcheck.h"
#include "tests/support/threads.h"

namespace lockstep::test {

std::vector<OpCase>& op_cases() {
  static std::vector<OpCase> cases;
  return cases;
}

bool register_op_cases(std::vector<OpCase> cases) {
  for (auto& c : cases) op_cases().push_back(std::move(c));
  return true;
}

RefGroup bounded(const ref::RefSums& r, const std::function<double(size_t)>& n_roundings) {
  return {r.value, ref_bounds(r, n_roundings)};
}

RefGroup term_bounded(const ref::RefSums& r) {
  return bounded(r, [&r](size_t i) { return double(r.terms[i]); });
}

RefGroup batch_bounded(const ref::RefSums& r, Mode mode, double det_roundings) {
  return mode == Mode::Deterministic ? bounded(r, [det_roundings](size_t) { return det_roundings; }) : term_bounded(r);
}

std::string dims(const Shape& shape) {
  std::string s;
  for (i64 d = 0; d < shape.rank(); ++d) {
    if (d) s += 'x';
    s += std::to_string(shape[d]);
  }
  return s;
}

RefGroup with_bound(std::vector<double> value, double bound) {
  const size_t n = value.size();
  return {std::move(value), std::vector<double>(n, bound)};
}

namespace {

// Uniform data (or small integers when `integers`), seeded per input so that cases are stable.
CaseData make_data(const OpCase& c, std::uint64_t seed, bool integers) {
  CaseData d;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const InputSpec& in = c.inputs[k];
    const i64 n = in.shape.numel();
    const std::uint64_t s = seed * 101 + k;
    if (in.is_int) {
      std::vector<i64> v(static_cast<size_t>(n));
      for (i64 j = 0; j < n; ++j) v[static_cast<size_t>(j)] = static_cast<i64>(mix64(s * 7919 + j) % std::uint64_t(in.int_hi));
      d.f.emplace_back(), d.i.push_back(std::move(v));
    } else {
      d.f.push_back(integers ? int_values(s, n, -c.int_range, c.int_range) : uniform_values(s, n, in.lo, in.hi));
      d.i.emplace_back();
    }
  }
  const i64 ny = static_cast<i64>(c.f32.forward(d.f, d.i).size());
  d.dy = integers ? int_values(seed * 101 + 99, ny, -c.int_range, c.int_range) : uniform_values(seed * 101 + 99, ny);
  return d;
}

// The output, then the gradient of each input with `grad`, through the public op and autograd:
// sum(y * dy).backward() hands the op's node exactly dy. With `only` >= 0 just that input
// requires a gradient, and the others' entries are empty when autograd gave them none.
Vecs<float> run_op(const OpCase& c, const CaseData& d, Device device, Mode mode, int only = -1) {
  ModeGuard guard(mode);
  std::vector<Tensor> tensors;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    const InputSpec& in = c.inputs[k];
    Tensor t = in.is_int ? Tensor::from_ints(d.i[k], in.shape) : Tensor::from_vector(d.f[k], in.shape);
    t = t.to(device);
    if (!in.is_int && in.grad && (only < 0 || only == static_cast<int>(k))) t.set_requires_grad();
    tensors.push_back(t);
  }
  const Tensor y = c.run(tensors);
  ops::sum(ops::mul(y, Tensor::from_vector(d.dy, y.shape()).to(device))).backward();
  Vecs<float> out{y.to_vector()};
  for (size_t k = 0; k < c.inputs.size(); ++k)
    if (!c.inputs[k].is_int && c.inputs[k].grad)
      out.push_back(tensors[k].grad().defined() ? tensors[k].grad().to_vector() : std::vector<float>{});
  return out;
}

Vecs<float> element_forms(const OpCase& c, const CaseData& d) {
  Vecs<float> out{c.f32.forward(d.f, d.i)};
  for (auto& g : c.f32.backward(d.f, d.i, d.dy)) out.push_back(std::move(g));
  return out;
}

std::vector<RefGroup> reference(const OpCase& c, const CaseData& d, Mode mode) {
  Vecs<double> f;
  for (const auto& v : d.f) f.push_back(to_double(v));
  return c.reference(f, d.i, to_double(d.dy), mode);
}

std::vector<float> without_zero_sign(std::vector<float> v) {
  for (float& f : v)
    if (f == 0.0f) f = 0.0f;
  return v;
}

std::string group_name(const OpCase& c, size_t g) {
  if (g == 0) return "output";
  size_t seen = 0;
  for (const InputSpec& in : c.inputs)
    if (!in.is_int && in.grad && ++seen == g) return "d" + in.name;
  return "group " + std::to_string(g);
}

void expect_bitwise(const OpCase& c, const Vecs<float>& got, const Vecs<float>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t g = 0; g < got.size(); ++g) EXPECT_TRUE(bitwise_equal(got[g], want[g], what + " " + group_name(c, g)));
}

class OpHarness : public ::testing::TestWithParam<size_t> {
 protected:
  const OpCase& op_case() const { return op_cases()[GetParam()]; }
};

TEST_P(OpHarness, DetIsTheElementFormsAtEveryThreadCountAndRunToRun) {
  const OpCase& c = op_case();
  const CaseData d = make_data(c, 1, false);
  const Vecs<float> want = element_forms(c, d);
  for (const auto& g : want) ASSERT_TRUE(g.size() == 1 ? g[0] != 0 : non_constant(g)) << "constant data proves little";
  const auto runs = at_each_thread_count([&] { return run_op(c, d, Device::CPU, Mode::Deterministic); });
  for (size_t t = 0; t < runs.size(); ++t) expect_bitwise(c, runs[t], want, "threads=" + std::to_string(kThreadCounts[t]));
  expect_bitwise(c, run_op(c, d, Device::CPU, Mode::Deterministic), want, "run to run");
}

TEST_P(OpHarness, EachInputAloneGetsTheSameGradientAndNoOther) {
  // Autograd must route dy to each input that wants a gradient and only to those, and a
  // partial request must not change the bits of what is computed.
  const OpCase& c = op_case();
  const CaseData d = make_data(c, 6, false);
  const Vecs<float> all = run_op(c, d, Device::CPU, Mode::Deterministic);
  size_t group = 0;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    if (c.inputs[k].is_int || !c.inputs[k].grad) continue;
    ++group;
    const Vecs<float> one = run_op(c, d, Device::CPU, Mode::Deterministic, static_cast<int>(k));
    const std::string what = "only " + c.inputs[k].name + " requires grad: ";
    EXPECT_TRUE(bitwise_equal(one[0], all[0], what + "output"));
    for (size_t g = 1; g < one.size(); ++g) {
      if (g == group)
        EXPECT_TRUE(bitwise_equal(one[g], all[g], what + group_name(c, g)));
      else
        EXPECT_TRUE(one[g].empty()) << what << group_name(c, g) << " got a gradient";
    }
  }
}

// check(got, reference, what) for the CPU in both modes at each thread count (fast kernels may
// split by thread count, so they are checked at several).
template <class Check>
void on_cpu_in_both_modes(const OpCase& c, const CaseData& d, std::initializer_list<int> thread_counts, Check check) {
  for (Mode mode : {Mode::Deterministic, Mode::Fast})
    for (int threads : thread_counts) {
      ThreadCountGuard guard(threads);
      const Vecs<float> got = run_op(c, d, Device::CPU, mode);
      const std::vector<RefGroup> r = reference(c, d, mode);
      ASSERT_EQ(got.size(), r.size());
      check(mode, got, r, std::string(mode_name(mode)) + " threads=" + std::to_string(threads) + " ");
    }
}

TEST_P(OpHarness, WithinFloat64Reference) {
  const OpCase& c = op_case();
  on_cpu_in_both_modes(c, make_data(c, 2, false), {1, 2, 7},
                       [&](Mode, const Vecs<float>& got, const std::vector<RefGroup>& r, const std::string& what) {
                         for (size_t g = 0; g < got.size(); ++g)
                           EXPECT_TRUE(within_bounds(got[g], r[g].value, r[g].bound, what + group_name(c, g)));
                       });
}

TEST_P(OpHarness, ExactOnSmallIntegers) {
  const OpCase& c = op_case();
  if (c.int_range == 0) GTEST_SKIP() << c.op << " is not exact on integer data (it rounds transcendental values)";
  on_cpu_in_both_modes(c, make_data(c, 3, true), {1, 2, 3},
                       [&](Mode mode, const Vecs<float>& got, const std::vector<RefGroup>& r, const std::string& what) {
                         double total = 0;
                         for (size_t g = 0; g < got.size(); ++g) {
                           // Det follows the documented chain from +0 and so keeps the reference's
                           // +0; a fast kernel may reach an exact zero as -0 (e.g. a GEMM starting
                           // from a -0 product).
                           const bool fast = mode == Mode::Fast;
                           const std::vector<float> want = to_float(r[g].value);
                           EXPECT_TRUE(bitwise_equal(fast ? without_zero_sign(got[g]) : got[g],
                                                     fast ? without_zero_sign(want) : want, what + group_name(c, g)));
                           total += abs_sum(got[g]);
                         }
                         EXPECT_GT(total, 0) << "all zero proves little";
                       });
}

TEST_P(OpHarness, GradCheck) {
  const OpCase& c = op_case();
  if (!c.gradcheck) GTEST_SKIP() << c.op << ": no gradient";
  const CaseData d = make_data(c, 4, false);
  double inputs = 0;
  for (const auto& v : d.f) inputs += double(v.size());
  const double jacobian = double(d.dy.size()) * inputs;  // outputs x inputs
  // Each Jacobian column takes two forward evaluations: many inputs cost even with one output.
  if (jacobian > 4e6 || inputs > 2e4) GTEST_SKIP() << "too large for a full Jacobian; the op's smaller cases check it";
  Vecs<double> f0;
  for (const auto& v : d.f) f0.push_back(to_double(v));
  if (c.gradcheck_point) c.gradcheck_point(f0);
  size_t grad_index = 0;
  for (size_t k = 0; k < c.inputs.size(); ++k) {
    if (c.inputs[k].is_int || !c.inputs[k].grad) continue;
    const size_t gi = grad_index++;
    auto fwd = [&](const std::vector<double>& v) {
      Vecs<double> f = f0;
      f[k] = v;
      return c.f64.forward(f, d.i);
    };
    auto vjp = [&](const std::vector<double>& v, const std::vector<double>& dy) {
      Vecs<double> f = f0;
      f[k] = v;
      return c.f64.backward(f, d.i, dy)[gi];
    };
    EXPECT_TRUE(gradcheck(fwd, vjp, f0[k])) << "d" << c.inputs[k].name;
  }
}

TEST_P(OpHarness, CudaDetIsCpuDetAndCudaFastWithinReference) {
  const OpCase& c = op_case();
  if (const std::string why = device_unavailable_reason(Device::CUDA); !why.empty()) GTEST_SKIP() << why;
  const CaseData d = make_data(c, 5, false);
  expect_bitwise(c, run_op(c, d, Device::CUDA, Mode::Deterministic), run_op(c, d, Device::CPU, Mode::Deterministic),
                 "cuda det vs cpu det");
  const Vecs<float> fast = run_op(c, d, Device::CUDA, Mode::Fast);
  const std::vector<RefGroup> r = reference(c, d, Mode::Fast);
  for (size_t g = 0; g < fast.size(); ++g)
    EXPECT_TRUE(within_bounds(fast[g], r[g].value, r[g].bound, "cuda fast " + group_name(c, g)));
}

std::string case_name(const ::testing::TestParamInfo<size_t>& info) {
  std::string s = op_cases()[info.param].name;
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Ops, OpHarness, ::testing::Range<size_t>(0, op_cases().size()), case_name);

}  // namespace
}  // namespace lockstep::test
