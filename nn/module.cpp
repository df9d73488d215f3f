#include "nn/module.h"

namespace lockstep::nn {

Tensor& Module::register_parameter(std::string name, Tensor t) {
  t.set_requires_grad(true);
  params_.push_back({std::move(name), std::move(t)});
  return params_.back().tensor;
}

void Module::collect(const std::string& prefix, std::vector<NamedTensor>& out) const {
  for (const auto& p : params_) out.push_back({prefix + p.name, p.tensor});
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out);
}

std::vector<NamedTensor> Module::parameters() const {
  std::vector<NamedTensor> out;
  collect("", out);
  return out;
}

void Module::reset_parameters(std::uint64_t seed) { init_from(seed, 0); }

std::uint64_t Module::init_from(std::uint64_t seed, std::uint64_t first_stream) {
  init_own_parameters(seed, first_stream);
  std::uint64_t next = first_stream + params_.size();
  for (auto& [name, child] : children_) next = child->init_from(seed, next);
  return next;
}

void Module::init_own_parameters(std::uint64_t, std::uint64_t) {
  LS_CHECK(params_.empty(), Error, "Module: parameter '", params_.front().name,
           "' has no initialiser (its module must override init_own_parameters)");
}

void Module::zero_grad() {
  for (auto& p : parameters()) p.tensor.zero_grad();
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::set_step(std::int64_t step) {
  step_ = step;
  for (auto& [name, child] : children_) child->set_step(step);
}

}  // namespace lockstep::nn
