// Checks the CUDA add kernel against the CPU on random inputs; skipped without a GPU.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/cuda/device.h"
#include "kernels/cuda/elementwise.h"

namespace graft::cuda {
namespace {

TEST(ElementwiseGpu, AddMatchesCpu) {
  DeviceInfo dev = query_devices();
  if (dev.count == 0) GTEST_SKIP() << dev.why_none;
#ifdef GRAFT_WITH_CUDA
  for (size_t n : {size_t{0}, size_t{1}, size_t{1000}, size_t{1} << 22}) {
    std::mt19937 rng(static_cast<unsigned>(n));
    std::uniform_real_distribution<float> dist(-10.f, 10.f);
    std::vector<float> a(n), b(n), c(n, -1.f);
    for (size_t i = 0; i < n; ++i) a[i] = dist(rng), b[i] = dist(rng);
    float *da = nullptr, *db = nullptr, *dc = nullptr;
    const size_t bytes = n * sizeof(float);
    ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&da), bytes + 4), cudaSuccess);
    ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&db), bytes + 4), cudaSuccess);
    ASSERT_EQ(cudaMalloc(reinterpret_cast<void**>(&dc), bytes + 4), cudaSuccess);
    cudaStream_t stream;
    ASSERT_EQ(cudaStreamCreate(&stream), cudaSuccess);
    ASSERT_EQ(cudaMemcpyAsync(da, a.data(), bytes, cudaMemcpyHostToDevice, stream), cudaSuccess);
    ASSERT_EQ(cudaMemcpyAsync(db, b.data(), bytes, cudaMemcpyHostToDevice, stream), cudaSuccess);
    ASSERT_EQ(add_f32(da, db, dc, n, stream), cudaSuccess);
    ASSERT_EQ(cudaMemcpyAsync(c.data(), dc, bytes, cudaMemcpyDeviceToHost, stream), cudaSuccess);
    ASSERT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(c[i], a[i] + b[i]) << "at " << i << " of " << n;
    cudaStreamDestroy(stream);
    cudaFree(da), cudaFree(db), cudaFree(dc);
  }
  std::printf("ran on %s (sm_%d)\n", dev.name.c_str(), dev.compute_capability);
#endif
}

}  // namespace
}  // namespace graft::cuda
