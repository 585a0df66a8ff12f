// Conv, ConvTranspose, ConvInteger, QLinearConv: im2col (or col2im) plus one GEMM per
// image and group; 1x1 stride-1 unpadded convolutions use the input as it is, and
// depthwise convolutions run as a direct loop. float32 Conv on AVX-512 CPUs takes the
// packed-weight GEMM and depthwise kernels of sgemm_packed.h, and runs the Conv chains
// the executor plans (conv_chain.h) tile by tile.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "kernels/cpu/conv_chain.h"
#include "kernels/cpu/conv_util.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/gemm_util.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/sgemm_packed.h"

namespace graft::cpu {
namespace {

// Visits the rows of the im2col matrix of one channel: for each kernel offset and each
// grid position (o0, o1) of the outer two dims, calls
//   fn(col_row_ptr_offset, img_offset, img_step, lo, hi)
// where grid positions j of the innermost dim in [lo, hi) map to image element
// img_offset + j * img_step and the others fall in the padding. For Conv the grid is
// the output and the image the input; for ConvTranspose it is the other way round.
template <typename F>
void walk_windows(const std::array<int64_t, 3>& grid, const std::array<int64_t, 3>& image, const Window& w,
                  F&& fn) {
  const int64_t grid_size = grid[0] * grid[1] * grid[2];
  int64_t row = 0;
  for (int64_t k0 = 0; k0 < w.kernel[0]; ++k0) {
    for (int64_t k1 = 0; k1 < w.kernel[1]; ++k1) {
      for (int64_t k2 = 0; k2 < w.kernel[2]; ++k2, ++row) {
        const int64_t off2 = k2 * w.dil[2] - w.pad[2];
        int64_t lo2, hi2;
        valid_range(off2, w.stride[2], image[2], grid[2], lo2, hi2);
        int64_t col = row * grid_size;
        for (int64_t o0 = 0; o0 < grid[0]; ++o0) {
          const int64_t i0 = o0 * w.stride[0] + k0 * w.dil[0] - w.pad[0];
          const bool ok0 = i0 >= 0 && i0 < image[0];
          for (int64_t o1 = 0; o1 < grid[1]; ++o1, col += grid[2]) {
            const int64_t i1 = o1 * w.stride[1] + k1 * w.dil[1] - w.pad[1];
            const bool ok = ok0 && i1 >= 0 && i1 < image[1];
            fn(col, ok ? (i0 * image[1] + i1) * image[2] + off2 : 0, w.stride[2], ok ? lo2 : 0, ok ? hi2 : 0);
          }
        }
      }
    }
  }
}

// col[(c, k), o] = x[c, o * stride + k * dil - pad] (0 in the padding), for `channels`.
template <typename T>
void im2col(const T* x, int64_t channels, const Window& w, T* col) {
  const int64_t rows_per_channel = w.kernel_size() * w.out_size();
  parallel_for(channels, double(channels) * rows_per_channel * 4, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const T* xc = x + c * w.in_size();
      T* colc = col + c * rows_per_channel;
      walk_windows(w.out, w.in, w, [&](int64_t o, int64_t i, int64_t step, int64_t lo, int64_t hi) {
        T* dst = colc + o;
        for (int64_t j = 0; j < lo; ++j) dst[j] = T(0);
        if (step == 1) {
          if (hi > lo) std::memcpy(dst + lo, xc + i + lo, (hi - lo) * sizeof(T));
        } else {
          for (int64_t j = lo; j < hi; ++j) dst[j] = xc[i + j * step];
        }
        for (int64_t j = hi; j < w.out[2]; ++j) dst[j] = T(0);
      });
    }
  });
}

// y[m, i * stride + k * dil - pad] += col[(m, k), i], for `channels` output channels.
template <typename T>
void col2im(const T* col, int64_t channels, const Window& w, T* y) {
  const int64_t rows_per_channel = w.kernel_size() * w.in_size();
  parallel_for(channels, double(channels) * rows_per_channel, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      T* yc = y + c * w.out_size();
      const T* colc = col + c * rows_per_channel;
      // Here the grid is the (transposed conv's) input and the image its output.
      walk_windows(w.in, w.out, w, [&](int64_t o, int64_t i, int64_t step, int64_t lo, int64_t hi) {
        for (int64_t j = lo; j < hi; ++j) yc[i + j * step] += colc[o + j];
      });
    }
  });
}

