// Reductions and ArgMax / ArgMin on the GPU against the CPU engine: every kind over
// contiguous, strided and split axis sets, keepdims, axes as attribute or input, ranks 1..5,
// long rows (split over blocks), int32 / int64 / double / float16 storage, FP16 precision,
// empty reductions, NaN and ties for the index ops, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/random_inputs.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cuda/op_test_util.h"

namespace graft::cuda {
namespace {

using engine::NamedValue;
using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using testing::build_error;
using testing::expect_layer;
using testing::OpModel;

const std::vector<std::string> kReduceOps = {"ReduceSum", "ReduceMean", "ReduceMax",    "ReduceMin",
                                             "ReduceProd", "ReduceL1",  "ReduceL2",     "ReduceLogSum",
                                             "ReduceLogSumExp", "ReduceSumSquare"};

const GpuCheck kFP32{Precision::kFP32, 1e-4, 1e-4};
const GpuCheck kFP16{Precision::kFP16, 1e-2, 1e-2};

struct ReduceCase {
  std::vector<int64_t> dims;
  std::vector<int64_t> axes;  // empty: all
  int64_t keepdims = 1;
};

std::string describe(const std::string& op, const ReduceCase& c, int64_t opset) {
  return op + " opset " + std::to_string(opset) + " dims " + cpu::dims_str(c.dims) + " axes " + cpu::dims_str(c.axes) +
         " keepdims " + std::to_string(c.keepdims);
}

// x -> op -> y0. Axes are the attribute before the opset that made them an input (13 for
// ReduceSum, 18 for the others), a constant input from then on.
Model reduce_model(const std::string& op, const ReduceCase& c, int64_t opset, DataType dtype = DataType::kFloat,
                   bool noop_with_empty_axes = false) {
  OpModel m(opset);
  std::vector<TensorPtr> inputs{m.input("x", c.dims, dtype)};
  std::vector<Attribute> attrs{Attribute::of_int("keepdims", c.keepdims)};
  if (!c.axes.empty()) {
    if (opset >= (op == "ReduceSum" ? 13 : 18)) inputs.push_back(m.int64s("axes", c.axes));
    else attrs.push_back(Attribute::of_ints("axes", c.axes));
  }
  if (noop_with_empty_axes) attrs.push_back(Attribute::of_int("noop_with_empty_axes", 1));
  m.node(op, inputs, attrs);
  return m.model;
}

// Random inputs; ReduceLogSum gets floats in [0.5, 2.5), whose sums stay clear of 0.
std::vector<NamedValue> inputs_for(const std::string& op, const Model& m, uint64_t seed) {
  std::vector<NamedValue> inputs = testing::random_inputs_of(m, seed);
  if (op != "ReduceLogSum") return inputs;
  for (NamedValue& v : inputs) {
    cpu::HostTensor& t = v.value.tensor;
    if (t.dtype() != DataType::kFloat && t.dtype() != DataType::kFloat16 && t.dtype() != DataType::kDouble) continue;
    t = t.clone();
    cpu::dispatch_float(t.dtype(), "shift", [&](auto tag) {
      using T = decltype(tag);
      for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data<T>()[i] = T(float(t.data<T>()[i]) + 1.5f);
    });
  }
  return inputs;
}

void expect_reduce_matches(const std::string& op, const ReduceCase& c, int64_t opset, DataType dtype,
                           const GpuCheck& check) {
  SCOPED_TRACE(describe(op, c, opset) + " " + dtype_name(dtype));
  const Model m = reduce_model(op, c, opset, dtype);
  expect_gpu_matches_cpu(m, inputs_for(op, m, 3), check);
}

TEST(ReduceGpu, EveryKindOverAxisSets) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ReduceCase> cases = {
      {{3, 4, 5}, {1}, 1},         {{3, 4, 5}, {0, 2}, 0},       {{3, 4, 5}, {-1}, 0},
      {{3, 4, 5}, {}, 1},          {{2, 3, 4, 5, 6}, {1, 3}, 1}, {{2, 3, 4, 5, 6}, {0, 4}, 0},
      {{7}, {0}, 0},               {{8, 4096}, {1}, 1},          {{30000}, {}, 0},
      {{300, 70}, {0}, 1},         {{4, 50, 3}, {1}, 0},         {{2, 1, 3}, {1}, 0},
      {{5, 3000, 2}, {0, 1}, 1},   {{100000}, {0}, 1},
  };
  for (const std::string& op : kReduceOps) {
    for (int64_t opset : {13, 18}) {
      for (const ReduceCase& c : cases) expect_reduce_matches(op, c, opset, DataType::kFloat, kFP32);
    }
  }
}

TEST(ReduceGpu, NoopWithEmptyAxesMapsEachElement) {
  GRAFT_REQUIRE_GPU();
  for (const char* op : {"ReduceSum", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"}) {
    SCOPED_TRACE(op);
    expect_gpu_matches_cpu(reduce_model(op, {{3, 4}, {}, 1}, 18, DataType::kFloat, true), 5, kFP32);
  }
}

TEST(ReduceGpu, EmptyReductionsAndEmptyOutputs) {
  GRAFT_REQUIRE_GPU();
  for (const std::string& op : kReduceOps) {
    expect_reduce_matches(op, {{3, 0, 4}, {1}, 0}, 18, DataType::kFloat, kFP32);  // start values
    expect_reduce_matches(op, {{0, 5}, {1}, 1}, 18, DataType::kFloat, kFP32);     // nothing to write
  }
}

TEST(ReduceGpu, Integers) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ReduceCase> cases = {{{3, 4, 5}, {1}, 1}, {{6, 1000}, {1}, 0}, {{300, 70}, {0}, 1}, {{40000}, {}, 0}};
  for (DataType dtype : {DataType::kInt32, DataType::kInt64}) {
    for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
                           "ReduceSumSquare", "ReduceL2"}) {
      for (const ReduceCase& c : cases) expect_reduce_matches(op, c, 18, dtype, kFP32);
    }
    expect_layer(reduce_model("ReduceSum", cases[0], 18, dtype), "ReduceSum");
  }
}

