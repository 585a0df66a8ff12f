#include <gtest/gtest.h>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;

Attribute perm(std::vector<int64_t> p) { return Attribute::of_ints("perm", std::move(p)); }

TEST(CollapseTranspose, ComposesPerms) {
  // [2,3,4] by [1,2,0] -> [3,4,2], then by [0,2,1] -> [3,2,4]: one Transpose by p[i] = p1[p2[i]] = [1,0,2].
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Transpose", "a", {x}, {perm({1, 2, 0})});
  TensorPtr b = node(g, "Transpose", "b", {a}, {perm({0, 2, 1})});
  output(m, node(g, "Relu", "y", {b}));
  PassResult r = run_checked(m, "collapse-transpose");
  EXPECT_EQ(r.changes, 1u);
  EXPECT_EQ(text(g), "in: x\nb: Transpose(x) -> b\ny: Relu(b) -> y\nout: y\n");
  EXPECT_EQ(g.nodes()[0]->attr("perm")->ints, (std::vector<int64_t>{1, 0, 2}));
  EXPECT_EQ(r.notes, (std::vector<std::string>{"merged node 'a' (Transpose) and node 'b' (Transpose) into one Transpose"}));
}

TEST(CollapseTranspose, InversePermsCancel) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Transpose", "a", {x}, {perm({2, 0, 1})});
  TensorPtr b = node(g, "Transpose", "b", {a}, {perm({1, 2, 0})});
  output(m, node(g, "Relu", "y", {b}));
  EXPECT_EQ(run_checked(m, "collapse-transpose").changes, 1u);
  EXPECT_EQ(text(g), "in: x\ny: Relu(x) -> y\nout: y\n");
}

TEST(CollapseTranspose, MissingPermsReverse) {
  // Two default Transposes (reversals) cancel; rank from x.
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Relu", "a", {x});
  TensorPtr b = node(g, "Transpose", "b", {a});
  output(m, node(g, "Transpose", "y", {b}));
  EXPECT_EQ(run_checked(m, "collapse-transpose").changes, 1u);
  EXPECT_EQ(text(g), "in: x\na: Relu(x) -> y\nout: y\n");  // Relu takes over the graph output's name
}

TEST(CollapseTranspose, ChainOfThree) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Transpose", "a", {x}, {perm({1, 0, 2})});
  TensorPtr b = node(g, "Transpose", "b", {a}, {perm({0, 2, 1})});
  TensorPtr c = node(g, "Transpose", "c", {b}, {perm({2, 1, 0})});
  output(m, node(g, "Relu", "y", {c}));
  EXPECT_EQ(run_checked(m, "collapse-transpose").changes, 2u);
  EXPECT_EQ(text(g), "in: x\nc: Transpose(x) -> c\ny: Relu(c) -> y\nout: y\n");
}

TEST(CollapseTranspose, SharedInnerTransposeStaysUnlessTheResultIsIdentity) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Transpose", "a", {x}, {perm({1, 0, 2})});
  output(m, node(g, "Neg", "neg", {a}));
  output(m, node(g, "Transpose", "merge_no", {a}, {perm({0, 2, 1})}));  // a is read by Neg too
  TensorPtr back = node(g, "Transpose", "back", {a}, {perm({1, 0, 2})});  // identity: goes
  output(m, node(g, "Relu", "y", {back}));
  EXPECT_EQ(run_checked(m, "collapse-transpose").changes, 1u);
  EXPECT_EQ(text(g),
            "in: x\na: Transpose(x) -> a\nneg: Neg(a) -> neg\nmerge_no: Transpose(a) -> merge_no\n"
            "y: Relu(x) -> y\nout: neg, merge_no, y\n");
}

TEST(CollapseTranspose, IdentityFromGraphInputToGraphOutputStays) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr a = node(g, "Transpose", "a", {x});
  output(m, node(g, "Transpose", "y", {a}));
  PassResult r = run_checked(m, "collapse-transpose");
  EXPECT_EQ(r.changes, 0u);
  EXPECT_EQ(g.nodes().size(), 2u);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_CONTAINS(r.notes[0], "(together the identity): its output 'y' is a graph output");
}

TEST(CollapseTranspose, UnknownRankWithoutPermsStays) {
  Model m = model(13);
  m.opset_imports.push_back({"custom", 1});
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  g.add_node("Mystery", {x}, {std::make_shared<Tensor>("u")}, "mystery", "custom");
  TensorPtr a = node(g, "Transpose", "a", {g.nodes().back()->output(0)});
  output(m, node(g, "Transpose", "b", {a}));
  infer_shapes(m);
  EXPECT_EQ(make_pass("collapse-transpose")->run(m, {}).changes, 0u);
  EXPECT_EQ(g.nodes().size(), 3u);
}

}  // namespace
}  // namespace graft::folding