// One channel of a direct depthwise convolution: y = bias + sum over kernel taps of
// tap * shifted x, one output row at a time.
template <typename T>
[[gnu::always_inline]] inline void depthwise_channel(const T* x, const T* k, T bias, const Window& w,
                                                     const int64_t* lo, const int64_t* hi, T* y) {
  const int64_t s2 = w.stride[2];
  for (int64_t o0 = 0; o0 < w.out[0]; ++o0) {
    for (int64_t o1 = 0; o1 < w.out[1]; ++o1) {
      T* row = y + (o0 * w.out[1] + o1) * w.out[2];
      for (int64_t j = 0; j < w.out[2]; ++j) row[j] = bias;
      for (int64_t k0 = 0; k0 < w.kernel[0]; ++k0) {
        const int64_t i0 = o0 * w.stride[0] + k0 * w.dil[0] - w.pad[0];
        if (i0 < 0 || i0 >= w.in[0]) continue;
        for (int64_t k1 = 0; k1 < w.kernel[1]; ++k1) {
          const int64_t i1 = o1 * w.stride[1] + k1 * w.dil[1] - w.pad[1];
          if (i1 < 0 || i1 >= w.in[1]) continue;
          const T* taps = k + (k0 * w.kernel[1] + k1) * w.kernel[2];
          for (int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
            const T tap = taps[k2];
            const T* src = x + (i0 * w.in[1] + i1) * w.in[2] + k2 * w.dil[2] - w.pad[2];
            if (s2 == 1) {
              for (int64_t j = lo[k2]; j < hi[k2]; ++j) row[j] += tap * src[j];
            } else {
              for (int64_t j = lo[k2]; j < hi[k2]; ++j) row[j] += tap * src[j * s2];
            }
          }
        }
      }
    }
  }
}

// Built for several instruction sets and vectorized (the build's -O2 does not).
template <typename T>
[[gnu::target_clones("avx512f", "avx2", "default"), gnu::optimize("O3")]] void depthwise_channels(
    const T* x, const T* k, const T* bias, int64_t c0, int64_t c1, const Window& w, const int64_t* lo,
    const int64_t* hi, T* y) {
  for (int64_t c = c0; c < c1; ++c) {
    depthwise_channel(x + c * w.in_size(), k + c * w.kernel_size(), bias ? bias[c] : T(0), w, lo, hi,
                      y + c * w.out_size());
  }
}

// Direct depthwise convolution (one input and one output channel per group).
template <typename T>
void depthwise(const T* x, const T* wts, const T* bias, int64_t channels, const Window& w, T* y) {
  std::vector<int64_t> lo(w.kernel[2]), hi(w.kernel[2]);
  for (int64_t k2 = 0; k2 < w.kernel[2]; ++k2) {
    valid_range(k2 * w.dil[2] - w.pad[2], w.stride[2], w.in[2], w.out[2], lo[k2], hi[k2]);
  }
  parallel_for(channels, double(channels) * w.out_size() * w.kernel_size(), [&](int64_t c0, int64_t c1) {
    depthwise_channels<T>(x, wts, bias, c0, c1, w, lo.data(), hi.data(), y);
  });
}

// A per-thread scratch buffer that grows as needed and is kept between calls.
template <typename T>
T* scratch(size_t n) {
  thread_local std::vector<T> buf;
  if (buf.size() < n) buf.resize(n);
  return buf.data();
}

struct ConvShape {
  int64_t N, C, M, group;
  Window w;
};

// Checks X [N, C, spatial] (its dims), W [M, C/group, kernel] (or [C, M/group, kernel]
// transposed).
ConvShape conv_shape(const KernelContext& ctx, const Dims& x, const HostTensor& wt, bool transposed) {
  if (x.size() < 3 || wt.rank() != x.size()) ctx.fail("X " + dims_str(x) + " and W " + wt.describe() + " must be [N, C, spatial...] of one rank");
  ConvShape s;
  s.N = x[0];
  s.C = x[1];
  s.group = ctx.attr_int("group", 1);
  if (s.group <= 0 || s.C % s.group != 0) ctx.fail("group " + std::to_string(s.group) + " does not divide the " + std::to_string(s.C) + " input channels");
  const int64_t w_in = transposed ? wt.dim(0) : wt.dim(1) * s.group;
  s.M = transposed ? wt.dim(1) * s.group : wt.dim(0);
  if (w_in != s.C || s.M % s.group != 0) ctx.fail("W " + wt.describe() + " does not match X " + dims_str(x) + " with group " + std::to_string(s.group));
  const Dims in(x.begin() + 2, x.end());
  Dims kernel(wt.dims().begin() + 2, wt.dims().end());
  if (ctx.has_attr("kernel_shape") && ctx.attr_ints("kernel_shape") != kernel) {
    ctx.fail("kernel_shape does not match W " + wt.describe());
  }
  s.w = transposed ? window_base(ctx, in, kernel) : window_geometry(ctx, in, kernel, false);
  return s;
}

