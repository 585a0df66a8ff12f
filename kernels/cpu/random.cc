// Random generators: RandomUniform, RandomNormal, RandomUniformLike, RandomNormalLike,
// Bernoulli. With a `seed` the values are those of numpy's legacy RandomState(seed)
// (MT19937, 53-bit doubles, polar Gaussian, binomial inversion), i.e. what the ONNX
// reference implementation produces; without one each run draws a fresh seed.
#include <algorithm>
#include <cmath>
#include <random>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}

  double uniform() {
    const uint32_t a = mt_() >> 5, b = mt_() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

  double gauss() {
    if (has_gauss_) {
      has_gauss_ = false;
      return gauss_;
    }
    double x1, x2, r2;
    do {
      x1 = 2.0 * uniform() - 1.0;
      x2 = 2.0 * uniform() - 1.0;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    const double f = std::sqrt(-2.0 * std::log(r2) / r2);
    gauss_ = f * x1;
    has_gauss_ = true;
    return f * x2;
  }

  // numpy's legacy binomial(1, p): inversion on the smaller of p and 1 - p.
  int bernoulli(double p) { return p <= 0.5 ? binomial_inversion(p) : 1 - binomial_inversion(1.0 - p); }

 private:
  int binomial_inversion(double p) {
    const double q = 1.0 - p, qn = std::exp(std::log(q));
    const int bound = static_cast<int>(std::min(1.0, p + 10.0 * std::sqrt(p * q + 1)));
    int x = 0;
    double px = qn, u = uniform();
    while (u > px) {
      if (++x > bound) {
        x = 0;
        px = qn;
        u = uniform();
      } else {
        u -= px;
        px = ((2 - x) * p * px) / (x * q);
      }
    }
    return x;
  }

  std::mt19937 mt_;
  bool has_gauss_ = false;
  double gauss_ = 0;
};

NumpyRandomState make_state(const KernelContext& ctx) {
  if (ctx.has_attr("seed")) {
    const float seed = ctx.attr_float("seed", 0.0f);
    if (std::isfinite(seed)) return NumpyRandomState(static_cast<uint32_t>(static_cast<int64_t>(seed)));
  }
  return NumpyRandomState(std::random_device{}());
}

// Fills a new output of `dtype` and `dims` with draw() values.
template <typename Draw>
void fill_output(KernelContext& ctx, DataType dtype, const Dims& dims, Draw&& draw) {
  HostTensor& y = ctx.allocate_output(0, dtype, dims);
  dispatch_float(dtype, "random output dtype", [&](auto tag) {
    using T = decltype(tag);
    T* p = y.mutable_data<T>();
    for (int64_t i = 0; i < y.numel(); ++i) p[i] = static_cast<T>(draw());
  });
}

DataType output_dtype(const KernelContext& ctx, DataType def) {
  return ctx.has_attr("dtype") ? static_cast<DataType>(ctx.attr_int("dtype", 1)) : def;
}

Dims shape_attr(const KernelContext& ctx) {
  if (!ctx.has_attr("shape")) ctx.fail("attribute 'shape' is required");
  Dims dims = ctx.attr_ints("shape");
  for (int64_t d : dims) {
    if (d < 0) ctx.fail("attribute 'shape' has a negative dim: " + dims_str(dims));
  }
  return dims;
}

void uniform(KernelContext& ctx, DataType dtype, const Dims& dims) {
  const double low = ctx.attr_float("low", 0.0f), high = ctx.attr_float("high", 1.0f);
  NumpyRandomState rs = make_state(ctx);
  fill_output(ctx, dtype, dims, [&] { return low + (high - low) * rs.uniform(); });
}

void normal(KernelContext& ctx, DataType dtype, const Dims& dims) {
  const double mean = ctx.attr_float("mean", 0.0f), scale = ctx.attr_float("scale", 1.0f);
  NumpyRandomState rs = make_state(ctx);
  fill_output(ctx, dtype, dims, [&] { return mean + scale * rs.gauss(); });
}

void random_uniform(KernelContext& ctx) { uniform(ctx, output_dtype(ctx, DataType::kFloat), shape_attr(ctx)); }
void random_normal(KernelContext& ctx) { normal(ctx, output_dtype(ctx, DataType::kFloat), shape_attr(ctx)); }
void random_uniform_like(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  uniform(ctx, output_dtype(ctx, x.dtype()), x.dims());
}
void random_normal_like(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  normal(ctx, output_dtype(ctx, x.dtype()), x.dims());
}

void bernoulli(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const DataType dtype = output_dtype(ctx, x.dtype());
  HostTensor& y = ctx.allocate_output(0, dtype, x.dims());
  NumpyRandomState rs = make_state(ctx);
  const std::vector<double> p = x.to_doubles();
  for (double v : p) {
    if (!(v >= 0.0 && v <= 1.0)) ctx.fail("probabilities must lie in [0, 1], got " + std::to_string(v));
  }
  dispatch_numeric_or_bool(dtype, "Bernoulli output dtype", [&](auto tag) {
    using T = decltype(tag);
    T* out = y.mutable_data<T>();
    for (size_t i = 0; i < p.size(); ++i) out[i] = static_cast<T>(rs.bernoulli(p[i]));
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", RandomUniform, 1, random_uniform);
GRAFT_CPU_KERNEL("", RandomNormal, 1, random_normal);
GRAFT_CPU_KERNEL("", RandomUniformLike, 1, random_uniform_like);
GRAFT_CPU_KERNEL("", RandomNormalLike, 1, random_normal_like);
GRAFT_CPU_KERNEL("", Bernoulli, 15, bernoulli);

}  // namespace graft::cpu
