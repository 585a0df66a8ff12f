// MaxPool, AveragePool, LpPool, their Global forms, and MaxUnpool. Each (n, c) plane is
// pooled on its own; planes are spread over the thread pool.
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "kernels/cpu/conv_util.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/gemm_util.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

enum class PoolKind { kMax, kAvg, kLp };

struct PoolParams {
  PoolKind kind;
  bool count_include_pad = false;
  double p = 2;
  bool col_major_indices = false;  // MaxPool storage_order = 1
};

// Window positions k (of kernel size) along one dim, starting at `start` with dilation
// `dil`, whose index lies in [0, in): k in [lo, hi). `padded` counts the positions before
// the end padding (for count_include_pad).
struct DimRange {
  int64_t lo, hi, padded;
};
DimRange dim_range(int64_t start, int64_t k, int64_t dil, int64_t in, int64_t pad_end) {
  DimRange r{0, 0, 0};
  for (int64_t j = 0; j < k; ++j) {
    const int64_t i = start + j * dil;
    if (i < 0) r.lo = j + 1;
    if (i < in) r.hi = j + 1;
    if (i < in + pad_end) r.padded = j + 1;
  }
  r.hi = std::max(r.hi, r.lo);
  return r;
}

// dim_range for every output position of each of the three dims.
struct WindowRanges {
  std::array<std::vector<DimRange>, 3> r;
  explicit WindowRanges(const Window& w) {
    for (int d = 0; d < 3; ++d) {
      for (int64_t o = 0; o < w.out[d]; ++o) {
        r[d].push_back(dim_range(o * w.stride[d] - w.pad[d], w.kernel[d], w.dil[d], w.in[d], w.pad_end[d]));
      }
    }
  }
};

// Pools one plane x (w.in) into y (w.out); with Indices, idx gets MaxPool's indices,
// offset by `base`.
template <typename T, PoolKind Kind, bool Indices>
void pool_plane(const T* x, T* y, int64_t* idx, int64_t base, const Window& w, const WindowRanges& wr,
                const PoolParams& pp) {
  using Acc = std::conditional_t<std::is_floating_point_v<T> || is_low_float_v<T>, double, T>;
  int64_t o = 0;
  for (int64_t o0 = 0; o0 < w.out[0]; ++o0) {
    const DimRange& r0 = wr.r[0][o0];
    for (int64_t o1 = 0; o1 < w.out[1]; ++o1) {
      const DimRange& r1 = wr.r[1][o1];
      for (int64_t o2 = 0; o2 < w.out[2]; ++o2, ++o) {
        const DimRange& r2 = wr.r[2][o2];
        const int64_t s2 = o2 * w.stride[2] - w.pad[2];
        Acc acc = Kind == PoolKind::kMax ? Acc(std::numeric_limits<T>::lowest()) : Acc(0);
        int64_t best = -1;
        for (int64_t k0 = r0.lo; k0 < r0.hi; ++k0) {
          const int64_t i0 = o0 * w.stride[0] - w.pad[0] + k0 * w.dil[0];
          for (int64_t k1 = r1.lo; k1 < r1.hi; ++k1) {
            const int64_t i1 = o1 * w.stride[1] - w.pad[1] + k1 * w.dil[1];
            const T* row = x + (i0 * w.in[1] + i1) * w.in[2] + s2;
            for (int64_t k2 = r2.lo; k2 < r2.hi; ++k2) {
              const Acc v = static_cast<Acc>(row[k2 * w.dil[2]]);
              if constexpr (Kind == PoolKind::kMax) {
                if constexpr (Indices) {
                  if (v > acc || best < 0) {
                    acc = v;
                    const int64_t i2 = s2 + k2 * w.dil[2];
                    best = pp.col_major_indices ? (i2 * w.in[1] + i1) * w.in[0] + i0 : (i0 * w.in[1] + i1) * w.in[2] + i2;
                  }
                } else {
                  acc = v > acc ? v : acc;
                }
              } else if constexpr (Kind == PoolKind::kAvg) {
                acc += v;
              } else {
                acc += static_cast<Acc>(std::pow(std::abs(static_cast<double>(v)), pp.p));
              }
            }
          }
        }
        if constexpr (Kind == PoolKind::kAvg) {
          const int64_t n = pp.count_include_pad ? r0.padded * r1.padded * r2.padded
                                                 : (r0.hi - r0.lo) * (r1.hi - r1.lo) * (r2.hi - r2.lo);
          acc = n > 0 ? acc / Acc(n) : Acc(0);
        } else if constexpr (Kind == PoolKind::kLp) {
          acc = static_cast<Acc>(std::pow(static_cast<double>(acc), 1.0 / pp.p));
        }
        y[o] = static_cast<T>(acc);
        if constexpr (Indices) idx[o] = base + best;
      }
    }
  }
}

