// Shape inference through subgraphs and functions, on small hand-built graphs with
// symbolic dims: If branches that disagree, loop-carried values that change shape, Scan
// axes, sequence lengths, and model-local functions with attribute references.
#include <gtest/gtest.h>

#include "folding/infer_shapes.h"
#include "surgeon/shape_text.h"

namespace graft::folding {
namespace {

TensorPtr value(const std::string& name, const std::string& shape, DataType t = DataType::kFloat) {
  return Tensor::variable(name, t, parse_shape_text(shape));
}

TensorPtr untyped(const std::string& name) { return std::make_shared<Tensor>(name); }

TensorPtr int64_constant(Graph& g, const std::string& name, std::vector<int64_t> values, std::vector<int64_t> dims) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kInt64;
  data->dims = std::move(dims);
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(int64_t));
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

struct TestModel {
  Model model;
  Graph& main() { return *model.graph; }

  TestModel() { model.opset_imports = {{"", 17}}; }

  std::shared_ptr<Graph> subgraph(const std::string& name) { return std::make_shared<Graph>(name, model.graph.get()); }

  // Runs inference; returns the type of each tensor named, as text.
  std::string infer(std::initializer_list<TensorPtr> tensors) {
    infer_shapes(model);
    std::string s;
    for (const TensorPtr& t : tensors) s += (s.empty() ? "" : " ") + t->type.str();
    return s;
  }
};

TEST(ControlFlowShapes, IfBranchesThatDisagreeKeepOnlyWhatTheyShare) {
  TestModel m;
  TensorPtr cond = value("cond", "", DataType::kBool), a = value("a", "[b, 3]"), c = value("c", "[b, 5]");
  TensorPtr d = value("d", "[b]");
  m.main().inputs = {cond, a, c, d};
  auto then_branch = m.subgraph("then"), else_branch = m.subgraph("else");
  TensorPtr t0 = untyped("t0"), t1 = untyped("t1"), t2 = untyped("t2");
  TensorPtr e0 = untyped("e0"), e1 = untyped("e1"), e2 = untyped("e2");
  then_branch->add_node("Relu", {a}, {t0});  // outer values are visible inside
  then_branch->add_node("Relu", {a}, {t1});
  then_branch->add_node("Relu", {d}, {t2});
  then_branch->outputs = {t0, t1, t2};
  else_branch->add_node("Relu", {c}, {e0});
  else_branch->add_node("Relu", {d}, {e1});
  else_branch->add_node("Relu", {d}, {e2});
  else_branch->outputs = {e0, e1, e2};
  TensorPtr y0 = untyped("y0"), y1 = untyped("y1"), y2 = untyped("y2");
  Node* n = m.main().add_node("If", {cond}, {y0, y1, y2});
  n->set_attr(Attribute::of_graph("then_branch", then_branch));
  n->set_attr(Attribute::of_graph("else_branch", else_branch));
  EXPECT_EQ(m.infer({y0, y1, y2}), "float32[b, ?] float32? float32[b]");
  EXPECT_EQ(e0->type.str(), "float32[b, 5]");  // the branches' own values are written back
}

TEST(ControlFlowShapes, IfWithAConstantConditionTakesItsBranch) {
  TestModel m;
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kBool;
  const uint8_t no = 0;
  data->bytes = Bytes::copy_of(&no, 1);
  TensorPtr cond = Tensor::constant("cond", data);
  m.main().initializers = {cond};
  TensorPtr a = value("a", "[b, 3]"), c = value("c", "[b, 5]");
  m.main().inputs = {a, c};
  auto then_branch = m.subgraph("then"), else_branch = m.subgraph("else");
  then_branch->outputs = {a};
  else_branch->outputs = {c};
  TensorPtr y = untyped("y");
  Node* n = m.main().add_node("If", {cond}, {y});
  n->set_attr(Attribute::of_graph("then_branch", then_branch));
  n->set_attr(Attribute::of_graph("else_branch", else_branch));
  EXPECT_EQ(m.infer({y}), "float32[b, 5]");
}

// The exporters' guarded squeeze: If(x.shape[1] == 1) Squeeze(x, 1) else Identity(x). With
// x[b, 4] the squeeze cannot run, so the If gives the else branch's type.
TEST(ControlFlowShapes, IfBranchThatContradictsItsInputsIsNotTaken) {
  TestModel m;
  TensorPtr cond = value("cond", "", DataType::kBool), x = value("x", "[b, 4]");
  m.main().inputs = {cond, x};
  auto then_branch = m.subgraph("then"), else_branch = m.subgraph("else");
  TensorPtr squeezed = untyped("squeezed"), same = untyped("same");
  then_branch->add_node("Squeeze", {x, int64_constant(*then_branch, "axes", {1}, {1})}, {squeezed});
  then_branch->outputs = {squeezed};
  else_branch->add_node("Identity", {x}, {same});
  else_branch->outputs = {same};
  TensorPtr y = untyped("y");
  Node* n = m.main().add_node("If", {cond}, {y});
  n->set_attr(Attribute::of_graph("then_branch", then_branch));
  n->set_attr(Attribute::of_graph("else_branch", else_branch));
  EXPECT_EQ(m.infer({y}), "float32[b, 4]");
  EXPECT_EQ(squeezed->type.str(), "?");  // the branch that cannot run is left as declared
}

// for i in range(4): x = concat(x, pad); y = relu(y); scan out relu(x), y
TEST(ControlFlowShapes, LoopWidensACarriedValueWhoseLengthChanges) {
  TestModel m;
  TensorPtr x = value("x", "[n]"), y = value("y", "[n, 3]"), pad = value("pad", "[1]");
  m.main().inputs = {x, y, pad};
  TensorPtr trips = int64_constant(m.main(), "trips", {4}, {});
  auto body = m.subgraph("body");
  TensorPtr i = untyped("i"), c = untyped("c"), x_in = untyped("x_in"), y_in = untyped("y_in");
  TensorPtr c_out = untyped("c_out"), x_out = untyped("x_out"), y_out = untyped("y_out"), x_scan = untyped("x_scan");
  body->inputs = {i, c, x_in, y_in};
  body->add_node("Identity", {c}, {c_out});
  body->add_node("Concat", {x_in, pad}, {x_out})->set_attr(Attribute::of_int("axis", 0));
  body->add_node("Relu", {y_in}, {y_out});
  body->add_node("Relu", {x_in}, {x_scan});
  body->outputs = {c_out, x_out, y_out, x_scan, y_out};
  TensorPtr x_final = untyped("x_final"), y_final = untyped("y_final"), xs = untyped("xs"), ys = untyped("ys");
  m.main().add_node("Loop", {trips, nullptr, x, y}, {x_final, y_final, xs, ys})
      ->set_attr(Attribute::of_graph("body", body));
  EXPECT_EQ(m.infer({x_final, y_final, xs, ys}), "float32[?] float32[n, 3] float32[4, ?] float32[4, n, 3]");
  // The body keeps the types of its last inference, which hold for every iteration.
  EXPECT_EQ(x_in->type.str() + " " + x_out->type.str() + " " + i->type.str(), "float32[?] float32[?] int64[]");
}

TEST(ControlFlowShapes, LoopWithAConditionHasAnUnknownIterationCount) {
  TestModel m;
  TensorPtr x = value("x", "[n]"), more = value("more", "", DataType::kBool);
  m.main().inputs = {x, more};
  auto body = m.subgraph("body");
  TensorPtr i = untyped("i"), c = untyped("c"), x_in = untyped("x_in"), c_out = untyped("c_out"), x_out = untyped("x_out");
  body->inputs = {i, c, x_in};
  body->add_node("Identity", {c}, {c_out});
  body->add_node("Relu", {x_in}, {x_out});
  body->outputs = {c_out, x_out, x_out};
  TensorPtr x_final = untyped("x_final"), xs = untyped("xs");
  m.main().add_node("Loop", {nullptr, more, x}, {x_final, xs})->set_attr(Attribute::of_graph("body", body));
  EXPECT_EQ(m.infer({x_final, xs}), "float32[n] float32[?, n]");
}

// Scan-9 over axis 0 of x[seq, b, 4], stacking the per-step outputs along axis 1.
TEST(ControlFlowShapes, ScanStacksOutputsAlongTheirAxis) {
  TestModel m;
  TensorPtr s = value("s", "[b, 4]"), x = value("x", "[seq, b, 4]");
  m.main().inputs = {s, x};
  auto body = m.subgraph("body");
  TensorPtr s_in = untyped("s_in"), x_in = untyped("x_in"), s_out = untyped("s_out"), y = untyped("y");
  body->inputs = {s_in, x_in};
  body->add_node("Add", {s_in, x_in}, {s_out});
  body->add_node("Relu", {x_in}, {y});
  body->outputs = {s_out, y};
  TensorPtr s_final = untyped("s_final"), ys = untyped("ys");
  Node* n = m.main().add_node("Scan", {s, x}, {s_final, ys});
  n->set_attr(Attribute::of_graph("body", body));
  n->set_attr(Attribute::of_int("num_scan_inputs", 1));
  n->set_attr(Attribute::of_ints("scan_output_axes", {1}));
  EXPECT_EQ(m.infer({s_final, ys, x_in}), "float32[b, 4] float32[b, seq, 4] float32[b, 4]");
}

// SplitToSequence cuts x[b, 6] into 3 chunks [b, 2]; concatenating them gives [3*b, 2].
TEST(ControlFlowShapes, SequencesTrackTheirLength) {
  TestModel m;
  TensorPtr x = value("x", "[b, 6]");
  m.main().inputs = {x};
  TensorPtr two = int64_constant(m.main(), "two", {2}, {});
  TensorPtr seq = untyped("seq"), len = untyped("len"), cat = untyped("cat"), stacked = untyped("stacked");
  m.main().add_node("SplitToSequence", {x, two}, {seq})->set_attr(Attribute::of_int("axis", 1));
  m.main().add_node("SequenceLength", {seq}, {len});
  m.main().add_node("ConcatFromSequence", {seq}, {cat})->set_attr(Attribute::of_int("axis", 0));
  Node* n = m.main().add_node("ConcatFromSequence", {seq}, {stacked});
  n->set_attr(Attribute::of_int("axis", -1));
  n->set_attr(Attribute::of_int("new_axis", 1));
  EXPECT_EQ(m.infer({seq, len, cat, stacked}), "seq(float32[b, 2]) int64[] float32[3*b, 2] float32[b, 2, 3]");
}

TEST(ControlFlowShapes, SequenceInsertJoinsTheElementTypes) {
  TestModel m;
  TensorPtr a = value("a", "[b, 3]"), c = value("c", "[b, 5]");
  m.main().inputs = {a, c};
  TensorPtr s1 = untyped("s1"), s2 = untyped("s2"), at = untyped("at");
  TensorPtr zero = int64_constant(m.main(), "zero", {0}, {});
  m.main().add_node("SequenceConstruct", {a}, {s1});
  m.main().add_node("SequenceInsert", {s1, c}, {s2});
  m.main().add_node("SequenceAt", {s2, zero}, {at});
  EXPECT_EQ(m.infer({s1, s2, at}), "seq(float32[b, 3]) seq(float32[b, ?]) float32[b, ?]");
}

// A model-local function: Y = Flatten(X, axis = the caller's 'axis').
Function flatten_function(bool axis_declared) {
  Function f;
  f.name = "MyFlatten";
  f.domain = "custom";
  if (axis_declared) f.attribute_names = {"axis"};
  f.opset_imports = {{"", 17}};
  TensorPtr x = untyped("X"), y = untyped("Y");
  f.body->inputs = {x};
  f.body->outputs = {y};
  Attribute axis;
  axis.name = "axis";
  axis.type = AttrType::kInt;
  axis.ref_attr_name = "axis";
  f.body->add_node("Flatten", {x}, {y})->set_attr(axis);
  return f;
}

TEST(ControlFlowShapes, FunctionCallsInferTheBodyWithTheCallersAttributes) {
  TestModel m;
  m.model.opset_imports.push_back({"custom", 1});
  m.model.functions.push_back(flatten_function(true));
  TensorPtr x = value("x", "[b, 3, 4]"), y = untyped("y"), z = untyped("z");
  m.main().inputs = {x};
  m.main().add_node("MyFlatten", {x}, {y}, "", "custom")->set_attr(Attribute::of_int("axis", 2));
  m.main().add_node("MyFlatten", {x}, {z}, "", "custom");  // no axis: Flatten's default, 1
  EXPECT_EQ(m.infer({y, z}), "float32[3*b, 4] float32[b, 12]");
  // The body belongs to no single call: it stays as declared.
  const Graph& body = *m.model.functions[0].body;
  EXPECT_EQ(body.outputs[0]->type.str(), "?");
  EXPECT_TRUE(body.value_info.empty());
  EXPECT_EQ(body.nodes()[0]->attr("axis")->ref_attr_name, "axis");
}

TEST(ControlFlowShapes, FunctionAttributesThatMayHaveADefaultLeaveOutputsUnknown) {
  TestModel m;
  m.model.opset_imports.push_back({"custom", 1});
  m.model.functions.push_back(flatten_function(false));  // 'axis' may have a default graft cannot read
  TensorPtr x = value("x", "[b, 3, 4]"), y = untyped("y");
  m.main().inputs = {x};
  m.main().add_node("MyFlatten", {x}, {y}, "", "custom");
  EXPECT_EQ(m.infer({y}), "?");
}

}  // namespace
}  // namespace graft::folding
