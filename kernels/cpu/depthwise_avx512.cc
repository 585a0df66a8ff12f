// The AVX-512 depthwise 2-D convolution of sgemm_packed.h: NCHW, one channel at a time,
// vectorized along output rows. 3x3 kernels first copy the input rows they read into a
// zero-padded per-thread scratch, so their inner loop has no masks and no edge branches
// (the masked edge handling of a direct loop cost more than the 9 multiply-adds);
// other kernel sizes take a direct loop with masked edge loads.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels/cpu/avx512_util.h"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 intrinsics (__Y = __Y)

namespace graft::cpu::avx512 {
namespace {

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// A per-thread, 64-byte aligned buffer of at least n floats, kept between calls.
float* scratch_floats(size_t n) {
  thread_local std::unique_ptr<float, FreeDeleter> buf;
  thread_local size_t size = 0;
  if (size < n) {
    size = (n + 4095) & ~size_t(4095);
    buf.reset(static_cast<float*>(std::aligned_alloc(64, size * sizeof(float))));
  }
  return buf.get();
}

// The input rows that output rows [oy0, oy1) of a 3x3 depthwise convolution read, each
// copied into a row of `wp` (a multiple of 16) floats that starts pad_l columns left of
// the image and is zero outside it; rows above or below the image are zero rows. Two
// such buffers alternate: the next channel is copied before this one is computed, so
// the loads do not wait on the stores that just wrote their inputs.
class PaddedRows {
 public:
  GRAFT_AVX512 PaddedRows(const Depthwise2d& d, int64_t oy0, int64_t oy1, int64_t wp)
      : d_(d), wp_(wp), first_(oy0 * d.stride_h - d.pad_t), rows_((oy1 - 1 - oy0) * d.stride_h + 3) {
    lo_ = first_ < 0 ? -first_ : 0;
    hi_ = d.H - first_ < rows_ ? d.H - first_ : rows_;
    hi_ = hi_ < lo_ ? lo_ : hi_;
    for (int64_t v = 0; v < wp / 16 && v < kMaxVectors; ++v) masks_[v] = lane_range(d.pad_l - 16 * v, d.pad_l + d.W - 16 * v);
    buf_ = scratch_floats(2 * rows_ * wp);
    for (float* slot : {buf_, buf_ + rows_ * wp}) {
      std::memset(slot, 0, lo_ * wp * sizeof(float));
      std::memset(slot + hi_ * wp, 0, (rows_ - hi_) * wp * sizeof(float));
    }
  }
  // Copies channel c's rows into buffer `slot` (0 or 1) and returns it.
  GRAFT_AVX512 const float* fill(const float* x, int64_t c, int slot) const {
    float* out = buf_ + (slot * rows_ + lo_) * wp_;
    const float* src = x + (c * d_.H + first_ + lo_) * d_.W - d_.pad_l;
    for (int64_t r = lo_; r < hi_; ++r, src += d_.W) {
      for (int64_t v = 0; v < wp_ / 16; ++v, out += 16) {
        _mm512_store_ps(out, _mm512_maskz_loadu_ps(v < kMaxVectors ? masks_[v] : 0, src + 16 * v));
      }
    }
    return buf_ + slot * rows_ * wp_;
  }

 private:
  static constexpr int64_t kMaxVectors = 64;
  const Depthwise2d& d_;
  int64_t wp_, first_, rows_, lo_, hi_;
  float* buf_;
  __mmask16 masks_[kMaxVectors] = {};
};

// 16 outputs at column j0 of the output row whose kernel rows start at `row` (padded,
// wp apart) for horizontal stride S: each kernel row gives three vectors of inputs.
template <int S>
GRAFT_AVX512 inline __m512 dw3x3_vector(const float* row, int64_t wp, int64_t j0, const __m512* k, __m512 bias) {
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  __m512 acc0 = bias, acc1 = _mm512_setzero_ps(), acc2 = _mm512_setzero_ps();
#pragma GCC unroll 3
  for (int ky = 0; ky < 3; ++ky) {
    const float* p = row + ky * wp + S * j0;
    __m512 v0, v1, v2;
    if (S == 1) {
      v0 = _mm512_loadu_ps(p);
      v1 = _mm512_loadu_ps(p + 1);
      v2 = _mm512_loadu_ps(p + 2);
    } else {
      const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
      v0 = _mm512_permutex2var_ps(a, evens, b);
      v1 = _mm512_permutex2var_ps(a, odds, b);
      v2 = _mm512_permutex2var_ps(_mm512_loadu_ps(p + 2), evens, _mm512_loadu_ps(p + 18));
    }
    acc0 = _mm512_fmadd_ps(k[ky * 3], v0, acc0);
    acc1 = _mm512_fmadd_ps(k[ky * 3 + 1], v1, acc1);
    acc2 = _mm512_fmadd_ps(k[ky * 3 + 2], v2, acc2);
  }
  return _mm512_add_ps(_mm512_add_ps(acc0, acc1), acc2);
}

// Adds the residual (when given), activates and stores 16 outputs, lanes `m` only.
GRAFT_AVX512 inline void store_outputs(__m512 v, float* out, const float* residual, __mmask16 m, const Epilogue& ep) {
  if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual));
  _mm512_mask_storeu_ps(out, m, activate(v, ep));
}

