// Tests of the queries (find.h) and of deep copies (clone.h).
#include "surgeon/clone.h"
#include "surgeon/find.h"
#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

Names node_names(const std::vector<Node*>& nodes) {
  Names names;
  for (const Node* n : nodes) names.push_back(n->name);
  return names;
}

Names tensor_names(const std::vector<TensorPtr>& ts) {
  Names names;
  for (const TensorPtr& t : ts) names.push_back(t->name);
  return names;
}

// main: x -> conv1 (Conv) -> relu1 (Relu) -> conv2 (Conv) -> y, with weight w and an If
// node `branch` whose then_branch reads relu1's output.
struct Net {
  Graph main{"main"};
  TensorPtr x, w, c1, r1, c2;
  Node* branch = nullptr;
  Graph* then_branch = nullptr;

  Net() {
    x = graph_input(main, "x");
    w = initializer(main, "w");
    c1 = op(main, "conv1", {x, w}, "Conv");
    r1 = op(main, "relu1", {c1}, "Relu");
    c2 = op(main, "conv2", {r1, w}, "Conv");
    TensorPtr b = tensor("b");
    branch = main.add_node("If", {x}, {b}, "branch");
    then_branch = &add_subgraph(branch, "then_branch");
    then_branch->outputs.push_back(op(*then_branch, "inner_relu", {r1}, "Relu"));
    main.outputs = {c2, b};
  }
};

TEST(FindNodesTest, ByOpType) {
  Net n;
  EXPECT_EQ(node_names(find_nodes(n.main, {.op_type = "Conv"})), (Names{"conv1", "conv2"}));
}

TEST(FindNodesTest, ByNameAndRegex) {
  Net n;
  EXPECT_EQ(node_names(find_nodes(n.main, {.name = "relu1"})), (Names{"relu1"}));
  EXPECT_EQ(node_names(find_nodes(n.main, {.name_regex = "conv[0-9]"})), (Names{"conv1", "conv2"}));
  // The regex must match the whole name.
  EXPECT_EQ(node_names(find_nodes(n.main, {.name_regex = "conv"})), Names{});
}

TEST(FindNodesTest, DefaultDomainIsEmptyOrAiOnnx) {
  Net n;
  n.main.nodes()[0]->domain = "ai.onnx";
  n.main.nodes()[1]->domain = "com.example";
  EXPECT_EQ(node_names(find_nodes(n.main, {.domain = ""})), (Names{"conv1", "conv2", "branch"}));
  EXPECT_EQ(node_names(find_nodes(n.main, {.domain = "com.example"})), (Names{"relu1"}));
}

TEST(FindNodesTest, ByPredicateAndRecursively) {
  Net n;
  auto reads_r1 = [&](const Node& node) { return node.input(0) == n.r1; };
  EXPECT_EQ(node_names(find_nodes(n.main, {.predicate = reads_r1})), (Names{"conv2"}));
  NodeFilter relus{.op_type = "Relu", .recurse_into_subgraphs = true};
  EXPECT_EQ(node_names(find_nodes(n.main, relus)), (Names{"relu1", "inner_relu"}));
}

TEST(FindNodesTest, InvalidRegexIsAnError) {
  Net n;
  EXPECT_CONTAINS(error_of([&] { find_nodes(n.main, {.name_regex = "conv("}); }), "invalid name regex 'conv('");
}

TEST(FindTensorsTest, DefinedTensorsInOrder) {
  Net n;
  EXPECT_EQ(tensor_names(defined_tensors(n.main)), (Names{"x", "w", "conv1", "relu1", "conv2", "b"}));
}

TEST(FindTensorsTest, ByRegexPredicateAndRecursively) {
  Net n;
  EXPECT_EQ(tensor_names(find_tensors(n.main, {.name_regex = ".*1"})), (Names{"conv1", "relu1"}));
  auto constant = [](const Tensor& t) { return t.is_constant(); };
  EXPECT_EQ(tensor_names(find_tensors(n.main, {.predicate = constant})), (Names{"w"}));
  TensorFilter inner{.name_regex = "inner.*", .recurse_into_subgraphs = true};
  EXPECT_EQ(tensor_names(find_tensors(n.main, inner)), (Names{"inner_relu"}));
}

TEST(LookupTest, NodeNamedFindsTheNode) {
  Net n;
  EXPECT_EQ(&node_named(n.main, "relu1"), n.r1->producer());
}

