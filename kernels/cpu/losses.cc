// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss over inputs [N, C, d1, ...] with
// targets [N, d1, ...]; optional per-class weights, ignore_index and reduction.
#include <optional>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/reduce_util.h"
#include "kernels/cpu/softmax_util.h"

namespace graft::cpu {
namespace {

// The sizes of a [N, C, D] view of the scores, checked against the target's shape.
struct LossShape {
  int64_t n = 0, c = 0, d = 1;
};
LossShape loss_shape(const KernelContext& ctx, const HostTensor& x, const HostTensor& target) {
  if (x.rank() < 2) ctx.fail("input must have rank >= 2 (N, C, ...), got " + x.describe());
  Dims expect = x.dims();
  expect.erase(expect.begin() + 1);
  if (target.dims() != expect) {
    ctx.fail("target " + target.describe() + " must have shape " + dims_str(expect) + " to match input " + x.describe());
  }
  LossShape s{x.dim(0), x.dim(1), 1};
  for (size_t i = 2; i < x.rank(); ++i) s.d *= x.dim(i);
  return s;
}

// Sets output 0 to the loss from log-probabilities `lp` ([N, C, D]): per element
// -lp[n, target, d] * weight[target], zero (and weightless) where target == ignore_index;
// 'mean' divides the sum by the total weight.
template <typename T>
void nll_loss(KernelContext& ctx, const T* lp, const LossShape& s, size_t target_input) {
  const HostTensor& target_t = ctx.input(target_input);
  if (target_t.dtype() != DataType::kInt32 && target_t.dtype() != DataType::kInt64) {
    ctx.fail("target must be int32 or int64, got " + target_t.describe());
  }
  const std::vector<int64_t> target = target_t.to_int64s();
  std::vector<double> weight;
  if (ctx.has_input(2)) {
    weight = ctx.input(2).to_doubles();
    if (static_cast<int64_t>(weight.size()) != s.c) {
      ctx.fail("weight " + ctx.input(2).describe() + " must have one value per class (" + std::to_string(s.c) + ")");
    }
  }
  const std::optional<int64_t> ignore =
      ctx.has_attr("ignore_index") ? std::optional<int64_t>(ctx.attr_int("ignore_index", 0)) : std::nullopt;
  const std::string reduction = ctx.attr_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean") {
    ctx.fail("attribute 'reduction' must be none, sum or mean, got '" + reduction + "'");
  }
  const bool none = reduction == "none";
  HostTensor& y = ctx.allocate_output(0, dtype_of<T>(), none ? target_t.dims() : Dims{});
  T* py = y.mutable_data<T>();
  double total = 0, total_weight = 0;
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t d = 0; d < s.d; ++d) {
      const int64_t t = target[n * s.d + d];
      double loss = 0, w = 0;
      if (!(ignore && t == *ignore)) {
        if (t < 0 || t >= s.c) {
          ctx.fail("target value " + std::to_string(t) + " is out of range for " + std::to_string(s.c) + " classes");
        }
        w = weight.empty() ? 1.0 : weight[t];
        loss = -widen(lp[(n * s.c + t) * s.d + d]) * w;
      }
      if (none) py[n * s.d + d] = narrow<T>(loss);
      total += loss;
      total_weight += w;
    }
  }
  if (!none) py[0] = narrow<T>(reduction == "sum" ? total : total / total_weight);
}

void nll_loss_kernel(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const LossShape s = loss_shape(ctx, x, ctx.input(1));
  dispatch_float(x.dtype(), "NegativeLogLikelihoodLoss", [&](auto tag) {
    using T = decltype(tag);
    nll_loss(ctx, x.data<T>(), s, 1);
  });
}

// The NLL loss of LogSoftmax(scores) along the class axis; output 1 (optional) is that
// log-probability tensor.
void softmax_cross_entropy_loss(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const LossShape s = loss_shape(ctx, x, ctx.input(1));
  HostTensor log_prob(x.dtype(), x.dims());
  dispatch_float(x.dtype(), "SoftmaxCrossEntropyLoss", [&](auto tag) {
    using T = decltype(tag);
    softmax_along(x.data<T>(), log_prob.mutable_data<T>(), s.n, s.c, s.d, SoftmaxKind::kLogSoftmax);
    nll_loss(ctx, log_prob.data<T>(), s, 1);
  });
  if (ctx.output_wanted(1)) ctx.set_output(1, log_prob);
}

}  // namespace

GRAFT_CPU_KERNEL("", NegativeLogLikelihoodLoss, 1, nll_loss_kernel);
GRAFT_CPU_KERNEL("", SoftmaxCrossEntropyLoss, 1, softmax_cross_entropy_loss);

}  // namespace graft::cpu
