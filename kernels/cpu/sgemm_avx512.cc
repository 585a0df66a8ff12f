// The AVX-512 packed-weight float32 GEMM of sgemm_packed.h. Every function that uses
// AVX-512 carries the target attribute itself; the file includes no Eigen and
// instantiates no std template with AVX-512 enabled, so nothing built here can stand in
// for (or be picked instead of) a baseline copy of an inline function at link time.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "kernels/cpu/avx512_util.h"

// GCC 12's AVX-512 intrinsics trip a false -Wmaybe-uninitialized (their __Y = __Y idiom).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace graft::cpu::avx512 {
namespace {

constexpr int64_t kKC = 256;  // depth of one packed block of B (KC x kNR floats per panel: 32 KiB)
constexpr int64_t kNC = 512;  // columns of one packed block of B (KC x NC floats: 512 KiB, in L2)

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};

// Per-thread buffer for one packed block of B.
float* b_buffer() {
  thread_local std::unique_ptr<float, FreeDeleter> buf(static_cast<float*>(std::aligned_alloc(64, kKC * kNC * sizeof(float))));
  return buf.get();
}

// B[pc .. pc+kc, n0 .. n0+nc] into panels of kc x kNR (columns past nc zero).
GRAFT_AVX512 void pack_b(const float* B, int64_t ldb, int64_t kc, int64_t nc, float* out) {
  for (int64_t j = 0; j < nc; j += kNR, out += kc * kNR) {
    const int64_t w = nc - j < kNR ? nc - j : kNR;
    const __mmask16 m0 = low_mask(w), m1 = low_mask(w - 16 > 0 ? w - 16 : 0);
    const float* src = B + j;
    float* dst = out;
    if (w == kNR) {
      for (int64_t k = 0; k < kc; ++k, src += ldb, dst += kNR) {
        _mm512_store_ps(dst, _mm512_loadu_ps(src));
        _mm512_store_ps(dst + 16, _mm512_loadu_ps(src + 16));
      }
    } else {
      for (int64_t k = 0; k < kc; ++k, src += ldb, dst += kNR) {
        _mm512_store_ps(dst, _mm512_maskz_loadu_ps(m0, src));
        _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(m1, src + 16));
      }
    }
  }
}

// One kMR x kNR tile of C over depth kc: starts from C when `accumulate` (a later block
// of K), applies `ep` when it is given (the last block). Rows past `mr` and columns
// outside the masks are neither read nor written.
GRAFT_AVX512 void micro_kernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int64_t mr,
                               __mmask16 m0, __mmask16 m1, bool accumulate, const Epilogue* ep, int64_t row0,
                               int64_t col0) {
  __m512 acc[kMR][2];
#pragma GCC unroll 12
  for (int i = 0; i < kMR; ++i) {
    if (accumulate && i < mr) {
      acc[i][0] = _mm512_maskz_loadu_ps(m0, c + i * ldc);
      acc[i][1] = _mm512_maskz_loadu_ps(m1, c + i * ldc + 16);
    } else {
      acc[i][0] = _mm512_setzero_ps();
      acc[i][1] = _mm512_setzero_ps();
    }
  }
  for (int64_t k = 0; k < kc; ++k, a += kMR, b += kNR) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 12
    for (int i = 0; i < kMR; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(av, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(av, b1, acc[i][1]);
    }
  }
#pragma GCC unroll 12
  for (int i = 0; i < kMR; ++i) {
    if (i >= mr) break;
    __m512 v0 = acc[i][0], v1 = acc[i][1];
    if (ep) {
      if (ep->bias) {
        const __m512 bv = _mm512_set1_ps(ep->bias[row0 + i]);
        v0 = _mm512_add_ps(v0, bv);
        v1 = _mm512_add_ps(v1, bv);
      }
      if (ep->residual) {
        const float* r = ep->residual + (row0 + i) * ep->ld_residual + col0;
        v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, r));
        v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, r + 16));
      }
      v0 = activate(v0, *ep);
      v1 = activate(v1, *ep);
    }
    _mm512_mask_storeu_ps(c + i * ldc, m0, v0);
    _mm512_mask_storeu_ps(c + i * ldc + 16, m1, v1);
  }
}

}  // namespace

void pack_a(const float* A, int64_t lda, int64_t M, int64_t K, float* out) {
  for (int64_t p = 0; p * kMR < M; ++p) {
    float* panel = out + p * kMR * K;
    for (int64_t k = 0; k < K; ++k) {
      for (int64_t i = 0; i < kMR; ++i) {
        const int64_t m = p * kMR + i;
        panel[k * kMR + i] = m < M ? A[m * lda + k] : 0.0f;
      }
    }
  }
}

