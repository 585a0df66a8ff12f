// Tests of the editing API (edit.h, change.h): exact resulting graphs, links, error
// messages, and that refused edits leave the graph as it was.
#include "surgeon/edit.h"

#include "surgeon/find.h"
#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

// x -> a: Relu -> a; b: Neg(a); c: Exp(a); outputs b, c.
struct Fork {
  Graph g{"g"};
  TensorPtr x, a, b, c;
  Fork() {
    x = graph_input(g, "x");
    a = op(g, "a", {x}, "Relu");
    b = op(g, "b", {a}, "Neg");
    c = op(g, "c", {a}, "Exp");
    g.outputs = {b, c};
  }
};

// x -> a: Relu -> b: Neg -> c: Exp; output c.
struct Chain {
  Graph g{"g"};
  TensorPtr x, a, b, c;
  Chain() {
    x = graph_input(g, "x");
    a = op(g, "a", {x}, "Relu");
    b = op(g, "b", {a}, "Neg");
    c = op(g, "c", {b}, "Exp");
    g.outputs = {c};
  }
};

NodeSpec cast_to(int64_t to) { return {.op_type = "Cast", .attributes = {Attribute::of_int("to", to)}}; }

// ---------------------------------------------------------------------------------------
// insert_after / insert_before

TEST(InsertAfterTest, EveryReaderAndGraphOutputReadsTheNewOutput) {
  Fork f;
  f.g.outputs = {f.a, f.c};
  Node& cast = insert_after(f.g, f.a, cast_to(10));
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "a: Relu(x) -> a\n"
            "Cast: Cast(a) -> a_Cast\n"
            "b: Neg(a_Cast) -> b\n"
            "c: Exp(a_Cast) -> c\n"
            "out: a_Cast, c\n");
  EXPECT_EQ(cast.attr("to")->i, 10);
  EXPECT_TRUE(links_consistent(f.g));
  f.g.check();
}

TEST(InsertAfterTest, AfterAGraphInputGoesFirst) {
  Fork f;
  insert_after(f.g, f.x, {.op_type = "Transpose", .name = "t", .outputs = {tensor("x_nhwc")}});
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "t: Transpose(x) -> x_nhwc\n"
            "a: Relu(x_nhwc) -> a\n"
            "b: Neg(a) -> b\n"
            "c: Exp(a) -> c\n"
            "out: b, c\n");
}

TEST(InsertAfterTest, TheTensorMayBeAnyInputOfTheNewNode) {
  Fork f;
  TensorPtr w = initializer(f.g, "w");
  insert_after(f.g, f.a, {.op_type = "Sub", .inputs = {w, f.a}});
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "init: w\n"
            "a: Relu(x) -> a\n"
            "Sub: Sub(w, a) -> a_Sub\n"
            "b: Neg(a_Sub) -> b\n"
            "c: Exp(a_Sub) -> c\n"
            "out: b, c\n");
}

TEST(InsertAfterTest, ReadersInsideSubgraphsFollow) {
  Fork f;
  TensorPtr y = tensor("y");
  Node* if1 = f.g.add_node("If", {f.x}, {y}, "if1");
  Graph& branch = add_subgraph(if1, "then_branch");
  branch.outputs.push_back(op(branch, "inner", {f.a}));
  f.g.outputs = {y};
  insert_after(f.g, f.a, cast_to(1));
  EXPECT_EQ(branch.nodes()[0]->input(0)->name, "a_Cast");
  EXPECT_EQ(f.g.nodes()[1]->name, "Cast");
  EXPECT_TRUE(links_consistent(f.g));
  f.g.check();
}

TEST(InsertAfterTest, NewOutputAfterLaterProducerResortsTheGraph) {
  Chain ch;
  // The new Add reads `d`, produced after the readers of x: the graph is re-sorted.
  TensorPtr d = op(ch.g, "d", {graph_input(ch.g, "z")}, "Sin");
  insert_after(ch.g, ch.x, {.op_type = "Add", .name = "add", .inputs = {ch.x, d}});
  EXPECT_EQ(text(ch.g),
            "in: x, z\n"
            "d: Sin(z) -> d\n"
            "add: Add(x, d) -> x_Add\n"
            "a: Relu(x_Add) -> a\n"
            "b: Neg(a) -> b\n"
            "c: Exp(b) -> c\n"
            "out: c\n");
}

