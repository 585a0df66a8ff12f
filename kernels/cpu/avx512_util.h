#pragma once
// Helpers for the AVX-512 kernel files (sgemm_avx512.cc, depthwise_avx512.cc). Every
// function here carries the AVX-512 target attribute and lives in an anonymous namespace,
// so each file gets its own copy and the linker can never pick one of them for code that
// runs on a CPU without AVX-512. Include only from those files.
#include <immintrin.h>

#include <cstdint>

#include "kernels/cpu/sgemm_packed.h"

#define GRAFT_AVX512 __attribute__((target("avx2,fma,avx512f,avx512dq,avx512vl,avx512bw")))

namespace graft::cpu::avx512 {
namespace {

inline __mmask16 low_mask(int64_t n) { return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? 0 : __mmask16((1u << n) - 1); }

// Lanes [lo, hi) of 16 set (clamped).
inline __mmask16 lane_range(int64_t lo, int64_t hi) {
  lo = lo < 0 ? 0 : lo;
  hi = hi > 16 ? 16 : hi;
  if (hi <= lo) return 0;
  return __mmask16(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// 16 consecutive floats row[start + t], 0 outside [0, W); masked-off lanes are not read.
GRAFT_AVX512 inline __m512 load_row(const float* row, int64_t start, int64_t W) {
  return _mm512_maskz_loadu_ps(lane_range(-start, W - start), row + start);
}

GRAFT_AVX512 inline __m512 activate(__m512 v, const Epilogue& ep) {
  switch (ep.act) {
    case Epilogue::Act::kRelu: return _mm512_max_ps(v, _mm512_setzero_ps());
    case Epilogue::Act::kClip: return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(ep.lo)), _mm512_set1_ps(ep.hi));
    case Epilogue::Act::kLeakyRelu: {
      const __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
      return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(ep.alpha));
    }
    case Epilogue::Act::kNone: break;
  }
  return v;
}

}  // namespace
}  // namespace graft::cpu::avx512
