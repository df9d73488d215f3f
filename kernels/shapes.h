// Geometry records shared by the CPU and CUDA backends. Shape letters follow the
// cuDNN/CUTLASS convention, declared once here:
//   N batch, C input channels, H/W input height/width,
//   K output channels, R/S filter height/width, P/Q output height/width.
#pragma once

#include "kernels/hd.h"

namespace lockstep::kernels {

// x: (N,C,H,W), w: (K,C,R,S), b: (K), y: (N,K,P,Q); square stride and zero padding.
struct Conv2dGeom {
  i64 N, C, H, W, K, R, S, P, Q, stride, pad;
};

// x: (N,C,H,W), y and argmax: (N,C,P,Q); window R x S, no padding.
struct Pool2dGeom {
  i64 N, C, H, W, R, S, P, Q, stride;
};

// x: (N,I), w: (O,I), b: (O), y: (N,O).
struct LinearGeom {
  i64 N, I, O;
};

}  // namespace lockstep::kernels