TEST(ReduceGpu, DoubleAndFloat16Storage) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ReduceCase> cases = {{{3, 4, 5}, {1}, 1}, {{8, 4096}, {1}, 0}, {{300, 70}, {0}, 1}, {{2, 3, 4, 5}, {0, 2}, 0}};
  for (const std::string& op : kReduceOps) {
    for (const ReduceCase& c : cases) {
      expect_reduce_matches(op, c, 18, DataType::kDouble, {Precision::kFP32, 1e-9, 1e-12});
      expect_reduce_matches(op, c, 18, DataType::kFloat16, {Precision::kFP32, 2e-3, 1e-3});
    }
  }
}

TEST(ReduceGpu, Fp16Precision) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ReduceCase> cases = {{{3, 4, 5}, {1}, 1}, {{4, 64}, {1}, 0}, {{64, 8}, {0}, 1}, {{2, 3, 4, 5, 6}, {1, 3}, 0}};
  for (const std::string& op : kReduceOps) {
    for (const ReduceCase& c : cases) expect_reduce_matches(op, c, 18, DataType::kFloat, kFP16);
  }
}

struct ArgCase {
  std::vector<int64_t> dims;
  int64_t axis = 0, keepdims = 1, last = 0;
};

Model arg_model(const std::string& op, const ArgCase& c, DataType dtype) {
  OpModel m(13);
  m.node(op, {m.input("x", c.dims, dtype)},
         {Attribute::of_int("axis", c.axis), Attribute::of_int("keepdims", c.keepdims),
          Attribute::of_int("select_last_index", c.last)});
  return m.model;
}

// float16 and integer inputs repeat values often: the tie rules are checked too.
TEST(ArgGpu, AxesKeepdimsAndLastIndex) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ArgCase> cases = {
      {{3, 4, 5}, 1, 1, 0},   {{3, 4, 5}, -1, 0, 1}, {{3, 4, 5}, 0, 1, 1},       {{30000}, 0, 1, 0},
      {{2, 30000}, 1, 0, 1},  {{30000, 3}, 0, 1, 0}, {{7}, 0, 0, 0},             {{2, 3, 4, 5, 6}, 2, 1, 1},
      {{0, 4}, 1, 1, 0},      {{2, 100000}, 1, 0, 1},
  };
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (DataType dtype : {DataType::kFloat, DataType::kFloat16, DataType::kDouble, DataType::kInt32, DataType::kInt64}) {
      for (const ArgCase& c : cases) {
        SCOPED_TRACE(std::string(op) + " " + dtype_name(dtype) + " dims " + cpu::dims_str(c.dims) + " axis " +
                     std::to_string(c.axis) + " last " + std::to_string(c.last));
        expect_gpu_matches_cpu(arg_model(op, c, dtype), 9, kFP32);
      }
    }
  }
  expect_gpu_matches_cpu(arg_model("ArgMax", {{4, 64}, 1, 1, 0}, DataType::kFloat), 9, kFP16);
}

TEST(ArgGpu, NanBeatsNumbers) {
  GRAFT_REQUIRE_GPU();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const cpu::HostTensor x = testing::host_tensor<float>(
      DataType::kFloat, {4, 6},
      {1, nan, 3, nan, 3, 2, 5, 5, -1, 0, 5, 1, nan, nan, nan, nan, nan, nan, -2, -7, -7, 4, 4, -7});
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (int64_t last : {0, 1}) {
      SCOPED_TRACE(std::string(op) + " last " + std::to_string(last));
      const Model m = arg_model(op, {{4, 6}, 1, 0, last}, DataType::kFloat);
      expect_gpu_matches_cpu(m, {{"x", cpu::Value::of(x)}}, kFP32);
    }
  }
}

TEST(ReduceGpu, Errors) {
  GRAFT_REQUIRE_GPU();
  // The CPU takes integers for LogSumExp; the GPU refuses them.
  const std::string int_lse = build_error(reduce_model("ReduceLogSumExp", {{3, 4}, {1}, 1}, 18, DataType::kInt32));
  EXPECT_NE(int_lse.find("'n'"), std::string::npos) << int_lse;
  EXPECT_NE(int_lse.find("int32"), std::string::npos) << int_lse;

  // Axes that are not known before the run.
  OpModel m(18);
  m.node("ReduceMean", {m.input("x", {3, 4}), m.input("axes", {1}, DataType::kInt64)});
  const std::string unknown_axes = build_error(m.model);
  EXPECT_NE(unknown_axes.find("'n'"), std::string::npos) << unknown_axes;

  const std::string empty_axis = build_error(arg_model("ArgMax", {{3, 0}, 1, 1, 0}, DataType::kFloat));
  EXPECT_NE(empty_axis.find("'n'"), std::string::npos) << empty_axis;
}

}  // namespace
}  // namespace graft::cuda
