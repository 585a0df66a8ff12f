// The built-in plugins' CUDA kernels: one thread per output element (per sampled column
// element for DeformConv2d), mirroring the CPU implementations' arithmetic (RoiAlign and
// GridSample positions in double, as graft's CPU kernels compute them).
#include <cuda_runtime.h>

#include "plugins/builtin/cuda_kernels.h"

namespace graft::plugins::cuda {
namespace {

constexpr int kThreads = 256;

int blocks_for(int64_t n) { return static_cast<int>((n + kThreads - 1) / kThreads); }

const char* launched() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

// ---- DeformConv2d ----

__device__ float deform_bilinear(const float* img, int64_t h, int64_t w, float y, float x) {
  if (y <= -1 || y >= h || x <= -1 || x >= w) return 0;
  const int64_t y0 = static_cast<int64_t>(floorf(y)), x0 = static_cast<int64_t>(floorf(x));
  const float ly = y - y0, lx = x - x0;
  auto at = [&](int64_t yy, int64_t xx) { return yy >= 0 && yy < h && xx >= 0 && xx < w ? img[yy * w + xx] : 0.f; };
  return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x0 + 1) + ly * (1 - lx) * at(y0 + 1, x0) +
         ly * lx * at(y0 + 1, x0 + 1);
}

// col[(c*K + k)*P + p] for one image.
__global__ void deform_columns(DeformConvGeometry g, const float* x, const float* offset, const float* mask, float* col) {
  const int64_t taps = g.kh * g.kw, pixels = g.ho * g.wo;
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= g.c * taps * pixels) return;
  const int64_t p = i % pixels, k = (i / pixels) % taps, c = i / (pixels * taps);
  const int64_t og = c / (g.c / g.offset_group);
  const float* dy = offset + (og * taps + k) * 2 * pixels;
  const int64_t oy = p / g.wo, ox = p % g.wo;
  const float y = oy * g.stride_h - g.pad_h + (k / g.kw) * g.dil_h + dy[p];
  const float xx = ox * g.stride_w - g.pad_w + (k % g.kw) * g.dil_w + dy[pixels + p];
  const float m = mask ? mask[(og * taps + k) * pixels + p] : 1.f;
  col[i] = deform_bilinear(x + c * g.h * g.w, g.h, g.w, y, xx) * m;
}

__global__ void deform_matmul(DeformConvGeometry g, const float* weight, const float* bias, const float* col, float* y) {
  const int64_t taps = g.kh * g.kw, pixels = g.ho * g.wo;
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= g.m * pixels) return;
  const int64_t p = i % pixels, m = i / pixels;
  const int64_t cg = g.c / g.group, grp = m / (g.m / g.group);
  const float* wm = weight + m * cg * taps;
  const float* cols = col + grp * cg * taps * pixels;
  float acc = bias ? bias[m] : 0.f;
  for (int64_t r = 0; r < cg * taps; ++r) acc += wm[r] * cols[r * pixels + p];
  y[i] = acc;
}

// ---- ScatterElements ----

__device__ float reduce(Reduction r, float a, float b) {
  switch (r) {
    case Reduction::kAdd: return a + b;
    case Reduction::kMul: return a * b;
    case Reduction::kMax: return fmaxf(a, b);
    case Reduction::kMin: return fminf(a, b);
    default: return b;
  }
}

__device__ void apply(float* where, float v, Reduction r) {
  if (r == Reduction::kNone) {
    *where = v;
    return;
  }
  if (r == Reduction::kAdd) {
    atomicAdd(where, v);
    return;
  }
  int* bits = reinterpret_cast<int*>(where);
  int old = *bits, assumed;
  do {
    assumed = old;
    old = atomicCAS(bits, assumed, __float_as_int(reduce(r, __int_as_float(assumed), v)));
  } while (old != assumed);
}

__global__ void scatter_kernel(ScatterGeometry g, const int64_t* indices, const float* updates, float* out, int64_t n,
                               Reduction r) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  int64_t rest = i, offset = 0, stride = 1;
  for (int d = g.rank - 1; d >= 0; --d) {
    int64_t coord = rest % g.update_dims[d];
    rest /= g.update_dims[d];
    if (d == g.axis) {
      coord = indices[i];
      if (coord < 0) coord += g.data_dims[d];
    }
    offset += coord * stride;
    stride *= g.data_dims[d];
  }
  apply(out + offset, updates[i], r);
}

// ---- GridSample (2-D) ----

struct Axis {
  int64_t size;
  double lo, hi;
};

__device__ double reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x, n = trunc(dx / range), r = dx - n * range;
    return fmod(n, 2.0) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi, n = trunc(dx / range), r = dx - n * range;
    return fmod(n, 2.0) == 0 ? hi - r : lo + r;
  }
  return x;
}

