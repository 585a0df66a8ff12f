// LayerNormalization, BatchNormalization, InstanceNormalization, GroupNormalization,
// LRN, MeanVarianceNormalization. Statistics are computed in double for every float type.
#include <cmath>

#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"
#include "kernels/cpu/reduce_util.h"

namespace graft::cpu {
namespace {

struct Moments {
  double mean = 0, var = 0;  // population variance
};

// Mean and variance (two passes) over `blocks` runs of `len` contiguous elements, the
// runs `stride` elements apart.
template <typename T>
Moments moments(const T* x, int64_t blocks, int64_t len, int64_t stride) {
  Moments m;
  const int64_t count = blocks * len;
  if (count == 0) return m;
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t i = 0; i < len; ++i) m.mean += widen(x[b * stride + i]);
  }
  m.mean /= double(count);
  for (int64_t b = 0; b < blocks; ++b) {
    for (int64_t i = 0; i < len; ++i) {
      const double d = widen(x[b * stride + i]) - m.mean;
      m.var += d * d;
    }
  }
  m.var /= double(count);
  return m;
}

// y[n, c, s] = x[n, c, s] * a[n * C + c] + b[n * C + c] over a [N, C, S] view.
template <typename T>
void channel_affine(const T* x, T* y, int64_t nc, int64_t s, const std::vector<double>& a,
                    const std::vector<double>& b) {
  for (int64_t r = 0; r < nc; ++r) {
    const double ar = a[r], br = b[r];
    for (int64_t i = 0; i < s; ++i) y[r * s + i] = narrow<T>(widen(x[r * s + i]) * ar + br);
  }
}

// [N, C, S] sizes of an input whose dim 1 is the channel.
struct NCS {
  int64_t n = 1, c = 1, s = 1;
};
NCS ncs_of(const KernelContext& ctx, const HostTensor& x) {
  if (x.rank() < 2) ctx.fail("input X must have rank >= 2 (N, C, ...), got " + x.describe());
  NCS v{x.dim(0), x.dim(1), 1};
  for (size_t d = 2; d < x.rank(); ++d) v.s *= x.dim(d);
  return v;
}

// A per-channel parameter input as doubles; fails unless it holds `c` values.
std::vector<double> channel_param(const KernelContext& ctx, size_t i, const char* name, int64_t c) {
  const HostTensor& t = ctx.input(i);
  if (t.numel() != c) {
    ctx.fail(std::string("input '") + name + "' must have " + std::to_string(c) + " values (one per channel), got " + t.describe());
  }
  return t.to_doubles();
}

// Input `i` broadcast to `dims` (unidirectionally), as doubles.
std::vector<double> expand_param(const KernelContext& ctx, size_t i, const char* name, const Dims& dims) {
  const HostTensor& t = ctx.input(i);
  std::vector<double> v = t.to_doubles();
  if (t.dims() == dims) return v;
  if (broadcast_dims({&dims, &t.dims()}) != dims) {
    ctx.fail(std::string("input '") + name + "' " + t.describe() + " does not broadcast to " + dims_str(dims));
  }
  std::vector<double> out(num_elements(dims));
  for_each_broadcast(dims, {&t.dims()}, [&](int64_t o, const int64_t* in, const int64_t* step, int64_t n) {
    for (int64_t k = 0; k < n; ++k) out[o + k] = v[in[0] + k * step[0]];
  });
  return out;
}

// The element type for an optional statistics output: the declared one, else float.
DataType stats_dtype(const KernelContext& ctx, size_t i) {
  const DataType declared = ctx.node().output(i) ? ctx.node().output(i)->dtype() : DataType::kUndefined;
  if (declared == DataType::kDouble || declared == DataType::kFloat16 || declared == DataType::kBfloat16) return declared;
  return ctx.attr_int("stash_type", 1) == 16 ? DataType::kBfloat16 : DataType::kFloat;
}

