// Tests of planned changes (change.h) beyond what the edits in edit_test exercise.
#include "surgeon/change.h"

#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

// x -> a: Relu -> a, x -> b: Neg -> b; outputs a, b.
struct Pair {
  Graph g{"g"};
  TensorPtr x, a, b;
  Node *na, *nb;
  Pair() {
    x = graph_input(g, "x");
    a = op(g, "a", {x}, "Relu");
    b = op(g, "b", {x}, "Neg");
    na = a->producer();
    nb = b->producer();
    g.outputs = {a, b};
  }
};

TEST(ChangeTest, OutputsMayMoveBetweenNodes) {
  Pair p;
  apply_change(p.g, {.node_outputs = {{p.na, 0, p.b}, {p.nb, 0, p.a}}});
  EXPECT_EQ(text(p.g), "in: x\na: Relu(x) -> b\nb: Neg(x) -> a\nout: a, b\n");
  EXPECT_TRUE(links_consistent(p.g));
}

TEST(ChangeTest, ATensorProducedTwiceIsRefused) {
  Pair p;
  EXPECT_REFUSED(p.g, apply_change(p.g, {.node_outputs = {{p.na, 0, p.b}}}),
                 "tensor 'b' would be produced by both node 'a' (Relu) and node 'b' (Neg)");
}

TEST(ChangeTest, RewiringARemovedNodeIsRefused) {
  Pair p;
  p.g.outputs = {p.a};
  EXPECT_REFUSED(p.g, apply_change(p.g, {.remove = {p.nb}, .node_inputs = {{p.nb, 0, p.a}}}),
                 "cannot rewire an input of node 'b' (Neg): it is removed");
}

TEST(ChangeTest, ATensorOfAnEnclosingGraphCannotBeProducedInASubgraph) {
  Pair p;
  Node* if1 = p.g.add_node("If", {p.x}, {tensor("y")}, "if1");
  Graph& branch = add_subgraph(if1, "then_branch");
  Change change;
  change.add.push_back({.op_type = "Abs", .name = "abs", .inputs = {p.x}, .outputs = {p.a}});
  EXPECT_REFUSED(branch, apply_change(branch, change),
                 "new node 'abs' (Abs) cannot produce tensor 'a': it belongs to an enclosing graph of subgraph "
                 "'then_branch' of node 'if1' (If)");
}

TEST(ChangeTest, NullGraphOutputIsRefused) {
  Pair p;
  EXPECT_REFUSED(p.g, apply_change(p.g, {.graph_outputs = std::vector<TensorPtr>{nullptr}}),
                 "a graph input or output of graph 'g' would be null");
}

TEST(ChangeTest, ProblemsElsewhereInTheGraphDoNotRefuseAnEdit) {
  Pair p;
  op(p.g, "broken", {tensor("ghost")}, "Exp");  // reads a tensor nothing defines
  apply_change(p.g, {.remove = {p.nb}, .graph_outputs = std::vector<TensorPtr>{p.a}});
  EXPECT_EQ(text(p.g), "in: x\na: Relu(x) -> a\nbroken: Exp(ghost) -> broken\nout: a\n");
}

TEST(ChangeTest, CheckAloneChangesNothing) {
  Pair p;
  const std::string before = text(p.g);
  check_change(p.g, {.remove = {p.na}, .graph_outputs = std::vector<TensorPtr>{p.b}});
  EXPECT_EQ(text(p.g), before);
}

}  // namespace
}  // namespace graft
