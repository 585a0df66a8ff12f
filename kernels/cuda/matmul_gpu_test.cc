// MatMul, Gemm and Einsum on cuBLASLt against the CPU engine: numpy broadcasting, 1-D
// operands, Gemm's transposes, alpha, beta and C, fused bias and activations, every tactic,
// precisions, empty and K=0 products, Einsum's two-operand contractions (in place and
// permuted), errors.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <set>

#include "engine/gpu_test_util.h"
#include "kernels/cuda/layer_test_util.h"
#include "kernels/cuda/op_test_util.h"
#include "surgeon/error.h"
#include "surgeon/run_test_util.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using graft::testing::empty_model;
using graft::testing::float_input;
using testing::built_layers;
using testing::random_constant;

TensorPtr var(const std::string& name) { return std::make_shared<Tensor>(name); }

const GpuCheck kFP32{Precision::kFP32, 1e-4, 1e-4};
const GpuCheck kTF32{Precision::kTF32, 1e-2, 1e-2};
const GpuCheck kFP16{Precision::kFP16, 1e-2, 1e-2};

// B as an input, or as a constant scaled by 1/sqrt(K).
TensorPtr operand(Graph& g, const std::string& name, const std::vector<int64_t>& dims, bool constant, int64_t k) {
  if (!constant) return float_input(g, name, dims);
  return random_constant(g, name, dims, 5, 1.0f / std::sqrt(static_cast<float>(std::max<int64_t>(k, 1))));
}

Model matmul_model(const std::vector<int64_t>& a, const std::vector<int64_t>& b, bool b_constant = false) {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr y = var("y");
  g.add_node("MatMul", {float_input(g, "a", a), operand(g, "b", b, b_constant, a.back())}, {y}, "matmul");
  g.outputs.push_back(y);
  return m;
}

void expect_all_precisions(const Model& m, uint64_t seed) {
  expect_gpu_matches_cpu(m, seed, kFP32);
  expect_gpu_matches_cpu(m, seed, kTF32);
  expect_gpu_matches_cpu(m, seed, kFP16);
}

TEST(MatMulGpu, NumpyBroadcasting) {
  GRAFT_REQUIRE_GPU();
  const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>> cases{
      {{5, 7}, {7, 3}},
      {{7}, {7, 3}},
      {{5, 7}, {7}},
      {{7}, {7}},
      {{7}, {2, 7, 3}},
      {{2, 5, 7}, {7}},
      {{2, 3, 5, 7}, {7, 4}},              // folded into one tall product
      {{2, 3, 5, 7}, {2, 3, 7, 4}},        // one strided batch
      {{2, 1, 5, 7}, {1, 3, 7, 4}},        // broadcast both ways: several calls
      {{3, 5, 7}, {2, 1, 7, 4}},
      {{5, 7}, {3, 7, 4}},                 // A broadcast (stride 0)
      {{1, 5, 7}, {1, 1, 7, 4}},
      {{2, 2, 3, 5, 8}, {2, 1, 1, 8, 6}},  // rank 5
  };
  for (const auto& [a, b] : cases) expect_all_precisions(matmul_model(a, b), 20);
  expect_all_precisions(matmul_model({2, 3, 5, 7}, {7, 4}, true), 21);
  expect_all_precisions(matmul_model({4, 64}, {64, 48}, true), 22);
}

struct GemmCase {
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 1.0f;
  std::vector<int64_t> c;  // empty: no C
  bool c_constant = true;
};

