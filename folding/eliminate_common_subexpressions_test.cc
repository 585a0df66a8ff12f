#include <gtest/gtest.h>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;

TEST(EliminateCommonSubexpressions, EqualNodesMergeAndChainsFollow) {
  // Two Mul(x, k) (one with swapped inputs), then the Relus of each: both pairs merge in one run.
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {3});
  TensorPtr k = floats(g, "k", {2}, {});
  TensorPtr m1 = node(g, "Mul", "m1", {x, k});
  TensorPtr m2 = node(g, "Mul", "m2", {k, x});
  TensorPtr r1 = node(g, "Relu", "r1", {m1});
  TensorPtr r2 = node(g, "Relu", "r2", {m2});
  output(m, node(g, "Add", "y", {r1, r2}));
  PassResult r = run_checked(m, "eliminate-common-subexpressions");
  EXPECT_EQ(r.changes, 2u);
  EXPECT_EQ(nodes_text(g), "in: x\nm1: Mul(x, k) -> m1\nr1: Relu(m1) -> r1\ny: Add(r1, r1) -> y\nout: y\n");
  EXPECT_EQ(r.notes, (std::vector<std::string>{"merged 1 Mul, 1 Relu into equal earlier nodes"}));
}

TEST(EliminateCommonSubexpressions, AttributesAndInputOrderMatter) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr z = input(m, "z", F, {2, 3});
  output(m, node(g, "Softmax", "s0", {x}, {Attribute::of_int("axis", 0)}));
  output(m, node(g, "Softmax", "s1", {x}, {Attribute::of_int("axis", 1)}));
  output(m, node(g, "Softmax", "s_default", {x}));  // an omitted attribute is not its default
  output(m, node(g, "Sub", "d1", {x, z}));
  output(m, node(g, "Sub", "d2", {z, x}));  // not commutative
  output(m, node(g, "Max", "max1", {x, z}));
  output(m, node(g, "Max", "max2", {z, x}));  // NaN handling may depend on the order
  output(m, node(g, "Sum", "sum1", {x, z, x}));
  output(m, node(g, "Sum", "sum2", {x, x, z}));  // rounding depends on the order
  EXPECT_EQ(run_checked(m, "eliminate-common-subexpressions").changes, 0u);
  EXPECT_EQ(g.nodes().size(), 9u);
}

TEST(EliminateCommonSubexpressions, NeverRandomOps) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {4});
  output(m, node(g, "RandomNormalLike", "n1", {x}));
  output(m, node(g, "RandomNormalLike", "n2", {x}));
  output(m, node(g, "Bernoulli", "b1", {node(g, "Sigmoid", "p", {x})}));
  output(m, node(g, "Bernoulli", "b2", {g.nodes()[2]->output(0)}));
  infer_shapes(m);
  EXPECT_EQ(make_pass("eliminate-common-subexpressions")->run(m, {}).changes, 0u);
  EXPECT_EQ(g.nodes().size(), 5u);
}

TEST(EliminateCommonSubexpressions, GraphOutputsKeepTheirNames) {
  // The duplicate's output is a graph output: the first node writes it, its readers read it.
  // When both outputs are graph outputs, both nodes stay.
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {4});
  TensorPtr a = node(g, "Neg", "a", {x});
  output(m, node(g, "Relu", "ra", {a}));
  output(m, node(g, "Neg", "b", {x}));
  output(m, node(g, "Exp", "e1", {x}));
  output(m, node(g, "Exp", "e2", {x}));
  PassResult r = run_checked(m, "eliminate-common-subexpressions");
  EXPECT_EQ(r.changes, 1u);
  EXPECT_EQ(text(g), "in: x\na: Neg(x) -> b\nra: Relu(b) -> ra\ne1: Exp(x) -> e1\ne2: Exp(x) -> e2\nout: ra, b, e1, e2\n");
  ASSERT_EQ(r.notes.size(), 2u);
  EXPECT_EQ(r.notes[1], "kept node 'e2' (Exp): it equals node 'e1' (Exp) but both give graph outputs");
}

TEST(EliminateCommonSubexpressions, MultiOutputNodesAndSubgraphs) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {6});
  TensorPtr split = ints(g, "split", {2, 4});
  TensorPtr s1 = node(g, "Split", "s1", {x, split}, {}, 2);
  TensorPtr s2 = node(g, "Split", "s2", {x, split}, {}, 2);
  TensorPtr r1 = node(g, "Relu", "r1", {g.nodes()[0]->output(1)});
  TensorPtr r2 = node(g, "Relu", "r2", {g.nodes()[1]->output(1)});
  output(m, node(g, "Add", "sum", {r1, r2}));
  output(m, node(g, "Neg", "n", {s2}));
  // Equal Ifs stay (nodes with subgraphs are left alone); inside a branch CSE runs.
  TensorPtr c = input(m, "c", DataType::kBool, {});
  for (const char* name : {"if1", "if2"}) {
    TensorPtr y = node(g, "If", name, {c});
    Node* n = g.nodes().back().get();
    for (const char* branch : {"then_branch", "else_branch"}) {
      Graph& b = graft::testing::add_subgraph(n, branch);
      TensorPtr p = node(b, "Abs", std::string(name) + branch + "_p", {x});
      TensorPtr q = node(b, "Abs", std::string(name) + branch + "_q", {x});
      b.outputs.push_back(node(b, "Add", std::string(name) + branch + "_o", {p, q}));
    }
    output(m, y);
  }
  PassResult r = run_checked(m, "eliminate-common-subexpressions");
  EXPECT_EQ(r.changes, 2u + 4u);  // Split, Relu; one Abs in each of the four branches
  ASSERT_EQ(g.nodes().size(), 6u);  // s1, r1, sum, n, if1, if2
  EXPECT_EQ(text(*g.nodes()[4]->subgraphs()[0]),
            "in: \nif1then_branch_p: Abs(x) -> if1then_branch_p\n"
            "if1then_branch_o: Add(if1then_branch_p, if1then_branch_p) -> if1then_branch_o\nout: if1then_branch_o\n");
  EXPECT_EQ(g.nodes()[3]->input(0), g.nodes()[0]->output(0));  // Neg reads s1's first output
  EXPECT_EQ(g.nodes()[2]->input(1), g.nodes()[1]->output(0));  // sum reads r1 twice
}

}  // namespace
}  // namespace graft::folding
