// CumSum and TopK on the GPU against the CPU engine. CumSum: every kernel path (a thread
// per short or strided line, a warp or a block per row, tails of tiles), exclusive and
// reverse, negative and int32 axes, float / float16 / double / int32 / int64, FP16
// precision, empty tensors; the axis must be known on the host. TopK: lines sorted in
// shared memory and radix-sorted (one line, several lines with 32-bit keys, several with
// 64-bit keys), strided axes, largest and smallest, k = 0 and k = n, ties (integers and
// float16 repeat values; -0.0 and +0.0 tie), infinities, every dtype, opsets 1, 10, 11.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "engine/random_inputs.h"
#include "kernels/cuda/op_test_util.h"

namespace graft::cuda {
namespace {

using cpu::dims_str;
using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using testing::build_error;
using testing::expect_layer;
using testing::host_tensor;
using testing::inputs_with;
using testing::kFp16Check;
using testing::OpModel;
using testing::run_error;

const GpuCheck kExact{Precision::kFP32, 0, 0};
const GpuCheck kDouble{Precision::kFP32, 1e-12, 1e-12};

// Random floats that float16 holds exactly (multiples of 2^-10 in [-1, 1)): stored as half
// at FP16 they keep their values and order, and their sums are exact in float.
cpu::HostTensor half_exact_floats(const std::vector<int64_t>& dims, uint64_t seed) {
  const std::vector<double> v = engine::random_tensor(DataType::kFloat16, dims, seed).to_doubles();
  return host_tensor<float>(DataType::kFloat, dims, std::vector<float>(v.begin(), v.end()));
}

// ---- CumSum ----

struct CumSumCase {
  std::vector<int64_t> dims;
  int64_t axis = 0;
};

// Short lines (a thread each), strided lines, warp rows, block rows, partial tiles.
const std::vector<CumSumCase> kCumSumCases = {
    {{7}, 0},        {{4, 3, 5}, 0},   {{2, 130, 3}, 1}, {{3, 100}, 1},    {{1000, 33}, -1},
    {{2, 3, 17}, -1}, {{2, 4096}, 1},  {{2, 4097}, 1},   {{2, 5000}, -1},  {{1, 70000}, 1},
};

Model cum_sum_model(const CumSumCase& c, bool exclusive, bool reverse, DataType dtype = DataType::kFloat,
                    DataType axis_type = DataType::kInt64) {
  OpModel m;
  const TensorPtr axis = axis_type == DataType::kInt64
                             ? m.int64s("axis", {c.axis}, {})
                             : m.constant<int32_t>("axis", DataType::kInt32, {static_cast<int32_t>(c.axis)}, {});
  m.node("CumSum", {m.input("x", c.dims, dtype), axis},
         {Attribute::of_int("exclusive", exclusive), Attribute::of_int("reverse", reverse)});
  return m.model;
}

std::string describe(const CumSumCase& c, bool exclusive, bool reverse) {
  return dims_str(c.dims) + " axis " + std::to_string(c.axis) + (exclusive ? " exclusive" : "") +
         (reverse ? " reverse" : "");
}

TEST(CumSumGpu, EveryPathExclusiveAndReverse) {
  GRAFT_REQUIRE_GPU();
  for (const CumSumCase& c : kCumSumCases) {
    for (bool exclusive : {false, true}) {
      for (bool reverse : {false, true}) {
        SCOPED_TRACE(describe(c, exclusive, reverse));
        const Model m = cum_sum_model(c, exclusive, reverse);
        expect_layer(m, "CumSum");
        // Sums of multiples of 2^-10 are exact in float whatever the order of the additions.
        const auto inputs = inputs_with(m, 1, {{"x", half_exact_floats(c.dims, 2)}});
        expect_gpu_matches_cpu(m, inputs, kExact);
        expect_gpu_matches_cpu(m, inputs, kFp16Check);
      }
    }
  }
}

TEST(CumSumGpu, RandomFloatsWithinRounding) {
  GRAFT_REQUIRE_GPU();
  for (const CumSumCase& c : kCumSumCases) {
    SCOPED_TRACE(describe(c, false, false));
    // Partial sums of up to 70000 values in [-1, 1): float rounding of both engines.
    expect_gpu_matches_cpu(cum_sum_model(c, false, false), 3, {Precision::kFP32, 1e-4, 1e-2});
  }
}

TEST(CumSumGpu, Float16DoubleAndIntegers) {
  GRAFT_REQUIRE_GPU();
  for (const CumSumCase& c : kCumSumCases) {
    for (bool exclusive : {false, true}) {
      const bool reverse = !exclusive;
      SCOPED_TRACE(describe(c, exclusive, reverse));
      // float16 inputs sum exactly in float; each output is rounded once, as on the CPU.
      expect_gpu_matches_cpu(cum_sum_model(c, exclusive, reverse, DataType::kFloat16), 4, kExact);
      expect_gpu_matches_cpu(cum_sum_model(c, exclusive, reverse, DataType::kDouble), 4, kDouble);
      expect_gpu_matches_cpu(cum_sum_model(c, exclusive, reverse, DataType::kInt32, DataType::kInt32), 4);
      expect_gpu_matches_cpu(cum_sum_model(c, exclusive, reverse, DataType::kInt64), 4);
    }
  }
}

TEST(CumSumGpu, EmptyTensors) {
  GRAFT_REQUIRE_GPU();
  for (const CumSumCase& c : std::vector<CumSumCase>{{{0, 5}, 1}, {{3, 0}, 1}, {{3, 0, 4}, 2}}) {
    SCOPED_TRACE(describe(c, false, false));
    expect_gpu_matches_cpu(cum_sum_model(c, false, false), 1);
  }
}

TEST(CumSumGpu, AxisMustBeKnownOnTheHost) {
  GRAFT_REQUIRE_GPU();
  OpModel m;
  m.node("CumSum", {m.input("x", {3, 4}), m.input("axis", {}, DataType::kInt64)});
  const std::string error = run_error(m.model);
  EXPECT_NE(error.find("'n' (CumSum)"), std::string::npos) << error;
  EXPECT_NE(error.find("axis"), std::string::npos) << error;
}

TEST(CumSumGpu, RefusesOtherTypes) {
  GRAFT_REQUIRE_GPU();
  const std::string error = build_error(cum_sum_model({{3, 4}, 1}, false, false, DataType::kUint8));
  EXPECT_NE(error.find("'n' (CumSum)"), std::string::npos) << error;
  EXPECT_NE(error.find("uint8"), std::string::npos) << error;
}

// ---- TopK ----

struct TopKCase {
  std::vector<int64_t> dims;
  int64_t axis = -1;
  int64_t k = 1;
};

std::string describe(const TopKCase& c, bool largest) {
  return dims_str(c.dims) + " axis " + std::to_string(c.axis) + " k " + std::to_string(c.k) +
         (largest ? " largest" : " smallest");
}

Model top_k_model(const TopKCase& c, bool largest, DataType dtype = DataType::kFloat, int64_t opset = 17) {
  OpModel m(opset);
  std::vector<TensorPtr> inputs = {m.input("x", c.dims, dtype)};
  std::vector<Attribute> attrs = {Attribute::of_int("axis", c.axis)};
  if (opset < 10) attrs.push_back(Attribute::of_int("k", c.k));
  else inputs.push_back(m.int64s("k", {c.k}));
  if (opset >= 11) attrs.push_back(Attribute::of_int("largest", largest));
  m.node("TopK", inputs, attrs, 2);
  return m.model;
}

// Shared-memory sorts (up to 2048 per line, strided or not, k up to n), radix sorts of one
// line, of several lines, of strided lines.
const std::vector<TopKCase> kTopKCases = {
    {{5, 10}, -1, 3},     {{3, 37, 4}, 1, 5},   {{6, 7}, 0, 6},        {{4, 1}, 1, 1},
    {{3, 100}, 1, 100},   {{3, 5}, 1, 0},       {{2, 2048}, 1, 64},    {{600, 33}, 1, 8},
    {{2, 2049}, 1, 10},   {{1, 20000}, -1, 1000}, {{3, 5000, 2}, 1, 100}, {{70, 3000}, 1, 3000},
};

TEST(TopKGpu, LargestAndSmallestEveryPath) {
  GRAFT_REQUIRE_GPU();
  for (const TopKCase& c : kTopKCases) {
    for (bool largest : {true, false}) {
      SCOPED_TRACE(describe(c, largest));
      const Model m = top_k_model(c, largest);
      expect_layer(m, "TopK");
      expect_gpu_matches_cpu(m, 5, kExact);
    }
  }
}

// Integers in [0, 10) and float16 multiples of 2^-10 repeat: ties everywhere.
TEST(TopKGpu, TiesKeepTheLowerIndexInEveryType) {
  GRAFT_REQUIRE_GPU();
  const std::vector<DataType> types = {DataType::kInt32, DataType::kInt64, DataType::kFloat16, DataType::kDouble,
                                       DataType::kInt8,  DataType::kUint8, DataType::kInt16};
  for (const TopKCase& c : kTopKCases) {
    for (DataType t : types) {
      for (bool largest : {true, false}) {
        SCOPED_TRACE(describe(c, largest) + " " + dtype_name(t));
        expect_gpu_matches_cpu(top_k_model(c, largest, t), 6, kExact);
      }
    }
  }
}

TEST(TopKGpu, Fp16Precision) {
  GRAFT_REQUIRE_GPU();
  for (const TopKCase& c : kTopKCases) {
    for (bool largest : {true, false}) {
      SCOPED_TRACE(describe(c, largest));
      const Model m = top_k_model(c, largest);
      expect_layer(m, "TopK", Precision::kFP16);
      // Values float16 holds exactly: rounding to half makes no new ties.
      expect_gpu_matches_cpu(m, inputs_with(m, 1, {{"x", half_exact_floats(c.dims, 7)}}), kFp16Check);
    }
  }
}

TEST(TopKGpu, SignedZerosTieAndInfinitiesSort) {
  GRAFT_REQUIRE_GPU();
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> row = {0.0f, -0.0f, 1.0f, -0.0f, 0.0f, -inf, inf, 1.0f, -2.5f, inf};
  for (int64_t k : {3, 6, 10}) {
    for (bool largest : {true, false}) {
      for (int64_t n : {10, 2500}) {  // shared memory and radix sort
        const TopKCase c{{2, n}, 1, k};
        SCOPED_TRACE(describe(c, largest));
        std::vector<float> values;
        for (int64_t i = 0; i < 2 * n; ++i) values.push_back(row[i % row.size()]);
        const Model m = top_k_model(c, largest);
        expect_gpu_matches_cpu(m, inputs_with(m, 1, {{"x", host_tensor<float>(DataType::kFloat, c.dims, values)}}),
                               kExact);
      }
    }
  }
}

TEST(TopKGpu, OlderOpsets) {
  GRAFT_REQUIRE_GPU();
  for (int64_t opset : {1, 10}) {
    for (const TopKCase& c : {TopKCase{{4, 9}, -1, 4}, TopKCase{{3, 4000}, 1, 7}}) {
      SCOPED_TRACE(describe(c, true) + " opset " + std::to_string(opset));
      const Model m = top_k_model(c, true, DataType::kFloat, opset);
      expect_layer(m, "TopK");
      expect_gpu_matches_cpu(m, 8, kExact);
    }
  }
}

TEST(TopKGpu, EmptyTensors) {
  GRAFT_REQUIRE_GPU();
  for (const TopKCase& c : {TopKCase{{0, 5}, 1, 2}, TopKCase{{3, 0}, 1, 0}, TopKCase{{0, 3000}, 1, 5}}) {
    SCOPED_TRACE(describe(c, true));
    expect_gpu_matches_cpu(top_k_model(c, true), 1, kExact);
  }
}

TEST(TopKGpu, ErrorsNameTheNode) {
  GRAFT_REQUIRE_GPU();
  const std::string bool_error = build_error(top_k_model({{3, 4}, 1, 2}, true, DataType::kBool));
  EXPECT_NE(bool_error.find("'n' (TopK)"), std::string::npos) << bool_error;
  // K computed on the device: the output dims are unknown before the run.
  OpModel m;
  m.node("TopK", {m.input("x", {3, 8}), m.input("k", {1}, DataType::kInt64)}, {}, 2);
  const std::string k_error = run_error(m.model);
  EXPECT_NE(k_error.find("'n' (TopK)"), std::string::npos) << k_error;
}

}  // namespace
}  // namespace graft::cuda