// Y = conv(X, W) + B in T, for one ConvShape. bias may be null.
template <typename T>
void conv_compute(const ConvShape& s, const T* x, const T* wts, const T* bias, T* y) {
  const Window& w = s.w;
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group;
  const int64_t rows = Cg * w.kernel_size(), cols = w.out_size();
  if (Cg == 1 && Mg == 1) {
    for (int64_t n = 0; n < s.N; ++n) depthwise(x + n * s.C * w.in_size(), wts, bias, s.C, w, y + n * s.M * cols);
    return;
  }
  const bool direct = w.kernel_size() == 1 && w.stride == std::array<int64_t, 3>{1, 1, 1} &&
                      w.pad == std::array<int64_t, 3>{0, 0, 0} && w.pad_end == w.pad;
  T* col = direct ? nullptr : scratch<T>(rows * cols);
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      const T* xg = x + (n * s.C + g * Cg) * w.in_size();
      T* yg = y + (n * s.M + g * Mg) * cols;
      if (!direct) im2col(xg, Cg, w, col);
      if (bias) {
        for (int64_t m = 0; m < Mg; ++m) std::fill(yg + m * cols, yg + (m + 1) * cols, bias[g * Mg + m]);
      }
      gemm<T>(false, false, Mg, cols, rows, T(1), wts + g * Mg * rows, rows, direct ? xg : col, cols,
              bias ? T(1) : T(0), yg, cols);
    }
  }
}

void check_bias(const KernelContext& ctx, const HostTensor& b, int64_t M) {
  if (b.rank() != 1 || b.dim(0) != M) ctx.fail("B " + b.describe() + " must be [" + std::to_string(M) + "]");
}

// Conv weights packed for avx512::sgemm_packed, one block per group.
struct PackedConvWeights {
  std::vector<float> data;
  int64_t per_group = 0;
};

std::shared_ptr<const PackedConvWeights> pack_conv_weights(const ConvShape& s, const float* wts) {
  auto p = std::make_shared<PackedConvWeights>();
  const int64_t Mg = s.M / s.group, K = s.C / s.group * s.w.kernel_size();
  p->per_group = static_cast<int64_t>(avx512::packed_a_floats(Mg, K));
  p->data.resize(p->per_group * s.group);
  for (int64_t g = 0; g < s.group; ++g) avx512::pack_a(wts + g * Mg * K, K, Mg, K, p->data.data() + g * p->per_group);
  return p;
}

// The epilogue of folded ops `f`, when they fit an output of dims y (a residual of y's
// shape, float32).
bool fused_epilogue(const FusedOps* f, const Dims& y, Epilogue& ep) {
  if (!f) return false;
  if (f->residual) {
    if (!f->residual->is_tensor() || f->residual->tensor.dtype() != DataType::kFloat ||
        f->residual->tensor.dims() != y) {
      return false;
    }
    ep.residual = f->residual->tensor.data<float>();
  }
  ep.act = static_cast<Epilogue::Act>(f->act);
  ep.lo = f->lo;
  ep.hi = f->hi;
  ep.alpha = f->alpha;
  return true;
}

// The epilogue of the node's planned fusion, when it fits y.
bool fused_epilogue(const KernelContext& ctx, const HostTensor& y, Epilogue& ep) {
  return y.dtype() == DataType::kFloat && fused_epilogue(ctx.fused(), y.dims(), ep);
}

// A 1x1 convolution whose input is already its im2col matrix.
bool is_direct_1x1(const Window& w) {
  return w.kernel_size() == 1 && w.stride == std::array<int64_t, 3>{1, 1, 1} &&
         w.pad == std::array<int64_t, 3>{0, 0, 0} && w.pad_end == w.pad;
}

// A window over at most two spatial dims.
bool is_2d(const Window& w) { return w.in[0] == 1 && w.kernel[0] == 1 && w.out[0] == 1; }

// A depthwise convolution that avx512::depthwise2d computes.
bool is_fast_depthwise(const ConvShape& s) {
  const Window& w = s.w;
  return s.C == s.group && s.M == s.group && is_2d(w) && w.dil[1] == 1 && w.dil[2] == 1 &&
         (w.stride[2] == 1 || w.stride[2] == 2);
}

avx512::Depthwise2d depthwise_geometry(const Window& w) {
  return {w.in[1], w.in[2], w.kernel[1], w.kernel[2], w.stride[1], w.stride[2], w.pad[1], w.pad[2], w.out[1], w.out[2]};
}

// The packed weights of a float32 Conv, cached by the node when they are constant.
std::shared_ptr<const PackedConvWeights> packed_weights(KernelContext& ctx, const ConvShape& s, const HostTensor& wt) {
  auto make = [&] { return pack_conv_weights(s, wt.data<float>()); };
  return ctx.input_is_constant(1) ? ctx.cached<PackedConvWeights>(make) : make();
}

// The im2col geometry of a window with one (or no) outer spatial dim, over `channels`.
avx512::Im2col2d im2col_geometry(const Window& w, int64_t channels) {
  return {channels, w.in[1], w.in[2], w.kernel[1], w.kernel[2], w.stride[1], w.stride[2], w.dil[1], w.dil[2],
          w.pad[1], w.pad[2], w.out[2]};
}