__device__ int64_t fetch_index(int64_t i, const Axis& ax, GridPadding pad) {
  switch (pad) {
    case GridPadding::kZeros: return i >= 0 && i < ax.size ? i : -1;
    case GridPadding::kBorder: return i < 0 ? 0 : (i >= ax.size ? ax.size - 1 : i);
    default: {
      const int64_t r = static_cast<int64_t>(reflect(static_cast<double>(i), ax.lo, ax.hi));
      return r < 0 ? 0 : (r >= ax.size ? ax.size - 1 : r);
    }
  }
}

struct Taps {
  int n = 0;
  int64_t idx[4];
  double w[4];
};

__device__ Taps axis_taps(double gv, const Axis& ax, bool align, GridMode mode, GridPadding pad) {
  double x = align ? (gv + 1) / 2 * static_cast<double>(ax.size - 1) : ((gv + 1) * static_cast<double>(ax.size) - 1) / 2;
  if (mode == GridMode::kNearest) x = rint(x);
  if (x < ax.lo || x > ax.hi) {
    if (pad == GridPadding::kBorder) x = fmin(fmax(x, 0.0), static_cast<double>(ax.size - 1));
    if (pad == GridPadding::kReflection) x = reflect(x, ax.lo, ax.hi);
  }
  Taps t;
  if (mode == GridMode::kNearest) {
    t.n = 1;
    t.idx[0] = fetch_index(static_cast<int64_t>(x), ax, pad);
    t.w[0] = 1;
    return t;
  }
  const double x0 = floor(x), f = x - x0;
  const int64_t i0 = static_cast<int64_t>(x0);
  if (mode == GridMode::kLinear) {
    t.n = 2;
    t.idx[0] = fetch_index(i0, ax, pad);
    t.idx[1] = fetch_index(i0 + 1, ax, pad);
    t.w[0] = 1 - f;
    t.w[1] = f;
    return t;
  }
  constexpr double a = -0.75;
  auto near = [&](double v) { return ((a + 2) * v - (a + 3)) * v * v + 1; };
  auto far = [&](double v) { return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a; };
  t.n = 4;
  for (int k = 0; k < 4; ++k) t.idx[k] = fetch_index(i0 - 1 + k, ax, pad);
  t.w[0] = far(f + 1);
  t.w[1] = near(f);
  t.w[2] = near(1 - f);
  t.w[3] = far(2 - f);
  return t;
}

__global__ void grid_sample_kernel(GridSampleGeometry g, const float* x, const float* grid, float* y) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t points = g.ho * g.wo;
  if (i >= g.n * g.c * points) return;
  const int64_t p = i % points, c = (i / points) % g.c, n = i / (points * g.c);
  const Axis ay{g.h, g.align_corners ? 0.0 : -0.5, g.align_corners ? double(g.h - 1) : double(g.h) - 0.5};
  const Axis ax{g.w, g.align_corners ? 0.0 : -0.5, g.align_corners ? double(g.w - 1) : double(g.w) - 0.5};
  const float* gp = grid + (n * points + p) * 2;
  const Taps ty = axis_taps(gp[1], ay, g.align_corners, g.mode, g.padding);
  const Taps tx = axis_taps(gp[0], ax, g.align_corners, g.mode, g.padding);
  const float* s = x + (n * g.c + c) * g.h * g.w;
  float acc = 0;
  for (int a = 0; a < ty.n; ++a) {
    if (ty.idx[a] < 0) continue;
    for (int b = 0; b < tx.n; ++b) {
      if (tx.idx[b] < 0) continue;
      acc += (1.f * static_cast<float>(ty.w[a])) * static_cast<float>(tx.w[b]) * s[ty.idx[a] * g.w + tx.idx[b]];
    }
  }
  y[i] = acc;
}

// ---- RoiAlign ----

__device__ void roi_sample(double y, double x, int64_t h, int64_t w, int64_t* pos, double* wt) {
  for (int q = 0; q < 4; ++q) pos[q] = 0, wt[q] = 0;
  if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return;
  y = fmax(y, 0.0);
  x = fmax(x, 0.0);
  int64_t yl = static_cast<int64_t>(y), xl = static_cast<int64_t>(x), yh, xh;
  if (yl >= h - 1) {
    yh = yl = h - 1;
    y = static_cast<double>(yl);
  } else {
    yh = yl + 1;
  }
  if (xl >= w - 1) {
    xh = xl = w - 1;
    x = static_cast<double>(xl);
  } else {
    xh = xl + 1;
  }
  const double ly = y - yl, lx = x - xl, hy = 1 - ly, hx = 1 - lx;
  pos[0] = yl * w + xl, pos[1] = yl * w + xh, pos[2] = yh * w + xl, pos[3] = yh * w + xh;
  wt[0] = hy * hx, wt[1] = hy * lx, wt[2] = ly * hx, wt[3] = ly * lx;
}

