// Resize and Upsample against the CPU engine: nearest with every nearest_mode, linear,
// cubic (coefficient, exclude_outside), antialias, every coordinate transformation incl.
// tf_crop_and_resize with roi and extrapolation, scales or sizes (keep_aspect_ratio_policy,
// axes), up and down, 1-D to 3-D, integer rounding, fp16 storage, the older opsets.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <functional>
#include <iostream>

#include "kernels/cuda/movement.h"
#include "kernels/cuda/op_test_util.h"
#include "kernels/cuda/pool.h"
#include "kernels/cuda/resize.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using testing::expect_layer;
using testing::kFp16Check;
using testing::OpModel;

struct ResizeCase {
  std::vector<int64_t> x;
  std::vector<float> scales;  // or
  std::vector<int64_t> sizes;
  std::vector<Attribute> attrs;
  std::vector<float> roi;
  int64_t opset = 19;
  DataType dtype = DataType::kFloat;
};

// roi and scales, when not used, are empty tensors; `omitted` leaves them out (null inputs,
// as exporters write them).
Model resize_model(const ResizeCase& c, bool omitted = false) {
  OpModel m(c.opset);
  auto floats = [&](const char* name, const std::vector<float>& v) {
    return v.empty() && omitted ? nullptr : m.floats(name, v, {static_cast<int64_t>(v.size())});
  };
  std::vector<TensorPtr> ins = {m.input("x", c.x, c.dtype), floats("roi", c.roi), floats("scales", c.scales)};
  if (!c.sizes.empty()) ins.push_back(m.int64s("sizes", c.sizes));
  m.node("Resize", ins, c.attrs);
  return m.model;
}

void expect_resize_matches(const ResizeCase& c, bool fp16 = true) {
  const Model m = resize_model(c);
  expect_layer(m, "Resize");
  expect_gpu_matches_cpu(m, 21);
  if (fp16 && c.dtype == DataType::kFloat) expect_gpu_matches_cpu(m, 21, kFp16Check);
}

Attribute coord(const char* mode) { return Attribute::of_string("coordinate_transformation_mode", mode); }
Attribute mode(const char* m) { return Attribute::of_string("mode", m); }

const std::vector<float> kUp = {1, 1, 1.6f, 2.3f}, kDown = {1, 1, 0.6f, 0.45f};

TEST(ResizeGpu, NearestEveryNearestModeAndCoordinate) {
  GRAFT_REQUIRE_GPU();
  for (const char* nearest : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
    for (const char* c : {"half_pixel", "asymmetric", "align_corners", "tf_half_pixel_for_nn", "pytorch_half_pixel"}) {
      for (const auto& scales : {kUp, kDown}) {
        SCOPED_TRACE(std::string(nearest) + " " + c + (scales == kUp ? " up" : " down"));
        expect_resize_matches({{2, 3, 5, 7}, scales, {}, {mode("nearest"), coord(c), Attribute::of_string("nearest_mode", nearest)}});
      }
    }
  }
}

TEST(ResizeGpu, NearestOfIntegersAndBools) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : {DataType::kInt64, DataType::kUint8, DataType::kBool}) {
    ResizeCase c{{1, 2, 4, 6}, kUp, {}, {mode("nearest")}};
    c.dtype = t;
    expect_resize_matches(c);
  }
}

TEST(ResizeGpu, LinearEveryCoordinate) {
  GRAFT_REQUIRE_GPU();
  for (const char* c : {"half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric"}) {
    for (const auto& scales : {kUp, kDown}) {
      SCOPED_TRACE(std::string(c) + (scales == kUp ? " up" : " down"));
      expect_resize_matches({{2, 3, 5, 7}, scales, {}, {mode("linear"), coord(c)}});
    }
  }
  // pytorch_half_pixel with an output length of 1.
  expect_resize_matches({{1, 1, 4, 6}, {}, {1, 1, 1, 3}, {mode("linear"), coord("pytorch_half_pixel")}});
}

