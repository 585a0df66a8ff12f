#pragma once
// The Eigen GEMM body, compiled once with the build's flags (namespace `base`) and again
// in gemm_avx2.cc / gemm_avx512.cc, which enable those instruction sets for their own
// translation unit and rename Eigen's namespace so the variants never mix at link time.
// Include only with GRAFT_SIMD_NS defined; GRAFT_SIMD_ENTRY_POINTS also defines sgemm/dgemm.
#include <Eigen/Core>
#include <cstdint>

namespace graft::cpu::GRAFT_SIMD_NS {

// C[M,N] = alpha * op(A) * op(B) + beta * C, all row-major with leading dimensions; op
// transposes when ta/tb. With beta == 0, C is only written.
template <typename T>
void eigen_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
                int64_t ldb, T beta, T* C, int64_t ldc) {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using CMap = Eigen::Map<const Mat, 0, Eigen::OuterStride<>>;
  Eigen::Map<Mat, 0, Eigen::OuterStride<>> c(C, M, N, Eigen::OuterStride<>(ldc));
  if (M == 0 || N == 0) return;
  if (K == 0) {
    if (beta == T(0)) c.setZero(); else c *= beta;
    return;
  }
  CMap a(A, ta ? K : M, ta ? M : K, Eigen::OuterStride<>(lda));
  CMap b(B, tb ? N : K, tb ? K : N, Eigen::OuterStride<>(ldb));
  auto product = [&](auto&& pa, auto&& pb) {
    if (beta == T(0)) {
      c.noalias() = alpha * (pa * pb);
    } else {
      if (beta != T(1)) c *= beta;
      c.noalias() += alpha * (pa * pb);
    }
  };
  if (ta && tb) product(a.transpose(), b.transpose());
  else if (ta) product(a.transpose(), b);
  else if (tb) product(a, b.transpose());
  else product(a, b);
}

#ifdef GRAFT_SIMD_ENTRY_POINTS
void sgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  eigen_gemm<float>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void dgemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
           const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  eigen_gemm<double>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif

}  // namespace graft::cpu::GRAFT_SIMD_NS