template <typename T, PoolKind Kind, bool Indices>
void pool_planes(const HostTensor& x, HostTensor& y, int64_t* idx, const Window& w, const PoolParams& pp) {
  const WindowRanges wr(w);
  const int64_t planes = x.dim(0) * x.dim(1);
  const T* px = x.data<T>();
  T* py = y.mutable_data<T>();
  parallel_for(planes, double(planes) * w.out_size() * w.kernel_size(), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      pool_plane<T, Kind, Indices>(px + p * w.in_size(), py + p * w.out_size(), idx ? idx + p * w.out_size() : nullptr,
                                   p * w.in_size(), w, wr, pp);
    }
  });
}

void pool(KernelContext& ctx, PoolParams pp, const char* what) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 3) ctx.fail("X must be [N, C, spatial...], got " + x.describe());
  const Dims in(x.dims().begin() + 2, x.dims().end());
  const std::vector<int64_t> kernel = ctx.attr_ints("kernel_shape");
  if (kernel.empty()) ctx.fail("kernel_shape is required");
  const Window w = window_geometry(ctx, in, kernel, ctx.attr_int("ceil_mode", 0) != 0);
  Dims out{x.dim(0), x.dim(1)};
  for (int64_t d : w.out_dims()) out.push_back(d);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  int64_t* idx = nullptr;
  if (ctx.output_wanted(1)) idx = ctx.allocate_output(1, DataType::kInt64, out).mutable_data<int64_t>();
  dispatch_numeric(x.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    switch (pp.kind) {
      case PoolKind::kMax:
        if (idx) pool_planes<T, PoolKind::kMax, true>(x, y, idx, w, pp);
        else pool_planes<T, PoolKind::kMax, false>(x, y, nullptr, w, pp);
        break;
      case PoolKind::kAvg: pool_planes<T, PoolKind::kAvg, false>(x, y, nullptr, w, pp); break;
      case PoolKind::kLp: pool_planes<T, PoolKind::kLp, false>(x, y, nullptr, w, pp); break;
    }
  });
}

void max_pool(KernelContext& ctx) {
  PoolParams pp{PoolKind::kMax};
  pp.col_major_indices = ctx.attr_int("storage_order", 0) != 0;
  pool(ctx, pp, "MaxPool");
}

void average_pool(KernelContext& ctx) {
  PoolParams pp{PoolKind::kAvg};
  pp.count_include_pad = ctx.attr_int("count_include_pad", 0) != 0;
  pool(ctx, pp, "AveragePool");
}

// p is a float attribute in LpPool-1 and an int later.
double lp_norm_p(const KernelContext& ctx) {
  const Attribute* a = ctx.node().attr("p");
  if (!a) return 2;
  return a->type == AttrType::kFloat ? a->f : static_cast<double>(a->i);
}

void lp_pool(KernelContext& ctx) {
  PoolParams pp{PoolKind::kLp};
  pp.p = lp_norm_p(ctx);
  pool(ctx, pp, "LpPool");
}

// ---------------------------------------------------------------------------------------
// Global pools: one value per (n, c) plane.

