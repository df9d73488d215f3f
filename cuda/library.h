// Shared by the fast kernels on NVIDIA's libraries (cuda/fast_cublas.cpp, cuda/fast_cudnn.cpp):
// the status check and the process-wide library handle on lockstep's stream.
#pragma once

#include "cuda/check.h"
#include "cuda/runtime.h"

// LS_LIBRARY_CHECK(library, ok, name_of, expr): throws DeviceError (as LS_CUDA_CHECK does)
// unless expr returns `ok`, naming the call, the library, and the status via name_of(status).
#define LS_LIBRARY_CHECK(library, ok, name_of, expr)                                                        \
  do {                                                                                                      \
    const auto ls_st_ = (expr);                                                                             \
    if (ls_st_ != (ok))                                                                                     \
      ::lockstep::cuda::throw_library_error(library, static_cast<int>(ls_st_), name_of(ls_st_), #expr, __FILE__, \
                                            __LINE__);                                                      \
  } while (0)

namespace lockstep::cuda {

// A library handle for the process, bound to lockstep's stream: require_device(), then
// create(&h) and set_stream(h, stream()), each checking its own status. Keep the result in a
// function-local static so that it is made once, on first use.
template <class Handle, class Create, class SetStream>
Handle make_library_handle(Create create, SetStream set_stream) {
  require_device();
  Handle h = nullptr;
  create(&h);
  set_stream(h, stream());
  return h;
}

}  // namespace lockstep::cuda