// im2col of `channels` of x into col (K x out_size), by row bands on the thread pool.
void im2col_avx512(const float* x, int64_t channels, const Window& w, float* col) {
  if (!is_2d(w)) return im2col(x, channels, w, col);
  const avx512::Im2col2d g = im2col_geometry(w, channels);
  const double work = double(channels) * w.kernel_size() * w.out_size();
  parallel_for(w.out[1], work, [&](int64_t r0, int64_t r1) {
    avx512::im2col2d(x, g, r0, r1, col + r0 * w.out[2], w.out_size());
  });
}

// Whether a float32 GEMM over `cols` output columns splits them between threads (else
// it splits rows of weights): when there are enough column panels to balance.
bool split_columns(int64_t cols) { return (cols + avx512::kNR - 1) / avx512::kNR >= 8; }

// float32 depthwise 2-D Conv on AVX-512, epilogue fused. Threads split output rows where
// the GEMMs of the 1x1 convolutions around it split columns (so each thread reads
// mostly what it wrote itself), else channels.
void conv_depthwise(const ConvShape& s, const float* x, const float* wts, const Epilogue& fused, float* y) {
  const Window& w = s.w;
  const avx512::Depthwise2d d = depthwise_geometry(w);
  const int64_t C = s.C;
  const double work = double(C) * w.out_size() * w.kernel_size();
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * C * w.in_size();
    float* yn = y + n * C * w.out_size();
    Epilogue ep = fused;
    if (ep.residual) ep.residual += n * C * w.out_size();
    if (split_columns(w.out_size())) {
      parallel_for(d.OH, work, [&](int64_t r0, int64_t r1) { avx512::depthwise2d(xn, wts, 0, C, r0, r1, d, yn, ep); });
    } else {
      parallel_for(C, work, [&](int64_t c0, int64_t c1) { avx512::depthwise2d(xn, wts, c0, c1, 0, d.OH, d, yn, ep); });
    }
  }
}

