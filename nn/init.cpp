// Parameter initialisation. Threads split the elements; each element's value is a function of
// its index only, so the split changes nothing. See docs/randomness.md#init.
#include "nn/init.h"

#include <cmath>

#include "core/random.h"
#include "cpu/parallel.h"

namespace lockstep::nn {
namespace k = lockstep::kernels;

float default_init_bound(i64 fan_in) {
  LS_CHECK(fan_in >= 1, ShapeError, "default_init_bound: expected fan_in >= 1, got ", fan_in);
  // In double, then one rounding to float: the float nearest 1/sqrt(fan_in) (as PyTorch's
  // Python-float bound is before uniform_ narrows it).
  return static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
}

void init_uniform_(Tensor& t, float bound, std::uint64_t seed, std::uint64_t param_index) {
  LS_CHECK(t.defined(), Error, "init_uniform_: t is an undefined tensor");
  LS_CHECK(t.dtype() == DType::F32, DTypeError, "init_uniform_: expected t of dtype float32, got ",
           dtype_name(t.dtype()));
  LS_CHECK(t.device() == Device::CPU, DeviceError, "init_uniform_: expected a cpu tensor, got ",
           device_name(t.device()));
  LS_CHECK(std::isfinite(bound) && bound >= 0.0f, Error, "init_uniform_: expected a finite bound >= 0, got ", bound);
  const random::PhiloxStream s = random::stream_for_init(seed, param_index);
  float* out = t.data<float>();
  // Ranges start on multiples of 4 words so each thread computes whole Philox blocks.
  const i64 blocks = (t.numel() + 3) / 4, n = t.numel();
  cpu::parallel_for(blocks, 1024, [&](i64 lo, i64 hi) {
    for (i64 b = lo; b < hi; ++b) {
      const k::Philox4 w = k::stream_block(s, static_cast<std::uint64_t>(b));
      for (i64 i = b * 4; i < n && i < b * 4 + 4; ++i) out[i] = k::word_to_symmetric(w.w[i & 3], bound);
    }
  });
}

}  // namespace lockstep::nn