GRAFT_AVX512 void sgemm_packed(int64_t M, int64_t K, const float* packed_a, int64_t p0, int64_t p1, const float* B,
                               int64_t ldb, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep) {
  float* bbuf = b_buffer();
  const Epilogue* last_ep = ep.empty() ? nullptr : &ep;
  if (K == 0) {  // C = epilogue(0)
    for (int64_t m = p0 * kMR; m < M && m < p1 * kMR; ++m) {
      for (int64_t n = n0; n < n1; ++n) {
        C[m * ldc + n] = ep.apply(0.0f, m, ep.residual ? ep.residual[m * ep.ld_residual + n] : 0.0f);
      }
    }
    return;
  }
  for (int64_t jc = n0; jc < n1; jc += kNC) {
    const int64_t nc = n1 - jc < kNC ? n1 - jc : kNC;
    for (int64_t pc = 0; pc < K; pc += kKC) {
      const int64_t kc = K - pc < kKC ? K - pc : kKC;
      pack_b(B + pc * ldb + jc, ldb, kc, nc, bbuf);
      const bool last = pc + kc == K;
      for (int64_t p = p0; p < p1; ++p) {
        const int64_t row0 = p * kMR;
        const int64_t mr = M - row0 < kMR ? M - row0 : kMR;
        const float* a = packed_a + p * kMR * K + pc * kMR;
        for (int64_t jr = 0; jr < nc; jr += kNR) {
          const int64_t w = nc - jr < kNR ? nc - jr : kNR;
          micro_kernel(kc, a, bbuf + jr * kc, C + row0 * ldc + jc + jr, ldc, mr, low_mask(w),
                       low_mask(w > 16 ? w - 16 : 0), pc > 0, last ? last_ep : nullptr, row0, jc + jr);
        }
      }
    }
  }
}

namespace {

// The loads of one output row's inputs for one kernel column (ox * stride_w + off):
// vector j / 16 reads row[start, +16) (and the 16 after, stride 2) under masks that are
// the same for every row and channel, so they are worked out once.
class WindowRow {
 public:
  static constexpr int64_t kMaxVectors = 64;

  WindowRow(const Im2col2d& g, int64_t off) : g_(g), off_(off) {
    for (int64_t v = 0; v * 16 < g.OW && v < kMaxVectors; ++v) {
      const int64_t start = v * 16 * g.stride_w + off;
      lo_[v] = lane_range(-start, g.W - start);
      hi_[v] = lane_range(-start - 16, g.W - start - 16);
    }
  }
  bool fast() const { return (g_.stride_w == 1 || g_.stride_w == 2) && g_.OW <= 16 * kMaxVectors; }

  // row's inputs for outputs [0, OW) into out.
  GRAFT_AVX512 void copy(const float* row, float* out) const {
    const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t v = 0; v * 16 < g_.OW; ++v) {
      const float* p = row + v * 16 * g_.stride_w + off_;
      __m512 x = _mm512_maskz_loadu_ps(lo_[v], p);
      if (g_.stride_w == 2) x = _mm512_permutex2var_ps(x, evens, _mm512_maskz_loadu_ps(hi_[v], p + 16));
      _mm512_mask_storeu_ps(out + v * 16, low_mask(g_.OW - v * 16), x);
    }
  }
  // The same for any stride, one input at a time.
  void copy_any(const float* row, float* out) const {
    for (int64_t ox = 0; ox < g_.OW; ++ox) {
      const int64_t i = ox * g_.stride_w + off_;
      out[ox] = i >= 0 && i < g_.W ? row[i] : 0.0f;
    }
  }

 private:
  const Im2col2d& g_;
  int64_t off_;
  __mmask16 lo_[kMaxVectors] = {}, hi_[kMaxVectors] = {};
};

}  // namespace

GRAFT_AVX512 void im2col2d(const float* x, const Im2col2d& g, int64_t oy0, int64_t oy1, float* col, int64_t ldcol) {
  for (int64_t kx = 0; kx < g.KW; ++kx) {
    const WindowRow window(g, kx * g.dil_w - g.pad_l);
    for (int64_t c = 0; c < g.C; ++c) {
      for (int64_t ky = 0; ky < g.KH; ++ky) {
        float* out = col + ((c * g.KH + ky) * g.KW + kx) * ldcol;
        for (int64_t oy = oy0; oy < oy1; ++oy, out += g.OW) {
          const int64_t iy = oy * g.stride_h + ky * g.dil_h - g.pad_t;
          if (iy < 0 || iy >= g.H) {
            std::memset(out, 0, g.OW * sizeof(float));
          } else if (window.fast()) {
            window.copy(x + (c * g.H + iy) * g.W, out);
          } else {
            window.copy_any(x + (c * g.H + iy) * g.W, out);
          }
        }
      }
    }
  }
}

}  // namespace graft::cpu::avx512