// float32 Conv (not depthwise) on the packed-weight AVX-512 GEMM, epilogue fused.
void conv_packed(const ConvShape& s, const float* x, const PackedConvWeights& pw, const Epilogue& fused, float* y) {
  const Window& w = s.w;
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group;
  const int64_t K = Cg * w.kernel_size(), cols = w.out_size();
  const bool direct = is_direct_1x1(w);
  float* col = direct ? nullptr : scratch<float>(K * cols);
  const int64_t panels = (Mg + avx512::kMR - 1) / avx512::kMR;
  const double work = double(Mg) * double(cols) * double(K);
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      const float* xg = x + (n * s.C + g * Cg) * w.in_size();
      const int64_t c0 = (n * s.M + g * Mg) * cols;
      if (!direct) im2col_avx512(xg, Cg, w, col);
      const float* B = direct ? xg : col;
      Epilogue ep = fused;
      if (ep.bias) ep.bias += g * Mg;
      if (ep.residual) ep.residual += c0;
      ep.ld_residual = cols;
      const float* pa = pw.data.data() + g * pw.per_group;
      if (split_columns(cols)) {
        parallel_for((cols + avx512::kNR - 1) / avx512::kNR, work, [&](int64_t b0, int64_t b1) {
          avx512::sgemm_packed(Mg, K, pa, 0, panels, B, cols, b0 * avx512::kNR, std::min(cols, b1 * avx512::kNR),
                               y + c0, cols, ep);
        });
      } else {
        parallel_for(panels, work, [&](int64_t p0, int64_t p1) {
          avx512::sgemm_packed(Mg, K, pa, p0, p1, B, cols, 0, cols, y + c0, cols, ep);
        });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Planned Conv chains (conv_chain.h): [1x1 expand] -> depthwise -> 1x1 project.

// Below this many bytes of depthwise input the intermediates stay in the cache anyway and
// the nodes run one by one.
constexpr int64_t kChainMinBytes = 512 << 10;
// Per thread and tile: the depthwise input rows one tile reads (the expanded ones).
constexpr int64_t kChainTileBytes = 192 << 10;

// One Conv of a chain, checked: its geometry, epilogue (bias and folded ops) and weights,
// packed for a GEMM (on the input itself for a 1x1, else on im2col rows) or as they are
// for a depthwise one.
struct ChainConv {
  ConvShape s;
  Epilogue ep;
  std::shared_ptr<const PackedConvWeights> packed;
  bool im2col = false;
  const float* depthwise = nullptr;

  Dims out_dims() const {
    Dims out{s.N, s.M};
    for (int64_t d : s.w.out_dims()) out.push_back(d);
    return out;
  }
};

// The link as a chain Conv over input dims x, or nothing when it cannot be one (weights
// not float32 constants, not a 2-D Conv of one group or a depthwise one, folded ops that
// do not fit).
std::optional<ChainConv> chain_conv(const ChainLink& link, const Dims& x) {
  KernelContext& ctx = *link.ctx;
  if (x.size() != 4 || !ctx.has_input(1) || ctx.input(1).dtype() != DataType::kFloat || !ctx.input_is_constant(1) ||
      (ctx.has_input(2) && ctx.input(2).dtype() != DataType::kFloat)) {
    return std::nullopt;
  }
  ChainConv c;
  c.s = conv_shape(ctx, x, ctx.input(1), false);
  if (link.post && !fused_epilogue(link.post, c.out_dims(), c.ep)) return std::nullopt;
  if (ctx.has_input(2)) {
    check_bias(ctx, ctx.input(2), c.s.M);
    c.ep.bias = ctx.input(2).data<float>();
  }
  if (c.s.C == c.s.group && c.s.M == c.s.group && is_fast_depthwise(c.s)) {
    c.depthwise = ctx.input(1).data<float>();
  } else if (c.s.group == 1 && is_2d(c.s.w)) {
    c.packed = packed_weights(ctx, c.s, ctx.input(1));
    c.im2col = !is_direct_1x1(c.s.w);
  } else {
    return std::nullopt;
  }
  return c;
}

int64_t panels(int64_t rows) { return (rows + avx512::kMR - 1) / avx512::kMR; }

// What every tile of one chain needs: its Convs, the depthwise geometry, output rows per
// tile and the depthwise input rows one tile reads.
struct ChainGeometry {
  const ChainConv* expand;  // null when the chain starts at the depthwise Conv
  const ChainConv& dw;
  const ChainConv& project;
  avx512::Depthwise2d d;
  int64_t tile, rows;
};

ChainGeometry chain_geometry(const ChainConv* expand, const ChainConv& dw, const ChainConv& project) {
  ChainGeometry g{expand, dw, project, depthwise_geometry(dw.s.w), 1, 0};
  const int64_t row_bytes = dw.s.C * g.d.W * g.d.stride_h * int64_t(sizeof(float));
  g.tile = std::clamp<int64_t>(kChainTileBytes / row_bytes, 1, g.d.OH);
  g.rows = (g.tile - 1) * g.d.stride_h + g.d.KH;
  return g;
}

// Leaves the expanded input rows [r0, r1) in e (g.rows rows per channel, from row r0),
// keeping those of [e0, e1) it already holds; x is the expansion's input image, col
// room for the im2col rows of one tile.
void expand_rows(const ChainGeometry& g, const float* x, float* e, float* col, int64_t& e0, int64_t& e1, int64_t r0,
                 int64_t r1) {
  const int64_t W = g.d.W, hidden = g.dw.s.C, ld = g.rows * W;
  int64_t from = r0;
  if (r0 >= e0 && r0 < e1) {
    if (r0 > e0) {
      for (int64_t c = 0; c < hidden; ++c) std::memmove(e + c * ld, e + c * ld + (r0 - e0) * W, (e1 - r0) * W * sizeof(float));
    }
    from = e1;
  }
  if (r1 > from) {
    const ChainConv& ex = *g.expand;
    const float* b = x + from * W;
    int64_t ldb = g.d.H * W;
    if (ex.im2col) {
      ldb = (r1 - from) * W;
      avx512::im2col2d(x, im2col_geometry(ex.s.w, ex.s.C), from, r1, col, ldb);
      b = col;
    }
    avx512::sgemm_packed(hidden, ex.s.C * ex.s.w.kernel_size(), ex.packed->data.data(), 0, panels(hidden), b, ldb, 0,
                         (r1 - from) * W, e + (from - r0) * W, ld, ex.ep);
  }
  e0 = r0;
  e1 = r1;
}

// Output rows [t0, t1) of the projection of depthwise output tile t.
void project_tile(const ChainGeometry& g, const float* t, int64_t t0, int64_t t1, const float* residual, float* y) {
  const int64_t cols = (t1 - t0) * g.d.OW, plane = g.d.OH * g.d.OW;
  Epilogue ep = g.project.ep;
  if (residual) ep.residual = residual + t0 * g.d.OW;
  ep.ld_residual = plane;
  avx512::sgemm_packed(g.project.s.M, g.dw.s.C, g.project.packed->data.data(), 0, panels(g.project.s.M), t, cols, 0,
                       cols, y + t0 * g.d.OW, plane, ep);
}

// Output rows [oy0, oy1) of one image, tile by tile (single-threaded): x is the chain's
// input image, residual the project's residual image (or null).
void chain_rows(const ChainGeometry& g, const float* x, const float* residual, float* y, int64_t oy0, int64_t oy1) {
  const avx512::Depthwise2d& d = g.d;
  const int64_t hidden = g.dw.s.C;
  const int64_t im2col_rows = g.expand && g.expand->im2col ? g.expand->s.C * g.expand->s.w.kernel_size() : 0;
  float* e = scratch<float>((hidden + im2col_rows) * g.rows * d.W + hidden * g.tile * d.OW);
  float* t = e + hidden * g.rows * d.W;
  float* col = t + hidden * g.tile * d.OW;
  int64_t e0 = 0, e1 = 0;
  for (int64_t t0 = oy0; t0 < oy1; t0 += g.tile) {
    const int64_t t1 = std::min(t0 + g.tile, oy1);
    avx512::Depthwise2d dt = d;
    dt.ldy = (t1 - t0) * d.OW;
    dt.out_row0 = t0;
    if (g.expand) {
      const int64_t r0 = std::max<int64_t>(0, t0 * d.stride_h - d.pad_t);
      const int64_t r1 = std::max(r0, std::min(d.H, (t1 - 1) * d.stride_h - d.pad_t + d.KH));
      expand_rows(g, x, e, col, e0, e1, r0, r1);
      dt.H = r1 - r0;  // rows r0 .. r1 of the image, in e
      dt.pad_t = d.pad_t + r0;
      dt.ldx = g.rows * d.W;
    }
    avx512::depthwise2d(g.expand ? e : x, g.dw.depthwise, 0, hidden, t0, t1, dt, t, g.dw.ep);
    project_tile(g, t, t0, t1, residual, y);
  }
}

// How many leading Convs form a chain: 3 (expand, depthwise, 1x1 project), 2 (depthwise,
// 1x1 project) or 0.
size_t chain_length(const std::vector<ChainConv>& c) {
  size_t n = 0;
  if (c.size() >= 3 && c[0].packed && c[1].depthwise && c[2].packed && !c[2].im2col) n = 3;
  else if (c.size() >= 2 && c[0].depthwise && c[1].packed && !c[1].im2col) n = 2;
  for (size_t i = 0; i + 1 < n; ++i) {
    if (c[i].ep.residual) return 0;
  }
  return n;
}

}  // namespace

std::optional<ChainResult> run_conv_chain(const std::vector<ChainLink>& links) {
  if (simd_level() != 2 || links.empty() || !links[0].ctx->has_input(0)) return std::nullopt;
  const HostTensor& x = links[0].ctx->input(0);
  if (x.dtype() != DataType::kFloat) return std::nullopt;
  std::vector<ChainConv> convs;
  for (Dims dims = x.dims(); convs.size() < links.size(); dims = convs.back().out_dims()) {
    std::optional<ChainConv> c = chain_conv(links[convs.size()], dims);
    if (!c) break;
    convs.push_back(std::move(*c));
  }
  const size_t n = chain_length(convs);
  if (n == 0) return std::nullopt;
  const ChainGeometry g = chain_geometry(n == 3 ? &convs[0] : nullptr, convs[n - 2], convs[n - 1]);
  if (g.dw.s.C * g.dw.s.w.in_size() * int64_t(sizeof(float)) < kChainMinBytes) return std::nullopt;
  ChainResult r{HostTensor::uninitialized(DataType::kFloat, convs[n - 1].out_dims()), n};
  const int64_t in_image = convs[0].s.C * convs[0].s.w.in_size(), out_image = g.project.s.M * g.d.OH * g.d.OW;
  double work = 0;
  for (size_t i = 0; i < n; ++i) work += double(convs[i].s.M) * convs[i].s.w.out_size() * (convs[i].s.C / convs[i].s.group);
  for (int64_t img = 0; img < convs[0].s.N; ++img) {
    const float* residual = g.project.ep.residual ? g.project.ep.residual + img * out_image : nullptr;
    float* y = r.out.mutable_data<float>() + img * out_image;
    parallel_for(g.d.OH, work, [&](int64_t oy0, int64_t oy1) {
      chain_rows(g, x.data<float>() + img * in_image, residual, y, oy0, oy1);
    });
  }
  return r;
}

namespace {

void transpose_geometry(const KernelContext& ctx, ConvShape& s);

// Conv and ConvTranspose operands (float16/bfloat16 widened to float), checked, with the
// geometry and the output dims.
struct ConvOperands {
  HostTensor x, wt, b;
  ConvShape s;
  Dims out;
};

ConvOperands conv_operands(const KernelContext& ctx, bool transposed) {
  ConvOperands op{widen_to_float(ctx.input(0)), widen_to_float(ctx.input(1)), {}, {}, {}};
  op.s = conv_shape(ctx, op.x.dims(), op.wt, transposed);
  if (transposed) transpose_geometry(ctx, op.s);
  if (ctx.has_input(2)) {
    op.b = widen_to_float(ctx.input(2));
    check_bias(ctx, op.b, op.s.M);
  }
  op.out = {op.s.N, op.s.M};
  for (int64_t d : op.s.w.out_dims()) op.out.push_back(d);
  return op;
}

void conv(KernelContext& ctx) {
  const DataType dtype = ctx.input(0).dtype();
  const ConvOperands op = conv_operands(ctx, /*transposed=*/false);
  const HostTensor& x = op.x;
  const HostTensor& wt = op.wt;
  const HostTensor& b = op.b;
  const ConvShape& s = op.s;
  const Dims& out = op.out;
  const bool depthwise = s.C == s.group && s.M == s.group;
  if (dtype == DataType::kFloat && simd_level() == 2 && (!depthwise || is_fast_depthwise(s))) {
    HostTensor& y = ctx.allocate_output_uninitialized(0, dtype, out);
    Epilogue ep;
    if (fused_epilogue(ctx, y, ep)) ctx.mark_fused_applied();
    ep.bias = b.defined() ? b.data<float>() : nullptr;
    if (depthwise) {
      conv_depthwise(s, x.data<float>(), wt.data<float>(), ep, y.mutable_data<float>());
    } else {
      conv_packed(s, x.data<float>(), *packed_weights(ctx, s, wt), ep, y.mutable_data<float>());
    }
    return;
  }
  HostTensor y(x.dtype(), out);
  dispatch_float(x.dtype(), "Conv", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_low_float_v<T>) unsupported_dtype(dtype, "Conv");
    else conv_compute<T>(s, x.data<T>(), wt.data<T>(), b.defined() ? b.data<T>() : nullptr, y.mutable_data<T>());
  });
  Epilogue ep;
  if (fused_epilogue(ctx, y, ep)) {
    float* p = y.mutable_data<float>();
    for (int64_t i = 0; i < y.numel(); ++i) p[i] = ep.apply(p[i], 0, ep.residual ? ep.residual[i] : 0.0f);
    ctx.mark_fused_applied();
  }
  ctx.set_output(0, narrow_from_float(y, dtype));
}

