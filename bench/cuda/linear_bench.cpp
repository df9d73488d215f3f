// linear on the CUDA device, every pass, deterministic and fast side by side
// (bench/cuda/device_pass_bench.h) at the CPU benchmark's shapes (bench/linear_pass.h):
// the registered kernels, so det is cuda/linear.cu and fast is cuBLAS.
#include "bench/cuda/device_pass_bench.h"
#include "bench/linear_pass.h"
#include "core/registry.h"

namespace lockstep::bench {
namespace {

void run(Pass p, const DeviceInputs& d, const LinearCase& c, float* out) {
  const float *x = d.x.data<float>(), *w = d.w.data<float>(), *dy = d.dy.data<float>();
  if (p == Pass::Fwd) kernel<OpKind::LinearFwd>(Device::CUDA)(x, w, d.b.data<float>(), out, c.g);
  else if (p == Pass::BwdData) kernel<OpKind::LinearBwdData>(Device::CUDA)(dy, w, out, c.g);
  else kernel<OpKind::LinearBwdWeight>(Device::CUDA)(dy, x, out, out + d.w.numel(), c.g);
}

void register_benchmarks() {
  add_device_context();
  register_device_pass_benchmarks<LinearCase>(kLinear, run);
}

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()
