#pragma once
// A float32 GEMM for convolutions on AVX-512 CPUs: C = epilogue(A * B) where A (the
// weights, M x K) is packed once into panels of kMR rows and B (K x N, row-major) is
// packed per call into panels of kNR columns. The epilogue adds a per-row bias and a
// residual and applies Relu / Clip / LeakyRelu while the tile is still in registers.
//
// The code lives in sgemm_avx512.cc, whose functions carry the AVX-512 target attribute
// (no pragma, no Eigen, no std templates built for AVX-512), so call it only when
// simd_level() == 2 (gemm_util.h).
#include <cstddef>
#include <cstdint>

namespace graft::cpu {

struct Epilogue {
  enum class Act : int { kNone, kRelu, kClip, kLeakyRelu };
  const float* bias = nullptr;      // one per row of C, or null
  const float* residual = nullptr;  // added element-wise (same rows/cols as C), or null
  int64_t ld_residual = 0;
  Act act = Act::kNone;
  float lo = 0, hi = 0, alpha = 0;  // Clip bounds, LeakyRelu slope

  bool empty() const { return !bias && !residual && act == Act::kNone; }
  float apply(float v, int64_t row, float r) const {  // scalar reference, for fallbacks
    if (bias) v += bias[row];
    v += r;
    switch (act) {
      case Act::kRelu: return v > 0 ? v : 0;
      case Act::kClip: return v < lo ? lo : (v > hi ? hi : v);
      case Act::kLeakyRelu: return v >= 0 ? v : v * alpha;
      case Act::kNone: break;
    }
    return v;
  }
};

namespace avx512 {

constexpr int64_t kMR = 12;  // rows of A per panel
constexpr int64_t kNR = 32;  // columns of B per panel

// Floats needed for packed A; pack_a writes ceil(M / kMR) panels of K x kMR (zero-padded).
inline size_t packed_a_floats(int64_t M, int64_t K) { return size_t((M + kMR - 1) / kMR) * kMR * K; }
void pack_a(const float* A, int64_t lda, int64_t M, int64_t K, float* out);

// C[m, n] = epilogue(sum_k A[m, k] B[k, n]) for the A panels [p0, p1) and the columns
// [n0, n1), A packed by pack_a; single-threaded, so callers split panels or columns.
void sgemm_packed(int64_t M, int64_t K, const float* packed_a, int64_t p0, int64_t p1, const float* B,
                  int64_t ldb, int64_t n0, int64_t n1, float* C, int64_t ldc, const Epilogue& ep);

// Output rows [oy0, oy1) of the im2col matrix of a 2-D window over x [C, H, W]:
// col[r * ldcol + (oy - oy0) * OW + ox] = x[c, oy * stride_h + ky * dil_h - pad_t,
// ox * stride_w + kx * dil_w - pad_l] for row r = (c, ky, kx), 0 in the padding.
struct Im2col2d {
  int64_t C, H, W, KH, KW, stride_h, stride_w, dil_h, dil_w, pad_t, pad_l, OW;
};
void im2col2d(const float* x, const Im2col2d& g, int64_t oy0, int64_t oy1, float* col, int64_t ldcol);

// Depthwise 2-D convolution (one input and one output channel per group, dilation 1,
// horizontal stride 1 or 2) of channels [c0, c1) and output rows [oy0, oy1): channel c
// of x is H x W at x + c * ldx, w is [C, KH, KW], and output row oy of channel c goes to
// y + c * ldy + (oy - out_row0) * OW = epilogue(conv), with ep.bias per channel and
// ep.residual laid out as y. In depthwise_avx512.cc.
struct Depthwise2d {
  int64_t H, W, KH, KW, stride_h, stride_w, pad_t, pad_l, OH, OW;
  int64_t ldx = H * W, ldy = OH * OW, out_row0 = 0;
};
void depthwise2d(const float* x, const float* w, int64_t c0, int64_t c1, int64_t oy0, int64_t oy1,
                 const Depthwise2d& d, float* y, const Epilogue& ep);

}  // namespace avx512
}  // namespace graft::cpu