// ---------------------------------------------------------------------------------------
// ConvTranspose.

// Output sizes and pads from output_shape / output_padding / auto_pad (the ONNX formulas).
void transpose_geometry(const KernelContext& ctx, ConvShape& s) {
  Window& w = s.w;
  const int nd = w.nd;
  const std::vector<int64_t> out_pad = ctx.attr_ints("output_padding", std::vector<int64_t>(nd, 0));
  std::vector<int64_t> out_shape = ctx.attr_ints("output_shape");
  if (static_cast<int>(out_pad.size()) < nd) ctx.fail("output_padding needs one value per spatial dim");
  if (static_cast<int>(out_shape.size()) > nd) out_shape.erase(out_shape.begin(), out_shape.end() - nd);  // [N, C, ...] form
  const std::string auto_pad = ctx.attr_string("auto_pad", "NOTSET");
  const std::vector<int64_t> pads = ctx.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  for (int i = 0; i < nd; ++i) {
    const int d = 3 - nd + i;
    const int64_t full = w.stride[d] * (w.in[d] - 1) + out_pad[i] + (w.kernel[d] - 1) * w.dil[d] + 1;
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!out_shape.empty() || same) {
      const int64_t target = !out_shape.empty() ? out_shape[i] : w.in[d] * w.stride[d];
      const int64_t total = full - target;
      const int64_t half_floor = total >= 0 ? total / 2 : -((-total + 1) / 2);
      w.pad[d] = auto_pad == "SAME_UPPER" ? half_floor : total - half_floor;
      w.out[d] = target;
    } else {
      w.pad[d] = auto_pad == "VALID" ? 0 : pads[i];
      w.out[d] = full - w.pad[d] - (auto_pad == "VALID" ? 0 : pads[nd + i]);
    }
    if (w.out[d] <= 0) ctx.fail("ConvTranspose output size would be " + std::to_string(w.out[d]));
  }
}