TEST(ResizeGpu, CubicCoefficientAndExcludeOutside) {
  GRAFT_REQUIRE_GPU();
  for (const char* c : {"half_pixel", "align_corners", "asymmetric"}) {
    for (int exclude : {0, 1}) {
      for (const auto& scales : {kUp, kDown}) {
        SCOPED_TRACE(std::string(c) + " exclude " + std::to_string(exclude));
        expect_resize_matches({{1, 2, 6, 7}, scales, {},
                               {mode("cubic"), coord(c), Attribute::of_float("cubic_coeff_a", -0.5f),
                                Attribute::of_int("exclude_outside", exclude)}});
      }
    }
  }
}

TEST(ResizeGpu, AntialiasDownscaling) {
  GRAFT_REQUIRE_GPU();
  for (const char* m : {"linear", "cubic"}) {
    SCOPED_TRACE(m);
    expect_resize_matches({{1, 2, 16, 19}, {1, 1, 0.3f, 0.55f}, {}, {mode(m), Attribute::of_int("antialias", 1)}});
    expect_resize_matches({{1, 2, 16, 19}, {}, {1, 1, 5, 9},
                           {mode(m), Attribute::of_int("antialias", 1), Attribute::of_int("exclude_outside", 1)}});
  }
}

TEST(ResizeGpu, TfCropAndResizeWithRoiAndExtrapolation) {
  GRAFT_REQUIRE_GPU();
  for (const char* m : {"nearest", "linear", "cubic"}) {
    SCOPED_TRACE(m);
    ResizeCase c{{1, 2, 6, 8}, {}, {1, 2, 5, 7}, {mode(m), coord("tf_crop_and_resize"),
                                                  Attribute::of_float("extrapolation_value", 3.5f)}};
    c.roi = {0, 0, -0.2f, 0.1f, 1, 1, 0.7f, 1.3f};
    expect_resize_matches(c);
  }
}

TEST(ResizeGpu, SizesAxesAndAspectRatioPolicy) {
  GRAFT_REQUIRE_GPU();
  for (const char* policy : {"stretch", "not_larger", "not_smaller"}) {
    SCOPED_TRACE(policy);
    expect_resize_matches({{1, 3, 6, 10}, {}, {9, 7},
                           {mode("linear"), Attribute::of_ints("axes", {-1, 2}),
                            Attribute::of_string("keep_aspect_ratio_policy", policy)}});
  }
  expect_resize_matches({{1, 3, 6, 10}, {1.5f, 0.5f}, {}, {mode("nearest"), Attribute::of_ints("axes", {2, 3})}});
}

TEST(ResizeGpu, TrilinearAnd1D) {
  GRAFT_REQUIRE_GPU();
  expect_resize_matches({{1, 2, 3, 4, 5}, {1, 1, 2, 1.5f, 0.8f}, {}, {mode("linear")}});
  expect_resize_matches({{2, 9}, {1, 2.5f}, {}, {mode("cubic")}});
  expect_resize_matches({{2, 9}, {1, 1}, {}, {mode("linear")}});  // nothing to do
}

TEST(ResizeGpu, IntegersRoundHalfToEven) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : {DataType::kUint8, DataType::kInt32, DataType::kInt64}) {
    SCOPED_TRACE(dtype_name(t));
    ResizeCase c{{1, 2, 5, 6}, {1, 1, 2, 2}, {}, {mode("linear"), coord("align_corners")}};
    c.dtype = t;
    expect_resize_matches(c);
    c.attrs = {mode("cubic")};
    expect_resize_matches(c);
  }
}