void layer_normalization(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", -1), rank);
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const Dims norm_dims(x.dims().begin() + axis, x.dims().end());
  const int64_t cols = num_elements(norm_dims);
  const int64_t rows = cols ? x.numel() / cols : 0;
  const std::vector<double> scale = expand_param(ctx, 1, "Scale", norm_dims);
  const std::vector<double> bias = ctx.has_input(2) ? expand_param(ctx, 2, "B", norm_dims) : std::vector<double>(cols, 0.0);
  Dims stat_dims(x.dims().begin(), x.dims().begin() + axis);
  stat_dims.resize(rank, 1);
  std::vector<double> means(rows), inv_stds(rows);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), "LayerNormalization", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    for (int64_t r = 0; r < rows; ++r) {
      const Moments m = moments(px + r * cols, 1, cols, 0);
      const double inv = 1.0 / std::sqrt(m.var + eps);
      means[r] = m.mean;
      inv_stds[r] = inv;
      for (int64_t i = 0; i < cols; ++i) {
        py[r * cols + i] = narrow<T>((widen(px[r * cols + i]) - m.mean) * inv * scale[i] + bias[i]);
      }
    }
  });
  for (size_t i : {1, 2}) {
    if (!ctx.output_wanted(i)) continue;
    HostTensor& t = ctx.allocate_output(i, stats_dtype(ctx, i), stat_dims);
    const std::vector<double>& v = i == 1 ? means : inv_stds;
    dispatch_float(t.dtype(), "LayerNormalization statistics", [&](auto tag) {
      using U = decltype(tag);
      for (int64_t r = 0; r < rows; ++r) t.mutable_data<U>()[r] = narrow<U>(v[r]);
    });
  }
}

// Writes per-channel values (running mean/var) as a tensor of input `like`'s type.
void set_channel_output(KernelContext& ctx, size_t i, const HostTensor& like, const std::vector<double>& v) {
  if (!ctx.output_wanted(i)) return;
  HostTensor& t = ctx.allocate_output(i, like.dtype(), like.dims());
  dispatch_float(t.dtype(), "BatchNormalization statistics", [&](auto tag) {
    using U = decltype(tag);
    for (size_t k = 0; k < v.size(); ++k) t.mutable_data<U>()[k] = narrow<U>(v[k]);
  });
}

// Inference uses the given mean and variance; training mode (opset 14+ training_mode=1,
// or is_test=0 before opset 7) uses the batch's statistics and also outputs the running
// mean and variance updated with momentum.
void batch_normalization(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const NCS d = ncs_of(ctx, x);
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const double momentum = ctx.attr_float("momentum", 0.9f);
  const bool training = ctx.opset() >= 14 ? ctx.attr_int("training_mode", 0) != 0
                                          : ctx.opset() < 7 && ctx.attr_int("is_test", 0) == 0 && ctx.num_outputs() > 1;
  const std::vector<double> scale = channel_param(ctx, 1, "scale", d.c);
  const std::vector<double> bias = channel_param(ctx, 2, "B", d.c);
  std::vector<double> mean = channel_param(ctx, 3, "input_mean", d.c);
  std::vector<double> var = channel_param(ctx, 4, "input_var", d.c);
  std::vector<double> a(d.n * d.c), b(d.n * d.c);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), "BatchNormalization", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    std::vector<double> run_mean = mean, run_var = var;
    for (int64_t c = 0; c < d.c; ++c) {
      if (training) {
        const Moments m = moments(px + c * d.s, d.n, d.s, d.c * d.s);
        mean[c] = m.mean;
        var[c] = m.var;
        run_mean[c] = run_mean[c] * momentum + m.mean * (1 - momentum);
        run_var[c] = run_var[c] * momentum + m.var * (1 - momentum);
      }
      const double ac = scale[c] / std::sqrt(var[c] + eps);
      for (int64_t n = 0; n < d.n; ++n) {
        a[n * d.c + c] = ac;
        b[n * d.c + c] = bias[c] - mean[c] * ac;
      }
    }
    channel_affine(px, y.mutable_data<T>(), d.n * d.c, d.s, a, b);
    if (!training) return;
    const bool old = ctx.opset() < 14;  // opset 6 outputs: mean, var, saved_mean, saved_var
    set_channel_output(ctx, 1, ctx.input(3), run_mean);
    set_channel_output(ctx, 2, ctx.input(4), run_var);
    if (old) {
      set_channel_output(ctx, 3, ctx.input(3), mean);
      set_channel_output(ctx, 4, ctx.input(4), var);
    }
  });
}

// Normalizes x per (n, group of channels) and applies per-channel scale and bias;
// InstanceNormalization is the case groups == C.
void group_normalize(KernelContext& ctx, int64_t groups, const std::vector<double>& scale,
                     const std::vector<double>& bias) {
  const HostTensor& x = ctx.input(0);
  const NCS d = ncs_of(ctx, x);
  const double eps = ctx.attr_float("epsilon", 1e-5f);
  const int64_t per_group = d.c / groups;
  std::vector<double> a(d.n * d.c), b(d.n * d.c);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), ctx.node().op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    for (int64_t n = 0; n < d.n; ++n) {
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t c0 = n * d.c + g * per_group;
        const Moments m = moments(px + c0 * d.s, 1, per_group * d.s, 0);
        const double inv = 1.0 / std::sqrt(m.var + eps);
        for (int64_t c = c0; c < c0 + per_group; ++c) {
          a[c] = scale[c % d.c] * inv;
          b[c] = bias[c % d.c] - m.mean * a[c];
        }
      }
    }
    channel_affine(px, y.mutable_data<T>(), d.n * d.c, d.s, a, b);
  });
}

