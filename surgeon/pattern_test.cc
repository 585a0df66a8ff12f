// Tests of DAG patterns (pattern.h): op types, constraints, optional and constant inputs,
// single use, commutative inputs, shared values and multi-output ops.
#include "surgeon/pattern.h"

#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

// x -> conv: Conv(x, w, bias) -> c -> relu: Relu(c) -> y
struct ConvRelu {
  Graph g{"g"};
  TensorPtr x, w, bias, c, y;
  Node *conv, *relu;
  explicit ConvRelu(bool with_bias = true) {
    x = graph_input(g, "x");
    w = initializer(g, "w", {1, 2, 3, 4});
    bias = initializer(g, "bias");
    c = tensor("c");
    y = tensor("y");
    std::vector<TensorPtr> ins{x, w};
    if (with_bias) ins.push_back(bias);
    conv = g.add_node("Conv", ins, {c}, "conv");
    relu = g.add_node("Relu", {c}, {y}, "relu");
    g.outputs = {y};
  }
};

struct ConvReluPattern {
  Pattern p;
  PatternValue x = p.any();
  PatternValue w = p.constant();
  PatternValue bias = p.optional();
  PatternValue conv = p.op("Conv", {x, w, bias}).single_use();
  PatternValue relu = p.op("Relu", {conv});
};

TEST(PatternTest, BindsOpsAndValues) {
  ConvRelu f;
  ConvReluPattern pat;
  std::optional<Match> m = pat.p.match(*f.relu);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->root(), f.relu);
  EXPECT_EQ(m->node(pat.conv), f.conv);
  EXPECT_EQ(m->node(pat.relu), f.relu);
  EXPECT_EQ(m->tensor(pat.x), f.x);
  EXPECT_EQ(m->tensor(pat.w), f.w);
  EXPECT_EQ(m->tensor(pat.bias), f.bias);
  EXPECT_EQ(m->tensor(pat.conv), f.c);
  EXPECT_EQ(m->tensor(pat.relu), f.y);
  EXPECT_EQ(m->values(pat.w)->at<float>(3), 4.0f);
  EXPECT_EQ(m->nodes(), (std::vector<Node*>{f.conv, f.relu}));
  EXPECT_FALSE(pat.p.match(*f.conv));  // the root is Relu
}

TEST(PatternTest, OptionalInputMayBeOmitted) {
  ConvRelu f(/*with_bias=*/false);
  ConvReluPattern pat;
  std::optional<Match> m = pat.p.match(*f.relu);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tensor(pat.bias), nullptr);
  // An omitted input written as a null entry is the same.
  f.conv->set_input(2, nullptr);
  EXPECT_TRUE(pat.p.match(*f.relu));
}

TEST(PatternTest, ExtraNodeInputsDoNotMatch) {
  ConvRelu f;
  Pattern p;
  p.op("Relu", {p.op("Conv", {p.any(), p.any()})});
  EXPECT_FALSE(p.match(*f.relu));
}

TEST(PatternTest, ConstantMeansFixedValues) {
  ConvRelu f;
  ConvReluPattern pat;
  f.g.inputs.push_back(f.w);  // now a caller may override the weight
  EXPECT_FALSE(pat.p.match(*f.relu));
  TensorPtr from_node = tensor("w_const");
  f.g.insert_node(0, "Constant", {}, {from_node}, "w_const")->set_attr(Attribute::of_tensor("value", float_data({5})));
  f.conv->set_input(1, from_node);
  std::optional<Match> m = pat.p.match(*f.relu);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->values(pat.w)->at<float>(0), 5.0f);
}

TEST(PatternTest, SingleUse) {
  ConvRelu f;
  ConvReluPattern pat;
  f.g.outputs.push_back(f.c);
  EXPECT_FALSE(pat.p.match(*f.relu));
  f.g.outputs.pop_back();
  op(f.g, "other", {f.c});
  EXPECT_FALSE(pat.p.match(*f.relu));
}

TEST(PatternTest, CommutativeInputsMatchInEitherOrder) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), k = initializer(g, "k");
  Node* add1 = op(g, "add1", {x, k}, "Add")->producer();
  Node* add2 = op(g, "add2", {k, x}, "Add")->producer();
  Pattern ordered;
  ordered.op("Add", {ordered.any(), ordered.constant()});
  EXPECT_TRUE(ordered.match(*add1));
  EXPECT_FALSE(ordered.match(*add2));
  Pattern any_order;
  PatternValue v = any_order.any(), c = any_order.constant();
  any_order.op("Add", {v, c}).commutative();
  std::optional<Match> m = any_order.match(*add2);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tensor(v), x);
  EXPECT_EQ(m->tensor(c), k);
}

