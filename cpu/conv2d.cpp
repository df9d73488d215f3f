// TEMPORARY STUB: replaced by the real kernels for conv2d.
#include "core/error.h"
#include "cpu/kernels.h"
namespace lockstep::cpu {
[[noreturn]] static void stub() { throw UnsupportedError("conv2d: CPU kernel not implemented yet"); }
void conv2d_fwd_det(const float*, const float*, const float*, float*, const Conv2dGeom&) {stub();}
void conv2d_bwd_data_det(const float*, const float*, float*, const Conv2dGeom&) {stub();}
void conv2d_bwd_weight_det(const float*, const float*, float*, float*, const Conv2dGeom&) {stub();}
}  // namespace lockstep::cpu
