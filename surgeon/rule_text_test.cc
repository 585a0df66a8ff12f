// Tests of rewrite rules written as text (rule_text.h): parsing and its errors, exact
// resulting graphs, per-rule counts, and that the rewritten models run on the CPU engine
// with the expected outputs.
#include "surgeon/rule_text.h"

#include <cmath>

#include "surgeon/run_test_util.h"
#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

const char* kSwishRules =
    "# a Sigmoid gating its own input is a Swish\n"
    "rule fuse_swish: x -> Sigmoid(x) as s; Mul(x, s) as y => com.example.Swish(x) -> y\n";
const char* kExpandSwish = "rule expand_swish: com.example.Swish(x) as y => Sigmoid(x) as s; Mul(x, s) -> y\n";

// x: float32[1, 4]; a: Sigmoid(x) -> s; mul: Mul(s, x) -> y; n: Neg(y) -> out.
Model swish_model() {
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {1, 4});
  TensorPtr s = tensor("s"), y = tensor("y");
  TensorPtr out = Tensor::variable("out", DataType::kFloat, Shape::of({1, 4}));
  g.add_node("Sigmoid", {x}, {s}, "a");
  g.add_node("Mul", {s, x}, {y}, "mul");  // the other input order: Mul matches either
  g.add_node("Neg", {y}, {out}, "n");
  g.outputs = {out};
  return m;
}

std::vector<float> run_x(const Model& m, std::vector<float> x = {-2, -0.5f, 0.5f, 3}) {
  return run_floats(m, {{"x", host_floats({1, static_cast<int64_t>(x.size())}, x)}}).begin()->second;
}

RuleSetReport rewrite(Model& m, const std::string& rules, RuleSetOptions options = {}) {
  return apply_rule_set(m, parse_rules(rules, "rules.txt"), options);
}

std::string rule_error(const std::string& rules) {
  return error_of([&] { parse_rules(rules, "rules.txt"); });
}

// ---------------------------------------------------------------------------------------
// Parsing

TEST(RuleTextParseTest, RulesKeepTheirNamesOriginsAndText) {
  RuleSet set = parse_rules(std::string(kSwishRules) + "\n" + kExpandSwish, "rules.txt");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].name, "fuse_swish");
  EXPECT_EQ(set.rules[0].origin, "rules.txt line 2");
  EXPECT_EQ(set.rules[0].text, "rule fuse_swish: x -> Sigmoid(x) as s; Mul(x, s) as y => com.example.Swish(x) -> y");
  EXPECT_EQ(set.rules[1].origin, "rules.txt line 4");
  EXPECT_EQ(set.replacement_domains, (Names{"com.example"}));
}

TEST(RuleTextParseTest, ARuleMaySpanLines) {
  RuleSet set = parse_rules(
      "rule conv_relu:\n"
      "    Relu(Conv(x, const w, b?) [group=1] as c)   # the Conv's output feeds only the Relu\n"
      "  => com.example.ConvRelu(x, w, b) [c.*, activation=\"Relu\"]\n"
      "rule drop_identity: Identity(x) as y => Identity(x) -> y\n",
      "rules.txt");
  ASSERT_EQ(set.rules.size(), 2u);
  EXPECT_EQ(set.rules[0].text,
            "rule conv_relu: Relu(Conv(x, const w, b?) [group=1] as c) => com.example.ConvRelu(x, w, b) [c.*, "
            "activation=\"Relu\"]");
}