TEST(InsertBeforeTest, OnlyThatConsumerInputChanges) {
  Fork f;
  insert_before(f.g, *f.c->producer(), 0, {.op_type = "Abs", .name = "abs"});
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "a: Relu(x) -> a\n"
            "abs: Abs(a) -> a_Abs\n"
            "b: Neg(a) -> b\n"
            "c: Exp(a_Abs) -> c\n"
            "out: b, c\n");
  EXPECT_TRUE(links_consistent(f.g));
}

TEST(InsertBeforeTest, ATensorKeepsItsNameReadersAndType) {
  Fork f;
  f.a->type = ValueType::tensor(DataType::kFloat, Shape::of({2}));
  f.g.outputs = {f.a};
  insert_before(f.g, f.a, {.op_type = "Clip", .name = "clip"});
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "a: Relu(x) -> a_pre\n"
            "clip: Clip(a_pre) -> a\n"
            "b: Neg(a) -> b\n"
            "c: Exp(a) -> c\n"
            "out: a\n");
  EXPECT_EQ(f.g.find_tensor("a_pre")->type.str(), "float32[2]");
  EXPECT_TRUE(links_consistent(f.g));
}

TEST(InsertBeforeTest, GraphInputIsRefusedWithTheAlternative) {
  Fork f;
  EXPECT_REFUSED(f.g, insert_before(f.g, f.x, {.op_type = "Abs"}),
                 "cannot insert a node before tensor 'x': no node of graph 'g' produces it; use insert_after");
}

TEST(InsertBeforeTest, MissingInputIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, insert_before(f.g, *f.b->producer(), 3, {.op_type = "Abs"}),
                 "node 'b' (Neg) has no input #3");
}

TEST(InsertTest, TakenNodeNameIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, insert_after(f.g, f.a, {.op_type = "Abs", .name = "b"}),
                 "node name 'b' is already used in graph 'g'");
}

TEST(InsertTest, TakenTensorNameIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, insert_after(f.g, f.a, {.op_type = "Abs", .name = "abs", .outputs = {tensor("b")}}),
                 "tensor name 'b' (new node 'abs' (Abs)) is already used in graph 'g'");
}

TEST(InsertTest, CycleIsRefusedNamingTheNodesOnIt) {
  Chain ch;
  EXPECT_REFUSED(ch.g, insert_after(ch.g, ch.a, {.op_type = "Add", .name = "add", .inputs = {ch.a, ch.c}}),
                 "the edit would create a cycle in graph 'g': node 'c' (Exp) -> new node 'add' (Add) -> "
                 "node 'b' (Neg) -> node 'c' (Exp)");
}

TEST(InsertTest, ReadingAnUndefinedTensorIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, insert_after(f.g, f.a, {.op_type = "Add", .name = "add", .inputs = {f.a, tensor("ghost")}}),
                 "new node 'add' (Add) would read tensor 'ghost', which nothing would define");
}

TEST(InsertTest, ATensorOfAnotherGraphIsRefused) {
  Fork f;
  Graph other("other");
  TensorPtr stray = graph_input(other, "stray");
  EXPECT_REFUSED(f.g, insert_after(f.g, stray, {.op_type = "Abs"}), "tensor 'stray' is not in graph 'g'");
}

TEST(InsertTest, ProducingAGraphInputIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, insert_after(f.g, f.a, {.op_type = "Abs", .name = "abs", .outputs = {f.x}}),
                 "new node 'abs' (Abs) cannot produce tensor 'x': it is a graph input of graph 'g'");
}

// ---------------------------------------------------------------------------------------
// replace / remove / bypass

TEST(ReplaceTest, ReplaceNodeKeepsLinksNameAndPlace) {
  Fork f;
  Node& abs = replace_node(f.g, *f.b->producer(), {.op_type = "Abs"});
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "a: Relu(x) -> a\n"
            "b: Abs(a) -> b\n"
            "c: Exp(a) -> c\n"
            "out: b, c\n");
  EXPECT_EQ(f.b->producer(), &abs);
  EXPECT_TRUE(links_consistent(f.g));
}

TEST(ReplaceTest, SubgraphByOneNode) {
  Chain ch;
  Node* b = ch.b->producer();
  Node* c = ch.c->producer();
  std::vector<Node*> added =
      replace_subgraph(ch.g, {b, c}, {{.op_type = "NegExp", .name = "fused", .inputs = {ch.a}, .outputs = {ch.c}}});
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(text(ch.g),
            "in: x\n"
            "a: Relu(x) -> a\n"
            "fused: NegExp(a) -> c\n"
            "out: c\n");
  EXPECT_EQ(ch.c->producer(), added[0]);
  EXPECT_EQ(ch.b->producer(), nullptr);
  EXPECT_TRUE(links_consistent(ch.g));
}

