#pragma once
// Helpers shared by the Conv, MatMul/Gemm and quantized kernels: a small persistent thread
// pool with parallel_for, a row-major GEMM on Eigen, float staging for half/bfloat16, and
// the round-half-to-even saturating quantization of QuantizeLinear.
#include <Eigen/Core>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dtype_dispatch.h"
#define GRAFT_SIMD_NS base
#include "kernels/cpu/gemm_simd_util.h"
#undef GRAFT_SIMD_NS
#include "kernels/cpu/host_tensor.h"

namespace graft::cpu {

// Workers that run the chunks of one parallel_for at a time; the calling thread takes part.
// Nested calls (from inside a chunk) run inline.
class ThreadPool {
 public:
  static ThreadPool& instance() {
    static ThreadPool pool;
    return pool;
  }
  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(i) for i in [0, n), spread over the pool. Tasks are claimed under the lock,
  // so a worker never sees a finished call's function.
  void run(int64_t n, const std::function<void(int64_t)>& fn) {
    if (n <= 1 || workers_.empty() || in_pool_) {
      for (int64_t i = 0; i < n; ++i) fn(i);
      return;
    }
    std::lock_guard<std::mutex> call_lock(call_mu_);
    std::unique_lock<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    next_ = 0;
    done_ = 0;
    epoch_.fetch_add(1, std::memory_order_release);
    cv_.notify_all();
    in_pool_ = true;
    while (next_ < n_) run_one(lock);
    in_pool_ = false;
    done_cv_.wait(lock, [&] { return done_ == n_; });
    fn_ = nullptr;
    n_ = next_ = done_ = 0;
  }