template <typename T>
void conv_transpose_compute(const ConvShape& s, const T* x, const T* wts, const T* bias, T* y) {
  const Window& w = s.w;
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group;
  const int64_t rows = Mg * w.kernel_size(), cols = w.in_size();
  T* col = scratch<T>(rows * cols);
  for (int64_t n = 0; n < s.N; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      const T* xg = x + (n * s.C + g * Cg) * cols;
      T* yg = y + (n * s.M + g * Mg) * w.out_size();
      gemm<T>(true, false, rows, cols, Cg, T(1), wts + g * Cg * rows, rows, xg, cols, T(0), col, cols);
      if (bias) {
        for (int64_t m = 0; m < Mg; ++m) std::fill(yg + m * w.out_size(), yg + (m + 1) * w.out_size(), bias[g * Mg + m]);
      }
      col2im(col, Mg, w, yg);
    }
  }
}

void conv_transpose(KernelContext& ctx) {
  const DataType dtype = ctx.input(0).dtype();
  const ConvOperands op = conv_operands(ctx, /*transposed=*/true);
  const HostTensor& x = op.x;
  const HostTensor& wt = op.wt;
  const HostTensor& b = op.b;
  const ConvShape& s = op.s;
  const Dims& out = op.out;
  HostTensor y(x.dtype(), out);
  dispatch_float(x.dtype(), "ConvTranspose", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_low_float_v<T>) unsupported_dtype(dtype, "ConvTranspose");
    else conv_transpose_compute<T>(s, x.data<T>(), wt.data<T>(), b.defined() ? b.data<T>() : nullptr, y.mutable_data<T>());
  });
  ctx.set_output(0, narrow_from_float(y, dtype));
}

