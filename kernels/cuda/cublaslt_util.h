#pragma once
// cuBLASLt descriptors as owning pointers, status checks and attribute setters, for the
// layers that call cuBLASLt.
#include <cublasLt.h>

#include <memory>
#include <string>

#include "surgeon/error.h"

namespace graft::cuda {

inline void check_cublas(cublasStatus_t s, const std::string& what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw Error(what + ": " + cublasLtGetStatusString(s));
}

template <typename P, cublasStatus_t (*Destroy)(P)>
struct LtDestroy {
  void operator()(P p) const { Destroy(p); }
};
using LtMatmulDesc = std::unique_ptr<cublasLtMatmulDescOpaque_t, LtDestroy<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>>;
using LtLayout = std::unique_ptr<cublasLtMatrixLayoutOpaque_t, LtDestroy<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>>;
using LtPreference =
    std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, LtDestroy<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>>;

template <typename D, typename A, typename V>
void set_lt_attr(cublasStatus_t (*set)(D, A, const void*, size_t), D d, A attr, const V& v, const std::string& what) {
  check_cublas(set(d, attr, &v, sizeof v), what);
}

// A column-major rows x cols matrix of `type` with leading dimension ld.
inline LtLayout lt_layout(cudaDataType type, uint64_t rows, uint64_t cols, int64_t ld, const std::string& what) {
  cublasLtMatrixLayout_t l = nullptr;
  check_cublas(cublasLtMatrixLayoutCreate(&l, type, rows, cols, ld), what);
  return LtLayout(l);
}

}  // namespace graft::cuda
