// An optional observer of op outputs, for anomaly detection (`lockstep train
// --detect-anomaly` names the first op whose output was not finite). When one is set,
// attach_node (core/autograd.h) hands it every output an op records for autograd, with the
// op's name, after the output is computed. Unset (the default), it costs one relaxed atomic
// load per recorded op, and no op's arithmetic depends on it.
#pragma once

namespace lockstep {

class Tensor;

using OpOutputObserver = void (*)(const char* op, const Tensor& output);

// nullptr: off. The observer runs on the thread that runs the op and must not throw.
void set_op_output_observer(OpOutputObserver observer);

}  // namespace lockstep
