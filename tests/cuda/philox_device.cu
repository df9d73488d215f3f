// Device side of philox_test.cpp: kernels/philox.h evaluated by a GPU thread, and cuRAND's
// Philox4_32_10 generator, cross-checked against the known-answer vectors (reference/philox_kat.h).
#include <curand_kernel.h>

#include "cuda/check.h"
#include "cuda/runtime.h"
#include "kernels/philox.h"
#include "tests/cuda/philox_device.h"

namespace lockstep::test {
namespace {
namespace kn = lockstep::kernels;

// in: count x {ctr0..3, key0..1}; out: count x 4 words; thread i does vector i.
__global__ void philox_kernel(const std::uint32_t* in, std::uint32_t* out, int count, int rounds) {
  const int i = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (i >= count) return;
  const std::uint32_t* v = in + 6 * i;
  const kn::Philox4 c{{v[0], v[1], v[2], v[3]}};
  const kn::PhiloxKey k{{v[4], v[5]}};
  const kn::Philox4 r = rounds == 7 ? kn::philox4x32<7>(c, k) : kn::philox4x32<10>(c, k);
  for (int j = 0; j < 4; ++j) out[4 * i + j] = r.w[j];
}

__global__ void curand_kernel(unsigned long long seed, unsigned long long subsequence, unsigned long long offset,
                              std::uint32_t* out, int n) {
  curandStatePhilox4_32_10_t state;
  curand_init(seed, subsequence, offset, &state);
  for (int j = 0; j < n; ++j) out[j] = curand(&state);
}

}  // namespace

std::vector<std::uint32_t> philox_on_device(const std::vector<std::uint32_t>& ctr_key, int rounds) {
  const int count = static_cast<int>(ctr_key.size() / 6);
  cuda::DeviceBuffer in(ctr_key.size() * 4), out(static_cast<size_t>(count) * 16);
  LS_CUDA_CHECK(cudaMemcpy(in.as<void>(), ctr_key.data(), ctr_key.size() * 4, cudaMemcpyHostToDevice));
  philox_kernel<<<1, 64, 0, cuda::stream()>>>(in.as<std::uint32_t>(), out.as<std::uint32_t>(), count, rounds);
  LS_CUDA_CHECK(cudaGetLastError());
  std::vector<std::uint32_t> host(static_cast<size_t>(count) * 4);
  LS_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  LS_CUDA_CHECK(cudaMemcpy(host.data(), out.as<void>(), host.size() * 4, cudaMemcpyDeviceToHost));
  return host;
}

std::vector<std::uint32_t> curand_philox_words(unsigned long long seed, unsigned long long subsequence,
                                               unsigned long long offset, int n) {
  cuda::DeviceBuffer out(static_cast<size_t>(n) * 4);
  curand_kernel<<<1, 1, 0, cuda::stream()>>>(seed, subsequence, offset, out.as<std::uint32_t>(), n);
  LS_CUDA_CHECK(cudaGetLastError());
  std::vector<std::uint32_t> host(static_cast<size_t>(n));
  LS_CUDA_CHECK(cudaStreamSynchronize(cuda::stream()));
  LS_CUDA_CHECK(cudaMemcpy(host.data(), out.as<void>(), host.size() * 4, cudaMemcpyDeviceToHost));
  return host;
}

}  // namespace lockstep::test