TEST(RuleTextParseTest, ErrorsNameTheLineTheRuleAndWhy) {
  EXPECT_EQ(rule_error("rule r: x -> Sigmoid(x) as s; Mul(x, s) as y => Foo(s) -> y"),
            "rules.txt line 1: rule r: the replacement reads 's', which the match removes; make it again first "
            "(Op(...) -> s) or read the pattern's inputs");
  EXPECT_EQ(rule_error("rule r: Sigmoid(x) as s; Relu(x) as y => Foo(x) -> y"),
            "rules.txt line 1: rule r: Sigmoid(...) as s feeds no later op of the pattern; every op must lead to "
            "the last one (the root)");
  EXPECT_EQ(rule_error("rule r: Relu(xx) as y => Foo(x) -> y"),
            "rules.txt line 1: rule r: the replacement reads 'x', which neither the pattern nor an earlier op of "
            "the replacement names; closest: 'xx'");
  EXPECT_CONTAINS(rule_error("rule r: Relu(x) as y => Foo(x) as f"),
                  "rule r: the replacement does not make the pattern's result 'y': end it with '-> y'");
  EXPECT_EQ(rule_error("\n\nrule r: Relu(x as y => Foo(x)"),
            "rules.txt line 3: rule r: expected ')' after the inputs of Relu, got 'as'");
  EXPECT_CONTAINS(rule_error("rule r: Relu(x) => Foo(x)\nrule r: Neg(x) => Foo(x)"),
                  "rules.txt line 2: rule r: a rule of this name comes earlier");
  EXPECT_CONTAINS(rule_error("rule r: Relu(Conv(x, w) as c) => Foo(x) [cc.*]"),
                  "'cc' names no op of the pattern (name one with 'as cc' to copy its attributes); closest: 'c'");
  EXPECT_CONTAINS(rule_error("rule r: Relu(x) as y => Foo(x) -> x"), "'-> x': only tensors that pattern ops produce");
  EXPECT_CONTAINS(rule_error("rule r: Conv(x, w) [group=[1,] => Foo(x)"), "rules.txt line 1: rule r:");
  EXPECT_CONTAINS(rule_error("Relu(x) => Foo(x)"), "expected 'rule NAME:' to start a rule, got 'Relu'");
  EXPECT_CONTAINS(rule_error("# nothing\n"), "rules.txt: no rules");
}

// ---------------------------------------------------------------------------------------
// Applying

TEST(RuleTextApplyTest, FuseIntoACustomOpAndExpandBack) {
  Model m = swish_model();
  const std::vector<float> before = run_x(m);

  RuleSetReport fused = rewrite(m, kSwishRules);
  EXPECT_EQ(text(*m.graph),
            "in: x\n"
            "mul: com.example::Swish(x) -> y\n"
            "n: Neg(y) -> out\n"
            "out: out\n");
  ASSERT_EQ(fused.rules.size(), 1u);
  EXPECT_EQ(fused.rules[0].fired, 1u);
  EXPECT_EQ(fused.opsets_added, (Names{"com.example"}));
  EXPECT_EQ(m.opset("com.example"), 1);
  EXPECT_TRUE(fused.reached_fixpoint);

  RuleSetReport expanded = rewrite(m, kExpandSwish);
  EXPECT_EQ(expanded.total(), 1u);
  EXPECT_EQ(text(*m.graph),
            "in: x\n"
            "mul/Sigmoid: Sigmoid(x) -> y_s\n"
            "mul: Mul(x, y_s) -> y\n"
            "n: Neg(y) -> out\n"
            "out: out\n");
  EXPECT_TRUE(links_consistent(*m.graph));
  m.graph->check();
  EXPECT_EQ(run_x(m), before);  // the same ops: bit-identical
}

TEST(RuleTextApplyTest, NestedPatternsAndAnImplicitResult) {
  Model m = swish_model();
  RuleSetReport r = rewrite(m, "rule swish: Mul(x, Sigmoid(x)) => com.example.Swish(x)\n");
  EXPECT_EQ(r.total(), 1u);
  EXPECT_CONTAINS(text(*m.graph), "mul: com.example::Swish(x) -> y\n");
}

