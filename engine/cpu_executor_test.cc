// The CPU executor: runs graphs, releases values, and rejects bad models and inputs with
// errors that name every unsupported node or the offending input.
#include "engine/cpu_executor.h"

#include <gtest/gtest.h>

#include <algorithm>
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

namespace graft::engine {
namespace {

// Conv fast paths (packed-weight GEMM, depthwise) and the planned Conv+Add+Clip fusion,
// against a direct loop. Shapes leave partial tiles and padded edges everywhere.
struct ConvCase {
  int64_t C, M, group, H, W, k, stride, pad;
  bool const_weights;
};

TensorPtr float_const(const std::string& name, cpu::Dims dims, const std::vector<float>& v) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kFloat;
  data->dims = dims;
  data->bytes = Bytes::copy_of(v.data(), v.size() * sizeof(float));
  return Tensor::constant(name, data);
}

std::vector<float> ramp(size_t n, float scale, int seed) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * std::sin(0.37f * float(i) + float(seed));
  return v;
}

void check_conv_case(const ConvCase& c) {
  const int64_t OH = (c.H + 2 * c.pad - c.k) / c.stride + 1, OW = (c.W + 2 * c.pad - c.k) / c.stride + 1;
  const int64_t Cg = c.C / c.group, Mg = c.M / c.group;
  const std::vector<float> xv = ramp(c.C * c.H * c.W, 1.0f, 1), wv = ramp(c.M * Cg * c.k * c.k, 0.5f, 2),
                           bv = ramp(c.M, 0.3f, 3), rv = ramp(c.M * OH * OW, 2.0f, 4);
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  Graph& g = *m.graph;
  auto x = Tensor::variable("x", DataType::kFloat, Shape({Dim::fixed(1), Dim::fixed(c.C), Dim::fixed(c.H), Dim::fixed(c.W)}));
  auto r = Tensor::variable("r", DataType::kFloat, Shape({Dim::fixed(1), Dim::fixed(c.M), Dim::fixed(OH), Dim::fixed(OW)}));
  TensorPtr w = c.const_weights ? float_const("w", {c.M, Cg, c.k, c.k}, wv)
                                : Tensor::variable("w", DataType::kFloat, Shape({Dim::fixed(c.M), Dim::fixed(Cg), Dim::fixed(c.k), Dim::fixed(c.k)}));
  auto b = float_const("b", {c.M}, bv);
  auto lo = float_const("lo", {}, {0.0f}), hi = float_const("hi", {}, {3.0f});
  auto t = std::make_shared<Tensor>("t"), s = std::make_shared<Tensor>("s");
  auto y = Tensor::variable("y", DataType::kFloat, Shape());
  g.inputs = c.const_weights ? std::vector<TensorPtr>{x, r} : std::vector<TensorPtr>{x, r, w};
  g.initializers = c.const_weights ? std::vector<TensorPtr>{w, b, lo, hi} : std::vector<TensorPtr>{b, lo, hi};
  g.outputs = {y};
  Node* conv = g.add_node("Conv", {x, w, b}, {t}, "conv");
  conv->set_attr(Attribute::of_ints("kernel_shape", {c.k, c.k}));
  conv->set_attr(Attribute::of_ints("strides", {c.stride, c.stride}));
  conv->set_attr(Attribute::of_ints("pads", {c.pad, c.pad, c.pad, c.pad}));
  conv->set_attr(Attribute::of_int("group", c.group));
  g.add_node("Add", {r, t}, {s}, "add");
  g.add_node("Clip", {s, lo, hi}, {y}, "clip");
  CpuExecutor exec(m);
  for (int run = 0; run < 2; ++run) {  // the second run uses the cached packed weights
    std::vector<NamedValue> in = {{"x", Value::of(floats({1, c.C, c.H, c.W}, xv))},
                                  {"r", Value::of(floats({1, c.M, OH, OW}, rv))}};
    if (!c.const_weights) in.push_back({"w", Value::of(floats({c.M, Cg, c.k, c.k}, wv))});
    const HostTensor out = exec.run(in)[0].value.tensor;
    ASSERT_EQ(out.dims(), (cpu::Dims{1, c.M, OH, OW}));
    for (int64_t mo = 0; mo < c.M; ++mo) {
      const int64_t grp = mo / Mg;
      for (int64_t oy = 0; oy < OH; ++oy) {
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = bv[mo];
          for (int64_t ci = 0; ci < Cg; ++ci) {
            for (int64_t ky = 0; ky < c.k; ++ky) {
              for (int64_t kx = 0; kx < c.k; ++kx) {
                const int64_t iy = oy * c.stride + ky - c.pad, ix = ox * c.stride + kx - c.pad;
                if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
                acc += double(xv[((grp * Cg + ci) * c.H + iy) * c.W + ix]) * wv[((mo * Cg + ci) * c.k + ky) * c.k + kx];
              }
            }
          }
          const int64_t i = (mo * OH + oy) * OW + ox;
          const double want = std::clamp(acc + rv[i], 0.0, 3.0);
          ASSERT_NEAR(out.data<float>()[i], want, 1e-4) << "channel " << mo << " at " << oy << "," << ox << " run " << run;
        }
      }
    }
  }
}

TEST(CpuExecutor, ConvFastPathsMatchDirectLoop) {
  for (const ConvCase& c : std::vector<ConvCase>{
           {5, 13, 1, 9, 37, 3, 1, 1, true},    // im2col GEMM, partial row and column tiles
           {5, 13, 1, 9, 37, 3, 2, 1, false},   // strided, weights as a graph input
           {17, 30, 1, 11, 29, 1, 1, 0, true},  // direct 1x1, column split
           {300, 7, 1, 3, 5, 1, 1, 0, true},    // K over one depth block
           {8, 12, 2, 6, 7, 3, 1, 1, true},     // grouped
           {7, 7, 7, 10, 35, 3, 2, 1, true},    // depthwise 3x3 stride 2, odd width
           {6, 6, 6, 5, 40, 3, 1, 1, true},     // depthwise 3x3 stride 1
           {4, 4, 4, 9, 21, 5, 2, 2, true},     // depthwise 5x5
           {40, 40, 40, 2, 19, 3, 1, 1, true},  // depthwise, too few rows to split by rows
       }) {
    SCOPED_TRACE("C " + std::to_string(c.C) + " M " + std::to_string(c.M) + " group " + std::to_string(c.group) +
                 " k " + std::to_string(c.k) + " stride " + std::to_string(c.stride));
    check_conv_case(c);
  }
}

}  // namespace
}  // namespace graft::engine
