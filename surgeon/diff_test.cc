// Tests of model differences (diff.h): each kind of difference, node matching by name and
// by output names, subgraphs, and value tolerances.
#include "surgeon/diff.h"

#include "surgeon/clone.h"
#include "surgeon/edit_script.h"
#include "surgeon/run_test_util.h"
#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

// x: float32[1, 4] -> id1: Identity -> mul1: Mul(i, scale) -> leaky: LeakyRelu -> y; relu1: Relu(m) -> r.
Model base_model() {
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {1, 4});
  TensorPtr scale = float_constant(g, "scale", {-1, 2, -3, 4}, {4});
  TensorPtr i = tensor("i"), mm = tensor("m");
  TensorPtr y = Tensor::variable("y", DataType::kFloat, Shape::of({1, 4}));
  TensorPtr r = Tensor::variable("r", DataType::kFloat, Shape::of({1, 4}));
  g.add_node("Identity", {x}, {i}, "id1");
  g.add_node("Mul", {i, scale}, {mm}, "mul1");
  g.add_node("LeakyRelu", {mm}, {y}, "leaky")->set_attr(Attribute::of_float("alpha", 0.1f));
  g.add_node("Relu", {mm}, {r}, "relu1");
  g.outputs = {y, r};
  return m;
}

Names lines(const ModelDiff& d) {
  Names out;
  for (const Difference& x : d.differences) out.push_back(describe(x));
  return out;
}

Model edited(const Model& m, const std::string& script) { return apply_edits(m, parse_edit_script(script, "e.txt")); }

TEST(DiffTest, AModelEqualsItsCopy) {
  Model a = base_model();
  ModelDiff d = diff_models(a, clone(a));
  EXPECT_TRUE(d.equal());
  EXPECT_EQ(d.nodes_a, 4u);
  EXPECT_EQ(d.nodes_matched, 4u);
}

TEST(DiffTest, NodesAttributesInputsAndOutputs) {
  Model a = base_model();
  Model b = edited(a,
                   "rename-node leaky act\n"  // matched by its output
                   "set-attr act alpha 0.5\n"
                   "remove-node id1\n"
                   "rename-tensor r relu_out\n"
                   "set-input-shape x [N, 4]\n");
  EXPECT_EQ(lines(diff_models(a, b)),
            (Names{
                "~ input 'x': type: float32[1, 4] -> float32[N, 4]",
                "- output 'r': float32[1, 4]",
                "+ output 'relu_out': float32[1, 4]",
                "- node 'id1' (Identity): x -> i",
                "~ node 'mul1' (Mul): input 0: 'i' -> 'x'",
                "~ node 'leaky' (LeakyRelu): name: 'leaky' -> 'act'; attribute 'alpha': 0.1 -> 0.5",
                "~ node 'relu1' (Relu): output 0: 'r' -> 'relu_out'",
            }));
}

TEST(DiffTest, ModelOpsetsMetadataAndAddedNodes) {
  Model a = base_model();
  Model b = clone(a);
  b.producer_name = "graft";
  b.opset_imports = {{"", 18}, {"com.example", 1}};
  b.metadata_props = {{"author", "me"}};
  Graph& g = *b.graph;
  TensorPtr e = Tensor::variable("e", DataType::kFloat, Shape::of({1, 4}));
  g.add_node("Exp", {g.find_tensor("m")}, {e}, "exp");
  g.outputs.push_back(e);
  EXPECT_EQ(lines(diff_models(a, b)), (Names{
                                          "~ model: producer_name: '' -> 'graft'",
                                          "~ opset ai.onnx: version: 17 -> 18",
                                          "+ opset com.example: 1",
                                          "+ metadata 'author': 'me'",
                                          "+ output 'e': float32[1, 4]",
                                          "+ node 'exp' (Exp): m -> e",
                                      }));
}

TEST(DiffTest, InitializerValuesDtypesAndDims) {
  Model a = base_model();
  Model b = clone(a);
  Graph& g = *b.graph;
  g.initializers.clear();
  TensorPtr scale = float_constant(g, "scale", {-1, 2.5f, -3, 4.25f}, {4});
  g.find_node("mul1")->set_input(1, scale);
  float_constant(g, "extra", {1, 2}, {2, 1});
  EXPECT_EQ(lines(diff_models(a, b)), (Names{"~ initializer 'scale': values: 2 of 4 differ, max abs diff 0.5",
                                             "+ initializer 'extra': float32[2, 1]"}));
  ModelDiff d = diff_models(a, b);
  ASSERT_TRUE(d.differences[0].max_abs_diff.has_value());
  EXPECT_EQ(*d.differences[0].max_abs_diff, 0.5);
  EXPECT_EQ(lines(diff_models(a, b, {.tolerance = 0.5})), (Names{"+ initializer 'extra': float32[2, 1]"}));

  Model c = clone(a);
  c.graph->initializers.clear();
  TensorPtr wide = float_constant(*c.graph, "scale", {1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  c.graph->find_node("mul1")->set_input(1, wide);
  EXPECT_EQ(lines(diff_models(a, c)), (Names{"~ initializer 'scale': dims: [4] -> [2, 4]"}));
}

TEST(DiffTest, UnnamedNodesAreMatchedByTheirOutputs) {
  Model a = base_model();
  for (const auto& n : a.graph->nodes()) n->name.clear();
  Model b = clone(a);
  b.graph->nodes()[2]->set_attr(Attribute::of_float("alpha", 0.2f));
  EXPECT_EQ(lines(diff_models(a, b)), (Names{"~ node '<producing y>' (LeakyRelu): attribute 'alpha': 0.1 -> 0.2"}));
}

TEST(DiffTest, SubgraphsAreComparedRecursively) {
  auto make = [](float alpha) {
    Model m = empty_model();
    Graph& g = *m.graph;
    TensorPtr c = Tensor::variable("c", DataType::kBool, Shape::scalar());
    TensorPtr x = float_input(g, "x", {2});
    g.inputs.insert(g.inputs.begin(), c);
    Node* node = g.add_node("If", {c}, {Tensor::variable("y", DataType::kFloat, Shape::of({2}))}, "if");
    Graph& then_g = add_subgraph(node, "then_branch");
    TensorPtr t = Tensor::variable("t", DataType::kFloat, Shape::of({2}));
    then_g.add_node("Elu", {x}, {t}, "elu")->set_attr(Attribute::of_float("alpha", alpha));
    then_g.outputs = {t};
    Graph& else_g = add_subgraph(node, "else_branch");
    else_g.outputs = {x};
    g.outputs = {node->output(0)};
    return m;
  };
  EXPECT_EQ(lines(diff_models(make(1.0f), make(2.0f))),
            (Names{"~ node 'elu' (Elu) in subgraph 'then_branch' of node 'if' (If): attribute 'alpha': 1.0 -> 2.0"}));
  EXPECT_TRUE(diff_models(make(1.0f), make(1.0f)).equal());
}

TEST(DiffTest, ValueInfoTypesCanBeLeftOut) {
  Model a = base_model();
  Model b = edited(a, "set-shape m [1, 4]\nset-dtype m float32\n");
  EXPECT_EQ(lines(diff_models(a, b)), (Names{"+ value_info 'm': float32[1, 4]"}));
  EXPECT_TRUE(diff_models(a, b, {.value_info = false}).equal());
}

}  // namespace
}  // namespace graft