TEST(RuleTextApplyTest, AnIntermediateReadElsewhereIsNotFused) {
  Model m = swish_model();
  Graph& g = *m.graph;
  TensorPtr s = g.find_tensor("s");
  TensorPtr gate = Tensor::variable("gate", DataType::kFloat, Shape::of({1, 4}));
  g.add_node("Identity", {s}, {gate}, "keep");
  g.outputs.push_back(gate);
  const std::string before = text(g);
  RuleSetReport r = rewrite(m, kSwishRules);
  EXPECT_EQ(r.total(), 0u);
  EXPECT_EQ(r.rules[0].declined, 0u);  // not even a match: 's' must be single-use
  EXPECT_EQ(text(g), before);
  EXPECT_TRUE(r.opsets_added.empty());
}

// y = Relu(Conv(x, w, b)) twice, one Conv with group=1 and one with group=2.
Model conv_relu_model() {
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {1, 2, 3, 3});
  std::vector<float> wv(2 * 2 * 3 * 3), wg(2 * 1 * 3 * 3);
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = std::sin(float(i)) * 0.5f;
  for (size_t i = 0; i < wg.size(); ++i) wg[i] = std::cos(float(i)) * 0.5f;
  TensorPtr w = float_constant(g, "w", wv, {2, 2, 3, 3});
  TensorPtr wgt = float_constant(g, "wg", wg, {2, 1, 3, 3});
  TensorPtr b = float_constant(g, "b", {0.1f, -0.2f}, {2});
  TensorPtr c1 = tensor("c1"), c2 = tensor("c2");
  TensorPtr r1 = Tensor::variable("r1", DataType::kFloat, Shape::of({1, 2, 3, 3}));
  TensorPtr r2 = Tensor::variable("r2", DataType::kFloat, Shape::of({1, 2, 3, 3}));
  Node* conv1 = g.add_node("Conv", {x, w, b}, {c1}, "conv1");
  conv1->set_attr(Attribute::of_ints("pads", {1, 1, 1, 1}));
  conv1->set_attr(Attribute::of_int("group", 1));
  g.add_node("Relu", {c1}, {r1}, "relu1");
  Node* conv2 = g.add_node("Conv", {x, wgt}, {c2}, "conv2");
  conv2->set_attr(Attribute::of_ints("pads", {1, 1, 1, 1}));
  conv2->set_attr(Attribute::of_int("group", 2));
  g.add_node("Relu", {c2}, {r2}, "relu2");
  g.outputs = {r1, r2};
  return m;
}

std::map<std::string, std::vector<float>> run_conv(const Model& m) {
  std::vector<float> x(18);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.0f;
  return run_floats(m, {{"x", host_floats({1, 2, 3, 3}, x)}});
}

