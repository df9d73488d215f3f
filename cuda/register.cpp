// Installs the CUDA backend: its allocator, copier, device probe, the kernel profile's wait
// for the stream, and every kernel the op table (core/op_table.h) flags for CUDA. Touches no
// CUDA runtime call: installing is harmless without a GPU, and the first CUDA allocation or
// copy reports why no device is usable (cuda/runtime.cpp).
#include "core/registry.h"
#include "core/storage.h"
#include "core/transfer.h"
#include "cuda/kernels.h"
#include "cuda/runtime.h"

namespace lockstep {
namespace {

// The registered signature of op K, calling a launcher that takes a LaunchConfig last.
template <class Sig, auto F>
struct WithDefaultLaunch;
template <class... A, auto F>
struct WithDefaultLaunch<void (*)(A...), F> {
  static void run(A... args) { F(args..., cuda::kDefaultLaunch); }
};

template <OpKind K, auto F>
void det(Registry& r) {
  register_kernel<K>(r, Device::CUDA, Mode::Deterministic, &WithDefaultLaunch<typename KernelSig<K>::type, F>::run);
}

}  // namespace

void install_cuda_backend(Registry& r) {
  Storage::set_allocator(Device::CUDA, {cuda::device_alloc, cuda::device_free});
  Storage::set_copier(cuda::copy_bytes);
  set_device_probe(Device::CUDA, cuda::unavailable_reason);
  set_device_unit_selector(Device::CUDA, cuda::select_device);
  // While profiling, each kernel is timed to its end, not its launch (core/kernel_profile.h).
  kernel_profile::set_finish_device_work(cuda::finish_queued_work);

#define LS_CUDA_REGISTER(Kind, name, params, cpu_det, cpu_fast, cuda_det, cuda_fast) \
  LS_IF(cuda_det)(det<OpKind::Kind, cuda::name##_det>(r);)                           \
  LS_IF(cuda_fast)(register_kernel<OpKind::Kind>(r, Device::CUDA, Mode::Fast, cuda::name##_fast);)
  LS_OP_TABLE(LS_CUDA_REGISTER)
#undef LS_CUDA_REGISTER
}

}  // namespace lockstep