TEST(LookupTest, UnknownNodeNamesTheClosestNames) {
  Net n;
  EXPECT_EQ(error_of([&] { node_named(n.main, "conv_1"); }),
            "graph 'main' has no node named 'conv_1'; closest: 'conv1', 'conv2'");
}

TEST(LookupTest, UnknownNodeWithNothingCloseSaysJustThat) {
  Net n;
  EXPECT_EQ(error_of([&] { node_named(n.main, "transformer_block_17"); }),
            "graph 'main' has no node named 'transformer_block_17'");
}

TEST(LookupTest, NodeInASubgraphIsNamedAsSuch) {
  Net n;
  EXPECT_EQ(error_of([&] { node_named(n.main, "inner_relu"); }),
            "graph 'main' has no node named 'inner_relu'; a node of that name is in subgraph 'then_branch' of "
            "node 'branch' (If)");
}

TEST(LookupTest, UnknownTensorNamesTheClosestOnesOfEnclosingGraphsToo) {
  Net n;
  EXPECT_EQ(tensor_named(*n.then_branch, "relu1"), n.r1);
  EXPECT_EQ(error_of([&] { tensor_named(*n.then_branch, "Relu_1"); }),
            "subgraph 'then_branch' of node 'branch' (If) has no tensor named 'Relu_1'; closest: 'relu1'");
}

TEST(LookupTest, UnknownAttributeNamesTheClosestOnes) {
  Net n;
  Node& conv = node_named(n.main, "conv1");
  conv.set_attr(Attribute::of_ints("strides", {1, 1}));
  conv.set_attr(Attribute::of_ints("pads", {0, 0, 0, 0}));
  EXPECT_EQ(attribute_named(conv, "pads").ints.size(), 4u);
  EXPECT_EQ(error_of([&] { attribute_named(conv, "stride"); }),
            "node 'conv1' (Conv) has no attribute 'stride'; closest: 'strides'");
}

TEST(ClosestNamesTest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("conv1", "conv_1"), 1u);
}

TEST(ClosestNamesTest, NearestFirstCaseInsensitiveSubstringsCount) {
  Names candidates{"model/Relu_12", "relu", "rel", "unrelated_thing", "Relu"};
  EXPECT_EQ(closest_names("relu", candidates, 10), (Names{"Relu", "relu", "rel", "model/Relu_12"}));
  EXPECT_EQ(closest_names("relu", candidates, 2), (Names{"Relu", "relu"}));
}

TEST(UniqueNameTest, AvoidsNamesAnywhereInTheTree) {
  Net n;
  EXPECT_EQ(unique_tensor_name(n.main, "fresh"), "fresh");
  EXPECT_EQ(unique_tensor_name(n.main, "relu1"), "relu1_1");
  EXPECT_EQ(unique_tensor_name(*n.then_branch, "x"), "x_1");
  EXPECT_EQ(unique_tensor_name(n.main, "inner_relu"), "inner_relu_1");
  EXPECT_EQ(unique_node_name(n.main, "Conv"), "Conv");
  EXPECT_EQ(unique_node_name(n.main, "conv1"), "conv1_1");
  EXPECT_EQ(unique_node_name(n.main, "inner_relu"), "inner_relu_1");
}

TEST(ConstantValueTest, InitializersUnlessAlsoGraphInputs) {
  Net n;
  EXPECT_EQ(constant_value(n.main, *n.w), n.w->data);
  EXPECT_EQ(constant_value(*n.then_branch, *n.w), n.w->data);
  n.main.inputs.push_back(n.w);
  EXPECT_EQ(constant_value(n.main, *n.w), nullptr);
  EXPECT_EQ(constant_value(n.main, *n.x), nullptr);
  EXPECT_EQ(constant_value(n.main, *n.r1), nullptr);
}

