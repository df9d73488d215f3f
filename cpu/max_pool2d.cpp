// TEMPORARY STUB: replaced by the real kernels for max_pool2d.
#include "core/error.h"
#include "cpu/kernels.h"
namespace lockstep::cpu {
[[noreturn]] static void stub() { throw UnsupportedError("max_pool2d: CPU kernel not implemented yet"); }
void max_pool2d_fwd_det(const float*, float*, i64*, const Pool2dGeom&) {stub();}
void max_pool2d_bwd_det(const float*, const i64*, float*, const Pool2dGeom&) {stub();}
}  // namespace lockstep::cpu