void instance_normalization(KernelContext& ctx) {
  const int64_t c = ncs_of(ctx, ctx.input(0)).c;
  group_normalize(ctx, c, channel_param(ctx, 1, "scale", c), channel_param(ctx, 2, "B", c));
}

// scale and bias hold one value per channel (opset 21) or per group (opset 18).
void group_normalization(KernelContext& ctx) {
  const int64_t c = ncs_of(ctx, ctx.input(0)).c;
  const int64_t groups = ctx.required_attr_int("num_groups");
  if (groups <= 0 || c % groups != 0) {
    ctx.fail("num_groups " + std::to_string(groups) + " must divide the channel count " + std::to_string(c));
  }
  auto per_channel = [&](size_t i, const char* name) {
    const HostTensor& t = ctx.input(i);
    std::vector<double> v = t.to_doubles();
    if (t.numel() == c) return v;
    if (t.numel() != groups) {
      ctx.fail(std::string("input '") + name + "' must have one value per channel (" + std::to_string(c) +
               ") or per group (" + std::to_string(groups) + "), got " + t.describe());
    }
    std::vector<double> out(c);
    for (int64_t k = 0; k < c; ++k) out[k] = v[k / (c / groups)];
    return out;
  };
  group_normalize(ctx, groups, per_channel(1, "scale"), per_channel(2, "bias"));
}

// y = x / (bias + alpha / size * sum of x^2 over the `size` channels around c)^beta.
void lrn(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const NCS d = ncs_of(ctx, x);
  const int64_t size = ctx.required_attr_int("size");
  if (size <= 0) ctx.fail("attribute 'size' must be positive, got " + std::to_string(size));
  const double alpha = ctx.attr_float("alpha", 1e-4f), beta = ctx.attr_float("beta", 0.75f);
  const double bias = ctx.attr_float("bias", 1.0f);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), "LRN", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    std::vector<double> sq(d.s);
    for (int64_t n = 0; n < d.n; ++n) {
      for (int64_t c = 0; c < d.c; ++c) {
        std::fill(sq.begin(), sq.end(), 0.0);
        for (int64_t k = std::max<int64_t>(0, c - before); k <= std::min(d.c - 1, c + after); ++k) {
          const T* xk = px + (n * d.c + k) * d.s;
          for (int64_t i = 0; i < d.s; ++i) sq[i] += widen(xk[i]) * widen(xk[i]);
        }
        const int64_t off = (n * d.c + c) * d.s;
        for (int64_t i = 0; i < d.s; ++i) {
          py[off + i] = narrow<T>(widen(px[off + i]) / std::pow(bias + alpha / double(size) * sq[i], beta));
        }
      }
    }
  });
}

// (x - mean) / (sqrt(variance) + 1e-9) with the statistics over `axes` (default 0, 2, 3).
void mean_variance_normalization(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<bool> flags(rank, false);
  for (int64_t a : ctx.attr_ints("axes", {0, 2, 3})) flags[normalize_axis(ctx, a, rank)] = true;
  const ReducePlan plan = make_reduce_plan(x.dims(), flags);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), "MeanVarianceNormalization", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    std::vector<double> mean(plan.out_numel, 0.0), var(plan.out_numel, 0.0);
    for_each_reduced(plan, [&](int64_t o, int64_t i) { mean[o] += widen(px[i]); });
    for (double& m : mean) m /= double(plan.count);
    for_each_reduced(plan, [&](int64_t o, int64_t i) {
      const double dlt = widen(px[i]) - mean[o];
      var[o] += dlt * dlt;
    });
    for (double& v : var) v = 1.0 / (std::sqrt(v / double(plan.count)) + 1e-9);
    for_each_reduced(plan, [&](int64_t o, int64_t i) { py[i] = narrow<T>((widen(px[i]) - mean[o]) * var[o]); });
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", LayerNormalization, 1, layer_normalization);
GRAFT_CPU_KERNEL("", BatchNormalization, 1, batch_normalization);
GRAFT_CPU_KERNEL("", InstanceNormalization, 1, instance_normalization);
GRAFT_CPU_KERNEL("", GroupNormalization, 1, group_normalization);
GRAFT_CPU_KERNEL("", LRN, 1, lrn);
GRAFT_CPU_KERNEL("", MeanVarianceNormalization, 1, mean_variance_normalization);

}  // namespace graft::cpu
