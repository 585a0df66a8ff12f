// Tests of the edit language (edit_script.h) and attribute values as text
// (attribute_text.h): parsing, flags, exact resulting graphs, results run on the CPU engine,
// refusals that name what is wrong, and all-or-nothing application.
#include "surgeon/edit_script.h"

#include <cstring>

#include "surgeon/attribute_text.h"
#include "surgeon/run_test_util.h"
#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

// x: float32[1, 4]
//   id1: Identity(x) -> i
//   mul1: Mul(i, scale) -> m          scale = [-1, 2, -3, 4]
//   leaky: LeakyRelu(m) [alpha=0.1] -> y
//   relu1: Relu(m) -> r
// outputs y, r
Model chain_model() {
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

const std::string kChainText =
    "in: x\n"
    "init: scale\n"
    "id1: Identity(x) -> i\n"
    "mul1: Mul(i, scale) -> m\n"
    "leaky: LeakyRelu(m) -> y\n"
    "relu1: Relu(m) -> r\n"
    "out: y, r\n";

std::map<std::string, std::vector<float>> run_chain(const Model& m, std::vector<int64_t> dims = {1, 4},
                                                    std::vector<float> x = {1, 2, 3, 4}) {
  return run_floats(m, {{m.graph->inputs[0]->name, host_floats(dims, x)}});
}

Model edited(const Model& m, const std::string& script, std::vector<EditResult>* results = nullptr) {
  return apply_edits(m, parse_edit_script(script, "edits.txt"), results);
}

std::string edit_error(const Model& m, const std::string& script) {
  return error_of([&] { edited(m, script); });
}

// ---------------------------------------------------------------------------------------
// Parsing

TEST(EditScriptParseTest, WordsCommentsQuotesAndBrackets) {
  std::vector<Edit> edits = parse_edit_script(
      "# a comment line\n"
      "\n"
      "rename-node conv1 stem_conv   # trailing comment\n"
      "  set-attr \"my node\" strides [2, 2]\n"
      "set-input-shape x [batch, 3, 224, 224]\n"
      "set-attr n pads ints:[]\n"
      "rename-tensor a#1 \"b c\"\n",
      "edits.txt");
  ASSERT_EQ(edits.size(), 5u);
  EXPECT_EQ(edits[0].text(), "rename-node conv1 stem_conv");
  EXPECT_EQ(edits[0].origin, "edits.txt line 3");
  EXPECT_EQ(edits[1].args, (Names{"\"my node\"", "strides", "[2, 2]"}));
  EXPECT_EQ(edits[1].origin, "edits.txt line 4");
  EXPECT_EQ(edits[2].args, (Names{"x", "[batch, 3, 224, 224]"}));
  EXPECT_EQ(edits[3].args, (Names{"n", "pads", "ints:[]"}));
  EXPECT_EQ(edits[4].args, (Names{"a#1", "\"b c\""}));
}

TEST(EditScriptParseTest, BadLinesAreNamedWithTheirNumberAndWhy) {
  EXPECT_EQ(error_of([] { parse_edit_script("rename-node a b\nrename-nod a b\n", "e.txt"); }),
            "e.txt line 2: rename-nod a b: unknown edit 'rename-nod'; closest: 'rename-node'");
  EXPECT_EQ(error_of([] { parse_edit_script("set-attr conv strides\n", "e.txt"); }),
            "e.txt line 1: set-attr conv strides: set-attr takes 'NODE ATTR VALUE' after it, got 2 words");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("\n\nset-attr c strides [2, 2\n", "e.txt"); }),
                  "e.txt line 3: set-attr c strides [2, 2: a '[' without its ']'");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("set-input-dtype x flaot16\n", "e.txt"); }),
                  "e.txt line 1: set-input-dtype x flaot16: unknown element type 'flaot16'; closest: 'float16'");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("set-input-shape x 1x-3\n", "e.txt"); }), "e.txt line 1:");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("set-batch 0\n", "e.txt"); }), "batch size 0 is not positive");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("set-opset ai.onnx:x\n", "e.txt"); }),
                  "opset version 'x' is not a positive integer");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("rename-node \"a b\n", "e.txt"); }), "a quoted word is not closed");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("set-attr n a [1, [2]]\n", "e.txt"); }), "lists of lists");
  EXPECT_CONTAINS(error_of([] { parse_edit_script("cleanup now\n", "e.txt"); }), "cleanup takes no words after it");
}

