// TEMPORARY STUB: replaced by the real kernels for nll_loss.
#include "core/error.h"
#include "cpu/kernels.h"
namespace lockstep::cpu {
[[noreturn]] static void stub() { throw UnsupportedError("nll_loss: CPU kernel not implemented yet"); }
void nll_loss_fwd_det(const float*, const i64*, float*, i64, i64) {stub();}
void nll_loss_bwd_det(const float*, const i64*, float*, i64, i64) {stub();}
}  // namespace lockstep::cpu
