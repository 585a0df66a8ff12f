#include <gtest/gtest.h>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;

TensorPtr constant_node(Graph& g, const std::string& name, std::vector<float> values) {
  return node(g, "Constant", name, {}, {Attribute::of_tensor("value", graft::testing::float_data(std::move(values)))});
}

TEST(MergeConstants, EqualInitializersAndConstantNodesBecomeOne) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  TensorPtr a = floats(g, "a", {1, 2}, {2});
  TensorPtr b = floats(g, "b", {1, 2}, {2});
  TensorPtr c = constant_node(g, "c", {1, 2});
  TensorPtr other_dims = floats(g, "d", {1, 2}, {1, 2});  // same bytes, other dims: stays
  TensorPtr other_values = floats(g, "e", {1, 3}, {2});
  output(m, node(g, "Add", "add_a", {x, a}));
  output(m, node(g, "Sub", "sub_b", {x, b}));
  output(m, node(g, "Mul", "mul_c", {x, c}));
  output(m, node(g, "Div", "div_d", {x, other_dims}));
  output(m, node(g, "Add", "add_e", {x, other_values}));
  PassResult r = run_checked(m, "merge-constants");
  EXPECT_EQ(r.changes, 2u);
  EXPECT_EQ(text(g),
            "in: x\ninit: a, d, e\nadd_a: Add(x, a) -> add_a\nsub_b: Sub(x, a) -> sub_b\nmul_c: Mul(x, a) -> mul_c\n"
            "div_d: Div(x, d) -> div_d\nadd_e: Add(x, e) -> add_e\nout: add_a, sub_b, mul_c, div_d, add_e\n");
  EXPECT_EQ(r.notes, (std::vector<std::string>{"merged 2 duplicate constants"}));
}

TEST(MergeConstants, LeavesGraphInputsAndGraphOutputsAlone) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  TensorPtr a = floats(g, "a", {1, 2}, {2});
  TensorPtr b = floats(g, "b", {1, 2}, {2});
  g.inputs.push_back(b);  // an overridable initializer
  TensorPtr c = constant_node(g, "c", {1, 2});
  output(m, c);  // a graph output: its name stays
  output(m, node(g, "Add", "add_a", {x, a}));
  output(m, node(g, "Add", "add_b", {x, b}));
  output(m, node(g, "Add", "add_c", {x, c}));
  EXPECT_EQ(run_checked(m, "merge-constants").changes, 0u);
  EXPECT_EQ(g.nodes().size(), 4u);
}

TEST(MergeConstants, ReadersInSubgraphsFollow) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  TensorPtr cond = input(m, "cond", DataType::kBool, {});
  TensorPtr a = floats(g, "a", {3, 4}, {2});
  TensorPtr b = floats(g, "b", {3, 4}, {2});
  output(m, node(g, "Add", "add_a", {x, a}));
  TensorPtr y = node(g, "If", "if", {cond});
  Node* if_node = g.nodes().back().get();
  Graph& then_g = graft::testing::add_subgraph(if_node, "then_branch");
  then_g.outputs.push_back(node(then_g, "Mul", "t", {x, b}));
  Graph& else_g = graft::testing::add_subgraph(if_node, "else_branch");
  // Equal constants inside one subgraph merge there.
  TensorPtr e1 = floats(else_g, "e1", {7}, {});
  TensorPtr e2 = floats(else_g, "e2", {7}, {});
  else_g.outputs.push_back(node(else_g, "Add", "e", {node(else_g, "Mul", "em", {x, e1}), e2}));
  output(m, y);
  EXPECT_EQ(run_checked(m, "merge-constants").changes, 2u);
  EXPECT_EQ(text(g),
            "in: x, cond\ninit: a\nadd_a: Add(x, a) -> add_a\nif: If(cond) -> if\n"
            "  in: \n  t: Mul(x, a) -> t\n  out: t\n"
            "  in: \n  init: e1\n  em: Mul(x, e1) -> em\n  e: Add(em, e1) -> e\n  out: e\n"
            "out: add_a, if\n");
}

}  // namespace
}  // namespace graft::folding
