#include <gtest/gtest.h>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;

TensorPtr bool_const(Graph& g, const std::string& name, bool v) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kBool;
  uint8_t b = v;
  data->bytes = Bytes::copy_of(&b, 1);
  data->name = name;
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

TEST(RemoveIdentity, RemovesIdentityAndInferenceDropout) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr r1 = node(g, "Relu", "r1", {x});
  TensorPtr id = node(g, "Identity", "id", {r1});
  TensorPtr d = node(g, "Dropout", "drop", {id}, {Attribute::of_float("ratio", 0.3f)}, 2);  // mask unread
  output(m, node(g, "Relu", "r2", {d}));
  PassResult r = run_checked(m, "remove-identity");
  EXPECT_EQ(text(g), "in: x\nr1: Relu(x) -> r1\nr2: Relu(r1) -> r2\nout: r2\n");
  EXPECT_EQ(r.changes, 2u);
  ASSERT_FALSE(r.notes.empty());
  EXPECT_EQ(r.notes[0], "removed 1 Dropout, 1 Identity");
}

TEST(RemoveIdentity, DropoutWithConstantFalseTrainingModeGoes) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {4});
  TensorPtr r = node(g, "Relu", "r", {x});
  TensorPtr d = node(g, "Dropout", "drop", {r, nullptr, bool_const(g, "train", false)});
  output(m, node(g, "Neg", "n", {d}));
  EXPECT_EQ(run_checked(m, "remove-identity").changes, 1u);
  EXPECT_EQ(text(g), "in: x\ninit: train\nr: Relu(x) -> r\nn: Neg(r) -> n\nout: n\n");
}

TEST(RemoveIdentity, GraphOutputKeepsItsName) {
  // x -> Relu r -> Identity "y" (graph output); Neg also reads r: Relu now writes y, Neg reads y.
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  TensorPtr r = node(g, "Relu", "r", {x});
  TensorPtr y = node(g, "Identity", "y", {r});
  output(m, y);
  output(m, node(g, "Neg", "n", {r}));
  EXPECT_EQ(run_checked(m, "remove-identity").changes, 1u);
  EXPECT_EQ(text(g), "in: x\nr: Relu(x) -> y\nn: Neg(y) -> n\nout: y, n\n");
}

TEST(RemoveIdentity, KeepsIdentityFromGraphInputToGraphOutput) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  output(m, node(g, "Identity", "y", {x}));
  PassResult r = run_checked(m, "remove-identity");
  EXPECT_EQ(r.changes, 0u);
  EXPECT_EQ(text(g), "in: x\ny: Identity(x) -> y\nout: y\n");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_CONTAINS(r.notes[0], "kept node 'y' (Identity): its output 'y' is a graph output and its value 'x'");
}

TEST(RemoveIdentity, KeepsIdentityOfAnOutputThatIsAlsoAGraphOutput) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  TensorPtr r = node(g, "Relu", "r", {x});
  output(m, r);
  output(m, node(g, "Identity", "y", {r}));
  EXPECT_EQ(run_checked(m, "remove-identity").changes, 0u);
  EXPECT_EQ(text(g), "in: x\nr: Relu(x) -> r\ny: Identity(r) -> y\nout: r, y\n");
}

TEST(RemoveIdentity, KeepsTrainingModeDropout) {
  for (bool constant_true : {true, false}) {
    Model m = model(13);
    Graph& g = *m.graph;
    TensorPtr x = input(m, "x", F, {4});
    TensorPtr train = constant_true ? bool_const(g, "train", true) : input(m, "train", DataType::kBool, {});
    TensorPtr d = node(g, "Dropout", "drop", {x, nullptr, train}, {Attribute::of_int("seed", 3)});
    output(m, node(g, "Neg", "n", {d}));
    infer_shapes(m);
    EXPECT_EQ(make_pass("remove-identity")->run(m, {}).changes, 0u);
    EXPECT_EQ(g.nodes().size(), 2u);
  }
}

TEST(RemoveIdentity, KeepsDropoutWhoseMaskIsRead) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {4});
  TensorPtr d = node(g, "Dropout", "drop", {x}, {}, 2);
  output(m, node(g, "Neg", "n", {d}));
  output(m, node(g, "Not", "not", {g.nodes()[0]->output(1)}));
  EXPECT_EQ(run_checked(m, "remove-identity").changes, 0u);
  EXPECT_EQ(g.nodes().size(), 3u);
}

TEST(RemoveIdentity, OldDropoutNeedsIsTest) {
  for (int64_t is_test : {0, 1}) {
    Model m = model(6);
    Graph& g = *m.graph;
    TensorPtr x = input(m, "x", F, {4});
    TensorPtr d = node(g, "Dropout", "drop", {x}, {Attribute::of_int("is_test", is_test)});
    output(m, node(g, "Neg", "n", {d}));
    EXPECT_EQ(run_checked(m, "remove-identity").changes, size_t(is_test)) << "is_test " << is_test;
  }
}

TEST(RemoveIdentity, WorksInsideSubgraphsButKeepsPassThroughOfOuterValues) {
  // then: Identity(x) -> t, Relu(t) -> tt: the Identity goes. else: Identity(x) -> e, the
  // branch output: it stays (x is an outer value; the branch must produce its output).
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {3});
  TensorPtr c = input(m, "c", DataType::kBool, {});
  TensorPtr y = node(g, "If", "if", {c});
  Node* if_node = g.nodes().back().get();
  Graph& then_g = graft::testing::add_subgraph(if_node, "then_branch");
  then_g.outputs.push_back(node(then_g, "Relu", "tt", {node(then_g, "Identity", "t", {x})}));
  Graph& else_g = graft::testing::add_subgraph(if_node, "else_branch");
  else_g.outputs.push_back(node(else_g, "Identity", "e", {x}));
  output(m, node(g, "Neg", "n", {y}));
  EXPECT_EQ(run_checked(m, "remove-identity").changes, 1u);
  EXPECT_EQ(text(then_g), "in: \ntt: Relu(x) -> tt\nout: tt\n");
  EXPECT_EQ(text(else_g), "in: \ne: Identity(x) -> e\nout: e\n");
}

}  // namespace
}  // namespace graft::folding