TEST(ConstantValueTest, ConstantNodes) {
  Graph g("g");
  TensorPtr a = tensor("a"), b = tensor("b"), c = tensor("c");
  g.add_node("Constant", {}, {a}, "ca")->set_attr(Attribute::of_float("value_float", 2.5f));
  g.add_node("Constant", {}, {b}, "cb")->set_attr(Attribute::of_ints("value_ints", {4, 5}));
  g.add_node("Constant", {}, {c}, "cc")->set_attr(Attribute::of_tensor("value", float_data({1, 2, 3})));
  TensorDataPtr va = constant_value(g, *a), vb = constant_value(g, *b), vc = constant_value(g, *c);
  ASSERT_TRUE(va && vb && vc);
  EXPECT_EQ(va->dtype, DataType::kFloat);
  EXPECT_EQ(va->dims, std::vector<int64_t>{});
  EXPECT_EQ(va->at<float>(0), 2.5f);
  EXPECT_EQ(vb->dtype, DataType::kInt64);
  EXPECT_EQ(vb->dims, std::vector<int64_t>{2});
  EXPECT_EQ(vb->at<int64_t>(1), 5);
  EXPECT_EQ(vc->at<float>(2), 3.0f);
}

// ---------------------------------------------------------------------------------------
// clone

TEST(CloneTest, SameGraphNewObjects) {
  Net n;
  std::shared_ptr<Graph> copy = clone(n.main);
  EXPECT_EQ(text(*copy), text(n.main));
  EXPECT_TRUE(links_consistent(*copy));
  TensorPtr r1 = copy->find_tensor("relu1");
  EXPECT_NE(r1, n.r1);
  EXPECT_NE(copy->nodes()[0].get(), n.main.nodes()[0].get());
  EXPECT_EQ(copy->initializers[0]->data, n.w->data);  // values are shared
  // The original's links are untouched.
  EXPECT_EQ(n.r1->consumers().size(), 2u);
  EXPECT_TRUE(links_consistent(n.main));
}

TEST(CloneTest, SubgraphReadsTheCopiedOuterTensor) {
  Net n;
  std::shared_ptr<Graph> copy = clone(n.main);
  Node& branch = node_named(*copy, "branch");
  Graph* sub = branch.subgraphs().at(0);
  EXPECT_EQ(sub->parent(), copy.get());
  EXPECT_EQ(sub->nodes()[0]->input(0), copy->find_tensor("relu1"));
  EXPECT_EQ(sub->describe(), "subgraph 'then_branch' of node 'branch' (If)");
  copy->check();
}

TEST(CloneTest, OuterTensorProducedAfterItsReaderIsStillShared) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), y = tensor("y");
  Node* if1 = g.add_node("If", {x}, {y}, "if1");
  TensorPtr late = op(g, "late", {x});
  Graph& branch = add_subgraph(if1, "then_branch");
  branch.outputs.push_back(op(branch, "inner", {late}));
  g.outputs = {y};
  std::shared_ptr<Graph> copy = clone(g);
  const Graph& sub = *copy->nodes()[0]->subgraphs().at(0);
  EXPECT_EQ(sub.nodes()[0]->input(0), copy->find_tensor("late"));
  EXPECT_EQ(copy->find_tensor("late")->producer(), copy->nodes()[1].get());
}

TEST(CloneTest, ASubgraphAloneKeepsReadingTheOriginalOuterTensors) {
  Net n;
  std::shared_ptr<Graph> copy = clone(*n.then_branch, &n.main);
  EXPECT_EQ(copy->nodes()[0]->input(0), n.r1);
  EXPECT_NE(copy->outputs[0], n.then_branch->outputs[0]);
}

TEST(CloneTest, ModelFieldsFunctionsAndOpsets) {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}, {"com.example", 1}};
  m.producer_name = "test";
  m.metadata_props = {{"k", "v"}};
  graph_input(*m.graph, "x");
  m.graph->outputs.push_back(op(*m.graph, "a", {m.graph->inputs[0]}));
  Function f;
  f.name = "F";
  f.body->outputs.push_back(op(*f.body, "fa", {graph_input(*f.body, "p")}));
  m.functions.push_back(f);
  Model copy = clone(m);
  EXPECT_EQ(copy.ir_version, 8);
  EXPECT_EQ(copy.opset_imports, m.opset_imports);
  EXPECT_EQ(copy.metadata_props, m.metadata_props);
  EXPECT_NE(copy.graph, m.graph);
  EXPECT_EQ(text(*copy.graph), text(*m.graph));
  ASSERT_EQ(copy.functions.size(), 1u);
  EXPECT_NE(copy.functions[0].body, m.functions[0].body);
  EXPECT_EQ(text(*copy.functions[0].body), text(*m.functions[0].body));
}

}  // namespace
}  // namespace graft
