// GridSample (opset 16: bilinear/nearest/bicubic on 4-D input; opset 20 names
// linear/cubic and N-D input). Follows the ONNX reference (PyTorch's grid_sampler):
// coordinates are unnormalized, adjusted by the padding mode, then each tap index is
// fetched with the padding mode again.
#include <array>
#include <cmath>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"

namespace graft::cpu {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

struct Axis {
  int64_t size;
  double lo, hi;  // the reflection borders
};

double reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const double n = std::trunc(dx / range), r = dx - n * range;
    return std::fmod(n, 2.0) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const double n = std::trunc(dx / range), r = dx - n * range;
    return std::fmod(n, 2.0) == 0 ? hi - r : lo + r;
  }
  return x;
}

// The index read for tap `i` along an axis, or -1 for a zero.
int64_t fetch_index(int64_t i, const Axis& ax, Padding pad) {
  switch (pad) {
    case Padding::kZeros: return i >= 0 && i < ax.size ? i : -1;
    case Padding::kBorder: return std::clamp<int64_t>(i, 0, ax.size - 1);
    case Padding::kReflection: {
      const int64_t r = static_cast<int64_t>(reflect(static_cast<double>(i), ax.lo, ax.hi));
      return std::clamp<int64_t>(r, 0, ax.size - 1);
    }
  }
  return -1;
}