TEST(ReplaceTest, SubgraphByTwoNodesInOrder) {
  Chain ch;
  TensorPtr mid = tensor("mid");
  replace_subgraph(ch.g, {ch.a->producer(), ch.b->producer()},
                   {{.op_type = "Abs", .name = "p", .inputs = {ch.x}, .outputs = {mid}},
                    {.op_type = "Neg", .name = "q", .inputs = {mid}, .outputs = {ch.b}}});
  EXPECT_EQ(text(ch.g),
            "in: x\n"
            "p: Abs(x) -> mid\n"
            "q: Neg(mid) -> b\n"
            "c: Exp(b) -> c\n"
            "out: c\n");
}

TEST(ReplaceTest, OutputStillReadOutsideMustBeReproduced) {
  Fork f;
  TensorPtr d = op(f.g, "d", {f.b}, "Sin");
  f.g.outputs = {d, f.c};
  EXPECT_REFUSED(f.g,
                 replace_subgraph(f.g, {f.b->producer(), f.c->producer()},
                                  {{.op_type = "Fused", .name = "fused", .inputs = {f.a}, .outputs = {f.c}}}),
                 "node 'd' (Sin) would read tensor 'b', which nothing would define (it is an output of removed "
                 "node 'b' (Neg))");
}

TEST(ReplaceTest, NodeOfAnotherGraphIsRefused) {
  Fork f;
  Chain other;
  EXPECT_REFUSED(f.g, replace_subgraph(f.g, {other.b->producer()}, {}),
                 "cannot remove node 'b' (Neg): it is not in graph 'g'");
}

TEST(RemoveTest, UnreadNodeGoes) {
  Fork f;
  f.g.outputs = {f.b};
  remove_node(f.g, *f.c->producer());
  EXPECT_EQ(text(f.g), "in: x\na: Relu(x) -> a\nb: Neg(a) -> b\nout: b\n");
  EXPECT_EQ(f.a->consumers().size(), 1u);
}

TEST(RemoveTest, ReadNodeIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, remove_node(f.g, *f.a->producer()),
                 "node 'b' (Neg) would read tensor 'a', which nothing would define (it is an output of removed "
                 "node 'a' (Relu))");
}

TEST(RemoveTest, GraphOutputIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, remove_node(f.g, *f.c->producer()),
                 "graph output 'c' of graph 'g' would read tensor 'c', which nothing would define");
}

TEST(BypassTest, ReadersReadTheInput) {
  Fork f;
  bypass_node(f.g, *f.a->producer());
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "b: Neg(x) -> b\n"
            "c: Exp(x) -> c\n"
            "out: b, c\n");
  EXPECT_TRUE(links_consistent(f.g));
}

TEST(BypassTest, AtAGraphOutputTheProducerTakesTheOutputOver) {
  Chain ch;
  bypass_node(ch.g, *ch.c->producer());
  EXPECT_EQ(text(ch.g),
            "in: x\n"
            "a: Relu(x) -> a\n"
            "b: Neg(a) -> c\n"
            "out: c\n");
  EXPECT_TRUE(links_consistent(ch.g));
}

TEST(BypassTest, AtAGraphOutputWhoseInputIsSharedTheOutputChanges) {
  Fork f;
  bypass_node(f.g, *f.b->producer());
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "a: Relu(x) -> a\n"
            "c: Exp(a) -> c\n"
            "out: a, c\n");
}

// Fork plus if1: If(x) -> y whose then_branch reads `a`; outputs y, b, c.
struct ForkWithBranch : Fork {
  Node* if1;
  ForkWithBranch() {
    if1 = g.add_node("If", {x}, {tensor("y")}, "if1");
    Graph& branch = add_subgraph(if1, "then_branch");
    branch.outputs.push_back(op(branch, "inner", {a}));
    g.outputs = {if1->output(0), b, c};
  }
};

TEST(BypassTest, ReadersInsideSubgraphsFollow) {
  ForkWithBranch f;
  bypass_node(f.g, *f.a->producer());
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "b: Neg(x) -> b\n"
            "c: Exp(x) -> c\n"
            "if1: If(x) -> y\n"
            "  in: \n"
            "  inner: Op(x) -> inner\n"
            "  out: inner\n"
            "out: y, b, c\n");
  EXPECT_TRUE(links_consistent(f.g));
  f.g.check();
}

