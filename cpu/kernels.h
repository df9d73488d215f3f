// Declarations of the CPU kernels registered in cpu/register.cpp, generated from the op
// table (core/op_table.h): <name>_det for every op with the cpu_det flag, <name>_fast for
// every op with the cpu_fast flag. Fast kernels say in their files why they are
// nondeterministic.
#pragma once

#include "core/kernel_table.h"

namespace lockstep::cpu {

#define LS_CPU_DECLARE(Kind, name, params, cpu_det, cpu_fast, cuda_det, cuda_fast) \
  LS_IF(cpu_det)(void name##_det params;) LS_IF(cpu_fast)(void name##_fast params;)
LS_OP_TABLE(LS_CPU_DECLARE)
#undef LS_CPU_DECLARE

}  // namespace lockstep::cpu
