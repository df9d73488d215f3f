// Fills the CPU rows of the kernel table. Fast variants arrive with the switch issue;
// until then the registry's fallback runs the deterministic kernel in fast mode.
#include "core/registry.h"
#include "cpu/kernels.h"

namespace lockstep {

void register_cpu_kernels(Registry& r) {
  constexpr Device cpu = Device::CPU;
  constexpr Mode det = Mode::Deterministic;
  register_kernel<OpKind::Fill>(r, cpu, det, cpu::fill_det);
  register_kernel<OpKind::Add>(r, cpu, det, cpu::add_det);
  register_kernel<OpKind::Mul>(r, cpu, det, cpu::mul_det);
  register_kernel<OpKind::Scale>(r, cpu, det, cpu::scale_det);
  register_kernel<OpKind::Sum>(r, cpu, det, cpu::sum_det);
  register_kernel<OpKind::SgdUpdate>(r, cpu, det, cpu::sgd_update_det);
  register_kernel<OpKind::Conv2dFwd>(r, cpu, det, cpu::conv2d_fwd_det);
  register_kernel<OpKind::Conv2dBwdData>(r, cpu, det, cpu::conv2d_bwd_data_det);
  register_kernel<OpKind::Conv2dBwdWeight>(r, cpu, det, cpu::conv2d_bwd_weight_det);
  register_kernel<OpKind::MaxPool2dFwd>(r, cpu, det, cpu::max_pool2d_fwd_det);
  register_kernel<OpKind::MaxPool2dBwd>(r, cpu, det, cpu::max_pool2d_bwd_det);
  register_kernel<OpKind::LinearFwd>(r, cpu, det, cpu::linear_fwd_det);
  register_kernel<OpKind::LinearBwdData>(r, cpu, det, cpu::linear_bwd_data_det);
  register_kernel<OpKind::LinearBwdWeight>(r, cpu, det, cpu::linear_bwd_weight_det);
  register_kernel<OpKind::ReluFwd>(r, cpu, det, cpu::relu_fwd_det);
  register_kernel<OpKind::ReluBwd>(r, cpu, det, cpu::relu_bwd_det);
  register_kernel<OpKind::LogSoftmaxFwd>(r, cpu, det, cpu::log_softmax_fwd_det);
  register_kernel<OpKind::LogSoftmaxBwd>(r, cpu, det, cpu::log_softmax_bwd_det);
  register_kernel<OpKind::NllLossFwd>(r, cpu, det, cpu::nll_loss_fwd_det);
  register_kernel<OpKind::NllLossBwd>(r, cpu, det, cpu::nll_loss_bwd_det);
  register_kernel<OpKind::DropoutApply>(r, cpu, det, cpu::dropout_apply_det);
  register_kernel<OpKind::GatherRows>(r, cpu, det, cpu::gather_rows_det);

  // Fast variants; every op without one here runs its deterministic kernel in fast mode.
  constexpr Mode fast = Mode::Fast;
  register_kernel<OpKind::Sum>(r, cpu, fast, cpu::sum_fast);
  register_kernel<OpKind::Conv2dFwd>(r, cpu, fast, cpu::conv2d_fwd_fast);
  register_kernel<OpKind::Conv2dBwdData>(r, cpu, fast, cpu::conv2d_bwd_data_fast);
  register_kernel<OpKind::Conv2dBwdWeight>(r, cpu, fast, cpu::conv2d_bwd_weight_fast);
  register_kernel<OpKind::LinearFwd>(r, cpu, fast, cpu::linear_fwd_fast);
  register_kernel<OpKind::LinearBwdData>(r, cpu, fast, cpu::linear_bwd_data_fast);
  register_kernel<OpKind::LinearBwdWeight>(r, cpu, fast, cpu::linear_bwd_weight_fast);
}

}  // namespace lockstep