TEST(EditScriptParseTest, FlagsBecomeTheSameEdits) {
  auto texts = [](const std::vector<Edit>& edits) {
    Names t;
    for (const Edit& e : edits) t.push_back(e.text());
    return t;
  };
  EXPECT_EQ(texts(edits_from_flag("rename-node", "conv1=stem conv")), (Names{"rename-node conv1 \"stem conv\""}));
  EXPECT_EQ(texts(edits_from_flag("set-attr", "model/conv.1.strides=[2,2]")),
            (Names{"set-attr model/conv.1 strides [2,2]"}));
  EXPECT_EQ(texts(edits_from_flag("remove-attr", "Conv_3.group")), (Names{"remove-attr Conv_3 group"}));
  EXPECT_EQ(texts(edits_from_flag("set-input-shape", "x:1x3xHxW,mask:[batch,seq]")),
            (Names{"set-input-shape x [1, 3, H, W]", "set-input-shape mask [batch, seq]"}));
  EXPECT_EQ(texts(edits_from_flag("set-input-dtype", "x:float16")), (Names{"set-input-dtype x float16"}));
  EXPECT_EQ(texts(edits_from_flag("set-outputs", "a,b")), (Names{"set-outputs a b"}));
  EXPECT_EQ(texts(edits_from_flag("add-output", "a,b")), (Names{"add-output a", "add-output b"}));
  EXPECT_EQ(texts(edits_from_flag("set-opset", "com.example:1")), (Names{"set-opset com.example:1"}));
  EXPECT_EQ(texts(edits_from_flag("set-node-input", "add.1=bias")), (Names{"set-node-input add 1 bias"}));
  EXPECT_EQ(edits_from_flag("remove-node", "n")[0].origin, "--remove-node");
  EXPECT_EQ(error_of([] { edits_from_flag("rename-node", "conv1"); }), "--rename-node wants OLD=NEW, got 'conv1'");
  EXPECT_EQ(error_of([] { edits_from_flag("set-attr", "conv1=3"); }), "--set-attr wants NODE.ATTR=VALUE, got 'conv1'");
  EXPECT_CONTAINS(error_of([] { edits_from_flag("set-input-dtype", "x:flaot"); }),
                  "--set-input-dtype x:flaot: unknown element type 'flaot'");
}

// ---------------------------------------------------------------------------------------
// Attribute values

