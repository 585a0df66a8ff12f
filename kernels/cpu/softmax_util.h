#pragma once
// Softmax, LogSoftmax and Hardmax along the middle axis of a [outer, n, inner] view; shared
// by the softmax kernels and SoftmaxCrossEntropyLoss.
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dtype_dispatch.h"

namespace graft::cpu {

enum class SoftmaxKind { kSoftmax, kLogSoftmax, kHardmax };

// half and bfloat16 compute in float; sums accumulate in double.
template <typename T>
using softmax_compute_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// Softmax or LogSoftmax of contiguous rows of float or double, with Eigen's vectorized exp.
template <typename C>
void softmax_rows(const C* x, C* y, int64_t rows, int64_t n, bool log) {
  using Row = Eigen::Array<C, Eigen::Dynamic, 1>;
  for (int64_t r = 0; r < rows; ++r) {
    Eigen::Map<const Row> xr(x + r * n, n);
    Eigen::Map<Row> yr(y + r * n, n);
    const C top = xr.maxCoeff();
    yr = (xr - top).exp();
    const C sum = yr.sum();
    if (log) yr = xr - (top + std::log(sum));
    else yr *= C(1) / sum;
  }
}

// Each [n, inner] block is processed with the inner index innermost, so memory is read
// in order whatever the axis.
template <typename T>
void softmax_along(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, SoftmaxKind kind) {
  using C = softmax_compute_t<T>;
  if constexpr (std::is_same_v<T, C>) {
    if (inner == 1 && n > 0 && kind != SoftmaxKind::kHardmax) {
      softmax_rows(x, y, outer, n, kind == SoftmaxKind::kLogSoftmax);
      return;
    }
  }
  std::vector<C> top(inner);
  std::vector<int64_t> at(inner);
  std::vector<double> sum(inner);
  std::vector<C> exps(kind == SoftmaxKind::kSoftmax ? n * inner : 0);
  for (int64_t b = 0; b < outer; ++b) {
    const T* xb = x + b * n * inner;
    T* yb = y + b * n * inner;
    std::fill(top.begin(), top.end(), -std::numeric_limits<C>::infinity());
    std::fill(at.begin(), at.end(), 0);
    std::fill(sum.begin(), sum.end(), 0.0);
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t j = 0; j < inner; ++j) {
        const C v = static_cast<C>(xb[k * inner + j]);
        if (v > top[j]) top[j] = v, at[j] = k;
      }
    }
    if (kind == SoftmaxKind::kHardmax) {
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t j = 0; j < inner; ++j) yb[k * inner + j] = T(at[j] == k ? 1.0f : 0.0f);
      }
      continue;
    }
    for (int64_t k = 0; k < n; ++k) {
      for (int64_t j = 0; j < inner; ++j) {
        const C e = std::exp(static_cast<C>(xb[k * inner + j]) - top[j]);
        sum[j] += e;
        if (kind == SoftmaxKind::kSoftmax) exps[k * inner + j] = e;
      }
    }
    if (kind == SoftmaxKind::kSoftmax) {
      for (int64_t j = 0; j < inner; ++j) sum[j] = 1.0 / sum[j];
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t j = 0; j < inner; ++j) yb[k * inner + j] = T(static_cast<C>(exps[k * inner + j] * sum[j]));
      }
    } else {
      for (int64_t j = 0; j < inner; ++j) top[j] += static_cast<C>(std::log(sum[j]));  // max + log(sum)
      for (int64_t k = 0; k < n; ++k) {
        for (int64_t j = 0; j < inner; ++j) yb[k * inner + j] = T(static_cast<C>(xb[k * inner + j]) - top[j]);
      }
    }
  }
}

}  // namespace graft::cpu