TEST(ResizeGpu, OlderOpsetsAndUpsample) {
  GRAFT_REQUIRE_GPU();
  for (const char* m : {"nearest", "linear"}) {
    SCOPED_TRACE(m);
    {
      OpModel r(10);
      r.node("Resize", {r.input("x", {1, 2, 5, 6}), r.floats("scales", {1, 1, 2.5f, 0.5f}, {4})}, {mode(m)});
      expect_layer(r.model, "Resize");
      expect_gpu_matches_cpu(r.model, 22);
    }
    {
      OpModel u(9);
      u.node("Upsample", {u.input("x", {1, 2, 5, 6}), u.floats("scales", {1, 1, 2, 3}, {4})}, {mode(m)});
      expect_layer(u.model, "Upsample");
      expect_gpu_matches_cpu(u.model, 23);
      expect_gpu_matches_cpu(u.model, 23, kFp16Check);
    }
    {
      OpModel u(7);
      u.node("Upsample", {u.input("x", {1, 2, 5, 6})}, {mode(m), Attribute::of_floats("scales", {1, 1, 2, 2})});
      expect_layer(u.model, "Upsample");
      expect_gpu_matches_cpu(u.model, 24);
    }
  }
  OpModel r(11);  // opset 11: roi input present but unused
  r.node("Resize", {r.input("x", {1, 1, 4, 4}), r.floats("roi", {}, {0}), r.floats("scales", {1, 1, 2, 2}, {4})},
         {mode("cubic")});
  expect_layer(r.model, "Resize");
  expect_gpu_matches_cpu(r.model, 25);
}

TEST(ResizeGpu, EmptyBatch) {
  GRAFT_REQUIRE_GPU();
  expect_resize_matches({{0, 3, 4, 4}, kUp, {}, {mode("linear")}});
  expect_resize_matches({{0, 3, 4, 4}, kDown, {}, {mode("nearest")}});
}

TEST(ResizeGpu, UnsupportedModeNamesTheNode) {
  GRAFT_REQUIRE_GPU();
  const Model m = resize_model({{1, 1, 4, 4}, {1, 1, 2, 2}, {}, {mode("area")}});
  const std::string error = testing::build_error(m);
  EXPECT_NE(error.find("'n' (Resize)"), std::string::npos) << error;
  EXPECT_NE(error.find("area"), std::string::npos) << error;
}

// Bandwidth of the kernels on big tensors, launched directly (printed, not checked): bytes
// read and written once over the mean time of 20 launches. Last in the binary.
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) {
    EXPECT_EQ(cudaMalloc(&p_, bytes), cudaSuccess);
    EXPECT_EQ(cudaMemset(p_, 0, bytes), cudaSuccess);
  }
  ~DeviceBuffer() { cudaFree(p_); }
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

double mean_ms(const std::function<cudaError_t(cudaStream_t)>& launch) {
  cudaStream_t s;
  cudaEvent_t start, stop;
  EXPECT_EQ(cudaStreamCreate(&s), cudaSuccess);
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(launch(s), cudaSuccess);
  constexpr int kRuns = 20;
  cudaEventRecord(start, s);
  for (int i = 0; i < kRuns; ++i) launch(s);
  cudaEventRecord(stop, s);
  EXPECT_EQ(cudaEventSynchronize(stop), cudaSuccess);
  float ms = 0;
  cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaStreamDestroy(s);
  return ms / kRuns;
}

void report(const std::string& what, double bytes, const std::function<cudaError_t(cudaStream_t)>& launch) {
  const double ms = mean_ms(launch);
  std::cout << "[bandwidth] " << what << ": " << ms << " ms, " << bytes / (ms * 1e-3) / 1e9 << " GB/s" << std::endl;
}

