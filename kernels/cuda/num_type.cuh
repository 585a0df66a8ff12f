#pragma once
// Device side of NumType (num_type.h): the C++ type of each, a host dispatcher for
// launchers, and value conversions that go through float or double (__half included).
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/cuda/num_type.h"

namespace graft::cuda {

// Calls f(T{}) with the C++ type of `t` and returns what f returns (a cudaError_t).
template <typename F>
cudaError_t dispatch_num(NumType t, F&& f) {
  switch (t) {
    case NumType::kFloat: return f(float{});
    case NumType::kHalf: return f(__half{});
    case NumType::kDouble: return f(double{});
    case NumType::kInt8: return f(int8_t{});
    case NumType::kUint8: return f(uint8_t{});
    case NumType::kInt16: return f(int16_t{});
    case NumType::kInt32: return f(int32_t{});
    case NumType::kInt64: return f(int64_t{});
    case NumType::kBool: return f(bool{});
  }
  return cudaErrorNotSupported;
}

template <typename T>
inline constexpr bool is_float_num_v = std::is_floating_point_v<T> || std::is_same_v<T, __half>;

// The type a kernel accumulates T in: double for double and wide integers, else float.
template <typename T>
using acc_t = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t>,
                                 double, float>;

template <typename A, typename T>
__device__ __forceinline__ A to_acc(T v) {
  if constexpr (std::is_same_v<T, __half>) {
    return static_cast<A>(__half2float(v));
  } else {
    return static_cast<A>(v);
  }
}

// A computed value stored as T: integers round half to even and saturate (as the CPU
// kernels' std::nearbyint + clamp), bool is v != 0.
template <typename T, typename A>
__device__ __forceinline__ T from_acc(A v) {
  if constexpr (std::is_same_v<T, __half>) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != A(0);
  } else if constexpr (std::is_integral_v<T>) {
    const double r = rint(static_cast<double>(v));
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    return static_cast<T>(r < lo ? lo : (r > hi ? hi : r));
  } else {
    return static_cast<T>(v);
  }
}

// Plain conversion (C++ static_cast semantics, truncating toward zero for integers).
template <typename To, typename From>
__device__ __forceinline__ To convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<From, __half>) {
    return static_cast<To>(__half2float(v));
  } else if constexpr (std::is_same_v<To, __half>) {
    return __float2half_rn(static_cast<float>(v));
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace graft::cuda
