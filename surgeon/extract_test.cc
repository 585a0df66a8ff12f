// Tests of cutting and extracting subgraphs between tensors (extract.h).
#include "surgeon/extract.h"

#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

// x -> a: Relu -> b: Add(a, w) -> c: Exp; unused initializer u; output c.
struct Chain {
  Graph g{"g"};
  TensorPtr x, w, u, a, b, c;
  Chain() {
    x = graph_input(g, "x");
    w = initializer(g, "w");
    u = initializer(g, "u");
    a = op(g, "a", {x}, "Relu");
    b = op(g, "b", {a, w}, "Add");
    c = op(g, "c", {b}, "Exp");
    g.outputs = {c};
  }
};

TEST(ExtractTest, TheMiddleWithTheInitializersItReads) {
  Chain ch;
  const std::string before = text(ch.g);
  std::shared_ptr<Graph> part = extract(ch.g, {"a"}, {"b"});
  EXPECT_EQ(text(*part),
            "in: a\n"
            "init: w\n"
            "b: Add(a, w) -> b\n"
            "out: b\n");
  EXPECT_TRUE(links_consistent(*part));
  part->check();
  EXPECT_EQ(text(ch.g), before);
  EXPECT_TRUE(links_consistent(ch.g));
}

TEST(ExtractTest, NewInputsAndOutputsKeepTheirDeclaredTypes) {
  Chain ch;
  ch.a->type = ValueType::tensor(DataType::kFloat, Shape({Dim::symbolic("n")}));
  ch.b->type = ValueType::tensor(DataType::kFloat, Shape::of({4}));
  ch.g.value_info = {ch.a, ch.b};
  std::shared_ptr<Graph> part = extract(ch.g, {"a"}, {"b"});
  EXPECT_EQ(part->inputs[0]->type.str(), "float32[n]");
  EXPECT_EQ(part->outputs[0]->type.str(), "float32[4]");
  EXPECT_TRUE(part->value_info.empty());
  EXPECT_EQ(ch.g.value_info.size(), 2u);
}

TEST(ExtractTest, AKeptProducerOfANewInputLosesThatOutput) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), a0 = tensor("a0"), a1 = tensor("a1");
  g.add_node("Split", {x}, {a0, a1}, "split");
  TensorPtr b = op(g, "b", {a0}, "Neg");
  TensorPtr c = op(g, "c", {a1, b}, "Add");
  g.outputs = {c};
  cut(g, {x, a1}, {c});
  EXPECT_EQ(text(g),
            "in: x, a1\n"
            "split: Split(x) -> a0, a1_cut\n"
            "b: Neg(a0) -> b\n"
            "c: Add(a1, b) -> c\n"
            "out: c\n");
  EXPECT_TRUE(links_consistent(g));
  g.check();
}

TEST(ExtractTest, AnInitializerMayBecomeAnInput) {
  Chain ch;
  cut(ch.g, {ch.a, ch.w}, {ch.c});
  EXPECT_EQ(text(ch.g),
            "in: a, w\n"
            "init: w\n"
            "b: Add(a, w) -> b\n"
            "c: Exp(b) -> c\n"
            "out: c\n");
}

TEST(ExtractTest, ANeededGraphInputMustBeAmongTheInputs) {
  Chain ch;
  EXPECT_REFUSED(ch.g, cut(ch.g, {ch.b}, {ch.c, ch.a}),
                 "cannot cut graph 'g': node 'a' (Relu) needs graph input 'x', which is not among the new inputs");
}

TEST(ExtractTest, UnknownNamesNameTheClosestOnes) {
  Chain ch;
  EXPECT_EQ(error_of([&] { extract(ch.g, {"A"}, {"c"}); }), "graph 'g' has no tensor named 'A'; closest: 'a'");
}

TEST(ExtractTest, SubgraphsKeepTheOuterValuesTheyRead) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), y = tensor("y");
  TensorPtr p = op(g, "p", {x}, "Relu");
  Node* if1 = g.add_node("If", {x}, {y}, "if1");
  Graph& branch = add_subgraph(if1, "then_branch");
  branch.outputs.push_back(op(branch, "inner", {p}));
  TensorPtr q = op(g, "q", {x}, "Neg");
  g.outputs = {y, q};
  std::shared_ptr<Graph> part = extract(g, {"x"}, {"y"});
  EXPECT_EQ(text(*part),
            "in: x\n"
            "p: Relu(x) -> p\n"
            "if1: If(x) -> y\n"
            "  in: \n"
            "  inner: Op(p) -> inner\n"
            "  out: inner\n"
            "out: y\n");
  EXPECT_EQ(part->nodes()[1]->subgraphs()[0]->nodes()[0]->input(0), part->find_tensor("p"));
  part->check();
}

TEST(ExtractTest, ModelKeepsOpsetsAndFunctions) {
  Model m;
  m.opset_imports = {{"", 17}};
  m.functions.push_back(Function{.name = "F"});
  Graph& g = *m.graph;
  TensorPtr x = graph_input(g, "x");
  TensorPtr a = op(g, "a", {x}, "Relu");
  g.outputs = {op(g, "b", {a}, "F")};
  Model part = extract(m, {"x"}, {"a"});
  EXPECT_EQ(text(*part.graph), "in: x\na: Relu(x) -> a\nout: a\n");
  EXPECT_EQ(part.opset_imports, m.opset_imports);
  ASSERT_EQ(part.functions.size(), 1u);
  EXPECT_EQ(part.functions[0].name, "F");
  EXPECT_EQ(text(*m.graph), "in: x\na: Relu(x) -> a\nb: F(a) -> b\nout: b\n");
}

}  // namespace
}  // namespace graft
