// Models by name: the factory that turns a recipe into a freshly initialised network, so
// the command line, the study and the example build the same model from the same value.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"
#include "nn/recipe.h"

namespace lockstep::nn {

/// The network `r.model` names, with parameters drawn from the init streams of r.seed and
/// the recipe's dropout; Error when the name is unknown or the model cannot take r.input:
/// `auto net = make_model(reference_mnist());`
std::unique_ptr<Module> make_model(const Recipe& r);

/// Every name make_model() knows, e.g. {"mnist_net"}.
std::vector<std::string> model_names();

}  // namespace lockstep::nn