TEST(AttributeTextTest, ValuesTakeTheirNaturalType) {
  EXPECT_EQ(parse_attribute_value("a", "3").type, AttrType::kInt);
  EXPECT_EQ(parse_attribute_value("a", "-1").i, -1);
  EXPECT_EQ(parse_attribute_value("a", "0.5").f, 0.5f);
  EXPECT_EQ(parse_attribute_value("a", "1e-5").type, AttrType::kFloat);
  EXPECT_EQ(parse_attribute_value("a", "\"3\"").s, "3");
  EXPECT_EQ(parse_attribute_value("a", "linear").s, "linear");
  EXPECT_EQ(parse_attribute_value("a", "[1, 2]").ints, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(parse_attribute_value("a", "[0.5,1]").floats, (std::vector<float>{0.5f, 1.0f}));
  EXPECT_EQ(parse_attribute_value("a", "[\"x, y\", b]").strings, (Names{"x, y", "b"}));
  EXPECT_EQ(parse_attribute_value("a", "float:2").type, AttrType::kFloat);
  EXPECT_EQ(parse_attribute_value("a", "ints:[]").type, AttrType::kInts);
  EXPECT_EQ(parse_attribute_value("a", "string:3").s, "3");
}

TEST(AttributeTextTest, TheExistingTypeSettlesWhatTheTextLeavesOpen) {
  Attribute alpha = Attribute::of_float("alpha", 0.1f), pads = Attribute::of_ints("pads", {1, 1});
  Attribute mode = Attribute::of_string("mode", "nearest"), group = Attribute::of_int("group", 1);
  EXPECT_EQ(parse_attribute_value("alpha", "2", &alpha).type, AttrType::kFloat);
  EXPECT_EQ(parse_attribute_value("pads", "[]", &pads).type, AttrType::kInts);
  EXPECT_EQ(parse_attribute_value("mode", "3", &mode).s, "3");
  EXPECT_EQ(error_of([&] { parse_attribute_value("group", "[2]", &group); }),
            "'[2]' is a ints value but attribute 'group' is int (write int or change the type explicitly: ints:[2])");
  EXPECT_EQ(parse_attribute_value("group", "ints:[2]", &group).type, AttrType::kInts);
  EXPECT_EQ(error_of([] { parse_attribute_value("pads", "[]"); }),
            "'[]' does not say its type: write ints:[], floats:[] or strings:[]");
  EXPECT_CONTAINS(error_of([] { parse_attribute_value("a", "int:1.5"); }), "'1.5' is not an integer");
}

TEST(AttributeTextTest, TextReadsBackToTheSameValue) {
  for (const Attribute& a :
       {Attribute::of_int("a", -7), Attribute::of_float("a", 0.1f), Attribute::of_float("a", 3.0f),
        Attribute::of_float("a", 1e-7f), Attribute::of_string("a", "say \"hi\"\n"), Attribute::of_ints("a", {}),
        Attribute::of_ints("a", {1, 2}), Attribute::of_floats("a", {0.5f, 2.0f}), Attribute::of_floats("a", {})}) {
    Attribute back = parse_attribute_value("a", attribute_value_text(a));
    EXPECT_EQ(back.type, a.type) << attribute_value_text(a);
    EXPECT_TRUE(attribute_value_matches(a, back)) << attribute_value_text(a);
  }
  EXPECT_EQ(attribute_value_text(Attribute::of_float("a", 0.1f)), "0.1");
  EXPECT_EQ(attribute_value_text(Attribute::of_floats("a", {1.0f})), "[1.0]");
}

// ---------------------------------------------------------------------------------------
// Applying

TEST(EditScriptApplyTest, AScriptEditsACopyThatRuns) {
  Model m = chain_model();
  std::vector<EditResult> results;
  Model out = edited(m,
                     "rename-node leaky act\n"
                     "rename-tensor y out\n"
                     "remove-node id1            # reconnects mul1 to x\n"
                     "set-attr act alpha 0.5\n"
                     "set-input-shape x [batch, 4]\n",
                     &results);
  EXPECT_EQ(text(*out.graph),
            "in: x\n"
            "init: scale\n"
            "mul1: Mul(x, scale) -> m\n"
            "act: LeakyRelu(m) -> out\n"
            "relu1: Relu(m) -> r\n"
            "out: out, r\n");
  EXPECT_TRUE(links_consistent(*out.graph));
  EXPECT_EQ(text(*m.graph), kChainText);  // the original is untouched
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0].done, "renamed node 'leaky' (LeakyRelu) to 'act'");
  EXPECT_EQ(results[2].done, "removed node 'id1' (Identity); readers of 'i' now read 'x'");
  EXPECT_EQ(results[3].done, "set attribute 'alpha' of node 'act' (LeakyRelu) to 0.5 (was 0.1)");
  EXPECT_EQ(results[4].done, "set the shape of 'x' to [batch, 4] (was [1, 4])");
  EXPECT_EQ(results[4].origin, "edits.txt line 5");

  auto before = run_chain(m);
  EXPECT_TRUE(all_close(before["y"], {-0.1f, 4, -0.9f, 16}));
  auto after = run_chain(out, {2, 4}, {1, 2, 3, 4, -1, -2, -3, -4});  // batch 2 now fits
  EXPECT_TRUE(all_close(after["out"], {-0.5f, 4, -4.5f, 16, 1, -2, 9, -8}));
  EXPECT_TRUE(all_close(after["r"], {0, 4, 0, 16, 1, 0, 9, 0}));
}