// A [M, K] (or [K, M]), B constant [K, N] (or [N, K]); M=6, K=9, N=5.
Model gemm_model(const GemmCase& c) {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  const int64_t M = 6, K = 9, N = 5;
  std::vector<TensorPtr> ins{float_input(g, "a", c.trans_a ? std::vector<int64_t>{K, M} : std::vector<int64_t>{M, K}),
                             operand(g, "b", c.trans_b ? std::vector<int64_t>{N, K} : std::vector<int64_t>{K, N}, true, K)};
  if (!c.c.empty() || !c.c_constant) {
    ins.push_back(c.c_constant ? random_constant(g, "c", c.c, 6) : float_input(g, "c", c.c));
  }
  TensorPtr y = var("y");
  Node* n = g.add_node("Gemm", ins, {y}, "gemm");
  n->set_attr(Attribute::of_int("transA", c.trans_a));
  n->set_attr(Attribute::of_int("transB", c.trans_b));
  n->set_attr(Attribute::of_float("alpha", c.alpha));
  n->set_attr(Attribute::of_float("beta", c.beta));
  g.outputs.push_back(y);
  return m;
}

TEST(MatMulGpu, GemmTransposesAlphaBetaC) {
  GRAFT_REQUIRE_GPU();
  const std::vector<GemmCase> cases{
      {false, false, 1.0f, 1.0f, {}},
      {true, false, 0.5f, 1.0f, {5}},            // C as the bias
      {false, true, 1.0f, 2.0f, {1, 5}},
      {true, true, -1.5f, 0.25f, {6, 5}, false},  // C as cuBLASLt's C
      {false, false, 1.0f, 0.5f, {6, 1}},         // C broadcast into Y first
      {false, true, 2.0f, 3.0f, {}, false},       // a scalar C input
      {false, false, 1.0f, 1.0f, {5}, false},
      {false, false, 1.0f, 0.0f, {6, 5}, false},  // beta 0: C ignored
  };
  for (const GemmCase& c : cases) expect_all_precisions(gemm_model(c), 30);
}

// A [4, 6, 32] x B [32, 24] constant -> Add [24] -> activation.
Model fused_model(const std::string& act, const std::vector<Attribute>& attrs, bool bias, int64_t opset = 20) {
  Model m = empty_model(opset);
  Graph& g = *m.graph;
  TensorPtr cur = var("mm");
  g.add_node("MatMul", {float_input(g, "a", {4, 6, 32}), operand(g, "b", {32, 24}, true, 32)}, {cur}, "matmul");
  if (bias) {
    TensorPtr out = var("biased");
    g.add_node("Add", {cur, random_constant(g, "bias", {24}, 8)}, {out}, "add_bias");
    cur = out;
  }
  if (!act.empty()) {
    TensorPtr out = var("act");
    Node* n = g.add_node(act, {cur}, {out}, "act");
    for (const Attribute& a : attrs) n->set_attr(a);
    cur = out;
  }
  g.outputs.push_back(cur);
  return m;
}

TEST(MatMulGpu, FusedBiasAndActivation) {
  GRAFT_REQUIRE_GPU();
  const std::vector<std::pair<std::string, std::vector<Attribute>>> acts{
      {"", {}}, {"Relu", {}}, {"Gelu", {}}, {"Gelu", {Attribute::of_string("approximate", "tanh")}}, {"Sigmoid", {}}};
  for (const auto& [act, attrs] : acts) {
    for (bool bias : {true, false}) {
      if (act.empty() && !bias) continue;
      const Model m = fused_model(act, attrs, bias);
      EXPECT_EQ(built_layers(m).size(), 1u) << act << (bias ? " with bias" : "");
      expect_all_precisions(m, 40);
    }
  }
}

TEST(MatMulGpu, GemmWithRelu) {
  GRAFT_REQUIRE_GPU();
  Model m = gemm_model({false, true, 1.0f, 1.0f, {5}});
  Graph& g = *m.graph;
  TensorPtr y = g.outputs[0], r = var("r");
  g.outputs.clear();
  g.add_node("Relu", {y}, {r}, "relu");
  g.outputs.push_back(r);
  EXPECT_EQ(built_layers(m).size(), 1u);
  expect_all_precisions(m, 41);
}

