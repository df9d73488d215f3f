// conv2d on the CUDA device, every pass, deterministic and fast side by side
// (bench/cuda/device_pass_bench.h) at the CPU benchmark's shapes (bench/conv2d_pass.h):
// the registered kernels, so det is cuda/conv2d.cu and fast is cuDNN.
#include "bench/conv2d_pass.h"
#include "bench/cuda/device_pass_bench.h"
#include "core/registry.h"

namespace lockstep::bench {
namespace {

void run(Pass p, const DeviceInputs& d, const Conv2dCase& c, float* out) {
  const Conv2dGeom g = conv2d_geom(c.s);
  const float *x = d.x.data<float>(), *w = d.w.data<float>(), *dy = d.dy.data<float>();
  if (p == Pass::Fwd) kernel<OpKind::Conv2dFwd>(Device::CUDA)(x, w, d.b.data<float>(), out, g);
  else if (p == Pass::BwdData) kernel<OpKind::Conv2dBwdData>(Device::CUDA)(dy, w, out, g);
  else kernel<OpKind::Conv2dBwdWeight>(Device::CUDA)(dy, x, out, out + d.w.numel(), g);
}

void register_benchmarks() {
  add_device_context();
  register_device_pass_benchmarks<Conv2dCase>(kConv2d, run);
}

}  // namespace
}  // namespace lockstep::bench

using lockstep::bench::register_benchmarks;
LOCKSTEP_BENCH_MAIN()