TEST(EditScriptApplyTest, AFailingEditNamesItsLineAndChangesNothing) {
  Model m = chain_model();
  EXPECT_EQ(edit_error(m,
                       "rename-node leaky act\n"
                       "remove-node id1\n"
                       "set-attr mull alpha 0.5\n"),
            "edits.txt line 3: set-attr mull alpha 0.5: graph 'g' has no node named 'mull'; closest: 'mul1'");
  EXPECT_EQ(text(*m.graph), kChainText);
  EXPECT_TRUE(links_consistent(*m.graph));
}

TEST(EditScriptApplyTest, EditsThatWouldBreakTheGraphAreRefusedWithTheReason) {
  Model m = chain_model();
  EXPECT_EQ(edit_error(m, "rename-node leaky relu1"),
            "edits.txt line 1: rename-node leaky relu1: cannot rename node 'leaky' (LeakyRelu) to 'relu1': node "
            "'relu1' (Relu) in graph 'g' has that name");
  EXPECT_CONTAINS(edit_error(m, "rename-tensor m r"), "cannot rename tensor 'm' to 'r'");
  EXPECT_CONTAINS(edit_error(m, "set-node-input mul1 0 r"), "the edit would create a cycle in graph 'g'");
  EXPECT_CONTAINS(edit_error(m, "set-node-input mul1 0 nowhere"), "has no tensor named 'nowhere'");
  EXPECT_CONTAINS(edit_error(m, "set-node-input mul1 5 x"), "would leave a gap");
  EXPECT_CONTAINS(edit_error(m, "set-attr leaky alpha [1, 2]"), "attribute 'alpha' is float");
  EXPECT_CONTAINS(edit_error(m, "remove-attr leaky alpah"), "has no attribute 'alpah'; closest: 'alpha'");
  EXPECT_CONTAINS(edit_error(m, "set-outputs y,rr"), "has no tensor named 'rr'; closest: 'r'");
  EXPECT_CONTAINS(edit_error(m, "add-output y"), "tensor 'y' is already an output");
  EXPECT_CONTAINS(edit_error(m, "remove-output m"), "'m' is not an output of graph 'g'");
  EXPECT_CONTAINS(edit_error(m, "set-input-shape m 1x4"), "'m' is not a graph input; inputs: 'x'");
  EXPECT_CONTAINS(edit_error(m, "set-shape scale 4"), "it is a constant");
  EXPECT_CONTAINS(edit_error(m, "remove-opset com.example"), "imports no opset of domain 'com.example'");
  EXPECT_EQ(text(*m.graph), kChainText);
}

TEST(EditScriptApplyTest, RemovingANodeWithTwoReadOutputsIsRefused) {
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {4});
  TensorPtr a = tensor("a"), b = tensor("b");
  g.add_node("Split", {x}, {a, b}, "split");
  g.outputs = {a, b};
  EXPECT_CONTAINS(edit_error(m, "remove-node split"),
                  "cannot remove node 'split' (Split): outputs 'a' and 'b' are both read");
}