__global__ void roi_align_kernel(RoiAlignGeometry g, const float* x, const float* rois, const int64_t* batch, float* y) {
  const int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t bins = g.out_h * g.out_w;
  if (i >= g.num_rois * g.c * bins) return;
  const int64_t b = i % bins, c = (i / bins) % g.c, r = i / (bins * g.c);
  const int64_t ph = b / g.out_w, pw = b % g.out_w;
  const float* roi = rois + r * 4;
  const double off = g.half_pixel ? 0.5 : 0.0;
  const double start_w = roi[0] * g.spatial_scale - off, start_h = roi[1] * g.spatial_scale - off;
  double roi_w = roi[2] * g.spatial_scale - off - start_w, roi_h = roi[3] * g.spatial_scale - off - start_h;
  if (!g.half_pixel) {
    roi_w = fmax(roi_w, 1.0);
    roi_h = fmax(roi_h, 1.0);
  }
  const double bin_h = roi_h / g.out_h, bin_w = roi_w / g.out_w;
  const int64_t grid_h = g.sampling_ratio > 0 ? g.sampling_ratio : static_cast<int64_t>(ceil(roi_h / g.out_h));
  const int64_t grid_w = g.sampling_ratio > 0 ? g.sampling_ratio : static_cast<int64_t>(ceil(roi_w / g.out_w));
  const double count = static_cast<double>(grid_h * grid_w > 1 ? grid_h * grid_w : 1);
  const float* d = x + (batch[r] * g.c + c) * g.h * g.w;
  double acc = 0;
  bool first = true;
  for (int64_t iy = 0; iy < grid_h; ++iy) {
    const double yy = start_h + ph * bin_h + (iy + 0.5) * bin_h / grid_h;
    for (int64_t ix = 0; ix < grid_w; ++ix) {
      const double xx = start_w + pw * bin_w + (ix + 0.5) * bin_w / grid_w;
      int64_t pos[4];
      double wt[4];
      roi_sample(yy, xx, g.h, g.w, pos, wt);
      if (g.max_mode) {
        double v = wt[0] * d[pos[0]];
        for (int q = 1; q < 4; ++q) v = fmax(v, wt[q] * d[pos[q]]);
        acc = first ? v : fmax(acc, v);
        first = false;
      } else {
        for (int q = 0; q < 4; ++q) acc += wt[q] * d[pos[q]];
      }
    }
  }
  y[i] = static_cast<float>(g.max_mode ? acc : acc / count);
}

}  // namespace

size_t deform_conv2d_workspace(const DeformConvGeometry& g) {
  return static_cast<size_t>(g.c * g.kh * g.kw * g.ho * g.wo) * sizeof(float);
}

const char* deform_conv2d(const DeformConvGeometry& g, const float* x, const float* weight, const float* offset,
                          const float* bias, const float* mask, float* y, void* col, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  const int64_t taps = g.kh * g.kw, pixels = g.ho * g.wo;
  float* cols = static_cast<float*>(col);
  for (int64_t n = 0; n < g.n; ++n) {
    deform_columns<<<blocks_for(g.c * taps * pixels), kThreads, 0, s>>>(
        g, x + n * g.c * g.h * g.w, offset + n * 2 * g.offset_group * taps * pixels,
        mask ? mask + n * g.offset_group * taps * pixels : nullptr, cols);
    deform_matmul<<<blocks_for(g.m * pixels), kThreads, 0, s>>>(g, weight, bias, cols, y + n * g.m * pixels);
  }
  return launched();
}

const char* scatter_elements(const ScatterGeometry& g, const float* data, const int64_t* indices, const float* updates,
                             float* out, Reduction reduction, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  int64_t data_n = 1, n = 1;
  for (int d = 0; d < g.rank; ++d) data_n *= g.data_dims[d], n *= g.update_dims[d];
  if (cudaMemcpyAsync(out, data, data_n * sizeof(float), cudaMemcpyDeviceToDevice, s) != cudaSuccess) return launched();
  if (n > 0) scatter_kernel<<<blocks_for(n), kThreads, 0, s>>>(g, indices, updates, out, n, reduction);
  return launched();
}

const char* grid_sample(const GridSampleGeometry& g, const float* x, const float* grid, float* y, void* stream) {
  const int64_t n = g.n * g.c * g.ho * g.wo;
  if (n > 0) grid_sample_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(g, x, grid, y);
  return launched();
}

const char* roi_align(const RoiAlignGeometry& g, const float* x, const float* rois, const int64_t* batch_indices,
                      float* y, void* stream) {
  const int64_t n = g.num_rois * g.c * g.out_h * g.out_w;
  if (n > 0) roi_align_kernel<<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(g, x, rois, batch_indices, y);
  return launched();
}

}  // namespace graft::plugins::cuda