TEST(RuleTextApplyTest, AttributesAreMatchedAndCopied) {
  Model m = conv_relu_model();
  auto before = run_conv(m);
  RuleSetReport fused = rewrite(m,
                                "rule conv_relu: Relu(Conv(x, const w, b?) [group=1] as c) =>\n"
                                "    com.example.ConvRelu(x, w, b) [c.*, activation=\"Relu\"]\n");
  EXPECT_EQ(fused.total(), 1u);  // group=2 does not match
  EXPECT_EQ(text(*m.graph),
            "in: x\n"
            "init: w, wg, b\n"
            "relu1: com.example::ConvRelu(x, w, b) -> r1\n"
            "conv2: Conv(x, wg) -> c2\n"
            "relu2: Relu(c2) -> r2\n"
            "out: r1, r2\n");
  const Node& fused_node = *m.graph->find_node("relu1");
  ASSERT_EQ(fused_node.attributes.size(), 3u);
  EXPECT_EQ(fused_node.attr("pads")->ints, (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(fused_node.attr("activation")->s, "Relu");

  // And back, copying one attribute under its own name and leaving the marker out.
  RuleSetReport split = rewrite(m,
                                "rule split: com.example.ConvRelu(x, w, b?) [activation=\"Relu\"] as f =>\n"
                                "    Relu(Conv(x, w, b) [f.pads, group=f.group])\n");
  EXPECT_EQ(split.total(), 1u);
  EXPECT_EQ(text(*m.graph),
            "in: x\n"
            "init: w, wg, b\n"
            "relu1/Conv: Conv(x, w, b) -> r1_Conv\n"
            "relu1: Relu(r1_Conv) -> r1\n"
            "conv2: Conv(x, wg) -> c2\n"
            "relu2: Relu(c2) -> r2\n"
            "out: r1, r2\n");
  EXPECT_EQ(m.graph->find_node("relu1/Conv")->attributes.size(), 2u);
  auto after = run_conv(m);
  EXPECT_EQ(after["r1"], before["r1"]);
  EXPECT_EQ(after["r2"], before["r2"]);
}

TEST(RuleTextApplyTest, AbsentAndOrAbsentAttributeChecks) {
  Model m = conv_relu_model();
  m.graph->find_node("conv1")->remove_attr("group");
  EXPECT_EQ(rewrite(m, "rule r: Relu(Conv(x, w, b?) [group=1] as c) => com.example.F(x)\n").total(), 0u);
  EXPECT_EQ(rewrite(m, "rule r: Relu(Conv(x, w, b?) [group=1 or absent] as c) => com.example.F(x)\n").total(), 1u);
  Model m2 = conv_relu_model();
  m2.graph->find_node("conv1")->remove_attr("group");
  EXPECT_EQ(rewrite(m2, "rule r: Relu(Conv(x, w, b?) [group absent] as c) => com.example.F(x)\n").total(), 1u);
  EXPECT_CONTAINS(text(*m2.graph), "relu1: com.example::F(x) -> r1\n");
}

// HardSwish written out as exporters do: x * Clip(x + 3, 0, 6) / 6 (Clip 11+ reads its bounds).
Model hardswish_model() {
  Model m = empty_model(14);
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {1, 6});
  TensorPtr three = float_constant(g, "three", {3}, {}), six = float_constant(g, "six", {6}, {});
  TensorPtr zero = float_constant(g, "zero", {0}, {});
  TensorPtr a = tensor("a"), c = tensor("c"), mm = tensor("m");
  TensorPtr y = Tensor::variable("y", DataType::kFloat, Shape::of({1, 6}));
  g.add_node("Add", {x, three}, {a}, "add");
  g.add_node("Clip", {a, zero, six}, {c}, "clip");
  g.add_node("Mul", {x, c}, {mm}, "mul");
  g.add_node("Div", {mm, six}, {y}, "div");
  g.outputs = {y};
  return m;
}

TEST(RuleTextApplyTest, NumbersMatchConstantsAndBecomeConstants) {
  const std::vector<float> x = {-4, -3, -1, 0, 1.5f, 4};
  Model m = hardswish_model();
  const std::vector<float> before = run_x(m, x);
  RuleSetReport fused = rewrite(m,
                                "rule fuse_hardswish: x -> Add(x, 3) as a; Clip(a, 0, 6.0) as c; Mul(x, c) as m;\n"
                                "    Div(m, 6) as y => HardSwish(x) -> y\n");
  EXPECT_EQ(fused.total(), 1u);
  EXPECT_EQ(fused.cleanup.initializers, 3u);  // three, zero and six are unused now
  EXPECT_EQ(text(*m.graph), "in: x\ndiv: HardSwish(x) -> y\nout: y\n");
  EXPECT_TRUE(all_close(run_x(m, x), before));

  RuleSetReport expanded =
      rewrite(m, "rule expand_hardswish: HardSwish(x) as y => Div(Mul(x, Clip(Add(x, 3.0), 0.0, 6.0)), 6.0) -> y\n");
  EXPECT_EQ(expanded.total(), 1u);
  EXPECT_EQ(text(*m.graph),
            "in: x\n"
            "init: y_const, y_const_1, y_const_2, y_const_3\n"
            "div/Add: Add(x, y_const) -> y_Add\n"
            "div/Clip: Clip(y_Add, y_const_1, y_const_2) -> y_Clip\n"
            "div/Mul: Mul(x, y_Clip) -> y_Mul\n"
            "div: Div(y_Mul, y_const_3) -> y\n"
            "out: y\n");
  EXPECT_EQ(run_x(m, x), before);  // the same arithmetic as the original: bit-identical
  EXPECT_EQ(m.graph->initializers[0]->dtype(), DataType::kFloat);
}

TEST(RuleTextApplyTest, AValueThatDiffersIsNotMatched) {
  Model m = hardswish_model();
  EXPECT_EQ(rewrite(m, "rule r: x -> Add(x, 2) as a; Clip(a, _, _) as c; Mul(x, c) => HardSwish(x)\n").total(), 0u);
  EXPECT_EQ(
      rewrite(m, "rule r: x -> Add(x, const k) as a; Clip(a, _, _) as c; Mul(x, c) => com.example.G(x, k)\n").total(),
      1u);
}

TEST(RuleTextApplyTest, AMatchWhoseRewriteWouldBreakTheGraphIsDeclinedAndCounted) {
  // r = Relu(x); y = Mul(r, r): `a` binds r, which the match removes.
  Model m = empty_model();
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {1, 4});
  TensorPtr r = tensor("r");
  TensorPtr y = Tensor::variable("y", DataType::kFloat, Shape::of({1, 4}));
  g.add_node("Relu", {x}, {r}, "relu");
  g.add_node("Mul", {r, r}, {y}, "mul");
  g.outputs = {y};
  const std::string before = text(g);
  RuleSetReport report = rewrite(m, "rule r: Mul(a, Relu(b)) => com.example.F(a, b)\n");
  EXPECT_EQ(report.total(), 0u);
  EXPECT_EQ(report.rules[0].declined, 1u);
  EXPECT_CONTAINS(
      report.rules[0].first_decline,
      "node 'mul' (Mul): new node 'mul' (com.example::F) would read tensor 'r', which nothing would define");
  EXPECT_EQ(text(g), before);
  EXPECT_TRUE(links_consistent(g));
}