TEST(MatMulGpu, EveryTacticAgrees) {
  GRAFT_REQUIRE_GPU();
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) names.push_back("lt_h" + std::to_string(i));
  names.push_back("no_such_tactic");
  const Model m = fused_model("Relu", {}, true);
  for (Precision p : {Precision::kFP32, Precision::kFP16}) {
    const double tol = p == Precision::kFP16 ? 1e-2 : 1e-4;
    const std::set<std::string> seen = testing::expect_each_tactic_matches_cpu(m, names, p, tol, tol);
    for (const std::string& s : seen) std::cout << "  " << s << "\n";
  }
  testing::expect_each_tactic_matches_cpu(matmul_model({2, 1, 5, 7}, {1, 3, 7, 4}), names, Precision::kFP32, 1e-4, 1e-4);
}

TEST(MatMulGpu, EmptyAndZeroInner) {
  GRAFT_REQUIRE_GPU();
  expect_gpu_matches_cpu(matmul_model({0, 7}, {7, 3}), 50, kFP32);
  expect_gpu_matches_cpu(matmul_model({2, 0, 7}, {2, 7, 3}), 50, kFP16);
  expect_gpu_matches_cpu(matmul_model({4, 0}, {0, 3}), 50, kFP32);
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr y = var("y");
  g.add_node("Gemm", {float_input(g, "a", {3, 0}), float_input(g, "b", {0, 4}), float_input(g, "c", {3, 1})}, {y}, "gemm")
      ->set_attr(Attribute::of_float("beta", 2.0f));
  g.outputs.push_back(y);
  expect_gpu_matches_cpu(m, 51, kFP32);
}

TEST(MatMulGpu, Errors) {
  GRAFT_REQUIRE_GPU();
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr a = Tensor::variable("a", DataType::kInt32, Shape::of({2, 3}));
  TensorPtr b = Tensor::variable("b", DataType::kInt32, Shape::of({3, 2}));
  g.inputs = {a, b};
  TensorPtr y = var("y");
  g.add_node("MatMul", {a, b}, {y}, "int_matmul");
  g.outputs.push_back(y);
  std::string error;
  try {
    built_layers(m);
  } catch (const Error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("'int_matmul'"), std::string::npos) << error;
}

// 4096^3 products, timed after autotuning.
TEST(MatMulGpu, LargeGemmThroughput) {
  GRAFT_REQUIRE_GPU();
  const int64_t n = 4096;
  const Model m = matmul_model({n, n}, {n, n}, true);
  for (Precision p : {Precision::kFP16, Precision::kTF32, Precision::kFP32}) {
    engine::BuildOptions options;
    options.precision = p;
    const engine::BuildResult built = engine::gpu_backend()->build(m, options);
    engine::BenchOptions bench;
    bench.iterations = 20;
    bench.warmup = 3;
    bench.profile = true;
    const engine::BenchResult r = engine::gpu_backend()->open(built.network)->benchmark(testing::random_inputs_of(m, 1), bench);
    std::cout << testing::throughput_line("matmul 4096^3", p, 2.0 * n * n * n, r) << "\n";
    for (const auto& layer : r.layer_ms) std::cout << "  " << layer.first << "\n";
  }
}

// ---- Einsum ----

Model einsum_model(const std::string& equation, const std::vector<std::vector<int64_t>>& operands,
                   DataType dtype = DataType::kFloat) {
  testing::OpModel m(17);
  std::vector<TensorPtr> inputs;
  for (size_t i = 0; i < operands.size(); ++i) inputs.push_back(m.input("x" + std::to_string(i), operands[i], dtype));
  m.node("Einsum", inputs, {Attribute::of_string("equation", equation)});
  return m.model;
}

struct EinsumCase {
  std::string equation;
  std::vector<int64_t> a, b;
};

