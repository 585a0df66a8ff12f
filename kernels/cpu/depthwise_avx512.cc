// The AVX-512 depthwise 2-D convolution of sgemm_packed.h: NCHW, one channel at a time,
// vectorized along output rows, masked loads at the edges. 3x3 kernels load each input
// vector once and work out which loads need masks once per call (per-load mask
// arithmetic and three overlapping loads per kernel row cost more than the 9
// multiply-adds); other kernel sizes take a direct loop that masks as it goes.

#include "kernels/cpu/avx512_util.h"

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12's AVX-512 intrinsics (__Y = __Y)

namespace graft::cpu::avx512 {
namespace {

// Adds the residual (when given), activates and stores 16 outputs, lanes `m` only.
GRAFT_AVX512 inline void store_outputs(__m512 v, float* out, const float* residual, __mmask16 m, const Epilogue& ep) {
  if (residual) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, residual));
  _mm512_mask_storeu_ps(out, m, activate(v, ep));
}

// Loads of one input row in steps of 16 floats: load i covers row[16 i - pad_l, +16),
// zero outside [0, W). Which loads need a mask, and their masks, are the same for every
// row and channel, so they are worked out once per call.
class RowLoads {
 public:
  static constexpr int64_t kMax = 64;

  RowLoads(const Depthwise2d& d, int64_t count) : pad_l_(d.pad_l), count_(count) {
    for (int64_t i = 0; i < count && i < kMax; ++i) {
      const int64_t start = 16 * i - d.pad_l;
      masked_[i] = start < 0 || start + 16 > d.W;
      masks_[i] = lane_range(-start, d.W - start);
    }
  }
  bool fits() const { return count_ <= kMax; }
  GRAFT_AVX512 __m512 operator()(const float* row, int64_t i) const {
    const float* p = row + 16 * i - pad_l_;
    return masked_[i] ? _mm512_maskz_loadu_ps(masks_[i], p) : _mm512_loadu_ps(p);
  }

 private:
  int64_t pad_l_, count_;
  bool masked_[kMax] = {};
  __mmask16 masks_[kMax] = {};
};

// Loads an output row of a 3x3 depthwise convolution needs: S per vector of 16 outputs,
// plus the one after the last.
template <int S>
int64_t row_loads(const Depthwise2d& d) {
  return S * ((d.OW + 15) / 16) + 1;
}

// Shifts the 32 floats (lo, hi) down by N lanes: lanes [N, N + 16).
template <int N>
GRAFT_AVX512 inline __m512 shift_down(__m512 lo, __m512 hi) {
  return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(hi), _mm512_castps_si512(lo), N));
}

// R consecutive output rows of a 3x3 depthwise convolution with horizontal stride S:
// in are the S * (R - 1) + 3 input rows they read (null above or below the image), out
// (and res, when given) the output rows. Each input vector is loaded once and feeds
// every output row that reads it; the three taps of a kernel row come from it and the
// next one by lane shifts (S == 1) or permutes (S == 2).
template <int S, int R>
GRAFT_AVX512 void dw3x3_rows(const float* const* in, const RowLoads& load, int64_t ow, const __m512* k, __m512 bias,
                             float* const* out, const float* const* res, const Epilogue& ep) {
  constexpr int kIn = S * (R - 1) + 3;
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odds = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  const __m512i next_even = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
  __m512 cur[kIn];
#pragma GCC unroll 8
  for (int i = 0; i < kIn; ++i) cur[i] = in[i] ? load(in[i], 0) : _mm512_setzero_ps();
  for (int64_t j = 0; j < ow; j += 16) {
    const int64_t l = S * (j / 16);
    __m512 acc[R][2];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      acc[r][0] = bias;
      acc[r][1] = _mm512_setzero_ps();
    }
#pragma GCC unroll 8
    for (int i = 0; i < kIn; ++i) {
      if (!in[i]) continue;
      __m512 v0, v1, v2;
      if (S == 1) {
        const __m512 next = load(in[i], l + 1);
        v0 = cur[i];
        v1 = shift_down<1>(cur[i], next);
        v2 = shift_down<2>(cur[i], next);
        cur[i] = next;
      } else {
        const __m512 mid = load(in[i], l + 1), next = load(in[i], l + 2);
        v0 = _mm512_permutex2var_ps(cur[i], evens, mid);
        v1 = _mm512_permutex2var_ps(cur[i], odds, mid);
        v2 = _mm512_permutex2var_ps(v0, next_even, next);
        cur[i] = next;
      }
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const int ky = i - S * r;
        if (ky < 0 || ky > 2) continue;
        acc[r][0] = _mm512_fmadd_ps(k[ky * 3], v0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(k[ky * 3 + 1], v1, acc[r][1]);
        acc[r][0] = _mm512_fmadd_ps(k[ky * 3 + 2], v2, acc[r][0]);
      }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
      store_outputs(_mm512_add_ps(acc[r][0], acc[r][1]), out[r] + j, res[r] ? res[r] + j : nullptr, low_mask(ow - j), ep);
    }
  }
}