TEST(RemoveTest, ANodeReadInsideASubgraphIsRefused) {
  ForkWithBranch f;
  f.g.outputs = {f.if1->output(0)};
  remove_node(f.g, *f.b->producer());
  remove_node(f.g, *f.c->producer());
  EXPECT_REFUSED(f.g, remove_node(f.g, *f.a->producer()),
                 "node 'if1' (If) would read tensor 'a', which nothing would define (it is an output of removed "
                 "node 'a' (Relu))");
}

TEST(BypassTest, OtherOutputStillReadIsRefused) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), y = tensor("y"), mask = tensor("mask");
  g.add_node("Dropout", {x}, {y, mask}, "drop");
  TensorPtr m = op(g, "m", {mask}, "Not");
  g.outputs = {y, m};
  EXPECT_REFUSED(g, bypass_node(g, *y->producer()),
                 "node 'm' (Not) would read tensor 'mask', which nothing would define (it is an output of removed "
                 "node 'drop' (Dropout))");
}

TEST(BypassTest, MissingSlotsAreRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, bypass_node(f.g, *f.a->producer(), 1), "cannot bypass node 'a' (Relu): it has no input #1");
  EXPECT_REFUSED(f.g, bypass_node(f.g, *f.a->producer(), 0, 2), "cannot bypass node 'a' (Relu): it has no output #2");
}

// ---------------------------------------------------------------------------------------
// rename

TEST(RenameTest, NodeAndTensor) {
  Fork f;
  f.g.value_info.push_back(f.a);
  f.g.quantization_annotations.push_back({"a", {{"SCALE_TENSOR", "a"}}});
  rename_node(f.g, *f.a->producer(), "relu");
  rename_tensor(f.g, f.a, "activation");
  EXPECT_EQ(text(f.g),
            "in: x\n"
            "relu: Relu(x) -> activation\n"
            "b: Neg(activation) -> b\n"
            "c: Exp(activation) -> c\n"
            "out: b, c\n");
  EXPECT_EQ(f.g.value_info[0]->name, "activation");
  EXPECT_EQ(f.g.quantization_annotations[0].tensor_name, "activation");
  EXPECT_EQ(f.g.quantization_annotations[0].quant_parameter_tensor_names[0].second, "activation");
}

TEST(RenameTest, TakenNamesAreRefusedNamingTheHolder) {
  Fork f;
  TensorPtr y = tensor("y");
  Node* if1 = f.g.add_node("If", {f.x}, {y}, "if1");
  Graph& branch = add_subgraph(if1, "then_branch");
  branch.outputs.push_back(op(branch, "inner", {f.a}));
  EXPECT_REFUSED(f.g, rename_node(f.g, *f.a->producer(), "inner"),
                 "cannot rename node 'a' (Relu) to 'inner': node 'inner' (Op) in subgraph 'then_branch' of node "
                 "'if1' (If) has that name");
  EXPECT_REFUSED(f.g, rename_tensor(f.g, f.a, "inner"),
                 "cannot rename tensor 'a' to 'inner': subgraph 'then_branch' of node 'if1' (If) has a tensor of "
                 "that name");
  EXPECT_REFUSED(f.g, rename_tensor(f.g, f.a, "x"), "cannot rename tensor 'a' to 'x': graph 'g' has a tensor of that name");
  EXPECT_REFUSED(f.g, rename_tensor(f.g, f.a, ""), "cannot rename tensor 'a' to an empty name");
}

// ---------------------------------------------------------------------------------------
// graph inputs and outputs

TEST(GraphIoTest, PromoteAnIntermediateAndRemoveAnOutput) {
  Fork f;
  add_output(f.g, f.a);
  remove_output(f.g, f.b);
  EXPECT_EQ(joined(f.g.outputs), "c, a");
  EXPECT_REFUSED(f.g, add_output(f.g, f.a), "tensor 'a' is already an output of graph 'g'");
}

TEST(GraphIoTest, RemovingAnUnknownOutputNamesTheClosestOutputs) {
  Fork f;
  rename_tensor(f.g, f.b, "logits");
  EXPECT_REFUSED(f.g, remove_output(f.g, f.a), "tensor 'a' is not an output of graph 'g'");
  TensorPtr logit = op(f.g, "logit", {f.a});
  EXPECT_REFUSED(f.g, remove_output(f.g, logit), "tensor 'logit' is not an output of graph 'g'; closest: 'logits'");
}

