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

namespace graft::engine {
namespace {

// Planned Conv chains (kernels/cpu/conv_chain.h) against direct loops: an expansion (1x1
// or a 3x3 stride-2 stem, or none), a depthwise 3x3 and a 1x1 projection with folded
// Clip / Relu / residual Add / LeakyRelu, over images large enough to take the chain,
// with odd sizes so tiles, thread bands and vectors end unevenly.
struct ChainCase {
  int64_t N, C, H, W;
  bool stem;       // the expansion is a 3x3 stride-2 Conv, else a 1x1 (when hidden > 0)
  int64_t hidden;  // 0: no expansion, the depthwise Conv reads x
  int64_t dw_stride, out;
  bool residual;
};

struct Image {
  int64_t N, C, H, W;
  std::vector<float> v;
};

// conv(x) + b with a square kernel, in double; then act.
Image ref_conv(const Image& x, const std::vector<float>& w, const std::vector<float>& b, int64_t M, int64_t group,
               int64_t k, int64_t stride, const std::function<double(double)>& act) {
  const int64_t pad = k / 2, OH = (x.H + 2 * pad - k) / stride + 1, OW = (x.W + 2 * pad - k) / stride + 1;
  const int64_t Cg = x.C / group, Mg = M / group;
  Image y{x.N, M, OH, OW, std::vector<float>(x.N * M * OH * OW)};
  for (int64_t n = 0; n < x.N; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t oy = 0; oy < OH; ++oy) {
        for (int64_t ox = 0; ox < OW; ++ox) {
          double acc = b[m];
          for (int64_t ci = 0; ci < Cg; ++ci) {
            const int64_t c = m / Mg * Cg + ci;
            for (int64_t ky = 0; ky < k; ++ky) {
              for (int64_t kx = 0; kx < k; ++kx) {
                const int64_t iy = oy * stride + ky - pad, ix = ox * stride + kx - pad;
                if (iy < 0 || iy >= x.H || ix < 0 || ix >= x.W) continue;
                acc += double(x.v[((n * x.C + c) * x.H + iy) * x.W + ix]) * w[((m * Cg + ci) * k + ky) * k + kx];
              }
            }
          }
          y.v[((n * M + m) * OH + oy) * OW + ox] = float(act(acc));
        }
      }
    }
  }
  return y;
}

void check_chain_case(const ChainCase& c) {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  Graph& g = *m.graph;
  auto x = Tensor::variable("x", DataType::kFloat, Shape({Dim::fixed(c.N), Dim::fixed(c.C), Dim::fixed(c.H), Dim::fixed(c.W)}));
  auto y = Tensor::variable("y", DataType::kFloat, Shape());
  g.inputs = {x};
  g.outputs = {y};
  auto lo = float_const("lo", {}, {0.0f}), hi = float_const("hi", {}, {6.0f});
  g.initializers = {lo, hi};
  auto conv = [&](const std::string& name, TensorPtr in, int64_t C, int64_t M, int64_t group, int64_t k, int64_t stride,
                  std::vector<float>& wv, std::vector<float>& bv) {
    wv = ramp(M * C / group * k * k, 1.0f / std::sqrt(float(C / group * k * k)), int(M + k));
    bv = ramp(M, 0.2f, int(C));
    auto w = float_const(name + "_w", {M, C / group, k, k}, wv), b = float_const(name + "_b", {M}, bv);
    g.initializers.push_back(w);
    g.initializers.push_back(b);
    auto out = std::make_shared<Tensor>(name);
    Node* n = g.add_node("Conv", {in, w, b}, {out}, name);
    n->set_attr(Attribute::of_ints("kernel_shape", {k, k}));
    n->set_attr(Attribute::of_ints("strides", {stride, stride}));
    n->set_attr(Attribute::of_ints("pads", {k / 2, k / 2, k / 2, k / 2}));
    n->set_attr(Attribute::of_int("group", group));
    return out;
  };
  auto unary = [&](const std::string& op, std::vector<TensorPtr> in, TensorPtr out = nullptr) {
    if (!out) out = std::make_shared<Tensor>(op + "_out_" + std::to_string(g.nodes().size()));
    Node* n = g.add_node(op, std::move(in), {out}, op + std::to_string(g.nodes().size()));
    if (op == "LeakyRelu") n->set_attr(Attribute::of_float("alpha", 0.1f));
    return out;
  };
  std::vector<float> we, be, wd, bd, wp, bp;
  const int64_t hidden = c.hidden ? c.hidden : c.C;
  TensorPtr t = x;
  if (c.hidden) t = unary("Clip", {conv("expand", x, c.C, hidden, 1, c.stem ? 3 : 1, c.stem ? 2 : 1, we, be), lo, hi});
  t = unary("Relu", {conv("dw", t, hidden, hidden, hidden, 3, c.dw_stride, wd, bd)});
  t = conv("project", t, hidden, c.out, 1, 1, 1, wp, bp);
  if (c.residual) t = unary("Add", {t, x});
  unary("LeakyRelu", {t}, y);

  const Image xi{c.N, c.C, c.H, c.W, ramp(c.N * c.C * c.H * c.W, 1.0f, 5)};
  auto none = [](double v) { return v; };
  Image e = xi;
  if (c.hidden) e = ref_conv(xi, we, be, hidden, 1, c.stem ? 3 : 1, c.stem ? 2 : 1, [](double v) { return std::clamp(v, 0.0, 6.0); });
  const Image d = ref_conv(e, wd, bd, hidden, hidden, 3, c.dw_stride, [](double v) { return std::max(v, 0.0); });
  Image want = ref_conv(d, wp, bp, c.out, 1, 1, 1, none);
  for (size_t i = 0; i < want.v.size(); ++i) {
    const double r = want.v[i] + (c.residual ? xi.v[i] : 0.0);
    want.v[i] = float(r < 0 ? 0.1 * r : r);
  }

  CpuExecutor exec(m);
  for (int run = 0; run < 2; ++run) {
    NodeProfile profile;
    const HostTensor out = exec.run({{"x", Value::of(floats({c.N, c.C, c.H, c.W}, xi.v))}}, &profile)[0].value.tensor;
    EXPECT_FALSE(profile.ms.count(g.find_node("project"))) << "the chain did not run";
    ASSERT_EQ(out.dims(), (cpu::Dims{want.N, want.C, want.H, want.W}));
    for (size_t i = 0; i < want.v.size(); ++i) {
      ASSERT_NEAR(out.data<float>()[i], want.v[i], 2e-4 * (1 + std::abs(want.v[i]))) << "at " << i << " run " << run;
    }
  }
}

TEST(CpuExecutor, ConvChainsMatchDirectLoops) {
  for (const ChainCase& c : std::vector<ChainCase>{
           {1, 5, 57, 61, false, 48, 1, 5, true},    // expand, depthwise, project + residual
           {1, 6, 60, 45, false, 80, 2, 7, false},   // depthwise stride 2
           {1, 3, 230, 201, true, 24, 1, 8, false},  // 3x3 stride-2 stem as the expansion
           {1, 32, 110, 93, false, 0, 1, 11, false}, // depthwise and project only
           {2, 4, 52, 50, false, 56, 1, 4, true},    // two images
       }) {
    SCOPED_TRACE("N " + std::to_string(c.N) + " C " + std::to_string(c.C) + " " + std::to_string(c.H) + "x" +
                 std::to_string(c.W) + " hidden " + std::to_string(c.hidden) + (c.stem ? " stem" : "") +
                 " stride " + std::to_string(c.dw_stride));
    check_chain_case(c);
  }
}

}  // namespace
}  // namespace graft::engine
