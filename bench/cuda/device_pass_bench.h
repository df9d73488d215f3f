// The per-pass benchmarks of a layer op on the CUDA device, deterministic and fast side by
// side. The shapes, inputs, FLOP counts and float64 reference are the CPU benchmark's
// (bench/pass_bench.h, bench/<op>_pass.h); an op adds only a call of its registered CUDA
// kernels. Before timing, every (pass, mode, shape) is validated: det bitwise against the
// CPU's deterministic kernel, fast within the float64 bound of the reference.
// Names: <op>_<pass>/cuda/<det|fast>/<shape>/calls:<n>/manual_time, one iteration being n
// calls queued back to back and timed with CUDA events (bench/cuda/device_bench.h).
#pragma once

#include "bench/cuda/device_bench.h"
#include "bench/pass_bench.h"
#include "core/mode.h"
#include "core/tensor.h"

namespace lockstep::bench {

inline constexpr std::int64_t kCallsPerIteration = 10;

// A pass's inputs uploaded to the device once.
struct DeviceInputs {
  Tensor x, w, b, dy;
};

inline DeviceInputs upload(const PassData& d) {
  const auto up = [](const std::vector<float>& v) { return Tensor::from_vector(v, {i64(v.size())}).to(Device::CUDA); };
  return {up(d.x), up(d.w), up(d.b), up(d.dy)};
}

// Calls the CUDA kernel of pass p in the current mode, writing `out` (device memory; the
// backward weight writes dw, then db at out + w's size).
template <class Case>
using DeviceRun = void (*)(Pass p, const DeviceInputs& d, const Case& c, float* out);

template <class Case>
void bench_device_pass(benchmark::State& state, const PassBench<Case>& pb, DeviceRun<Case> run, Pass p, bool det,
                       const Case& c) {
  if (!device_usable(state)) return;
  reporting_errors(state, [&] {
    const PassData& d = cached<PassData>(std::string("data/") + c.name, [&] { return pb.data(c); });
    const std::string key = std::string(pass_name(p)) + "/" + c.name;
    const auto& cpu_det = cached<std::vector<float>>("cpu_det/" + key, [&] {
      std::vector<float> out;
      pb.run(p, /*det=*/true, d, c, out);
      return out;
    });
    const DeviceInputs& in = cached<DeviceInputs>(std::string("device/") + c.name, [&] { return upload(d); });
    ModeGuard mode(det ? Mode::Deterministic : Mode::Fast);
    Tensor out = Tensor::empty({i64(cpu_det.size())}, DType::F32, Device::CUDA);
    float* y = out.data<float>();
    run(p, in, c, y);
    const std::vector<float> got = out.to_vector();
    const std::string verdict =
        det ? bitwise_verdict(got, cpu_det)
            : tolerance_verdict(got, cached<ref::RefSums>("ref/" + key, [&] { return pb.reference(p, d, c); }));
    if (!validated(state, det && !verdict.empty() ? "CUDA det differs from CPU det: " + verdict : verdict)) return;
    time_device_calls(state, state.range(0), [&] { run(p, in, c, y); });
    set_flops(state, double(state.range(0)) * pb.flops(c));
  });
}

// Registers every pass x case x mode; `pb` must outlive the run (a static).
template <class Case>
void register_device_pass_benchmarks(const PassBench<Case>& pb, DeviceRun<Case> run) {
  for (Pass p : {Pass::Fwd, Pass::BwdData, Pass::BwdWeight})
    for (const Case& c : pb.cases)
      for (bool det : {true, false})
        register_benchmark(pb.op + "_" + pass_name(p) + "/cuda/" + (det ? "det/" : "fast/") + c.name,
                           [&pb, run, p, det, &c](benchmark::State& st) { bench_device_pass(st, pb, run, p, det, c); },
                           {"calls"}, {{kCallsPerIteration}}, benchmark::kMicrosecond, Timer::Manual);
}

}  // namespace lockstep::bench
