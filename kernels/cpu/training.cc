// Optimizer steps of the ai.onnx.preview.training domain (opset 1): Adagrad, Momentum
// (standard and Nesterov), Adam. Inputs are R (learning rate), T (step count), then n
// tensors of each state group (X..., G..., and the optimizer's accumulators); outputs are
// the new X... followed by the new accumulators.
#include <cmath>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

// The number of optimized tensors n, given `groups` input groups after R and T.
int64_t group_size(const KernelContext& ctx, int64_t groups) {
  const int64_t rest = static_cast<int64_t>(ctx.num_inputs()) - 2;
  if (rest <= 0 || rest % groups != 0) {
    ctx.fail("expected R, T and " + std::to_string(groups) + " groups of n tensors, got " + std::to_string(ctx.num_inputs()) + " inputs");
  }
  const int64_t n = rest / groups;
  if (static_cast<int64_t>(ctx.num_outputs()) > n * (groups - 1)) ctx.fail("too many outputs for " + std::to_string(n) + " tensors");
  return n;
}

// For tensor i: reads inputs 2 + g*n + i for g in [0, groups), allocates outputs
// o*n + i for o in [0, groups - 1) and calls step(in pointers, out pointers, count).
template <typename Step>
void for_each_tensor(KernelContext& ctx, int64_t groups, Step&& step) {
  const int64_t n = group_size(ctx, groups);
  for (int64_t i = 0; i < n; ++i) {
    const HostTensor& x = ctx.input(2 + i);
    std::vector<const HostTensor*> ins;
    for (int64_t g = 0; g < groups; ++g) {
      const HostTensor& t = ctx.input(2 + g * n + i);
      if (t.dtype() != x.dtype() || t.dims() != x.dims()) {
        ctx.fail("input " + std::to_string(2 + g * n + i) + " " + t.describe() + " does not match X " + x.describe());
      }
      ins.push_back(&t);
    }
    std::vector<HostTensor*> outs;
    for (int64_t o = 0; o < groups - 1; ++o) {
      const size_t k = static_cast<size_t>(o * n + i);
      outs.push_back(ctx.output_wanted(k) ? &ctx.allocate_output(k, x.dtype(), x.dims()) : nullptr);
    }
    dispatch_float(x.dtype(), ctx.node().op_type.c_str(), [&](auto tag) {
      using T = decltype(tag);
      std::vector<const T*> in;
      for (const HostTensor* t : ins) in.push_back(t->data<T>());
      // Unwanted outputs are computed into scratch space.
      std::vector<std::vector<T>> scratch(outs.size());
      std::vector<T*> out;
      for (size_t o = 0; o < outs.size(); ++o) {
        if (outs[o]) {
          out.push_back(outs[o]->mutable_data<T>());
        } else {
          scratch[o].resize(static_cast<size_t>(x.numel()));
          out.push_back(scratch[o].data());
        }
      }
      step(in.data(), out.data(), x.numel());
    });
  }
}

double scalar_r(const KernelContext& ctx) { return ctx.input(0).to_doubles().at(0); }
int64_t scalar_t(const KernelContext& ctx) { return ctx.input_int64s(1).at(0); }

void adagrad(KernelContext& ctx) {
  const double decay = ctx.attr_float("decay_factor", 0.0f), eps = ctx.attr_float("epsilon", 0.0f);
  const double norm = ctx.attr_float("norm_coefficient", 0.0f);
  const double r = scalar_r(ctx) / (1 + static_cast<double>(scalar_t(ctx)) * decay);
  for_each_tensor(ctx, 3, [&](auto in, auto out, int64_t count) {
    using T = std::remove_cv_t<std::remove_pointer_t<std::remove_pointer_t<decltype(in)>>>;
    for (int64_t k = 0; k < count; ++k) {
      const double x = static_cast<double>(in[0][k]), g = norm * x + static_cast<double>(in[1][k]);
      const double h = static_cast<double>(in[2][k]) + g * g;
      out[0][k] = static_cast<T>(x - r * g / (std::sqrt(h) + eps));
      out[1][k] = static_cast<T>(h);
    }
  });
}

void momentum(KernelContext& ctx) {
  const double alpha = ctx.attr_float("alpha", 0.0f), beta = ctx.attr_float("beta", 0.0f);
  const double norm = ctx.attr_float("norm_coefficient", 0.0f);
  const std::string mode = ctx.attr_string("mode", "standard");
  if (mode != "standard" && mode != "nesterov") ctx.fail("mode must be 'standard' or 'nesterov', got '" + mode + "'");
  const bool nesterov = mode == "nesterov";
  const double r = scalar_r(ctx);
  const double beta_adj = scalar_t(ctx) > 0 ? beta : 1.0;
  for_each_tensor(ctx, 3, [&](auto in, auto out, int64_t count) {
    using T = std::remove_cv_t<std::remove_pointer_t<std::remove_pointer_t<decltype(in)>>>;
    for (int64_t k = 0; k < count; ++k) {
      const double x = static_cast<double>(in[0][k]), g = norm * x + static_cast<double>(in[1][k]);
      const double v = alpha * static_cast<double>(in[2][k]) + beta_adj * g;
      out[0][k] = static_cast<T>(nesterov ? x - r * (g + alpha * v) : x - r * v);
      out[1][k] = static_cast<T>(v);
    }
  });
}

void adam(KernelContext& ctx) {
  const double alpha = ctx.attr_float("alpha", 0.9f), beta = ctx.attr_float("beta", 0.999f);
  const double eps = ctx.attr_float("epsilon", 1e-6f), norm = ctx.attr_float("norm_coefficient", 0.0f);
  const double norm_post = ctx.attr_float("norm_coefficient_post", 0.0f);
  const int64_t t = scalar_t(ctx);
  double r = scalar_r(ctx);
  if (t > 0) {
    const double td = static_cast<double>(t);
    r *= std::sqrt(1 - std::pow(beta, td)) / (1 - std::pow(alpha, td));
  }
  for_each_tensor(ctx, 4, [&](auto in, auto out, int64_t count) {
    using T = std::remove_cv_t<std::remove_pointer_t<std::remove_pointer_t<decltype(in)>>>;
    for (int64_t k = 0; k < count; ++k) {
      const double x = static_cast<double>(in[0][k]), g = norm * x + static_cast<double>(in[1][k]);
      const double v = alpha * static_cast<double>(in[2][k]) + (1 - alpha) * g;
      const double h = beta * static_cast<double>(in[3][k]) + (1 - beta) * g * g;
      out[0][k] = static_cast<T>((1 - norm_post) * (x - r * (v / (std::sqrt(h) + eps))));
      out[1][k] = static_cast<T>(v);
      out[2][k] = static_cast<T>(h);
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("ai.onnx.preview.training", Adagrad, 1, adagrad);
GRAFT_CPU_KERNEL("ai.onnx.preview.training", Momentum, 1, momentum);
GRAFT_CPU_KERNEL("ai.onnx.preview.training", Adam, 1, adam);

}  // namespace graft::cpu
