// Pooling against the CPU engine: MaxPool with Indices (both storage orders), dilations,
// ceil_mode, auto_pad; AveragePool with count_include_pad; LpPool; the Global forms;
// 1-D to 3-D, integer MaxPool, fp16 storage, empty batches, errors.
#include <gtest/gtest.h>

#include "kernels/cuda/op_test_util.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using testing::expect_layer;
using testing::kFp16Check;
using testing::OpModel;
using cpu::dims_str;

struct PoolCase {
  std::vector<int64_t> x;
  std::vector<Attribute> attrs;
};

Model pool_model(const std::string& op, const PoolCase& c, int64_t opset = 19, DataType dtype = DataType::kFloat,
                 int outputs = 1) {
  OpModel m(opset);
  m.node(op, {m.input("x", c.x, dtype)}, c.attrs, outputs);
  return m.model;
}

Attribute kernel(std::vector<int64_t> k) { return Attribute::of_ints("kernel_shape", std::move(k)); }
Attribute strides(std::vector<int64_t> s) { return Attribute::of_ints("strides", std::move(s)); }
Attribute pads(std::vector<int64_t> p) { return Attribute::of_ints("pads", std::move(p)); }

const std::vector<PoolCase> kWindows = {
    {{2, 3, 9, 11}, {kernel({3, 3}), strides({2, 2}), pads({1, 1, 1, 1})}},
    {{2, 3, 9, 11}, {kernel({3, 2}), strides({2, 3}), pads({0, 1, 2, 0}), Attribute::of_int("ceil_mode", 1)}},
    {{1, 2, 12, 10}, {kernel({3, 3}), Attribute::of_ints("dilations", {2, 3}), pads({2, 1, 1, 2})}},
    {{1, 2, 10, 9}, {kernel({4, 3}), strides({3, 2}), Attribute::of_string("auto_pad", "SAME_UPPER")}},
    {{1, 2, 10, 9}, {kernel({4, 3}), strides({3, 2}), Attribute::of_string("auto_pad", "SAME_LOWER")}},
    {{1, 2, 10, 9}, {kernel({2, 2}), Attribute::of_string("auto_pad", "VALID")}},
    {{2, 4, 17}, {kernel({5}), strides({2}), pads({2, 3})}},
    {{1, 2, 5, 6, 7}, {kernel({2, 3, 2}), strides({2, 2, 1}), pads({1, 0, 1, 0, 1, 1}), Attribute::of_int("ceil_mode", 1)}},
};

TEST(PoolGpu, MaxPoolWindowsWithIndices) {
  GRAFT_REQUIRE_GPU();
  for (size_t i = 0; i < kWindows.size(); ++i) {
    SCOPED_TRACE("window " + std::to_string(i));
    for (int order : {0, 1}) {
      PoolCase c = kWindows[i];
      c.attrs.push_back(Attribute::of_int("storage_order", order));
      const Model m = pool_model("MaxPool", c, 12, DataType::kFloat, 2);
      expect_layer(m, "MaxPool");
      expect_gpu_matches_cpu(m, 31);
    }
    const Model m = pool_model("MaxPool", kWindows[i]);
    expect_gpu_matches_cpu(m, 32);
    expect_gpu_matches_cpu(m, 32, kFp16Check);
  }
}

TEST(PoolGpu, MaxPoolOfIntegers) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : {DataType::kUint8, DataType::kInt8}) {
    const Model m = pool_model("MaxPool", kWindows[0], 12, t, 2);  // ties: the first maximum's index
    expect_layer(m, "MaxPool");
    expect_gpu_matches_cpu(m, 33);
  }
}

TEST(PoolGpu, AveragePoolCountIncludePadAndCeilMode) {
  GRAFT_REQUIRE_GPU();
  for (size_t i = 0; i < kWindows.size(); ++i) {
    for (int include : {0, 1}) {
      SCOPED_TRACE("window " + std::to_string(i) + " count_include_pad " + std::to_string(include));
      PoolCase c = kWindows[i];
      c.attrs.push_back(Attribute::of_int("count_include_pad", include));
      const Model m = pool_model("AveragePool", c);
      expect_layer(m, "AveragePool");
      expect_gpu_matches_cpu(m, 34);
      expect_gpu_matches_cpu(m, 34, kFp16Check);
    }
  }
}

TEST(PoolGpu, LpPool) {
  GRAFT_REQUIRE_GPU();
  for (int64_t p : {1, 2, 3}) {
    PoolCase c = kWindows[0];
    c.attrs.push_back(Attribute::of_int("p", p));
    const Model m = pool_model("LpPool", c, 18);
    expect_layer(m, "LpPool");
    expect_gpu_matches_cpu(m, 35);
    expect_gpu_matches_cpu(m, 35, kFp16Check);
  }
}

TEST(PoolGpu, GlobalPools) {
  GRAFT_REQUIRE_GPU();
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"}) {
    for (const std::vector<int64_t>& dims :
         {std::vector<int64_t>{2, 64, 7, 7}, {1, 2, 300, 301}, {2, 3, 4, 5, 6}, {3, 5, 1}}) {
      SCOPED_TRACE(std::string(op) + " " + dims_str(dims));
      const Model m = pool_model(op, {dims, {}});
      expect_layer(m, op);
      expect_gpu_matches_cpu(m, 36, {Precision::kFP32, 1e-4, 1e-5});
      expect_gpu_matches_cpu(m, 36, kFp16Check);
    }
  }
}

TEST(PoolGpu, EmptyBatch) {
  GRAFT_REQUIRE_GPU();
  for (const char* op : {"MaxPool", "AveragePool"}) {
    const Model m = pool_model(op, {{0, 3, 8, 8}, {kernel({2, 2})}});
    expect_gpu_matches_cpu(m, 37);
  }
  expect_gpu_matches_cpu(pool_model("GlobalAveragePool", {{0, 3, 8, 8}, {}}), 37);
}

TEST(PoolGpu, UnknownAutoPadNamesTheNode) {
  GRAFT_REQUIRE_GPU();
  const Model m = pool_model("MaxPool", {{1, 1, 4, 4}, {kernel({2, 2}), Attribute::of_string("auto_pad", "SAME_MIDDLE")}});
  const std::string error = testing::build_error(m);
  EXPECT_NE(error.find("'n' (MaxPool)"), std::string::npos) << error;
}

}  // namespace
}  // namespace graft::cuda