void global_pool(KernelContext& ctx, PoolKind kind, const char* what) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("X must be [N, C, ...], got " + x.describe());
  Dims out{x.dim(0), x.dim(1)};
  out.resize(x.rank(), 1);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes ? x.numel() / planes : 0;
  const double p = kind == PoolKind::kLp ? lp_norm_p(ctx) : 2;
  dispatch_float(x.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    for (int64_t c = 0; c < planes; ++c) {
      const T* v = px + c * size;
      double acc = kind == PoolKind::kMax ? -std::numeric_limits<double>::infinity() : 0.0;
      for (int64_t i = 0; i < size; ++i) {
        const double e = static_cast<double>(v[i]);
        if (kind == PoolKind::kMax) acc = std::max(acc, e);
        else if (kind == PoolKind::kAvg) acc += e;
        else acc += std::pow(std::abs(e), p);
      }
      if (kind == PoolKind::kAvg) acc /= static_cast<double>(size);
      if (kind == PoolKind::kLp) acc = std::pow(acc, 1.0 / p);
      py[c] = static_cast<T>(acc);
    }
  });
}

void global_max_pool(KernelContext& ctx) { global_pool(ctx, PoolKind::kMax, "GlobalMaxPool"); }
void global_average_pool(KernelContext& ctx) { global_pool(ctx, PoolKind::kAvg, "GlobalAveragePool"); }
void global_lp_pool(KernelContext& ctx) { global_pool(ctx, PoolKind::kLp, "GlobalLpPool"); }

// ---------------------------------------------------------------------------------------
// MaxUnpool: indices address the inferred output ((in - 1) * stride + kernel - pads),
// which sits in the top-left corner of output_shape when that is given.

// The flat index in `to` of flat index i of `from` (same rank, to >= from per dim).
int64_t reindex(int64_t i, const Dims& from, const Dims& to) {
  int64_t out = 0, scale = 1;
  for (size_t d = from.size(); d-- > 0;) {
    out += (i % from[d]) * scale;
    i /= from[d];
    scale *= to[d];
  }
  return out;
}

void max_unpool(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& ind = ctx.input(1);
  if (x.rank() < 3 || ind.dims() != x.dims()) ctx.fail("X " + x.describe() + " and I " + ind.describe() + " must be [N, C, spatial...] of one shape");
  const int nd = static_cast<int>(x.rank()) - 2;
  const std::vector<int64_t> kernel = ctx.attr_ints("kernel_shape");
  if (static_cast<int>(kernel.size()) != nd) ctx.fail("kernel_shape must have one value per spatial dim");
  const std::vector<int64_t> strides = ctx.attr_ints("strides", std::vector<int64_t>(nd, 1));
  const std::vector<int64_t> pads = ctx.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  Dims inferred{x.dim(0), x.dim(1)};
  for (int i = 0; i < nd; ++i) inferred.push_back((x.dim(2 + i) - 1) * strides[i] + kernel[i] - pads[i] - pads[nd + i]);
  const Dims out = ctx.has_input(2) ? ctx.input_int64s(2) : inferred;
  if (out.size() != x.rank()) ctx.fail("output_shape must have rank " + std::to_string(x.rank()));
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] < inferred[d]) ctx.fail("output_shape " + dims_str(out) + " is smaller than " + dims_str(inferred));
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  const std::vector<int64_t> where = ind.to_int64s();
  const int64_t limit = num_elements(inferred);
  dispatch_by_size(x.dtype(), "MaxUnpool", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    T* py = y.mutable_data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      if (where[i] < 0 || where[i] >= limit) ctx.fail("index " + std::to_string(where[i]) + " is outside " + dims_str(inferred));
      py[out == inferred ? where[i] : reindex(where[i], inferred, out)] = px[i];
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", MaxPool, 1, max_pool);
GRAFT_CPU_KERNEL("", AveragePool, 1, average_pool);
GRAFT_CPU_KERNEL("", LpPool, 1, lp_pool);
GRAFT_CPU_KERNEL("", GlobalMaxPool, 1, global_max_pool);
GRAFT_CPU_KERNEL("", GlobalAveragePool, 1, global_average_pool);
GRAFT_CPU_KERNEL("", GlobalLpPool, 1, global_lp_pool);
GRAFT_CPU_KERNEL("", MaxUnpool, 9, max_unpool);

}  // namespace graft::cpu
