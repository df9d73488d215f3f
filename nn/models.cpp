#include "nn/models.h"

#include "nn/mnist_net.h"

namespace lockstep::nn {
namespace {

std::unique_ptr<Module> make_mnist_net(const Recipe& r) {
  const ImageShape accepted{MnistNet::kInputChannels, MnistNet::kInputHeight, MnistNet::kInputWidth};
  LS_CHECK(r.input == accepted, ShapeError, "recipe: model mnist_net takes input ", shape_text(accepted), ", got ",
           shape_text(r.input));
  return std::make_unique<MnistNet>(MnistNetOptions{r.seed, r.dropout, r.conv_dropout_p, r.fc_dropout_p});
}

struct Entry {
  const char* name;
  std::unique_ptr<Module> (*make)(const Recipe&);
};
constexpr Entry kModels[] = {{"mnist_net", make_mnist_net}};

}  // namespace

std::unique_ptr<Module> make_model(const Recipe& r) {
  for (const Entry& e : kModels)
    if (r.model == e.name) return e.make(r);
  std::string known;
  for (const std::string& name : model_names()) known += (known.empty() ? "" : ", ") + name;
  throw Error("recipe: unknown model '" + r.model + "'; known: " + known);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const Entry& e : kModels) names.emplace_back(e.name);
  return names;
}

}  // namespace lockstep::nn