TEST(GraphIoTest, DroppingAReadInputIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, set_inputs(f.g, {}),
                 "node 'a' (Relu) would read tensor 'x', which nothing would define (it is no longer a graph input)");
}

TEST(GraphIoTest, AProducedTensorCannotBecomeAnInput) {
  Fork f;
  EXPECT_REFUSED(f.g, set_inputs(f.g, {f.x, f.a}),
                 "node 'a' (Relu) cannot produce tensor 'a': it is a graph input of graph 'g'");
}

TEST(GraphIoTest, NewInputNeedsAFreeName) {
  Fork f;
  set_inputs(f.g, {f.x, tensor("extra")});
  EXPECT_EQ(joined(f.g.inputs), "x, extra");
  EXPECT_REFUSED(f.g, set_inputs(f.g, {f.x, tensor("b")}),
                 "tensor name 'b' (graph input) is already used in graph 'g'");
}

TEST(GraphIoTest, UndefinedOutputIsRefused) {
  Fork f;
  EXPECT_REFUSED(f.g, set_outputs(f.g, {tensor("nowhere")}),
                 "graph output 'nowhere' of graph 'g' would read tensor 'nowhere', which nothing would define");
}

// ---------------------------------------------------------------------------------------
// types and shapes

TEST(TypeTest, IntermediateGetsAndLosesItsValueInfo) {
  Fork f;
  set_type(f.g, *f.a, DataType::kFloat, Shape({Dim::symbolic("n"), Dim::fixed(3)}));
  ASSERT_EQ(f.g.value_info.size(), 1u);
  EXPECT_EQ(f.g.value_info[0], f.a);
  EXPECT_EQ(f.a->type.str(), "float32[n, 3]");
  set_dim(f.g, *f.a, 0, Dim::fixed(8));
  set_dtype(f.g, *f.a, DataType::kFloat16);
  EXPECT_EQ(f.a->type.str(), "float16[8, 3]");
  clear_shape(f.g, *f.a);
  EXPECT_EQ(f.a->type.str(), "float16?");
  clear_type(f.g, *f.a);
  EXPECT_EQ(f.a->type.kind, ValueType::Kind::kNone);
  EXPECT_TRUE(f.g.value_info.empty());
}

TEST(TypeTest, GraphOutputCarriesItsOwnType) {
  Fork f;
  set_shape(f.g, *f.b, Shape::of({4}));
  EXPECT_EQ(f.b->type.str(), "undefined[4]");
  EXPECT_TRUE(f.g.value_info.empty());
}

TEST(TypeTest, RefusedEditsSayWhy) {
  Fork f;
  TensorPtr w = initializer(f.g, "w");
  EXPECT_CONTAINS(error_of([&] { set_dtype(f.g, *w, DataType::kInt8); }),
                  "cannot set the dtype of tensor 'w': it is a constant, whose values decide its type");
  EXPECT_EQ(w->dtype(), DataType::kFloat);
  f.a->type = ValueType::tensor(DataType::kFloat, Shape::of({2, 3}));
  EXPECT_CONTAINS(error_of([&] { set_dim(f.g, *f.a, 2, Dim::fixed(1)); }),
                  "cannot set dim 2 of tensor 'a': its shape is [2, 3]");
  EXPECT_EQ(f.a->type.str(), "float32[2, 3]");
  f.b->type.kind = ValueType::Kind::kSequence;
  EXPECT_CONTAINS(error_of([&] { set_shape(f.g, *f.b, Shape::of({1})); }),
                  "cannot set the shape of tensor 'b': its type seq(?) is not a tensor type");
}

TEST(TypeTest, SetBatch) {
  Fork f;
  TensorPtr w = initializer(f.g, "w", {1, 2});
  f.g.inputs.push_back(w);
  f.x->type = ValueType::tensor(DataType::kFloat, Shape::of({1, 3}));
  f.b->type = ValueType::tensor(DataType::kFloat, Shape::of({1, 3}));
  f.c->type = ValueType::tensor(DataType::kFloat, Shape::scalar());
  f.a->type = ValueType::tensor(DataType::kFloat, Shape::of({1, 3}));
  f.g.value_info.push_back(f.a);
  EXPECT_EQ(set_batch(f.g, Dim::symbolic("N")), 2u);
  EXPECT_EQ(f.x->type.str(), "float32[N, 3]");
  EXPECT_EQ(f.b->type.str(), "float32[N, 3]");
  EXPECT_EQ(f.c->type.str(), "float32[]");
  EXPECT_EQ(f.a->type.str(), "float32?");
  EXPECT_EQ(w->shape().str(), "[2]");
}