TEST(EditScriptApplyTest, SetOutputsAndCleanupCutTheGraph) {
  Model m = chain_model();
  std::vector<EditResult> results;
  Model out = edited(m, "set-outputs m\nset-shape m [1, 4]\nset-dtype m float32\ncleanup\n", &results);
  EXPECT_EQ(text(*out.graph), "in: x\ninit: scale\nid1: Identity(x) -> i\nmul1: Mul(i, scale) -> m\nout: m\n");
  EXPECT_EQ(results[0].done, "graph outputs are now 'm' (were 'y', 'r')");
  EXPECT_EQ(results[3].done, "cleanup removed 2 nodes, 0 initializers and 0 value_info entries");
  EXPECT_TRUE(all_close(run_chain(out)["m"], {-1, 4, -9, 16}));
}

TEST(EditScriptApplyTest, AddOutputReadsAnIntermediate) {
  Model out = edited(chain_model(), "add-output m\nset-dtype m float32\n");
  auto values = run_chain(out);
  EXPECT_TRUE(all_close(values["m"], {-1, 4, -9, 16}));
  EXPECT_TRUE(all_close(values["y"], {-0.1f, 4, -0.9f, 16}));
}

TEST(EditScriptApplyTest, RewiringAnInputChangesWhatRuns) {
  Model out = edited(chain_model(), "set-node-input relu1 0 x\n");
  EXPECT_CONTAINS(text(*out.graph), "relu1: Relu(x) -> r\n");
  EXPECT_TRUE(all_close(run_chain(out, {1, 4}, {-1, 2, -3, 4})["r"], {0, 2, 0, 4}));
}

TEST(EditScriptApplyTest, TypesBatchOpsetsAndMetadata) {
  std::vector<EditResult> results;
  Model out = edited(chain_model(),
                     "set-batch N\n"
                     "set-input-dtype x:float16\n"
                     "set-opset 18\n"
                     "set-opset com.example 1\n"
                     "set-metadata author \"graft tests\"\n"
                     "remove-opset com.example\n",
                     &results);
  EXPECT_EQ(out.graph->inputs[0]->type.str(), "float16[N, 4]");
  EXPECT_EQ(out.graph->outputs[0]->type.str(), "float32[N, 4]");
  EXPECT_EQ(out.opset(""), 18);
  EXPECT_EQ(out.opset("com.example"), 0);
  EXPECT_EQ(out.metadata_props, (KeyValues{{"author", "graft tests"}}));
  EXPECT_EQ(results[0].done, "set dim 0 of 3 graph inputs and outputs to N");
  EXPECT_EQ(results[2].done, "set the opset of ai.onnx to 18 (was 17)");
  EXPECT_EQ(results[3].done, "set the opset of com.example to 1 (new import)");
  EXPECT_CONTAINS(edit_error(out, "remove-metadata auther"), "no metadata entry 'auther'; closest: 'author'");
}

TEST(EditScriptApplyTest, RemovedAttributesTakeTheirDefaultAndOtherEditsRun) {
  std::vector<EditResult> results;
  Model out = edited(chain_model(),
                     "remove-attr leaky alpha      # LeakyRelu's default alpha is 0.01\n"
                     "set-batch B\n"
                     "remove-output r\n"
                     "set-opset 18\n"
                     "set-metadata k v\n",
                     &results);
  EXPECT_EQ(text(*out.graph),
            "in: x\n"
            "init: scale\n"
            "id1: Identity(x) -> i\n"
            "mul1: Mul(i, scale) -> m\n"
            "leaky: LeakyRelu(m) -> y\n"
            "relu1: Relu(m) -> r\n"
            "out: y\n");
  EXPECT_EQ(results[0].done, "removed attribute 'alpha' = 0.1 of node 'leaky' (LeakyRelu)");
  EXPECT_EQ(out.graph->nodes()[2]->attributes.size(), 0u);
  auto values = run_chain(out, {3, 4}, {1, 2, 3, 4, 1, 1, 1, 1, -1, -1, -1, -1});  // batch 3 fits B
  ASSERT_EQ(values.size(), 1u);
  EXPECT_TRUE(all_close(values["y"], {-0.01f, 4, -0.09f, 16, -0.01f, 2, -0.03f, 4, 1, -0.02f, 3, -0.04f}));
}