TEST(PatternTest, ASharedValueBindsOneTensor) {
  // Swish: Mul(x, Sigmoid(x)).
  Pattern p;
  PatternValue x = p.any();
  p.op("Mul", {x, p.op("Sigmoid", {x})}).commutative();
  Graph g("g");
  TensorPtr a = graph_input(g, "a"), b = graph_input(g, "b");
  TensorPtr sa = op(g, "sa", {a}, "Sigmoid");
  Node* swish = op(g, "swish", {sa, a}, "Mul")->producer();
  Node* not_swish = op(g, "not_swish", {b, sa}, "Mul")->producer();
  std::optional<Match> m = p.match(*swish);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tensor(x), a);
  EXPECT_FALSE(p.match(*not_swish));
}

TEST(PatternTest, OneNodeCannotBeTwoPatternOps) {
  // Add(Relu(x), Relu(y)) must not match Add(r, r) with one Relu node.
  Pattern p;
  p.op("Add", {p.op("Relu", {p.any()}), p.op("Relu", {p.any()})});
  Graph g("g");
  TensorPtr r = op(g, "r", {graph_input(g, "x")}, "Relu");
  EXPECT_FALSE(p.match(*op(g, "add", {r, r}, "Add")->producer()));
}

TEST(PatternTest, AttributeConstraints) {
  ConvRelu f;
  Pattern p;
  p.op("Relu", {p.op("Conv", {p.any(), p.any(), p.optional()})
                    .attr("group", attr_int(1, /*or_absent=*/true))
                    .attr("strides", attr_ints({1, 1}, /*or_absent=*/true))
                    .attr("auto_pad", attr_absent())});
  EXPECT_TRUE(p.match(*f.relu));
  f.conv->set_attr(Attribute::of_ints("strides", {2, 2}));
  EXPECT_FALSE(p.match(*f.relu));
  f.conv->set_attr(Attribute::of_ints("strides", {1, 1}));
  f.conv->set_attr(Attribute::of_int("group", 2));
  EXPECT_FALSE(p.match(*f.relu));
  f.conv->set_attr(Attribute::of_int("group", 1));
  EXPECT_TRUE(p.match(*f.relu));
  f.conv->set_attr(Attribute::of_string("auto_pad", "VALID"));
  EXPECT_FALSE(p.match(*f.relu));
}

TEST(PatternTest, TypeAndShapeConstraints) {
  ConvRelu f;
  Pattern p;
  PatternValue x = p.any().dtype(DataType::kFloat).rank(4).shape([](const Shape& s) { return s[1].is_fixed(); });
  p.op("Relu", {p.op("Conv", {x, p.any(), p.any()})});
  EXPECT_FALSE(p.match(*f.relu));  // x has no declared type
  f.x->type = ValueType::tensor(DataType::kFloat, Shape({Dim::symbolic("n"), Dim::fixed(3), Dim(), Dim()}));
  EXPECT_TRUE(p.match(*f.relu));
  f.x->type.shape[1] = Dim::symbolic("c");
  EXPECT_FALSE(p.match(*f.relu));
  f.x->type = ValueType::tensor(DataType::kFloat16, Shape::of({1, 3, 8, 8}));
  EXPECT_FALSE(p.match(*f.relu));
}

TEST(PatternTest, ValueConstraints) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr zeros = initializer(g, "zeros", {0, 0, 0});
  TensorPtr ones = initializer(g, "ones", {1, 1});
  Node* add_zero = op(g, "add_zero", {x, zeros}, "Add")->producer();
  Node* add_one = op(g, "add_one", {x, ones}, "Add")->producer();
  Pattern p;
  p.op("Add", {p.any(), p.constant().values(all_values(0))}).commutative();
  EXPECT_TRUE(p.match(*add_zero));
  EXPECT_FALSE(p.match(*add_one));
  Pattern scalar;
  scalar.op("Add", {scalar.any(), scalar.constant().values(single_value())});
  EXPECT_FALSE(scalar.match(*add_zero));
}

