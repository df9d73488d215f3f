#include "core/autograd.h"

#include <algorithm>
#include <atomic>
#include <unordered_map>
#include <unordered_set>

#include "core/op_observer.h"
#include "core/ops.h"

namespace lockstep {
namespace {

std::atomic<std::uint64_t> g_next_sequence{0};
thread_local bool t_grad_enabled = true;
std::atomic<OpOutputObserver> g_op_output_observer{nullptr};

void accumulate(Tensor& slot, const Tensor& contribution) {
  // Out-of-place: a node may hand the same tensor to several inputs (add), so no slot may alias another.
  slot = slot.defined() ? ops::add(slot, contribution) : contribution;
}

}  // namespace

Node::Node(std::string name)
    : name_(std::move(name)), sequence_(g_next_sequence.fetch_add(1)), mode_(current_mode()) {}

void Node::save(const char* what, const Tensor& t) {
  saved_.push_back(t.defined() ? t.detach() : Tensor());
  saved_versions_.push_back({what, t.defined() ? t.version() : 0});
}

void Node::check_saved_versions() const {
  for (size_t i = 0; i < saved_.size(); ++i) {
    const SavedVersion& s = saved_versions_[i];
    LS_CHECK(!saved_[i].defined() || saved_[i].version() == s.version, Error, name_, ": the ", s.what,
             " saved for backward was modified in place (version ", s.version, " -> ", saved_[i].version(), ")");
  }
}

bool grad_enabled() { return t_grad_enabled; }
NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool any_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

void set_op_output_observer(OpOutputObserver observer) { g_op_output_observer.store(observer); }

void attach_node(Tensor& output, std::shared_ptr<Node> node, std::vector<Tensor> inputs) {
  if (const OpOutputObserver observe = g_op_output_observer.load(std::memory_order_relaxed))
    observe(node->name().c_str(), output);
  node->inputs() = std::move(inputs);
  output.impl()->requires_grad = true;
  output.set_grad_fn(std::move(node));
}

void run_backward(const Tensor& root) {
  LS_CHECK(root.numel() == 1, ShapeError, "backward: expected a one-element tensor (a loss), got shape ",
           root.shape());
  LS_CHECK(root.requires_grad(), Error,
           "backward: the tensor does not require grad (no parameter with requires_grad reached it)");
  Tensor seed = Tensor::zeros(root.shape(), DType::F32, root.device());
  ops::fill_(seed, 1.0f);
  if (!root.grad_fn()) {
    Tensor g = root.grad();
    accumulate(g, seed);
    root.impl()->grad = g;
    return;
  }

  std::vector<Node*> order;
  std::unordered_set<Node*> seen;
  std::vector<Node*> stack{root.grad_fn().get()};
  seen.insert(stack.back());
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    order.push_back(n);
    for (Tensor& in : n->inputs()) {
      Node* producer = in.grad_fn().get();
      if (producer && seen.insert(producer).second) stack.push_back(producer);
    }
  }
  std::sort(order.begin(), order.end(), [](Node* a, Node* b) { return a->sequence() > b->sequence(); });

  std::unordered_map<Node*, Tensor> pending;
  pending[root.grad_fn().get()] = seed;
  for (Node* node : order) {
    auto it = pending.find(node);
    if (it == pending.end()) continue;
    const Tensor grad_output = it->second;
    pending.erase(it);

    node->check_saved_versions();
    std::vector<Tensor> grads;
    {
      ModeGuard mode(node->mode());
      NoGradGuard no_grad;
      grads = node->backward(grad_output);
    }
    LS_ASSERT(grads.size() == node->inputs().size(), node->name(), " returned ", grads.size(), " gradients for ",
              node->inputs().size(), " inputs");
    for (size_t i = 0; i < grads.size(); ++i) {
      Tensor& in = node->inputs()[i];
      if (!grads[i].defined() || !in.requires_grad()) continue;
      LS_ASSERT(grads[i].shape() == in.shape(), node->name(), " gradient ", i, " has shape ", grads[i].shape(),
                ", input has ", in.shape());
      if (in.grad_fn()) {
        accumulate(pending[in.grad_fn().get()], grads[i]);
      } else {
        const Tensor& old = in.grad();
        in.impl()->grad = old.defined() ? ops::add(old, grads[i]) : grads[i].clone();
      }
    }
  }
}

}  // namespace lockstep