TEST(TypeTest, SetBatchWithoutRankedIoIsRefused) {
  Fork f;
  EXPECT_EQ(error_of([&] { set_batch(f.g, Dim::fixed(2)); }),
            "cannot set the batch dim of graph 'g': no graph input or output has a rank of 1 or more");
}

// ---------------------------------------------------------------------------------------
// attributes and opsets

TEST(AttributeTest, SetReplaceRemove) {
  Fork f;
  Node& a = *f.a->producer();
  set_attribute(a, Attribute::of_int("axis", 1));
  set_attribute(a, Attribute::of_float("alpha", 0.5f));
  set_attribute(a, Attribute::of_int("axis", -1));
  ASSERT_EQ(a.attributes.size(), 2u);
  EXPECT_EQ(a.attr("axis")->i, -1);
  remove_attribute(a, "alpha");
  EXPECT_EQ(a.attributes.size(), 1u);
  EXPECT_EQ(error_of([&] { remove_attribute(a, "axes"); }), "node 'a' (Relu) has no attribute 'axes'; closest: 'axis'");
}

TEST(AttributeTest, GraphAttributeGetsTheNodesGraphAsParent) {
  Fork f;
  auto body = std::make_shared<Graph>("body");
  set_attribute(*f.a->producer(), Attribute::of_graph("body", body));
  EXPECT_EQ(body->parent(), &f.g);
}

TEST(OpsetTest, SetAndRemove) {
  Model m;
  m.opset_imports = {{"", 13}};
  m.graph->add_node("Custom", {}, {tensor("t")}, "custom", "com.example");
  set_opset(m, "ai.onnx", 17);
  set_opset(m, "com.example", 1);
  set_opset(m, "com.unused", 2);
  EXPECT_EQ(m.opset_imports, (std::vector<OpsetImport>{{"", 17}, {"com.example", 1}, {"com.unused", 2}}));
  remove_opset(m, "com.unused");
  EXPECT_EQ(error_of([&] { remove_opset(m, "com.example"); }),
            "cannot remove the opset import of domain 'com.example': node 'custom' (com.example::Custom) in graph '' "
            "uses it");
  EXPECT_EQ(error_of([&] { remove_opset(m, "com.nothing"); }), "the model imports no opset of domain 'com.nothing'");
  EXPECT_EQ(error_of([&] { set_opset(m, "", 0); }), "cannot import domain '' at opset 0: versions start at 1");
  EXPECT_EQ(m.opset_imports.size(), 2u);
}

// ---------------------------------------------------------------------------------------
// cleanup and toposort after edits

TEST(ComposeTest, CleanupAndToposortInEitherOrder) {
  for (bool cleanup_first : {true, false}) {
    Chain ch;
    TensorPtr dead = op(ch.g, "dead", {ch.a}, "Sin");
    // Out of order on purpose: `late` is read by c but comes after it.
    TensorPtr late = op(ch.g, "late", {ch.x}, "Cos");
    ch.c->producer()->add_input(late);
    if (cleanup_first) {
      ch.g.cleanup();
      ch.g.toposort();
    } else {
      ch.g.toposort();
      ch.g.cleanup();
    }
    EXPECT_EQ(text(ch.g),
              "in: x\n"
              "a: Relu(x) -> a\n"
              "b: Neg(a) -> b\n"
              "late: Cos(x) -> late\n"
              "c: Exp(b, late) -> c\n"
              "out: c\n");
  }
}

TEST(ComposeTest, ToposortWithACycleInASubgraphMovesNothing) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr late = tensor("late");
  TensorPtr early = op(g, "early", {late}, "Neg");  // out of order
  g.add_node("Abs", {x}, {late}, "late");
  Node* if1 = g.add_node("If", {x}, {tensor("y")}, "if1");
  Graph& branch = add_subgraph(if1, "then_branch");
  TensorPtr p = tensor("p"), q = tensor("q");
  branch.add_node("Op", {q}, {p}, "p");
  branch.add_node("Op", {p}, {q}, "q");
  branch.outputs = {q};
  g.outputs = {early, if1->output(0)};
  EXPECT_REFUSED(g, g.toposort(), "subgraph 'then_branch' of node 'if1' (If) has a cycle");
}

}  // namespace
}  // namespace graft