TEST(EditScriptApplyTest, ANewInputTypeRuns) {
  // x: float32[3] -> Cast(to=float32) -> Relu -> y; fed float16 after the edit.
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {3});
  TensorPtr c = tensor("c"), y = Tensor::variable("y", DataType::kFloat, Shape::of({3}));
  g.add_node("Cast", {x}, {c}, "cast")->set_attr(Attribute::of_int("to", 1));
  g.add_node("Relu", {c}, {y}, "relu");
  g.outputs = {y};
  Model out = edited(m, "set-input-dtype x float16\nset-shape c [3]\nset-dtype c float32\n");
  EXPECT_EQ(out.graph->inputs[0]->type.str(), "float16[3]");
  ASSERT_EQ(out.graph->value_info.size(), 1u);
  EXPECT_EQ(out.graph->value_info[0]->type.str(), "float32[3]");
  cpu::HostTensor half(DataType::kFloat16, {3});
  const uint16_t bits[3] = {0x3C00, 0xC000, 0x3800};  // 1, -2, 0.5
  std::memcpy(half.mutable_raw(), bits, sizeof bits);
  engine::CpuExecutor exec(out);
  EXPECT_EQ(exec.run({{"x", cpu::Value::of(half)}})[0].value.tensor.to_doubles(), (std::vector<double>{1, 0, 0.5}));
  EXPECT_CONTAINS(error_of([&] {
                    engine::CpuExecutor(out).run({{"x", cpu::Value::of(host_floats({3}, {1, 2, 3}))}});
                  }),
                  "input 'x'");
}

TEST(EditScriptApplyTest, NodesAndTensorsInsideSubgraphsAreFound) {
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr c = Tensor::variable("c", DataType::kBool, Shape::scalar());
  TensorPtr x = float_input(g, "x", {2});
  g.inputs.insert(g.inputs.begin(), c);
  Node* node = g.add_node("If", {c}, {Tensor::variable("y", DataType::kFloat, Shape::of({2}))}, "if");
  Graph& then_g = add_subgraph(node, "then_branch");
  Graph& else_g = add_subgraph(node, "else_branch");
  TensorPtr t = Tensor::variable("t", DataType::kFloat, Shape::of({2}));
  then_g.add_node("Neg", {x}, {t}, "neg");
  then_g.outputs = {t};
  TensorPtr e = Tensor::variable("e", DataType::kFloat, Shape::of({2}));
  else_g.add_node("Relu", {x}, {e}, "relu");
  else_g.outputs = {e};
  g.outputs = {node->output(0)};

  Model out = edited(m, "rename-node neg negate\nrename-tensor t negated\nset-node-input relu 0 x\n");
  EXPECT_EQ(text(*out.graph),
            "in: c, x\n"
            "if: If(c) -> y\n"
            "  in: \n"
            "  negate: Neg(x) -> negated\n"
            "  out: negated\n"
            "  in: \n"
            "  relu: Relu(x) -> e\n"
            "  out: e\n"
            "out: y\n");
  cpu::HostTensor yes(DataType::kBool, {});
  *yes.mutable_data<bool>() = true;
  std::vector<engine::NamedValue> inputs = {{"c", cpu::Value::of(yes)},
                                            {"x", cpu::Value::of(host_floats({2}, {1, -2}))}};
  engine::CpuExecutor exec(out);
  std::vector<double> y = exec.run(inputs)[0].value.tensor.to_doubles();
  EXPECT_EQ(y, (std::vector<double>{-1, 2}));
  EXPECT_CONTAINS(edit_error(m, "rename-node negg n"), "has no node named 'negg'; closest: 'neg'");
}

}  // namespace
}  // namespace graft
