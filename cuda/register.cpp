// Fills the CUDA rows of the kernel table and installs the CUDA allocator, copier and device
// probe. Touches no CUDA runtime call: registration is harmless without a GPU, and the first
// CUDA allocation or copy reports why no device is usable (cuda/runtime.cpp).
// Fast entries: cuDNN convolutions, cuBLAS linear layers, the atomic max_pool2d backward;
// every other op runs its deterministic kernel in fast mode too (core/registry.h fallback).
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

void register_cuda_kernels(Registry& r) {
  Storage::set_allocator(Device::CUDA, {cuda::device_alloc, cuda::device_free});
  Storage::set_copier(cuda::copy_bytes);
  set_device_probe(Device::CUDA, cuda::unavailable_reason);

  det<OpKind::Fill, cuda::fill_det>(r);
  det<OpKind::Add, cuda::add_det>(r);
  det<OpKind::Mul, cuda::mul_det>(r);
  det<OpKind::Scale, cuda::scale_det>(r);
  det<OpKind::Sum, cuda::sum_det>(r);
  det<OpKind::SgdUpdate, cuda::sgd_update_det>(r);
  det<OpKind::Conv2dFwd, cuda::conv2d_fwd_det>(r);
  det<OpKind::Conv2dBwdData, cuda::conv2d_bwd_data_det>(r);
  det<OpKind::Conv2dBwdWeight, cuda::conv2d_bwd_weight_det>(r);
  det<OpKind::MaxPool2dFwd, cuda::max_pool2d_fwd_det>(r);
  det<OpKind::MaxPool2dBwd, cuda::max_pool2d_bwd_det>(r);
  det<OpKind::LinearFwd, cuda::linear_fwd_det>(r);
  det<OpKind::LinearBwdData, cuda::linear_bwd_data_det>(r);
  det<OpKind::LinearBwdWeight, cuda::linear_bwd_weight_det>(r);
  det<OpKind::ReluFwd, cuda::relu_fwd_det>(r);
  det<OpKind::ReluBwd, cuda::relu_bwd_det>(r);
  det<OpKind::LogSoftmaxFwd, cuda::log_softmax_fwd_det>(r);
  det<OpKind::LogSoftmaxBwd, cuda::log_softmax_bwd_det>(r);
  det<OpKind::NllLossFwd, cuda::nll_loss_fwd_det>(r);
  det<OpKind::NllLossBwd, cuda::nll_loss_bwd_det>(r);
  det<OpKind::DropoutApply, cuda::dropout_apply_det>(r);
  det<OpKind::GatherRows, cuda::gather_rows_det>(r);

  constexpr Device gpu = Device::CUDA;
  constexpr Mode fast = Mode::Fast;
  register_kernel<OpKind::Conv2dFwd>(r, gpu, fast, cuda::conv2d_fwd_fast);
  register_kernel<OpKind::Conv2dBwdData>(r, gpu, fast, cuda::conv2d_bwd_data_fast);
  register_kernel<OpKind::Conv2dBwdWeight>(r, gpu, fast, cuda::conv2d_bwd_weight_fast);
  register_kernel<OpKind::LinearFwd>(r, gpu, fast, cuda::linear_fwd_fast);
  register_kernel<OpKind::LinearBwdData>(r, gpu, fast, cuda::linear_bwd_data_fast);
  register_kernel<OpKind::LinearBwdWeight>(r, gpu, fast, cuda::linear_bwd_weight_fast);
  register_kernel<OpKind::MaxPool2dBwd>(r, gpu, fast, cuda::max_pool2d_bwd_fast);
}

}  // namespace lockstep