// Operands and outputs in place (plain, transposed, swapped so that the output's columns
// are contiguous) and permuted through workspace; groups of several labels; no batch, no
// rows or columns, nothing summed.
const std::vector<EinsumCase> kEinsumCases = {
    {"bij,bjk->bik", {3, 4, 5}, {3, 5, 6}},
    {"bhqd,bhkd->bhqk", {2, 3, 7, 8}, {2, 3, 9, 8}},
    {"bhqk,bhkd->bhqd", {2, 3, 7, 9}, {2, 3, 9, 8}},
    {"bqhd,bkhd->bhqk", {2, 7, 3, 8}, {2, 9, 3, 8}},
    {"bhqk,bkhd->bqhd", {2, 3, 7, 9}, {2, 9, 3, 8}},
    {"ij,jk->ik", {5, 6}, {6, 7}},
    {"ij,kj->ik", {5, 6}, {7, 6}},
    {"ji,jk->ik", {6, 5}, {6, 7}},
    {"ij,jk->ki", {5, 6}, {6, 7}},
    {"bij,bjk->bki", {3, 4, 5}, {3, 5, 6}},
    {"bij,bjk->ikb", {3, 4, 5}, {3, 5, 6}},
    {"ij,jk", {4, 5}, {5, 6}},
    {"...ij,...jk->...ik", {2, 3, 4, 5}, {2, 3, 5, 6}},
    {"abcd,cdef->abef", {2, 3, 4, 5}, {4, 5, 6, 7}},
    {"abcd,cdef->faeb", {2, 3, 4, 5}, {4, 5, 6, 7}},
    {"i,j->ij", {5}, {7}},
    {"i,i->", {7}, {7}},
    {"bi,bi->b", {4, 6}, {4, 6}},
    {"bij,jk->bik", {3, 4, 5}, {5, 6}},
    {"ij,jk->ik", {3, 0}, {0, 4}},
    {"ij,jk->ik", {0, 5}, {5, 3}},
};

TEST(EinsumGpu, TwoOperandContractions) {
  GRAFT_REQUIRE_GPU();
  for (const EinsumCase& c : kEinsumCases) {
    SCOPED_TRACE(c.equation + " " + cpu::dims_str(c.a) + " " + cpu::dims_str(c.b));
    const Model m = einsum_model(c.equation, {c.a, c.b});
    testing::expect_layer(m, "Einsum");
    expect_all_precisions(m, 61);
    expect_gpu_matches_cpu(einsum_model(c.equation, {c.a, c.b}, DataType::kFloat16), 62,
                           {Precision::kFP32, 1e-2, 1e-2});
  }
}

TEST(EinsumGpu, OtherEquationsNameTheNodeAndTheEquation) {
  GRAFT_REQUIRE_GPU();
  const std::vector<std::pair<std::string, std::vector<std::vector<int64_t>>>> refused = {
      {"ii,ij->ij", {{3, 3}, {3, 4}}},            // a diagonal
      {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 5}}},  // three operands
      {"ij,jk->i", {{2, 3}, {3, 4}}},             // k summed in one operand
      {"ij->ji", {{2, 3}}},                       // one operand
  };
  for (const auto& [equation, operands] : refused) {
    SCOPED_TRACE(equation);
    const std::string error = testing::build_error(einsum_model(equation, operands));
    EXPECT_NE(error.find("'n' (Einsum)"), std::string::npos) << error;
    EXPECT_NE(error.find(equation), std::string::npos) << error;
  }
  // Label sizes that broadcast are seen once the dims are known.
  const std::string error = testing::run_error(einsum_model("bij,bjk->bik", {{1, 4, 5}, {3, 5, 6}}));
  EXPECT_NE(error.find("'n' (Einsum)"), std::string::npos) << error;
  EXPECT_NE(error.find("bij,bjk->bik"), std::string::npos) << error;
  const std::string double_error = testing::build_error(einsum_model("ij,jk->ik", {{2, 3}, {3, 4}}, DataType::kDouble));
  EXPECT_NE(double_error.find("'n' (Einsum)"), std::string::npos) << double_error;
}

}  // namespace
}  // namespace graft::cuda
