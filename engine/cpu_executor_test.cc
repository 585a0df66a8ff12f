// The CPU executor: runs graphs, releases values, and rejects bad models and inputs with
// errors that name every unsupported node or the offending input.
#include "engine/cpu_executor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "surgeon/error.h"

namespace graft::engine {
namespace {

using cpu::HostTensor;
using cpu::Value;

// y = (x + b) * x, with x: float32[batch, 3], b: float32[3] (initializer).
Model add_mul_model() {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  Graph& g = *m.graph;
  g.name = "add_mul";
  auto x = Tensor::variable("x", DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(3)}));
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kFloat;
  data->dims = {3};
  const float b_values[3] = {1, 2, 3};
  data->bytes = Bytes::copy_of(b_values, sizeof b_values);
  auto b = Tensor::constant("b", data);
  auto t = std::make_shared<Tensor>("t");
  auto y = Tensor::variable("y", DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(3)}));
  g.inputs = {x};
  g.initializers = {b};
  g.outputs = {y};
  g.add_node("Add", {x, b}, {t}, "add");
  g.add_node("Mul", {t, x}, {y}, "mul");
  return m;
}

HostTensor floats(cpu::Dims dims, std::vector<float> values) {
  HostTensor t(DataType::kFloat, std::move(dims));
  std::copy(values.begin(), values.end(), t.mutable_data<float>());
  return t;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CpuExecutor, RunsAGraphWithBroadcasting) {
  Model m = add_mul_model();
  CpuExecutor exec(m);
  auto out = exec.run({{"x", Value::of(floats({2, 3}, {1, 2, 3, -1, 0, 1}))}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].name, "y");
  const HostTensor& y = out[0].value.tensor;
  EXPECT_EQ(y.dims(), (cpu::Dims{2, 3}));
  const float want[6] = {2, 8, 18, 0, 0, 4};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(CpuExecutor, NanAndInfPropagate) {
  CpuExecutor exec(add_mul_model());
  const float inf = std::numeric_limits<float>::infinity();
  auto out = exec.run({{"x", Value::of(floats({1, 3}, {NAN, inf, -inf}))}});
  const float* y = out[0].value.tensor.data<float>();
  EXPECT_TRUE(std::isnan(y[0]));
  EXPECT_EQ(y[1], inf);   // (inf + 2) * inf
  EXPECT_EQ(y[2], inf);   // (-inf + 3) * -inf
}

TEST(CpuExecutor, ListsEveryUnsupportedNode) {
  Model m = add_mul_model();
  Graph& g = *m.graph;
  auto u1 = std::make_shared<Tensor>("u1");
  auto u2 = std::make_shared<Tensor>("u2");
  g.add_node("NoSuchOp", {g.inputs[0]}, {u1}, "first_bad");
  g.add_node("Frobnicate", {u1}, {u2}, "second_bad", "com.example");
  m.opset_imports.push_back({"com.example", 3});
  const std::string msg = error_of([&] { CpuExecutor exec(m); });
  EXPECT_NE(msg.find("2 node(s) have no CPU kernel"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'first_bad' (NoSuchOp) [ai.onnx opset 17]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("node 'second_bad' (com.example::Frobnicate) [com.example opset 3]"), std::string::npos) << msg;
}

TEST(CpuExecutor, RejectsBadInputsNamingThem) {
  CpuExecutor exec(add_mul_model());
  EXPECT_NE(error_of([&] { exec.run({}); }).find("input 'x' (float32[batch, 3]) is required"), std::string::npos);
  EXPECT_NE(error_of([&] { exec.run({{"x", Value::of(floats({2, 4}, std::vector<float>(8)))}}); })
                .find("input 'x': expected float32[batch, 3], got float32[2, 4] (dim 1 is 4)"),
            std::string::npos);
  HostTensor ints(DataType::kInt64, {2, 3});
  EXPECT_NE(error_of([&] { exec.run({{"x", Value::of(ints)}}); }).find("got int64[2, 3] (wrong element type)"),
            std::string::npos);
  EXPECT_NE(error_of([&] { exec.run({{"x", Value::of(floats({3}, {1, 2, 3}))}}); }).find("(wrong rank)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              exec.run({{"x", Value::of(floats({1, 3}, {1, 2, 3}))}, {"z", Value::of(floats({1}, {1}))}});
            }).find("'z' is not an input of the model"),
            std::string::npos);
}

TEST(CpuExecutor, SymbolicDimsMustAgreeAcrossInputs) {
  HostTensor a(DataType::kFloat, {2, 3}), b(DataType::kFloat, {5, 3});
  Tensor x("x", ValueType::tensor(DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(3)})));
  Tensor z("z", x.type);
  std::unordered_map<std::string, int64_t> symbols;
  check_input(x, Value::of(a), symbols);
  const std::string msg = error_of([&] { check_input(z, Value::of(b), symbols); });
  EXPECT_NE(msg.find("dim 0 'batch' is 5 here but 2 in another input"), std::string::npos) << msg;
}

TEST(CpuExecutor, KernelErrorsNameTheNode) {
  Model m = add_mul_model();
  m.graph->initializers[0]->data->dims = {4};  // b no longer broadcasts against [batch, 3]
  float four[4] = {1, 2, 3, 4};
  m.graph->initializers[0]->data->bytes = Bytes::copy_of(four, sizeof four);
  CpuExecutor exec(m);
  const std::string msg = error_of([&] { exec.run({{"x", Value::of(floats({1, 3}, {1, 2, 3}))}}); });
  EXPECT_NE(msg.find("node 'add' (Add): shapes [1, 3] and [4] do not broadcast"), std::string::npos) << msg;
}

}  // namespace
}  // namespace graft::engine
