// TEMPORARY STUB: replaced by the real kernels for linear.
#include "core/error.h"
#include "cpu/kernels.h"
namespace lockstep::cpu {
[[noreturn]] static void stub() { throw UnsupportedError("linear: CPU kernel not implemented yet"); }
void linear_fwd_det(const float*, const float*, const float*, float*, const LinearGeom&) {stub();}
void linear_bwd_data_det(const float*, const float*, float*, const LinearGeom&) {stub();}
void linear_bwd_weight_det(const float*, const float*, float*, float*, const LinearGeom&) {stub();}
}  // namespace lockstep::cpu