 private:
  // One thread per CPU this process may run on (its affinity mask, as taskset or a
  // container's cpuset sets it; hardware_concurrency counts every CPU of the machine),
  // so the pool never oversubscribes the cores it has.
  static unsigned usable_cpus() {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    return std::max(1u, std::thread::hardware_concurrency());
  }
  ThreadPool() {
    const unsigned hw = usable_cpus();
    for (unsigned i = 1; i < hw; ++i) workers_.emplace_back([this] { work(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void run_one(std::unique_lock<std::mutex>& lock) {
    const int64_t i = next_++;
    const auto* fn = fn_;
    lock.unlock();
    (*fn)(i);
    lock.lock();
    if (++done_ == n_) done_cv_.notify_all();
  }

  // Spins a little before sleeping: waking a sleeping thread costs tens of microseconds,
  // as much as a small kernel.
  void work() {
    in_pool_ = true;
    uint64_t seen = 0;
    for (;;) {
      for (int i = 0; i < 20000 && epoch_.load(std::memory_order_acquire) == seen; ++i) __builtin_ia32_pause();
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || epoch_.load() != seen; });
      if (stop_) return;
      seen = epoch_.load();
      while (next_ < n_) run_one(lock);
    }
  }

  std::vector<std::thread> workers_;
  std::mutex call_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, next_ = 0, done_ = 0;
  std::atomic<uint64_t> epoch_{0};  // bumped per call
  bool stop_ = false;
  static inline thread_local bool in_pool_ = false;
};

// Splits [0, n) into one contiguous range per thread when `work` (a rough count of
// multiply-adds) is large enough to pay for the hand-off; calls fn(begin, end).
template <typename F>
void parallel_for(int64_t n, double work, F&& fn) {
  ThreadPool& pool = ThreadPool::instance();
  const int64_t parts = work < 2e5 ? 1 : std::min<int64_t>(n, pool.threads());
  if (parts <= 1) {
    if (n > 0) fn(int64_t{0}, n);
    return;
  }
  pool.run(parts, [&](int64_t p) { fn(n * p / parts, n * (p + 1) / parts); });
}

// float/double GEMM compiled for wider instruction sets (gemm_avx2.cc, gemm_avx512.cc).
#define GRAFT_DECLARE_SIMD_GEMM(ns)                                                                          \
  namespace ns {                                                                                             \
  void sgemm(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*, int64_t,     \
             float, float*, int64_t);                                                                        \
  void dgemm(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t, const double*, int64_t, \
             double, double*, int64_t);                                                                      \
  }
GRAFT_DECLARE_SIMD_GEMM(avx2)
GRAFT_DECLARE_SIMD_GEMM(avx512)
#undef GRAFT_DECLARE_SIMD_GEMM

// 2: AVX-512 (F, DQ, VL, BW), 1: AVX2 and FMA, 0: the build's baseline. The environment
// variable GRAFT_CPU_SIMD_LEVEL=0/1 caps it (to test the fallback paths on any machine).
inline int simd_level() {
  static const int level = [] {
    __builtin_cpu_init();
    int l = 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw")) {
      l = 2;
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      l = 1;
    }
    const char* cap = std::getenv("GRAFT_CPU_SIMD_LEVEL");
    if (cap && *cap >= '0' && *cap <= '2') l = std::min(l, *cap - '0');
    return l;
  }();
  return level;
}

// C[M,N] = alpha * op(A) * op(B) + beta * C, all row-major with leading dimensions; op
// transposes when ta/tb. With beta == 0, C is only written. Single-threaded.
template <typename T>
void gemm_serial(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
                 const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    if (const int level = simd_level(); level > 0) {
      if constexpr (std::is_same_v<T, float>) {
        (level == 2 ? avx512::sgemm : avx2::sgemm)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      } else {
        (level == 2 ? avx512::dgemm : avx2::dgemm)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      }
      return;
    }
  }
  base::eigen_gemm<T>(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

// As gemm_serial, split over the pool along the larger of M and N.
template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  const double work = double(M) * double(N) * double(K);
  if (M >= N) {
    parallel_for(M, work, [&](int64_t m0, int64_t m1) {
      gemm_serial(ta, tb, m1 - m0, N, K, alpha, ta ? A + m0 : A + m0 * lda, lda, B, ldb, beta, C + m0 * ldc, ldc);
    });
  } else {
    parallel_for(N, work, [&](int64_t n0, int64_t n1) {
      gemm_serial(ta, tb, M, n1 - n0, K, alpha, A, lda, tb ? B + n0 * ldb : B + n0, ldb, beta, C + n0, ldc);
    });
  }
}

// half and bfloat16 are computed in float.
template <typename T>
constexpr bool is_low_float_v = std::is_same_v<T, half> || std::is_same_v<T, bfloat16>;

// A float32 copy of a half/bfloat16 tensor (others are returned as they are).
inline HostTensor widen_to_float(const HostTensor& t) {
  HostTensor out;
  bool done = try_dispatch_float(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_low_float_v<T>) {
      out = HostTensor(DataType::kFloat, t.dims());
      const T* src = t.data<T>();
      float* dst = out.mutable_data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) dst[i] = static_cast<float>(src[i]);
    }
  });
  return done && out.defined() ? out : t;
}

// `t` (float32) narrowed to `dtype` when that is half/bfloat16.
inline HostTensor narrow_from_float(const HostTensor& t, DataType dtype) {
  if (dtype != DataType::kFloat16 && dtype != DataType::kBfloat16) return t;
  HostTensor out(dtype, t.dims());
  try_dispatch_float(dtype, [&](auto tag) {
    using T = decltype(tag);
    const float* src = t.data<float>();
    T* dst = out.mutable_data<T>();
    for (int64_t i = 0; i < t.numel(); ++i) dst[i] = static_cast<T>(src[i]);
  });
  return out;
}

// round(v) to nearest even, saturated to Q's range (QuantizeLinear's rule).
template <typename Q>
inline Q saturate_round(float v) {
  const float r = std::nearbyint(v);  // default rounding mode: half to even
  const float lo = static_cast<float>(std::numeric_limits<Q>::min());
  const float hi = static_cast<float>(std::numeric_limits<Q>::max());
  if (!(r >= lo)) return std::numeric_limits<Q>::min();
  if (r > hi) return std::numeric_limits<Q>::max();
  return static_cast<Q>(r);
}

}  // namespace graft::cpu
