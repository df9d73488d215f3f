// Reverse-mode autograd over a dynamic graph.
//
// Each differentiable op creates a Node holding its differentiable inputs, the tensors its
// backward formula needs, the Mode it ran in and a creation sequence number. backward()
// visits nodes in decreasing sequence number (a valid reverse topological order that
// depends only on the program, never on hashing or pointers), so the gradients flowing into
// a tensor used several times are summed in a fixed order: by decreasing consumer sequence
// number. See docs/ordering.md#autograd-accumulation.
//
// The tensors a backward formula reads are saved explicitly (Node::save) with their storage
// version; backward refuses to run a node whose saved tensor was written in place since, as
// PyTorch does, rather than return a gradient of values the forward never saw.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/mode.h"
#include "core/tensor.h"

namespace lockstep {

class Node {
 public:
  explicit Node(std::string name);
  virtual ~Node() = default;

  // One gradient per entry of inputs(); an undefined Tensor where an input needs none.
  virtual std::vector<Tensor> backward(const Tensor& grad_output) = 0;

  const std::string& name() const { return name_; }
  std::uint64_t sequence() const { return sequence_; }
  Mode mode() const { return mode_; }
  std::vector<Tensor>& inputs() { return inputs_; }

  // Keeps t (detached: saving never keeps its history alive) for backward(), at its current
  // version; `what` names it in the error ("weight", "input", "output"). An undefined t is
  // kept as such (a tensor this backward does not need) and never checked.
  void save(const char* what, const Tensor& t);
  const std::vector<Tensor>& saved() const { return saved_; }
  // Throws "<op>: the <what> saved for backward was modified in place (version a -> b)".
  void check_saved_versions() const;

 private:
  struct SavedVersion {
    const char* what;
    std::uint64_t version;
  };
  std::string name_;
  std::uint64_t sequence_;
  Mode mode_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> saved_;
  std::vector<SavedVersion> saved_versions_;  // one per saved_ entry
};

bool grad_enabled();

/// Disables graph recording in a scope: `{ NoGradGuard ng; auto y = model.forward(x); }`.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any input requires a gradient.
bool any_requires_grad(std::initializer_list<const Tensor*> inputs);

// Makes `node` the producer of `output`, with `inputs` as its differentiable inputs.
void attach_node(Tensor& output, std::shared_ptr<Node> node, std::vector<Tensor> inputs);

void run_backward(const Tensor& root);

}  // namespace lockstep
