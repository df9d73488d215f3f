// TEMPORARY STUB: replaced by the real kernels for log_softmax.
#include "core/error.h"
#include "cpu/kernels.h"
namespace lockstep::cpu {
[[noreturn]] static void stub() { throw UnsupportedError("log_softmax: CPU kernel not implemented yet"); }
void log_softmax_fwd_det(const float*, float*, i64, i64) {stub();}
void log_softmax_bwd_det(const float*, const float*, float*, i64, i64) {stub();}
}  // namespace lockstep::cpu
