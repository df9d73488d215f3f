#include "nn/training.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "core/autograd.h"
#include "core/ops.h"
#include "core/registry.h"
#include "nn/sha256.h"

namespace lockstep::nn {

Tensor normalize_images(const std::uint8_t* pixels, i64 count, i64 rows, i64 cols, float mean, float std) {
  Tensor t = Tensor::empty({count, 1, rows, cols});
  float* out = t.data<float>();
  const i64 n = count * rows * cols;
  for (i64 i = 0; i < n; ++i) {
    const float v = static_cast<float>(pixels[i]) / 255.0f;
    out[i] = (v - mean) / std;
  }
  return t;
}

Tensor labels_tensor(const std::vector<std::uint8_t>& labels) {
  std::vector<i64> v(labels.begin(), labels.end());
  return Tensor::from_ints(v, {static_cast<i64>(v.size())});
}

Batch gather_batch(const Tensor& images, const Tensor& labels, const std::vector<i64>& order, i64 begin, i64 end) {
  LS_CHECK(0 <= begin && begin < end && end <= static_cast<i64>(order.size()), ShapeError, "gather_batch: range [",
           begin, ", ", end, ") outside an order of ", order.size());
  const i64 b = end - begin;
  const i64 row = images.numel() / images.size(0);
  std::vector<i64> dims = images.shape().dims();
  dims[0] = b;
  Batch batch{Tensor::empty(Shape(dims)), Tensor::empty({b}, DType::I64)};
  const float* src = images.data<float>();
  const i64* lab = labels.data<i64>();
  float* dst = batch.x.data<float>();
  i64* y = batch.y.data<i64>();
  for (i64 i = 0; i < b; ++i) {
    const i64 idx = order[static_cast<size_t>(begin + i)];
    std::memcpy(dst + i * row, src + idx * row, static_cast<size_t>(row) * sizeof(float));
    y[i] = lab[idx];
  }
  return batch;
}

Batch slice_batch(const Tensor& images, const Tensor& labels, i64 begin, i64 end) {
  std::vector<i64> order(static_cast<size_t>(end - begin));
  for (i64 i = begin; i < end; ++i) order[static_cast<size_t>(i - begin)] = i;
  return gather_batch(images, labels, order, 0, end - begin);
}

Batch gather_batch(const Tensor& images, const Tensor& labels, const Tensor& order, i64 begin, i64 end) {
  LS_CHECK(order.dtype() == DType::I64 && order.rank() == 1, DTypeError, "gather_batch: expected an int64 order (N), got ",
           dtype_name(order.dtype()), " ", order.shape());
  LS_CHECK(order.device() == images.device() && labels.device() == images.device(), DeviceError,
           "gather_batch: images, labels and order must share a device");
  LS_CHECK(0 <= begin && begin < end && end <= order.numel(), ShapeError, "gather_batch: range [", begin, ", ", end,
           ") outside an order of ", order.numel());
  const Device device = images.device();
  const i64 b = end - begin;
  std::vector<i64> dims = images.shape().dims();
  dims[0] = b;
  Batch batch{Tensor::empty(Shape(dims), DType::F32, device), Tensor::empty({b}, DType::I64, device)};
  const i64* index = order.data<i64>() + begin;
  const i64 row_bytes = images.numel() / images.size(0) * static_cast<i64>(sizeof(float));
  kernel<OpKind::GatherRows>(device)(images.data<float>(), index, batch.x.data<float>(), b, row_bytes);
  kernel<OpKind::GatherRows>(device)(labels.data<i64>(), index, batch.y.data<i64>(), b, sizeof(i64));
  return batch;
}

void move_to_device(const std::vector<NamedTensor>& tensors, Device device) {
  for (const auto& nt : tensors) {
    if (nt.tensor.device() == device) continue;
    const Tensor moved = nt.tensor.to(device);
    nt.tensor.impl()->storage = moved.impl()->storage;
    nt.tensor.impl()->offset = 0;
  }
}

float train_step(Module& model, SGD& opt, const Batch& batch, std::int64_t step) {
  model.train(true);
  model.set_step(step);
  Tensor loss = ops::nll_loss(model(batch.x), batch.y);
  loss.backward();
  opt.step();
  model.zero_grad();
  return loss.item();
}

SampleScores score_samples(Module& model, const Tensor& images, const Tensor& labels, i64 begin, i64 end,
                           i64 batch_size) {
  LS_CHECK(batch_size >= 1, Error, "evaluate: expected batch size >= 1, got ", batch_size);
  LS_CHECK(0 <= begin && begin <= end && end <= images.size(0), ShapeError, "evaluate: samples [", begin, ", ", end,
           ") outside ", images.size(0));
  NoGradGuard no_grad;
  const bool was_training = model.is_training();
  model.eval();
  SampleScores s;
  // On a device, batches are gathered there through an identity order uploaded once.
  Tensor identity;
  if (images.device() != Device::CPU && begin < end) {
    std::vector<i64> rows(static_cast<size_t>(end - begin));
    for (i64 i = begin; i < end; ++i) rows[static_cast<size_t>(i - begin)] = i;
    identity = Tensor::from_ints(rows, {end - begin}).to(images.device());
  }
  for (i64 first = begin; first < end; first += batch_size) {
    const i64 last = std::min(end, first + batch_size);
    const Batch batch = identity.defined() ? gather_batch(images, labels, identity, first - begin, last - begin)
                                           : slice_batch(images, labels, first, last);
    const Tensor logp = model(batch.x).to(Device::CPU);
    const Tensor labels_host = batch.y.to(Device::CPU);
    const float* lp = logp.data<float>();
    const i64* y = labels_host.data<i64>();
    const i64 classes = logp.size(1);
    for (i64 i = 0; i < last - first; ++i) {
      const float* row = lp + i * classes;
      i64 best = 0;
      for (i64 c = 1; c < classes; ++c)
        if (row[c] > row[best]) best = c;
      s.correct.push_back(best == y[i] ? 1.0f : 0.0f);
      s.label_logp.push_back(row[y[i]]);
    }
  }
  model.train(was_training);
  return s;
}

EvalResult summarize(const SampleScores& scores) {
  EvalResult r;
  for (size_t i = 0; i < scores.label_logp.size(); ++i) {
    r.correct += scores.correct[i] != 0.0f;
    r.loss_sum -= static_cast<double>(scores.label_logp[i]);
  }
  r.total = static_cast<i64>(scores.label_logp.size());
  return r;
}

EvalResult evaluate(Module& model, const Tensor& images, const Tensor& labels, i64 batch_size) {
  return summarize(score_samples(model, images, labels, 0, images.size(0), batch_size));
}

std::string first_non_finite(const std::vector<NamedTensor>& tensors) {
  for (const auto& t : tensors) {
    if (t.tensor.dtype() != DType::F32) continue;
    const Tensor host = t.tensor.to(Device::CPU);  // the tensor itself when already there
    const float* v = host.data<float>();
    for (i64 i = 0, n = host.numel(); i < n; ++i)
      if (!std::isfinite(v[i])) return t.name;
  }
  return "";
}

std::string fingerprint(const std::vector<NamedTensor>& tensors) {
  static_assert(std::endian::native == std::endian::little, "fingerprint hashes float32 little-endian bytes");
  Sha256 h;
  for (const auto& p : tensors) {
    const Tensor host = p.tensor.to(Device::CPU);  // the tensor itself when already there
    h.update(host.data<float>(), static_cast<size_t>(host.numel()) * 4);
  }
  return "sha256:" + h.finish_hex();
}

std::string fingerprint(const Module& model) { return fingerprint(model.parameters()); }

}  // namespace lockstep::nn
