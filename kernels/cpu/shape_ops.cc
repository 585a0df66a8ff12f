// Reshape, Shape, Size, Flatten, Squeeze, Unsqueeze, Dropout: ops that change only the
// dims of a tensor (the buffer is shared, never copied) or read them.
#include <algorithm>
#include <random>

#include "kernels/cpu/movement_util.h"

namespace graft::cpu {
namespace {

void reshape(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const std::vector<int64_t> shape = ctx.opset() < 5 ? ctx.attr_ints("shape") : ctx.input_int64s(1);
  const bool allowzero = ctx.attr_int("allowzero", 0) != 0;
  Dims dims(shape.size());
  int64_t infer = -1, known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t d = shape[i];
    if (d == 0 && !allowzero) {
      if (i >= x.rank()) ctx.fail("shape[" + std::to_string(i) + "] is 0 but data " + x.describe() + " has no such dim");
      d = x.dim(i);
    }
    if (d == -1) {
      if (infer >= 0) ctx.fail("shape " + dims_str(shape) + " has more than one -1");
      infer = static_cast<int64_t>(i);
      continue;
    }
    if (d < 0) ctx.fail("shape " + dims_str(shape) + " has an invalid dim " + std::to_string(d));
    dims[i] = d;
    known *= d;
  }
  if (infer >= 0) {
    if (known == 0 || x.numel() % known != 0) {
      ctx.fail("cannot reshape " + x.describe() + " to " + dims_str(shape));
    }
    dims[infer] = x.numel() / known;
  }
  if (num_elements(dims) != x.numel()) ctx.fail("cannot reshape " + x.describe() + " to " + dims_str(shape));
  ctx.set_output(0, x.reshaped(dims));
}

void shape(KernelContext& ctx) {
  const Dims& dims = ctx.input(0).dims();
  const int64_t rank = static_cast<int64_t>(dims.size());
  auto clamp = [&](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
  const int64_t start = clamp(ctx.attr_int("start", 0));
  const int64_t end = clamp(ctx.attr_int("end", rank));
  ctx.set_output(0, int64_tensor(end > start ? Dims(dims.begin() + start, dims.begin() + end) : Dims{}));
}

void size(KernelContext& ctx) {
  ctx.set_output(0, HostTensor::scalar<int64_t>(DataType::kInt64, ctx.input(0).numel()));
}

void flatten(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = ctx.attr_int("axis", 1);
  if (axis < -rank || axis > rank) {
    ctx.fail("axis " + std::to_string(axis) + " is out of range for input " + x.describe());
  }
  if (axis < 0) axis += rank;
  ctx.set_output(0, x.reshaped({dims_product(x.dims(), 0, axis), dims_product(x.dims(), axis, rank)}));
}

void squeeze(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const std::vector<int64_t> axes = axes_attr_or_input(ctx, "axes", 1, 13);
  std::vector<bool> drop(rank, axes.empty());
  if (axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) drop[i] = x.dim(i) == 1;
  }
  for (int64_t a : axes) {
    const int64_t axis = normalize_axis(ctx, a, rank);
    if (x.dim(axis) != 1) {
      ctx.fail("cannot squeeze axis " + std::to_string(a) + " of " + x.describe() + ": its size is not 1");
    }
    drop[axis] = true;
  }
  Dims dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (!drop[i]) dims.push_back(x.dim(i));
  }
  ctx.set_output(0, x.reshaped(dims));
}

void unsqueeze(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const std::vector<int64_t> axes = axes_attr_or_input(ctx, "axes", 1, 13);
  const int64_t rank = static_cast<int64_t>(x.rank() + axes.size());
  std::vector<bool> inserted(rank, false);
  for (int64_t a : axes) {
    const int64_t axis = normalize_axis(ctx, a, rank);
    if (inserted[axis]) ctx.fail("axes " + dims_str(axes) + " repeat axis " + std::to_string(a));
    inserted[axis] = true;
  }
  Dims dims;
  size_t next = 0;
  for (int64_t i = 0; i < rank; ++i) dims.push_back(inserted[i] ? 1 : x.dim(next++));
  ctx.set_output(0, x.reshaped(dims));
}

// numpy's legacy RandomState.random_sample on MT19937 seeded with an integer, so that a
// seeded training-mode Dropout reproduces the ONNX reference outputs exactly.
double numpy_uniform(std::mt19937& gen) {
  const uint32_t a = gen() >> 5, b = gen() >> 6;
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

// The mask output, if wanted: `keep` per element, or all true when `keep` is empty.
// Opsets 7-9 declare it with the data's type, but the reference and runtimes give bool.
void dropout_mask(KernelContext& ctx, const Dims& dims, const std::vector<bool>& keep) {
  if (!ctx.output_wanted(1)) return;
  HostTensor& mask = ctx.allocate_output(1, DataType::kBool, dims);
  bool* m = mask.mutable_data<bool>();
  for (int64_t i = 0; i < mask.numel(); ++i) m[i] = keep.empty() || keep[i];
}

void dropout(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  float ratio = ctx.attr_float("ratio", 0.5f);
  // Before opset 12 training mode was a property of the runtime (or the is_test
  // attribute, before 7); as an inference engine we run those in test mode.
  bool training = false;
  if (ctx.opset() >= 12) {
    if (ctx.has_input(1)) ratio = static_cast<float>(ctx.input(1).to_doubles().at(0));
    training = ctx.has_input(2) && ctx.input(2).data<bool>()[0];
  }
  if (!training || ratio == 0.f) {
    ctx.set_output(0, x);
    dropout_mask(ctx, x.dims(), {});
    return;
  }
  if (ratio < 0.f || ratio >= 1.f) ctx.fail("ratio " + std::to_string(ratio) + " must be in [0, 1)");
  std::mt19937 gen(ctx.has_attr("seed") ? static_cast<uint32_t>(ctx.attr_int("seed", 0)) : std::random_device{}());
  std::vector<bool> keep(x.numel());
  for (int64_t i = 0; i < x.numel(); ++i) keep[i] = numpy_uniform(gen) >= ratio;
  const float scale = 1.f / (1.f - ratio);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), "Dropout", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) py[i] = keep[i] ? T(float(px[i]) * scale) : T(0);
  });
  dropout_mask(ctx, x.dims(), keep);
}

}  // namespace

GRAFT_CPU_KERNEL("", Reshape, 1, reshape);
GRAFT_CPU_KERNEL("", Shape, 1, shape);
GRAFT_CPU_KERNEL("", Size, 1, size);
GRAFT_CPU_KERNEL("", Flatten, 1, flatten);
GRAFT_CPU_KERNEL("", Squeeze, 1, squeeze);
GRAFT_CPU_KERNEL("", Unsqueeze, 1, unsqueeze);
GRAFT_CPU_KERNEL("", Dropout, 1, dropout);

}  // namespace graft::cpu