// One channel's output rows [oy, oy1) of a 3x3 depthwise convolution, R rows at a time
// while R fit and the rows share inputs (vertical stride S), then R / 2 at a time.
template <int S, int R>
GRAFT_AVX512 void dw3x3_channel(const float* xc, const Depthwise2d& d, const RowLoads& load, const __m512* k,
                                __m512 bias, int64_t oy, int64_t oy1, float* yc, const float* rc, const Epilogue& ep) {
  const float* in[S * (R - 1) + 3];
  float* out[R];
  const float* res[R];
  for (; oy + R <= oy1 && (R == 1 || d.stride_h == S); oy += R) {
    for (int i = 0; i < S * (R - 1) + 3; ++i) {
      const int64_t iy = oy * d.stride_h + i - d.pad_t;
      in[i] = iy >= 0 && iy < d.H ? xc + iy * d.W : nullptr;
    }
    for (int r = 0; r < R; ++r) {
      out[r] = yc + (oy + r - d.out_row0) * d.OW;
      res[r] = rc ? rc + (oy + r - d.out_row0) * d.OW : nullptr;
    }
    dw3x3_rows<S, R>(in, load, d.OW, k, bias, out, res, ep);
  }
  if constexpr (R > 1) dw3x3_channel<S, R / 2>(xc, d, load, k, bias, oy, oy1, yc, rc, ep);
}

// 3x3, horizontal stride S, any vertical stride and pads.
template <int S>
GRAFT_AVX512 void depthwise3x3(const float* x, const float* w, int64_t c0, int64_t c1, int64_t oy0, int64_t oy1,
                               const Depthwise2d& d, float* y, const Epilogue& ep) {
  const RowLoads load(d, row_loads<S>(d));
  for (int64_t c = c0; c < c1; ++c) {
    __m512 k[9];
#pragma GCC unroll 9
    for (int t = 0; t < 9; ++t) k[t] = _mm512_set1_ps(w[c * 9 + t]);
    const __m512 bias = _mm512_set1_ps(ep.bias ? ep.bias[c] : 0.0f);
    dw3x3_channel<S, S == 1 ? 4 : 2>(x + c * d.ldx, d, load, k, bias, oy0, oy1, y + c * d.ldy,
                                     ep.residual ? ep.residual + c * d.ldy : nullptr, ep);
  }
}

// Any kernel size, horizontal stride 1 or 2: a direct loop with masked edge loads.
GRAFT_AVX512 void depthwise_any(const float* x, const float* w, int64_t c0, int64_t c1, int64_t oy0, int64_t oy1,
                                const Depthwise2d& d, float* y, const Epilogue& ep) {
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const int64_t taps = d.KH * d.KW;
  for (int64_t c = c0; c < c1; ++c) {
    const float* xc = x + c * d.ldx;
    const float* wc = w + c * taps;
    const __m512 bias = _mm512_set1_ps(ep.bias ? ep.bias[c] : 0.0f);
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const int64_t off = c * d.ldy + (oy - d.out_row0) * d.OW;
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
  if (d.KH == 3 && d.KW == 3 && d.stride_w == 1 && RowLoads(d, row_loads<1>(d)).fits()) {
    return depthwise3x3<1>(x, w, c0, c1, oy0, oy1, d, y, ep);
  }
  if (d.KH == 3 && d.KW == 3 && d.stride_w == 2 && RowLoads(d, row_loads<2>(d)).fits()) {
    return depthwise3x3<2>(x, w, c0, c1, oy0, oy1, d, y, ep);
  }
  depthwise_any(x, w, c0, c1, oy0, oy1, d, y, ep);
}

}  // namespace graft::cpu::avx512