TEST(MovementBandwidth, Kernels) {
  GRAFT_REQUIRE_GPU();
  const int64_t n = 32, c = 64, h = 112, w = 112, plane = h * w, nchw = n * c * plane;
  DeviceBuffer a(nchw * 4 * 2), b(nchw * 4 * 2);
  report("memcpy D2D 102.8 MB", 2.0 * nchw * 4, [&](cudaStream_t s) {
    return cudaMemcpyAsync(b.get(), a.get(), nchw * 4, cudaMemcpyDeviceToDevice, s);
  });
  for (size_t es : {size_t{4}, size_t{2}}) {
    const std::string t = es == 4 ? " f32" : " f16";
    report("Transpose NCHW->NHWC [32,64,112,112]" + t, 2.0 * nchw * es, [&](cudaStream_t s) {
      return copy_strided(a.get(), 0, {c * plane, w, 1, plane}, b.get(), {n, h, w, c}, es, s);
    });
    report("Transpose NHWC->NCHW [32,112,112,64]" + t, 2.0 * nchw * es, [&](cudaStream_t s) {
      return copy_strided(a.get(), 0, {plane * c, 1, w * c, c}, b.get(), {n, c, h, w}, es, s);
    });
  }
  report("Transpose [32,64,112,112] perm 0,1,3,2 f32", 2.0 * nchw * 4, [&](cudaStream_t s) {
    return copy_strided(a.get(), 0, {c * plane, plane, 1, w}, b.get(), {n, c, w, h}, 4, s);
  });
  report("Slice W 1:111 of [32,64,112,112] f32", 2.0 * nchw * 4 * 110 / 112, [&](cudaStream_t s) {
    return copy_strided(a.get(), 1, {c * plane, plane, w, 1}, b.get(), {n, c, h, 110}, 4, s);
  });
  report("Concat axis 1 [32,64|32,112,112] f32", 2.0 * nchw * 4 * 1.5, [&](cudaStream_t s) {
    const char* second = static_cast<const char*>(a.get()) + nchw * 4;
    return concat_rows({a.get(), second}, {c * plane, c / 2 * plane}, b.get(), n, 4, s);
  });
  {
    std::vector<ResizeAxis> axes(4);
    axes[0] = {8, 8, 1, 0, 1, true};
    axes[1] = {64, 64, 1, 0, 1, true};
    axes[2] = {128, 256, 2, 0, 1, false};
    axes[3] = {128, 256, 2, 0, 1, false};
    const double bytes = 8.0 * 64 * 128 * 128 * 4 * 5;
    ResizeParams p;
    p.mode = ResizeMode::kLinear;
    DeviceBuffer ws(resize_filter_workspace(NumType::kFloat, axes, {2, 3}) + 1);
    report("Resize linear 2x [8,64,128,128] f32 (2 passes)", bytes, [&](cudaStream_t s) {
      return resize_filter(a.get(), NumType::kFloat, b.get(), axes, {2, 3}, p, ws.get(), s);
    });
    p.mode = ResizeMode::kNearest;
    report("Resize nearest 2x [8,64,128,128] f32", bytes, [&](cudaStream_t s) {
      return resize_nearest(a.get(), b.get(), axes, p, 0, 4, s);
    });
  }
  {
    PoolWindow win;
    win.in[1] = h, win.in[2] = w, win.out[1] = h / 2, win.out[2] = w / 2;
    win.kernel[1] = win.kernel[2] = 3;
    win.stride[1] = win.stride[2] = 2;
    win.pad[1] = win.pad[2] = win.pad_end[1] = win.pad_end[2] = 1;
    PoolParams p;
    report("MaxPool 3x3/2 [32,64,112,112] f32", nchw * 4 * 1.25, [&](cudaStream_t s) {
      return pool(a.get(), NumType::kFloat, b.get(), nullptr, n * c, win, p, s);
    });
  }
  report("GlobalAveragePool [64,2048,7,7] f32", 64.0 * 2048 * 49 * 4, [&](cudaStream_t s) {
    return global_pool(a.get(), NumType::kFloat, b.get(), 64 * 2048, 49, PoolKind::kAvg, 2, s);
  });
  std::vector<int64_t> rows(4096);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i * 7919 % 30522);
  ASSERT_EQ(cudaMemcpy(b.get(), rows.data(), rows.size() * 8, cudaMemcpyHostToDevice), cudaSuccess);
  report("Gather 4096 rows of [30522,768] f32", 2.0 * 4096 * 768 * 4, [&](cudaStream_t s) {
    return gather(a.get(), 1, 30522, 768, b.get(), true, 4096, static_cast<char*>(b.get()) + nchw * 4, 4, s);
  });
}

// Omitted roi and scales (null inputs). Last: the engine must keep its per-input lists
// aligned past a null input (it once did not, and crashed here).
TEST(ResizeGpuZ, OmittedRoiAndScales) {
  GRAFT_REQUIRE_GPU();
  const Model m = resize_model({{1, 2, 5, 6}, {}, {1, 2, 9, 4}, {mode("linear")}}, true);
  expect_layer(m, "Resize");
  expect_gpu_matches_cpu(m, 26);
}

}  // namespace
}  // namespace graft::cuda