TEST(RuleTextApplyTest, RulesThatUndoEachOtherDoNotReachAFixpoint) {
  Model m = swish_model();
  RuleSetReport r = rewrite(m, std::string(kSwishRules) + kExpandSwish, {.max_iterations = 6});
  EXPECT_FALSE(r.reached_fixpoint);
  EXPECT_EQ(r.iterations, 6u);
}

TEST(RuleTextApplyTest, MultipleOutputsCanBeNamedAndMadeAgain) {
  Model m = empty_model(13);
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {4});
  TensorPtr a = tensor("a"), b = tensor("b");
  TensorPtr y = Tensor::variable("y", DataType::kFloat, Shape::of({2}));
  TensorPtr z = Tensor::variable("z", DataType::kFloat, Shape::of({2}));
  g.add_node("Split", {x}, {a, b}, "split");
  g.add_node("Neg", {a}, {y}, "neg");
  g.add_node("Relu", {b}, {z}, "relu");
  g.outputs = {y, z};
  auto before = run_floats(m, {{"x", host_floats({4}, {1, -2, 3, -4})}});
  // Swap which half goes where, twice: back where it was.
  RuleSetReport r =
      rewrite(m, "rule swap: Split(x) [axis absent] as (p, q) => Split(Neg(Neg(x))) [axis=0] -> (p, q)\n");
  EXPECT_EQ(r.total(), 1u);
  EXPECT_EQ(text(*m.graph),
            "in: x\n"
            "split/Neg: Neg(x) -> a_Neg\n"
            "split/Neg_1: Neg(a_Neg) -> a_Neg_1\n"
            "split: Split(a_Neg_1) -> a, b\n"
            "neg: Neg(a) -> y\n"
            "relu: Relu(b) -> z\n"
            "out: y, z\n");
  EXPECT_EQ(run_floats(m, {{"x", host_floats({4}, {1, -2, 3, -4})}}), before);
}

}  // namespace
}  // namespace graft