// ---------------------------------------------------------------------------------------
// ConvInteger and QLinearConv: int32 convolution of zero-point-adjusted values.

// t - zp as int32; zp is a scalar or one value per block of `block` elements.
HostTensor minus_zp(const KernelContext& ctx, const HostTensor& t, const HostTensor* zp, int64_t block, const char* what) {
  HostTensor out(DataType::kInt32, t.dims());
  const std::vector<int64_t> z = zp ? zp->to_int64s() : std::vector<int64_t>{0};
  const int64_t nz = static_cast<int64_t>(z.size());
  if (nz != 1 && nz * block != t.numel()) ctx.fail(std::string(what) + " zero point " + zp->describe() + " does not fit " + t.describe());
  int32_t* po = out.mutable_data<int32_t>();
  dispatch_integer(t.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    const T* pt = t.data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) po[i] = static_cast<int32_t>(pt[i]) - static_cast<int32_t>(z[nz == 1 ? 0 : i / block]);
  });
  return out;
}

// The int32 accumulator of X (zp xzp) and W (zp wzp, per tensor or per output channel).
HostTensor integer_conv(KernelContext& ctx, size_t xi, const HostTensor* xzp, size_t wi, const HostTensor* wzp,
                        const int32_t* bias, ConvShape& s) {
  const HostTensor& x = ctx.input(xi);
  const HostTensor& wt = ctx.input(wi);
  s = conv_shape(ctx, x.dims(), wt, false);
  const HostTensor x32 = minus_zp(ctx, x, xzp, x.numel(), "x");
  const HostTensor w32 = minus_zp(ctx, wt, wzp, s.M ? wt.numel() / s.M : 1, "w");
  Dims out{s.N, s.M};
  for (int64_t d : s.w.out_dims()) out.push_back(d);
  HostTensor y(DataType::kInt32, out);
  conv_compute<int32_t>(s, x32.data<int32_t>(), w32.data<int32_t>(), bias, y.mutable_data<int32_t>());
  return y;
}

const HostTensor* optional_input(const KernelContext& ctx, size_t i) {
  return ctx.has_input(i) ? &ctx.input(i) : nullptr;
}

void conv_integer(KernelContext& ctx) {
  ConvShape s;
  ctx.set_output(0, integer_conv(ctx, 0, optional_input(ctx, 2), 1, optional_input(ctx, 3), nullptr, s));
}

void qlinear_conv(KernelContext& ctx) {
  const HostTensor* bias = optional_input(ctx, 8);
  if (bias && bias->dtype() != DataType::kInt32) ctx.fail("B must be int32, got " + bias->describe());
  ConvShape s;
  const HostTensor acc = integer_conv(ctx, 0, &ctx.input(2), 3, &ctx.input(5), bias ? bias->data<int32_t>() : nullptr, s);
  if (bias) check_bias(ctx, *bias, s.M);
  const float x_scale = static_cast<float>(ctx.input(1).to_doubles()[0]);
  const std::vector<double> w_scale = ctx.input(4).to_doubles();
  const float y_scale = static_cast<float>(ctx.input(6).to_doubles()[0]);
  const HostTensor& yzp = ctx.input(7);
  const float zp = static_cast<float>(yzp.to_doubles()[0]);
  if (w_scale.size() != 1 && static_cast<int64_t>(w_scale.size()) != s.M) ctx.fail("w_scale " + ctx.input(4).describe() + " must be a scalar or one per output channel");
  HostTensor& y = ctx.allocate_output(0, yzp.dtype(), acc.dims());
  const int64_t plane = s.w.out_size();
  dispatch_integer(yzp.dtype(), "QLinearConv", [&](auto tag) {
    using Q = decltype(tag);
    const int32_t* pa = acc.data<int32_t>();
    Q* py = y.mutable_data<Q>();
    for (int64_t i = 0; i < acc.numel(); ++i) {
      const int64_t m = (i / plane) % s.M;
      const float scale = x_scale * static_cast<float>(w_scale[w_scale.size() == 1 ? 0 : m]) / y_scale;
      py[i] = saturate_round<Q>(static_cast<float>(pa[i]) * scale + zp);
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", Conv, 1, conv);
GRAFT_CPU_KERNEL("", ConvTranspose, 1, conv_transpose);
GRAFT_CPU_KERNEL("", ConvInteger, 10, conv_integer);
GRAFT_CPU_KERNEL("", QLinearConv, 10, qlinear_conv);

}  // namespace graft::cpu