void cubic_coeffs(double t, double* c) {
  constexpr double a = -0.75;
  auto near = [&](double x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [&](double x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

struct Taps {
  int n = 0;
  std::array<int64_t, 4> idx;
  std::array<double, 4> w;
};

Taps axis_taps(double g, const Axis& ax, bool align, Mode mode, Padding pad) {
  double x = align ? (g + 1) / 2 * static_cast<double>(ax.size - 1) : ((g + 1) * static_cast<double>(ax.size) - 1) / 2;
  if (mode == Mode::kNearest) x = std::nearbyint(x);
  if (x < ax.lo || x > ax.hi) {
    if (pad == Padding::kBorder) x = std::clamp(x, 0.0, static_cast<double>(ax.size - 1));
    if (pad == Padding::kReflection) x = reflect(x, ax.lo, ax.hi);
  }
  Taps t;
  if (mode == Mode::kNearest) {
    t.n = 1;
    t.idx[0] = fetch_index(static_cast<int64_t>(x), ax, pad);
    t.w[0] = 1;
    return t;
  }
  const double x0 = std::floor(x), f = x - x0;
  const int64_t i0 = static_cast<int64_t>(x0);
  if (mode == Mode::kLinear) {
    t.n = 2;
    t.idx = {fetch_index(i0, ax, pad), fetch_index(i0 + 1, ax, pad), 0, 0};
    t.w = {1 - f, f, 0, 0};
  } else {
    t.n = 4;
    for (int k = 0; k < 4; ++k) t.idx[k] = fetch_index(i0 - 1 + k, ax, pad);
    cubic_coeffs(f, t.w.data());
  }
  return t;
}

template <typename T>
void sample(const HostTensor& x, const std::vector<double>& grid, HostTensor& y, Mode mode, Padding pad, bool align) {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;
  const size_t r = x.rank() - 2;
  const int64_t n_batch = x.dim(0), channels = x.dim(1);
  std::vector<Axis> axes(r);
  int64_t plane = 1;
  for (size_t i = 0; i < r; ++i) {
    const int64_t size = x.dim(2 + i);
    axes[i] = {size, align ? 0.0 : -0.5, align ? static_cast<double>(size - 1) : static_cast<double>(size) - 0.5};
    plane *= size;
  }
  const std::vector<int64_t> strides = strides_of(Dims(x.dims().begin() + 2, x.dims().end()));
  int64_t points = 1;
  for (size_t i = 0; i < r; ++i) points *= y.dim(2 + i);
  const T* src = x.data<T>();
  T* dst = y.mutable_data<T>();
  std::vector<Taps> taps(r);
  // The cartesian product of the taps (zeros dropped), built in reused buffers.
  size_t max_terms = 1;
  for (size_t i = 0; i < r; ++i) max_terms *= 4;
  std::vector<int64_t> offs, next_offs;
  std::vector<A> ws, next_ws;
  for (auto* v : {&offs, &next_offs}) v->reserve(max_terms);
  for (auto* v : {&ws, &next_ws}) v->reserve(max_terms);
  for (int64_t n = 0; n < n_batch; ++n) {
    for (int64_t p = 0; p < points; ++p) {
      const double* g = grid.data() + (n * points + p) * static_cast<int64_t>(r);
      for (size_t i = 0; i < r; ++i) taps[i] = axis_taps(g[r - 1 - i], axes[i], align, mode, pad);
      offs.assign(1, 0);
      ws.assign(1, A(1));
      for (size_t i = 0; i < r; ++i) {
        next_offs.clear();
        next_ws.clear();
        for (size_t q = 0; q < offs.size(); ++q) {
          for (int k = 0; k < taps[i].n; ++k) {
            if (taps[i].idx[k] < 0) continue;
            next_offs.push_back(offs[q] + taps[i].idx[k] * strides[i]);
            next_ws.push_back(ws[q] * static_cast<A>(taps[i].w[k]));
          }
        }
        offs.swap(next_offs);
        ws.swap(next_ws);
      }
      for (int64_t c = 0; c < channels; ++c) {
        const T* s = src + (n * channels + c) * plane;
        A acc = 0;
        for (size_t q = 0; q < offs.size(); ++q) acc += ws[q] * static_cast<A>(s[offs[q]]);
        dst[(n * channels + c) * points + p] = static_cast<T>(acc);
      }
    }
  }
}

void grid_sample(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& grid = ctx.input(1);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3, got " + x.describe());
  const size_t r = x.rank() - 2;
  if (ctx.opset() < 20 && r != 2) ctx.fail("X must be 4-D before opset 20, got " + x.describe());
  if (grid.rank() != x.rank() || grid.dim(0) != x.dim(0) || grid.dim(grid.rank() - 1) != static_cast<int64_t>(r)) {
    ctx.fail("grid " + grid.describe() + " does not match X " + x.describe() + " (expected [N, ..., " + std::to_string(r) + "])");
  }
  const std::string m = ctx.attr_string("mode", ctx.opset() >= 20 ? "linear" : "bilinear");
  Mode mode;
  if (m == "bilinear" || m == "linear") {
    mode = Mode::kLinear;
  } else if (m == "nearest") {
    mode = Mode::kNearest;
  } else if (m == "bicubic" || m == "cubic") {
    mode = Mode::kCubic;
  } else {
    ctx.fail("unsupported mode '" + m + "'");
  }
  if (mode == Mode::kCubic && r != 2) ctx.fail("cubic mode needs 4-D X, got " + x.describe());
  const std::string pm = ctx.attr_string("padding_mode", "zeros");
  Padding pad;
  if (pm == "zeros") {
    pad = Padding::kZeros;
  } else if (pm == "border") {
    pad = Padding::kBorder;
  } else if (pm == "reflection") {
    pad = Padding::kReflection;
  } else {
    ctx.fail("unsupported padding_mode '" + pm + "'");
  }
  const bool align = ctx.attr_int("align_corners", 0) != 0;
  Dims out = {x.dim(0), x.dim(1)};
  for (size_t i = 0; i < r; ++i) out.push_back(grid.dim(1 + i));
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  if (y.numel() == 0) return;
  for (size_t i = 0; i < r; ++i) {
    if (x.dim(2 + i) == 0) ctx.fail("X has an empty spatial axis: " + x.describe());
  }
  const std::vector<double> g = grid.to_doubles();
  dispatch_numeric(x.dtype(), "GridSample", [&](auto tag) { sample<decltype(tag)>(x, g, y, mode, pad, align); });
}

}  // namespace

GRAFT_CPU_KERNEL("", GridSample, 16, grid_sample);

}  // namespace graft::cpu