TEST(PatternTest, ValueAtReadsNumericDtypes) {
  auto data = [](DataType dt, std::vector<uint8_t> bytes, int64_t n) {
    TensorData d;
    d.dtype = dt;
    d.dims = {n};
    d.bytes = Bytes::copy_of(bytes.data(), bytes.size());
    return d;
  };
  EXPECT_EQ(value_at(data(DataType::kFloat16, {0x00, 0x3c, 0x00, 0xc0}, 2), 1), -2.0);  // 1.0, -2.0
  EXPECT_EQ(value_at(data(DataType::kBfloat16, {0x80, 0x3f}, 1), 0), 1.0);
  EXPECT_EQ(value_at(data(DataType::kInt8, {0xff}, 1), 0), -1.0);
  EXPECT_EQ(value_at(data(DataType::kInt8, {0xff}, 1), 1), std::nullopt);
  EXPECT_EQ(value_at(data(DataType::kString, {}, 1), 0), std::nullopt);
}

TEST(PatternTest, OpTypeAlternativesAndDomain) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  Node* clip = op(g, "clip", {x}, "Clip")->producer();
  Node* custom = g.add_node("Relu", {x}, {tensor("cr")}, "custom", "com.example");
  Pattern p;
  p.op_any_of({"Relu", "Clip"}, {p.any()});
  EXPECT_TRUE(p.match(*clip));
  EXPECT_FALSE(p.match(*custom));
  Pattern q;
  q.op("Relu", {q.any()}, "com.example");
  EXPECT_TRUE(q.match(*custom));
}

TEST(PatternTest, OtherOutputsOfAMultiOutputOp) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), lo = tensor("lo"), hi = tensor("hi");
  g.add_node("Split", {x}, {lo, hi}, "split");
  Node* swapped = op(g, "swapped", {hi, lo}, "Concat")->producer();
  Node* same = op(g, "same", {lo, lo}, "Concat")->producer();
  Pattern p;
  PatternValue first = p.op("Split", {p.any()});
  p.op("Concat", {first.output(1), first});
  std::optional<Match> m = p.match(*swapped);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->tensor(first), lo);
  EXPECT_FALSE(p.match(*same));
}

TEST(PatternTest, DoesNotFollowIntoEnclosingGraphs) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr r = op(g, "r", {x}, "Relu");
  Node* if1 = g.add_node("If", {x}, {tensor("y")}, "if1");
  Graph& branch = add_subgraph(if1, "then_branch");
  Node* inner = op(branch, "inner", {r}, "Neg")->producer();
  Pattern p;
  p.op("Neg", {p.op("Relu", {p.any()})});
  EXPECT_FALSE(p.match(*inner));
  Pattern q;
  q.op("Neg", {q.any()});
  EXPECT_TRUE(q.match(*inner));
}

TEST(PatternTest, MatchAllInNodeOrder) {
  Graph g("g");
  TensorPtr a = op(g, "a", {graph_input(g, "x")}, "Relu");
  op(g, "b", {a}, "Neg");
  TensorPtr c = op(g, "c", {a}, "Relu");
  Pattern p;
  p.op("Relu", {p.any()});
  std::vector<Match> all = p.match_all(g);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].root()->name, "a");
  EXPECT_EQ(all[1].root(), c->producer());
}

TEST(PatternTest, MisuseIsAnError) {
  Graph g("g");
  Node* n = op(g, "n", {graph_input(g, "x")}, "Relu")->producer();
  Pattern empty;
  EXPECT_EQ(error_of([&] { empty.match(*n); }), "pattern: it has no op to match");
  Pattern loose;
  PatternValue x = loose.any();
  loose.op("Neg", {x});
  loose.op("Relu", {x});
  EXPECT_EQ(error_of([&] { loose.match(*n); }),
            "pattern: op #0 (Neg) is not connected to the root op; every op must feed the root");
  EXPECT_EQ(error_of([&] { x.commutative(); }), "pattern: commutative() applies to the output of an op, not to value #0");
  Pattern fine;
  PatternValue y = fine.any();
  fine.op("Relu", {y});
  std::optional<Match> m = fine.match(*n);
  ASSERT_TRUE(m);
  EXPECT_EQ(error_of([&] { m->node(y); }), "pattern value #0 is not the output of an op");
}

}  // namespace
}  // namespace graft