// 3x3, horizontal stride S, any vertical stride and pads.
template <int S>
GRAFT_AVX512 void depthwise3x3(const float* x, const float* w, int64_t c0, int64_t c1, int64_t oy0, int64_t oy1,
                               const Depthwise2d& d, float* y, const Epilogue& ep) {
  // Wide enough for the last vector's reads (16 outputs, S apart, plus 2).
  const int64_t wp = (S * ((d.OW + 15) / 16 * 16) + 2 + 15) / 16 * 16;
  const PaddedRows padded(d, oy0, oy1, wp);
  const int64_t full = d.OW / 16 * 16;
  const __mmask16 tail = low_mask(d.OW - full);
  const float* next = padded.fill(x, c0, 0);
  for (int64_t c = c0; c < c1; ++c) {
    const float* cur = next;
    if (c + 1 < c1) next = padded.fill(x, c + 1, (c + 1 - c0) & 1);
    __m512 k[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t) k[t] = _mm512_set1_ps(w[c * 9 + t]);
    const __m512 bias = _mm512_set1_ps(ep.bias ? ep.bias[c] : 0.0f);
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const float* row = cur + (oy - oy0) * d.stride_h * wp;
      const int64_t off = (c * d.OH + oy) * d.OW;
      const float* res = ep.residual ? ep.residual + off : nullptr;
      for (int64_t j0 = 0; j0 < full; j0 += 16) {
        store_outputs(dw3x3_vector<S>(row, wp, j0, k, bias), y + off + j0, res ? res + j0 : nullptr, 0xFFFF, ep);
      }
      if (tail) store_outputs(dw3x3_vector<S>(row, wp, full, k, bias), y + off + full, res ? res + full : nullptr, tail, ep);
    }
  }
}

// 16 consecutive inputs row[start + t] (0 outside [0, W)); masked-off lanes are not read.
GRAFT_AVX512 inline __m512 load_row(const float* row, int64_t start, int64_t W) {
  return _mm512_maskz_loadu_ps(lane_range(-start, W - start), row + start);
}

// Any kernel size, horizontal stride 1 or 2: a direct loop with masked edge loads.
GRAFT_AVX512 void depthwise_any(const float* x, const float* w, int64_t c0, int64_t c1, int64_t oy0, int64_t oy1,
                                const Depthwise2d& d, float* y, const Epilogue& ep) {
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const int64_t taps = d.KH * d.KW;
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * d.H * d.W;
    const float* wc = w + c * taps;
    const __m512 bias = _mm512_set1_ps(ep.bias ? ep.bias[c] : 0.0f);
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const int64_t off = (c * d.OH + oy) * d.OW;
      for (int64_t j0 = 0; j0 < d.OW; j0 += 16) {
        __m512 acc0 = bias, acc1 = _mm512_setzero_ps();
        for (int64_t ky = 0; ky < d.KH; ++ky) {
          const int64_t iy = oy * d.stride_h + ky - d.pad_t;
          if (iy < 0 || iy >= d.H) continue;
          const float* row = xc + iy * d.W;
          const float* wk = wc + ky * d.KW;
          for (int64_t kx = 0; kx < d.KW; ++kx) {
            const int64_t start = j0 * d.stride_w + kx - d.pad_l;
            __m512 v;
            if (d.stride_w == 1) {
              v = load_row(row, start, d.W);
            } else {
              v = _mm512_permutex2var_ps(load_row(row, start, d.W), evens, load_row(row, start + 16, d.W));
            }
            if (kx & 1) acc1 = _mm512_fmadd_ps(_mm512_set1_ps(wk[kx]), v, acc1);
            else acc0 = _mm512_fmadd_ps(_mm512_set1_ps(wk[kx]), v, acc0);
          }
        }
        store_outputs(_mm512_add_ps(acc0, acc1), y + off + j0, ep.residual ? ep.residual + off + j0 : nullptr,
                      low_mask(d.OW - j0), ep);
      }
    }
  }
}

}  // namespace

void depthwise2d(const float* x, const float* w, int64_t c0, int64_t c1, int64_t oy0, int64_t oy1,
                 const Depthwise2d& d, float* y, const Epilogue& ep) {
  if (oy0 >= oy1 || c0 >= c1) return;
  if (d.KH == 3 && d.KW == 3 && d.stride_w == 1) return depthwise3x3<1>(x, w, c0, c1, oy0, oy1, d, y, ep);
  if (d.KH == 3 && d.KW == 3 && d.stride_w == 2) return depthwise3x3<2>(x, w, c0, c1, oy0, oy1, d, y, ep);
  depthwise_any(x, w, c0, c1, oy0, oy1, d, y, ep);
}

}  // namespace graft::cpu::avx512
