// Modules: named parameters in a fixed registration order (which is also the order of
// initialisation streams, checkpoints and the weight fingerprint), training/eval mode,
// and the training step that dropout layers key their masks on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace lockstep::nn {

struct NamedTensor {
  std::string name;  // e.g. "conv1.weight"
  Tensor tensor;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }

  /// All parameters, depth first in registration order: `for (auto& p : net.parameters()) ...`
  std::vector<NamedTensor> parameters() const;
  void zero_grad();

  /// Re-draws every parameter from the init streams of `seed`: the k-th parameter in
  /// parameters() order draws from stream k (docs/randomness.md#init), with the
  /// distribution of the layer that owns it. `net.reset_parameters(1);`
  void reset_parameters(std::uint64_t seed);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // The training step dropout masks are keyed on; set by the training loop before forward.
  void set_step(std::int64_t step);
  std::int64_t step() const { return step_; }

 protected:
  Tensor& register_parameter(std::string name, Tensor t);
  /// Draws this module's own parameters (not its children's) from init streams
  /// first_stream, first_stream + 1, ... in registration order. A module that registers
  /// parameters overrides it; the default accepts none.
  virtual void init_own_parameters(std::uint64_t seed, std::uint64_t first_stream);
  template <class M>
  M& register_module(std::string name, std::shared_ptr<M> m) {
    children_.push_back({std::move(name), m});
    return *m;
  }

 private:
  void collect(const std::string& prefix, std::vector<NamedTensor>& out) const;
  // Initialises this module, then its children, depth first as collect() lists them;
  // returns the next unused stream.
  std::uint64_t init_from(std::uint64_t seed, std::uint64_t first_stream);

  std::vector<NamedTensor> params_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  std::int64_t step_ = 0;
};

}  // namespace lockstep::nn
