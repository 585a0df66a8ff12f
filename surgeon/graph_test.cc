// Tests of the graph IR: producer/consumer links, toposort, cleanup, check and queries.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"
#include "surgeon/model.h"

namespace graft {
namespace {

using Names = std::vector<std::string>;

// ---------------------------------------------------------------------------------------
// Helpers

TensorPtr tensor(const std::string& name) { return std::make_shared<Tensor>(name); }

TensorPtr initializer(Graph& g, const std::string& name) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kFloat;
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

TensorPtr graph_input(Graph& g, const std::string& name) {
  TensorPtr t = tensor(name);
  g.inputs.push_back(t);
  return t;
}

// A node `name` reading `ins` and writing one fresh tensor named `name`; returns that tensor.
TensorPtr op(Graph& g, const std::string& name, std::vector<TensorPtr> ins, const std::string& op_type = "Op") {
  TensorPtr out = tensor(name);
  g.add_node(op_type, std::move(ins), {out}, name);
  return out;
}

// A new subgraph held as graph attribute `attr` of `owner`, its parent owner's graph.
Graph& add_subgraph(Node* owner, const std::string& attr) {
  auto sub = std::make_shared<Graph>(attr, owner->graph());
  owner->set_attr(Attribute::of_graph(attr, sub));
  return *sub;
}

Names names_of(const std::vector<Node*>& nodes) {
  Names names;
  for (const Node* n : nodes) names.push_back(n ? n->name : "<null>");
  return names;
}

Names node_names(const Graph& g) {
  Names names;
  for (const auto& n : g.nodes()) names.push_back(n->name);
  return names;
}

Names consumer_names(const TensorPtr& t) { return names_of(t->consumers()); }

Names tensor_names(const std::vector<TensorPtr>& ts) {
  Names names;
  for (const TensorPtr& t : ts) names.push_back(t ? t->name : "<null>");
  return names;
}

Names tensor_names(const std::vector<Tensor*>& ts) {
  Names names;
  for (const Tensor* t : ts) names.push_back(t->name);
  return names;
}

Names sorted(Names names) {
  std::sort(names.begin(), names.end());
  return names;
}

::testing::AssertionResult contains(const char* text_expr, const char* part_expr, const std::string& text,
                                    const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text_expr << " does not contain " << part_expr << "\n  text: " << text;
}

::testing::AssertionResult lacks(const char* text_expr, const char* part_expr, const std::string& text,
                                 const std::string& part) {
  if (text.find(part) == std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text_expr << " contains " << part_expr << "\n  text: " << text;
}

#define EXPECT_CONTAINS(text, part) EXPECT_PRED_FORMAT2(contains, text, part)
#define EXPECT_LACKS(text, part) EXPECT_PRED_FORMAT2(lacks, text, part)

// The message of the graft::Error that `f` throws; a test failure if it throws none.
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a graft::Error";
  return "";
}

// main: x -> [outer] -> outer and x -> [if1] -> y (the graph output); if1's then_branch
// reads `outer` and is its only reader.
struct IfGraph {
  Graph main{"main"};
  TensorPtr x, outer, y;
  Node* if1 = nullptr;
  Graph* then_branch = nullptr;
  TensorPtr branch_out;

  // `outer_first` decides whether the producer of `outer` comes before or after if1.
  explicit IfGraph(bool outer_first = true) {
    x = graph_input(main, "x");
    if (outer_first) outer = op(main, "outer", {x});
    y = tensor("y");
    if1 = main.add_node("If", {x}, {y}, "if1");
    if (!outer_first) outer = op(main, "outer", {x});
    main.outputs.push_back(y);
    then_branch = &add_subgraph(if1, "then_branch");
    branch_out = op(*then_branch, "branch_op", {outer});
    then_branch->outputs.push_back(branch_out);
  }
};

// ---------------------------------------------------------------------------------------
// Producer / consumer links

TEST(LinksTest, SetInputMovesTheConsumerLink) {
  Graph g("g");
  TensorPtr a = tensor("a"), b = tensor("b");
  Node* n = g.add_node("Relu", {}, {}, "n");
  n->set_input(0, a);
  EXPECT_EQ(consumer_names(a), (Names{"n"}));
  n->set_input(0, b);
  EXPECT_TRUE(a->consumers().empty());
  EXPECT_EQ(consumer_names(b), (Names{"n"}));
  EXPECT_EQ(n->input(0), b);
  n->set_input(0, nullptr);
  EXPECT_TRUE(b->consumers().empty());
  EXPECT_EQ(n->input(0), nullptr);
  EXPECT_EQ(n->inputs().size(), 1u);
}

TEST(LinksTest, SetInputBeyondTheEndPadsWithNulls) {
  Graph g("g");
  TensorPtr a = tensor("a");
  Node* n = g.add_node("Clip", {}, {}, "n");
  n->set_input(2, a);
  EXPECT_EQ(tensor_names(n->inputs()), (Names{"<null>", "<null>", "a"}));
  EXPECT_EQ(n->input(7), nullptr);
  EXPECT_EQ(consumer_names(a), (Names{"n"}));
  n->add_input(a);
  EXPECT_EQ(tensor_names(n->inputs()), (Names{"<null>", "<null>", "a", "a"}));
  EXPECT_EQ(consumer_names(a), (Names{"n", "n"}));
}

TEST(LinksTest, ResettingTheSameInputKeepsOneLink) {
  Graph g("g");
  TensorPtr a = tensor("a");
  Node* n = g.add_node("Relu", {a}, {}, "n");
  n->set_input(0, a);
  EXPECT_EQ(consumer_names(a), (Names{"n"}));
}

TEST(LinksTest, SetInputsReplacesTheWholeList) {
  Graph g("g");
  TensorPtr a = tensor("a"), b = tensor("b"), c = tensor("c");
  Node* n = g.add_node("Add", {a, b}, {}, "n");
  n->set_inputs({b, nullptr, c});
  EXPECT_TRUE(a->consumers().empty());
  EXPECT_EQ(consumer_names(b), (Names{"n"}));
  EXPECT_EQ(consumer_names(c), (Names{"n"}));
  EXPECT_EQ(tensor_names(n->inputs()), (Names{"b", "<null>", "c"}));
  n->set_inputs({});
  EXPECT_TRUE(b->consumers().empty());
  EXPECT_TRUE(c->consumers().empty());
}

TEST(LinksTest, NodeReadingATensorTwiceIsTwoConsumers) {
  Graph g("g");
  TensorPtr a = tensor("a"), b = tensor("b");
  Node* other = g.add_node("Relu", {a}, {}, "other");
  Node* mul = g.add_node("Mul", {a, a}, {}, "mul");
  EXPECT_EQ(consumer_names(a), (Names{"other", "mul", "mul"}));
  mul->set_input(1, b);  // one use of `a` left
  EXPECT_EQ(consumer_names(a), (Names{"other", "mul"}));
  mul->set_input(1, a);
  EXPECT_EQ(consumer_names(a), (Names{"other", "mul", "mul"}));
  g.remove_node(mul);
  EXPECT_EQ(consumer_names(a), (Names{"other"}));
  EXPECT_TRUE(b->consumers().empty());
  g.remove_node(other);
  EXPECT_TRUE(a->consumers().empty());
}

TEST(LinksTest, SetOutputSetsAndMovesTheProducer) {
  Graph g("g");
  TensorPtr y = tensor("y"), z = tensor("z");
  Node* n = g.add_node("Relu", {}, {y}, "n");
  EXPECT_EQ(y->producer(), n);
  n->set_output(0, z);
  EXPECT_EQ(y->producer(), nullptr);
  EXPECT_EQ(z->producer(), n);
  n->set_output(0, z);  // re-setting its own output is fine
  EXPECT_EQ(z->producer(), n);
  n->set_output(2, y);
  EXPECT_EQ(tensor_names(n->outputs()), (Names{"z", "<null>", "y"}));
  EXPECT_EQ(y->producer(), n);
  n->set_output(0, nullptr);
  EXPECT_EQ(z->producer(), nullptr);
  n->set_outputs({z});
  EXPECT_EQ(y->producer(), nullptr);
  EXPECT_EQ(z->producer(), n);
  EXPECT_EQ(tensor_names(n->outputs()), (Names{"z"}));
}

TEST(LinksTest, SetOutputOfATensorProducedElsewhereThrowsNamingBothNodes) {
  Graph g("g");
  TensorPtr y = tensor("y"), z = tensor("z");
  Node* first = g.add_node("Relu", {}, {y}, "first");
  Node* second = g.add_node("Sigmoid", {}, {z}, "second");
  std::string msg = error_of([&] { second->set_output(0, y); });
  EXPECT_CONTAINS(msg, "'y'");
  EXPECT_CONTAINS(msg, "node 'first' (Relu)");
  EXPECT_CONTAINS(msg, "node 'second' (Sigmoid)");
  // Nothing changed.
  EXPECT_EQ(y->producer(), first);
  EXPECT_EQ(z->producer(), second);
  EXPECT_EQ(second->output(0), z);
  EXPECT_THROW(second->add_output(y), Error);
  EXPECT_EQ(second->outputs().size(), 1u);
}

TEST(LinksTest, FailedSetOutputsLeavesTheNodeUnchanged) {
  Graph g("g");
  TensorPtr a = tensor("a"), b = tensor("b"), c = tensor("c");
  Node* taken = g.add_node("Relu", {}, {b}, "taken");
  Node* n = g.add_node("Split", {}, {a}, "n");
  EXPECT_THROW(n->set_outputs({c, b}), Error);
  EXPECT_EQ(tensor_names(n->outputs()), (Names{"a"}));
  EXPECT_EQ(a->producer(), n);
  EXPECT_EQ(b->producer(), taken);
  EXPECT_EQ(c->producer(), nullptr);
}

TEST(LinksTest, ReplacingOneOfTwoSlotsHoldingATensorKeepsItsProducer) {
  Graph g("g");
  TensorPtr a = tensor("a"), b = tensor("b");
  Node* n = g.add_node("Split", {}, {a, a}, "n");
  EXPECT_EQ(a->producer(), n);
  n->set_output(1, b);  // `a` is still output 0
  EXPECT_EQ(a->producer(), n);
  EXPECT_EQ(b->producer(), n);
  n->set_output(0, nullptr);
  EXPECT_EQ(a->producer(), nullptr);

  TensorPtr c = tensor("c");
  Node* twice = g.add_node("Split", {}, {c, c}, "twice");
  twice->set_outputs({c});  // still produced through the one slot left
  EXPECT_EQ(c->producer(), twice);
  twice->set_outputs({c, c});
  g.remove_node(twice);  // and removing the node releases it
  EXPECT_EQ(c->producer(), nullptr);
  EXPECT_EQ(b->producer(), n);
}

TEST(LinksTest, AddNodeWithATakenOutputThrowsAndLeavesTheGraphAsItWas) {
  Graph g("g");
  TensorPtr x = tensor("x"), y = tensor("y");
  Node* first = g.add_node("Relu", {x}, {y}, "first");
  EXPECT_THROW(g.add_node("Relu", {x, y}, {tensor("fresh"), y}, "second"), Error);
  EXPECT_EQ(node_names(g), (Names{"first"}));
  EXPECT_EQ(consumer_names(x), (Names{"first"}));
  EXPECT_TRUE(y->consumers().empty());
  EXPECT_EQ(y->producer(), first);
}

TEST(LinksTest, RemoveNodeUnhooksItsTensors) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr a = op(g, "a", {x});
  TensorPtr b = op(g, "b", {x, a});
  TensorPtr c = op(g, "c", {a});
  EXPECT_EQ(consumer_names(x), (Names{"a", "b"}));
  EXPECT_EQ(consumer_names(a), (Names{"b", "c"}));
  g.remove_node(g.find_node("b"));
  EXPECT_EQ(node_names(g), (Names{"a", "c"}));
  EXPECT_EQ(b->producer(), nullptr);
  EXPECT_EQ(consumer_names(x), (Names{"a"}));
  EXPECT_EQ(consumer_names(a), (Names{"c"}));
  g.remove_node(g.find_node("a"));
  EXPECT_EQ(a->producer(), nullptr);
  EXPECT_TRUE(x->consumers().empty());
  EXPECT_EQ(consumer_names(a), (Names{"c"}));  // c still reads the now-dangling a
}

TEST(LinksTest, RemoveNodeOfAnotherGraphThrows) {
  Graph g("g"), other("other");
  op(other, "stranger", {});
  Node* stranger = other.find_node("stranger");
  std::string msg = error_of([&] { g.remove_node(stranger); });
  EXPECT_CONTAINS(msg, "node 'stranger'");
  EXPECT_CONTAINS(msg, "graph 'g'");
  EXPECT_EQ(other.nodes().size(), 1u);
}

TEST(LinksTest, DestroyingAGraphUnhooksTensorsThatOutliveIt) {
  TensorPtr x = tensor("x"), y = tensor("y"), inner_out = tensor("inner_out");
  {
    Graph g("g");
    g.inputs.push_back(x);
    Node* if1 = g.add_node("If", {x}, {y}, "if1");
    Graph& branch = add_subgraph(if1, "then_branch");
    branch.add_node("Neg", {x, y}, {inner_out}, "neg");
    op(g, "after", {y, x});
    EXPECT_EQ(consumer_names(x), (Names{"if1", "neg", "after"}));
  }
  EXPECT_TRUE(x->consumers().empty());
  EXPECT_TRUE(y->consumers().empty());
  EXPECT_EQ(y->producer(), nullptr);
  EXPECT_EQ(inner_out->producer(), nullptr);
}

TEST(LinksTest, NodesBelongToTheirGraph) {
  IfGraph f;
  EXPECT_EQ(f.if1->graph(), &f.main);
  EXPECT_EQ(f.then_branch->nodes()[0]->graph(), f.then_branch);
  EXPECT_EQ(f.then_branch->parent(), &f.main);
  EXPECT_EQ(f.main.parent(), nullptr);
  // An outer tensor read in a branch lists the branch's node among its consumers.
  EXPECT_EQ(consumer_names(f.outer), (Names{"branch_op"}));
}

// ---------------------------------------------------------------------------------------
// Node details

TEST(NodeTest, Describe) {
  Graph g("g");
  EXPECT_EQ(g.add_node("Conv", {}, {}, "conv1")->describe(), "node 'conv1' (Conv)");
  EXPECT_EQ(g.add_node("Relu", {}, {tensor("r")})->describe(), "node '<producing r>' (Relu)");
  EXPECT_EQ(g.add_node("Relu", {}, {})->describe(), "node '<unnamed>' (Relu)");
  EXPECT_EQ(g.add_node("Gelu", {}, {}, "g1", "com.microsoft")->describe(), "node 'g1' (com.microsoft::Gelu)");
  EXPECT_EQ(g.add_node("Add", {}, {}, "add", "ai.onnx")->describe(), "node 'add' (Add)");
}

TEST(NodeTest, Attributes) {
  Graph g("g");
  Node* n = g.add_node("Conv", {}, {}, "conv");
  n->set_attr(Attribute::of_ints("pads", {0, 0}));
  n->set_attr(Attribute::of_int("group", 1));
  n->set_attr(Attribute::of_ints("pads", {1, 1}));  // replaces in place
  ASSERT_EQ(n->attributes.size(), 2u);
  EXPECT_EQ(n->attributes[0].name, "pads");
  EXPECT_EQ(n->attr("pads")->ints, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(n->attr("missing"), nullptr);
  EXPECT_TRUE(n->remove_attr("pads"));
  EXPECT_FALSE(n->remove_attr("pads"));
  EXPECT_EQ(n->attr("pads"), nullptr);
  EXPECT_EQ(n->attr("group")->i, 1);
}

TEST(NodeTest, SubgraphsInAttributeOrder) {
  Graph g("g");
  Node* loop = g.add_node("Custom", {}, {}, "custom");
  Graph& first = add_subgraph(loop, "first");
  auto a = std::make_shared<Graph>("a", &g), b = std::make_shared<Graph>("b", &g);
  Attribute graphs{.name = "many", .type = AttrType::kGraphs};
  graphs.graphs = {a, b};
  loop->set_attr(graphs);
  loop->set_attr(Attribute::of_int("plain", 1));
  EXPECT_EQ(loop->subgraphs(), (std::vector<Graph*>{&first, a.get(), b.get()}));
}

// ---------------------------------------------------------------------------------------
// toposort

TEST(ToposortTest, SortsAReversedChain) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr a = tensor("a"), b = tensor("b");
  g.add_node("Op", {b}, {tensor("c")}, "c");
  g.add_node("Op", {a}, {b}, "b");
  g.add_node("Op", {x}, {a}, "a");
  g.toposort();
  EXPECT_EQ(node_names(g), (Names{"a", "b", "c"}));
  g.check();
}

TEST(ToposortTest, KeepsTheOriginalOrderWhereItIsFree) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  for (const char* name : {"n3", "n1", "n4", "n2"}) op(g, name, {x});
  g.toposort();
  EXPECT_EQ(node_names(g), (Names{"n3", "n1", "n4", "n2"}));

  // A node moves only as far as its producer requires; the rest keep their places.
  Graph h("h");
  TensorPtr y = graph_input(h, "y"), p = tensor("p");
  op(h, "free1", {y});
  op(h, "needs_p", {p});
  op(h, "free2", {y});
  h.add_node("Op", {y}, {p}, "makes_p");
  op(h, "free3", {y});
  h.toposort();
  EXPECT_EQ(node_names(h), (Names{"free1", "free2", "makes_p", "needs_p", "free3"}));
}

TEST(ToposortTest, Diamond) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr top = tensor("top"), left = tensor("left"), right = tensor("right");
  g.add_node("Add", {left, right}, {tensor("bottom")}, "bottom");
  g.add_node("Op", {top}, {right}, "right");
  g.add_node("Op", {top}, {left}, "left");
  g.add_node("Op", {x}, {top}, "top");
  g.toposort();
  EXPECT_EQ(node_names(g), (Names{"top", "right", "left", "bottom"}));
}

TEST(ToposortTest, SubgraphReadOfAnOuterTensorOrdersAfterItsProducer) {
  IfGraph f(/*outer_first=*/false);
  ASSERT_EQ(node_names(f.main), (Names{"if1", "outer"}));
  // if1 does not list `outer` among its inputs; only its branch reads it.
  EXPECT_EQ(tensor_names(f.if1->inputs()), (Names{"x"}));
  f.main.toposort();
  EXPECT_EQ(node_names(f.main), (Names{"outer", "if1"}));
}

TEST(ToposortTest, RecursesIntoSubgraphs) {
  IfGraph f;
  Graph& branch = *f.then_branch;
  TensorPtr late = tensor("late");
  branch.add_node("Op", {late}, {tensor("uses_late")}, "uses_late");
  branch.add_node("Op", {f.x}, {late}, "late");
  f.main.toposort();
  EXPECT_EQ(node_names(branch), (Names{"branch_op", "late", "uses_late"}));
}

TEST(ToposortTest, CycleThrowsNamingTheNodesOnIt) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr p = tensor("p"), q = tensor("q");
  op(g, "downstream", {q});                 // fed by the cycle, not on it
  op(g, "bystander", {x});                  // unrelated
  g.add_node("Add", {x, q}, {p}, "ping");   // ping -> pong -> ping
  g.add_node("Neg", {p}, {q}, "pong");
  std::string msg = error_of([&] { g.toposort(); });
  EXPECT_CONTAINS(msg, "graph 'g' has a cycle");
  EXPECT_CONTAINS(msg, "node 'ping' (Add) -> node 'pong' (Neg) -> node 'ping' (Add)");  // in data-flow order
  EXPECT_LACKS(msg, "downstream");
  EXPECT_LACKS(msg, "bystander");
  // The failed sort left the order alone.
  EXPECT_EQ(node_names(g), (Names{"downstream", "bystander", "ping", "pong"}));
}

TEST(ToposortTest, SelfLoopIsACycle) {
  Graph g("g");
  TensorPtr t = tensor("t");
  g.add_node("Op", {t}, {t}, "self");
  std::string msg = error_of([&] { g.toposort(); });
  EXPECT_CONTAINS(msg, "has a cycle");
  EXPECT_CONTAINS(msg, "node 'self' (Op)");
}

TEST(ToposortTest, CycleThroughASubgraphRead) {
  IfGraph f;
  // Make `outer` depend on the If's output: outer reads y, if1's branch reads outer.
  f.main.find_node("outer")->set_input(0, f.y);
  std::string msg = error_of([&] { f.main.toposort(); });
  EXPECT_CONTAINS(msg, "has a cycle");
  EXPECT_CONTAINS(msg, "node 'if1' (If)");
  EXPECT_CONTAINS(msg, "node 'outer' (Op)");
}

// ---------------------------------------------------------------------------------------
// cleanup

TEST(CleanupTest, RemovesDeadNodesAndChains) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr d1 = op(g, "dead1", {x});
  TensorPtr live = op(g, "live", {x});
  TensorPtr d2 = op(g, "dead2", {d1, live});
  op(g, "dead3", {d2});
  g.outputs.push_back(live);
  CleanupReport r = g.cleanup();
  EXPECT_EQ(r.nodes, 3u);
  EXPECT_TRUE(r.changed());
  EXPECT_EQ(node_names(g), (Names{"live"}));
  EXPECT_EQ(consumer_names(x), (Names{"live"}));
  EXPECT_TRUE(live->consumers().empty());
  EXPECT_EQ(d1->producer(), nullptr);
  g.check();
}

TEST(CleanupTest, RemovesUnusedInitializers) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr w_used = initializer(g, "w_used");
  TensorPtr w_dead = initializer(g, "w_dead");  // read only by a dead node
  initializer(g, "w_never");
  g.outputs.push_back(op(g, "live", {x, w_used}));
  op(g, "dead", {w_dead});
  CleanupReport r = g.cleanup();
  EXPECT_EQ(r.nodes, 1u);
  EXPECT_EQ(r.initializers, 2u);
  EXPECT_EQ(tensor_names(g.initializers), (Names{"w_used"}));
}

TEST(CleanupTest, KeepsInitializersWhenAsked) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  initializer(g, "w_never");
  g.outputs.push_back(op(g, "live", {x}));
  CleanupReport r = g.cleanup({.remove_unused_initializers = false});
  EXPECT_EQ(r.initializers, 0u);
  EXPECT_FALSE(r.changed());
  EXPECT_EQ(tensor_names(g.initializers), (Names{"w_never"}));
}

TEST(CleanupTest, KeepsNodesUsedOnlyInsideALiveSubgraph) {
  IfGraph f;
  TensorPtr w = initializer(f.main, "w");
  f.then_branch->nodes()[0]->add_input(w);  // an outer initializer read only in the branch
  CleanupReport r = f.main.cleanup({.remove_unused_graph_inputs = true});
  EXPECT_FALSE(r.changed());
  EXPECT_EQ(node_names(f.main), (Names{"outer", "if1"}));
  EXPECT_EQ(tensor_names(f.main.initializers), (Names{"w"}));
  EXPECT_EQ(node_names(*f.then_branch), (Names{"branch_op"}));
}

TEST(CleanupTest, RemovesSubgraphsOfDeadNodesWithThem) {
  IfGraph f;
  f.main.outputs = {f.x};  // the If and everything it reads become dead
  CleanupReport r = f.main.cleanup();
  EXPECT_EQ(r.nodes, 2u);
  EXPECT_TRUE(f.main.nodes().empty());
  EXPECT_TRUE(f.x->consumers().empty());
  EXPECT_TRUE(f.outer->consumers().empty());  // the branch node went with the If
}

TEST(CleanupTest, GraphInputsAreKeptUnlessAsked) {
  auto build = [](Graph& g) {
    TensorPtr x = graph_input(g, "x");
    graph_input(g, "unused");
    graph_input(g, "read_by_dead");
    op(g, "dead", {g.inputs[2]});
    g.outputs.push_back(op(g, "live", {x}));
  };
  Graph keep("keep");
  build(keep);
  EXPECT_EQ(keep.cleanup().inputs, 0u);
  EXPECT_EQ(tensor_names(keep.inputs), (Names{"x", "unused", "read_by_dead"}));

  Graph drop("drop");
  build(drop);
  CleanupReport r = drop.cleanup({.remove_unused_graph_inputs = true});
  EXPECT_EQ(r.inputs, 2u);
  EXPECT_EQ(r.nodes, 1u);
  EXPECT_EQ(tensor_names(drop.inputs), (Names{"x"}));
}

TEST(CleanupTest, GraphInputThatIsAlsoAnInitializerFollowsTheInput) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr bias = initializer(g, "bias");  // an overridable default: input and initializer
  g.inputs.push_back(bias);
  g.outputs.push_back(op(g, "live", {x}));
  EXPECT_FALSE(g.cleanup().changed());
  EXPECT_EQ(tensor_names(g.initializers), (Names{"bias"}));
  CleanupReport r = g.cleanup({.remove_unused_graph_inputs = true});
  EXPECT_EQ(r.inputs, 1u);
  EXPECT_EQ(r.initializers, 1u);
  EXPECT_TRUE(g.initializers.empty());
}

TEST(CleanupTest, NeverRemovesSubgraphInputs) {
  Graph main("main");
  TensorPtr trip = graph_input(main, "trip");
  TensorPtr out = tensor("out");
  Node* loop = main.add_node("Loop", {trip}, {out}, "loop");
  main.outputs.push_back(out);
  Graph& body = add_subgraph(loop, "body");
  TensorPtr iter = graph_input(body, "iter"), cond = graph_input(body, "cond");
  graph_input(body, "carried");  // unused, but its position matters
  body.outputs.push_back(cond);
  body.outputs.push_back(op(body, "step", {iter}));
  CleanupReport r = main.cleanup({.remove_unused_graph_inputs = true});
  EXPECT_EQ(r.inputs, 0u);
  EXPECT_EQ(tensor_names(body.inputs), (Names{"iter", "cond", "carried"}));
}

TEST(CleanupTest, RemovesValueInfoOfRemovedTensors) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr dead = op(g, "dead", {x});
  TensorPtr live = op(g, "live", {x});
  TensorPtr ghost = tensor("ghost");  // value_info of a tensor that no longer exists
  g.outputs.push_back(live);
  g.value_info = {x, dead, live, ghost};
  CleanupReport r = g.cleanup();
  EXPECT_EQ(r.value_infos, 2u);
  EXPECT_EQ(tensor_names(g.value_info), (Names{"x", "live"}));
}

TEST(CleanupTest, KeepsValueInfoOfUnreadOutputsOfLiveNodes) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr used = tensor("used"), unread = tensor("unread");
  g.add_node("Split", {x}, {used, unread}, "split");
  g.outputs.push_back(used);
  g.value_info = {unread};
  EXPECT_FALSE(g.cleanup().changed());
  EXPECT_EQ(tensor_names(g.value_info), (Names{"unread"}));
}

TEST(CleanupTest, RecursesIntoSubgraphs) {
  auto build = [](IfGraph& f) {
    Graph& branch = *f.then_branch;
    TensorPtr local_dead = op(branch, "branch_dead", {f.x});
    initializer(branch, "branch_w");
    branch.value_info.push_back(local_dead);
  };
  IfGraph f;
  build(f);
  CleanupReport r = f.main.cleanup();
  EXPECT_EQ(r.nodes, 1u);
  EXPECT_EQ(r.initializers, 1u);
  EXPECT_EQ(r.value_infos, 1u);
  EXPECT_EQ(node_names(*f.then_branch), (Names{"branch_op"}));
  EXPECT_TRUE(f.then_branch->initializers.empty());
  EXPECT_TRUE(f.then_branch->value_info.empty());

  IfGraph shallow;
  build(shallow);
  EXPECT_FALSE(shallow.main.cleanup({.recurse_into_subgraphs = false}).changed());
  EXPECT_EQ(shallow.then_branch->nodes().size(), 2u);
}

TEST(CleanupTest, OuterNodeReadOnlyByADeadBranchNodeGoesInOnePass) {
  IfGraph f;
  TensorPtr feeds_dead = op(f.main, "feeds_dead", {f.x});
  op(*f.then_branch, "branch_dead", {feeds_dead});
  CleanupReport r = f.main.cleanup();
  EXPECT_EQ(r.nodes, 2u);  // branch_dead and then feeds_dead
  EXPECT_EQ(node_names(f.main), (Names{"outer", "if1"}));
  EXPECT_FALSE(f.main.cleanup().changed());
}

TEST(CleanupTest, CleanGraphReportsNoChange) {
  IfGraph f;
  initializer(f.main, "w");
  f.main.find_node("outer")->add_input(f.main.initializers[0]);
  f.main.value_info = {f.outer};
  CleanupReport r = f.main.cleanup({.remove_unused_graph_inputs = true});
  EXPECT_FALSE(r.changed());
  EXPECT_EQ(r.nodes + r.initializers + r.value_infos + r.inputs, 0u);
  EXPECT_FALSE(f.main.cleanup({.remove_unused_graph_inputs = true}).changed());
}

TEST(CleanupTest, SecondCleanupChangesNothing) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr a = op(g, "a", {x});
  op(g, "dead", {a});
  initializer(g, "unused");
  g.outputs.push_back(op(g, "b", {a}));
  EXPECT_TRUE(g.cleanup().changed());
  EXPECT_FALSE(g.cleanup().changed());
  EXPECT_EQ(node_names(g), (Names{"a", "b"}));
}

// ---------------------------------------------------------------------------------------
// check

TEST(CheckTest, AcceptsAWellFormedGraph) {
  IfGraph f(/*outer_first=*/false);  // unsorted is fine
  initializer(f.main, "w");
  f.main.find_node("outer")->add_input(f.main.initializers[0]);
  EXPECT_NO_THROW(f.main.check());
}

TEST(CheckTest, DanglingInputNamesNodeAndTensor) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  g.outputs.push_back(op(g, "reader", {x, tensor("ghost")}));
  std::string msg = error_of([&] { g.check(); });
  EXPECT_CONTAINS(msg, "graph 'g'");
  EXPECT_CONTAINS(msg, "node 'reader' (Op)");
  EXPECT_CONTAINS(msg, "'ghost'");
}

TEST(CheckTest, InputFromARemovedNodeIsDangling) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr a = op(g, "a", {x});
  g.outputs.push_back(op(g, "b", {a}));
  g.check();
  g.remove_node(g.find_node("a"));
  EXPECT_CONTAINS(error_of([&] { g.check(); }), "node 'b' (Op) reads tensor 'a'");
}

TEST(CheckTest, DanglingGraphOutput) {
  Graph g("g");
  graph_input(g, "x");
  g.outputs.push_back(tensor("nowhere"));
  std::string msg = error_of([&] { g.check(); });
  EXPECT_CONTAINS(msg, "graph output 'nowhere'");
}

TEST(CheckTest, NameDefinedTwiceNamesBothPlaces) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  g.add_node("Relu", {x}, {tensor("y")}, "first");
  g.add_node("Neg", {x}, {tensor("y")}, "second");
  std::string msg = error_of([&] { g.check(); });
  EXPECT_CONTAINS(msg, "'y' is defined twice");
  EXPECT_CONTAINS(msg, "node 'first' (Relu)");
  EXPECT_CONTAINS(msg, "node 'second' (Neg)");

  Graph h("h");
  graph_input(h, "w");
  initializer(h, "w");
  msg = error_of([&] { h.check(); });
  EXPECT_CONTAINS(msg, "'w' is defined twice");
  EXPECT_CONTAINS(msg, "a graph input");
  EXPECT_CONTAINS(msg, "an initializer");
}

TEST(CheckTest, OneTensorAsGraphInputAndInitializerIsFine) {
  Graph g("g");
  TensorPtr w = initializer(g, "w");
  g.inputs.push_back(w);
  g.outputs.push_back(op(g, "use", {w}));
  EXPECT_NO_THROW(g.check());
}

TEST(CheckTest, NodeMayNotOverwriteAGraphInput) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  g.add_node("Relu", {}, {x}, "overwrites");
  std::string msg = error_of([&] { g.check(); });
  EXPECT_CONTAINS(msg, "'x' is defined twice");
  EXPECT_CONTAINS(msg, "a graph input");
  EXPECT_CONTAINS(msg, "node 'overwrites' (Relu)");

  Graph h("h");
  TensorPtr y = tensor("y");
  h.outputs.push_back(y);
  h.add_node("Split", {}, {y, y}, "split");  // one node writing the same tensor twice
  EXPECT_CONTAINS(error_of([&] { h.check(); }), "'y' is defined twice");
}

TEST(CheckTest, SubgraphMayReadOuterTensorsButNotTheOtherWayRound) {
  IfGraph f;
  EXPECT_NO_THROW(f.main.check());
  // Now an outer node reads the branch's local tensor.
  f.main.add_node("Op", {f.branch_out}, {tensor("peek")}, "peeker");
  std::string msg = error_of([&] { f.main.check(); });
  EXPECT_CONTAINS(msg, "graph 'main'");
  EXPECT_CONTAINS(msg, "node 'peeker' (Op)");
  EXPECT_CONTAINS(msg, "'branch_op'");
}

TEST(CheckTest, BranchMayNotReadASiblingBranchsTensor) {
  IfGraph f;
  Graph& else_branch = add_subgraph(f.if1, "else_branch");
  else_branch.outputs.push_back(op(else_branch, "else_op", {f.branch_out}));
  std::string msg = error_of([&] { f.main.check(); });
  EXPECT_CONTAINS(msg, "subgraph 'else_branch' of node 'if1' (If)");
  EXPECT_CONTAINS(msg, "node 'else_op' (Op)");
}

TEST(CheckTest, ProblemsInsideSubgraphsNameTheSubgraph) {
  IfGraph f;
  f.then_branch->outputs.push_back(tensor("lost"));
  std::string msg = error_of([&] { f.main.check(); });
  EXPECT_CONTAINS(msg, "subgraph 'then_branch' of node 'if1' (If)");
  EXPECT_CONTAINS(msg, "'lost'");
}

TEST(CheckTest, DetectsCycles) {
  Graph g("g");
  TensorPtr p = tensor("p"), q = tensor("q");
  g.add_node("Op", {q}, {p}, "p");
  g.add_node("Op", {p}, {q}, "q");
  std::string msg = error_of([&] { g.check(); });
  EXPECT_CONTAINS(msg, "has a cycle");
  EXPECT_CONTAINS(msg, "node 'p' (Op)");
  EXPECT_CONTAINS(msg, "node 'q' (Op)");
}

TEST(CheckTest, DetectsCyclesInsideSubgraphs) {
  IfGraph f;
  TensorPtr p = tensor("p"), q = tensor("q");
  f.then_branch->add_node("Op", {q}, {p}, "p");
  f.then_branch->add_node("Op", {p}, {q}, "q");
  std::string msg = error_of([&] { f.main.check(); });
  EXPECT_CONTAINS(msg, "subgraph 'then_branch' of node 'if1' (If) has a cycle");
}

// ---------------------------------------------------------------------------------------
// Queries

// Three levels: main defines a, b; node `l1` holds `level1`, which defines c; node `l2`
// in level1 holds `level2`, which reads a, c and its own d.
struct Nested {
  Graph main{"main"};
  TensorPtr a, b, c, d;
  Node *l1 = nullptr, *l2 = nullptr;
  Graph *level1 = nullptr, *level2 = nullptr;

  Nested() {
    a = graph_input(main, "a");
    b = initializer(main, "b");
    TensorPtr out1 = tensor("out1");
    l1 = main.add_node("Loop", {b}, {out1}, "l1");
    main.outputs.push_back(out1);
    level1 = &add_subgraph(l1, "body");
    c = op(*level1, "c", {});
    TensorPtr out2 = tensor("out2");
    l2 = level1->add_node("If", {c}, {out2}, "l2");
    level1->outputs = {out2, b};  // passes an outer tensor straight through
    level2 = &add_subgraph(l2, "then_branch");
    d = op(*level2, "d", {a, c});
    level2->outputs.push_back(op(*level2, "e", {d, c}));
  }
};

TEST(QueryTest, FindTensorSearchesEnclosingGraphs) {
  Nested n;
  EXPECT_EQ(n.main.find_tensor("a"), n.a);
  EXPECT_EQ(n.main.find_tensor("b"), n.b);
  EXPECT_EQ(n.main.find_tensor("c"), nullptr);  // local to level1
  EXPECT_EQ(n.level1->find_tensor("c"), n.c);
  EXPECT_EQ(n.level1->find_tensor("a"), n.a);
  EXPECT_EQ(n.level2->find_tensor("a"), n.a);  // two levels up
  EXPECT_EQ(n.level2->find_tensor("c"), n.c);
  EXPECT_EQ(n.level2->find_tensor("d"), n.d);
  EXPECT_EQ(n.level2->find_tensor("nope"), nullptr);
  EXPECT_EQ(n.level1->find_tensor("d"), nullptr);
}

TEST(QueryTest, FindTensorPrefersTheInnermostDefinition) {
  Nested n;
  TensorPtr shadow = op(*n.level2, "a", {});
  EXPECT_EQ(n.level2->find_tensor("a"), shadow);
  EXPECT_EQ(n.level1->find_tensor("a"), n.a);
}

TEST(QueryTest, TensorMapHoldsOnlyThisGraphsDefinitions) {
  Nested n;
  auto map = n.main.tensor_map();
  EXPECT_EQ(map.size(), 3u);  // a, b, out1
  EXPECT_EQ(map.at("a"), n.a);
  EXPECT_EQ(map.at("b"), n.b);
  EXPECT_EQ(map.count("out1"), 1u);
  Names level1_names;
  for (const auto& [name, t] : n.level1->tensor_map()) level1_names.push_back(name);
  EXPECT_EQ(sorted(level1_names), (Names{"c", "out2"}));
}

TEST(QueryTest, FindNodeLooksOnlyInThisGraph) {
  Nested n;
  EXPECT_EQ(n.main.find_node("l1"), n.l1);
  EXPECT_EQ(n.level1->find_node("l2"), n.l2);
  EXPECT_EQ(n.main.find_node("l2"), nullptr);
  EXPECT_EQ(n.main.find_node("missing"), nullptr);
}

TEST(QueryTest, OuterTensorsAndReadsOfThroughTwoLevels) {
  Nested n;
  EXPECT_EQ(sorted(tensor_names(n.level2->outer_tensors())), sorted({"a", "c"}));
  EXPECT_EQ(sorted(tensor_names(n.level1->outer_tensors())), sorted({"a", "b"}));  // b: an output
  EXPECT_TRUE(n.main.outer_tensors().empty());
  EXPECT_EQ(sorted(tensor_names(n.level1->reads_of(*n.l2))), sorted({"c", "a", "c"}));
  EXPECT_EQ(sorted(tensor_names(n.main.reads_of(*n.l1))), sorted({"b", "a", "b"}));
  EXPECT_EQ(tensor_names(n.level2->reads_of(*n.level2->find_node("d"))), (Names{"a", "c"}));
}

TEST(QueryTest, ChecksCleanupsAndSortsTheNestedGraph) {
  Nested n;
  EXPECT_NO_THROW(n.main.check());
  EXPECT_FALSE(n.main.cleanup({.remove_unused_graph_inputs = true}).changed());
  EXPECT_EQ(tensor_names(n.main.inputs), (Names{"a"}));  // read two levels down
}

TEST(QueryTest, Describe) {
  Nested n;
  EXPECT_EQ(n.main.describe(), "graph 'main'");
  EXPECT_EQ(n.level1->describe(), "subgraph 'body' of node 'l1' (Loop)");
  EXPECT_EQ(n.level2->describe(), "subgraph 'then_branch' of node 'l2' (If)");

  IfGraph f;
  EXPECT_EQ(f.then_branch->describe(), "subgraph 'then_branch' of node 'if1' (If)");
  auto in_list = std::make_shared<Graph>("case1", &f.main);
  Attribute cases{.name = "cases", .type = AttrType::kGraphs};
  cases.graphs = {std::make_shared<Graph>("case0", &f.main), in_list};
  f.main.add_node("Switch", {}, {}, "sw")->set_attr(cases);
  EXPECT_EQ(in_list->describe(), "subgraph 'cases' of node 'sw' (Switch)");
  Graph detached("detached", &f.main);  // has a parent but no node holds it
  EXPECT_EQ(detached.describe(), "subgraph 'detached'");
}

TEST(QueryTest, NodeCountRecursive) {
  Nested n;
  EXPECT_EQ(n.main.node_count_recursive(), 1u + 2u + 2u);
  EXPECT_EQ(n.level1->node_count_recursive(), 2u + 2u);
  EXPECT_EQ(n.level2->node_count_recursive(), 2u);
  EXPECT_EQ(Graph().node_count_recursive(), 0u);
}

// ---------------------------------------------------------------------------------------
// Model

TEST(ModelTest, OpsetTreatsEmptyAndAiOnnxAsTheSameDomain) {
  Model m;
  EXPECT_EQ(m.opset(), 0);
  m.opset_imports = {{"com.microsoft", 1}, {"", 17}};
  EXPECT_EQ(m.opset(), 17);
  EXPECT_EQ(m.opset(""), 17);
  EXPECT_EQ(m.opset("ai.onnx"), 17);
  EXPECT_EQ(m.opset("com.microsoft"), 1);
  EXPECT_EQ(m.opset("ai.onnx.ml"), 0);

  Model spelled_out;
  spelled_out.opset_imports = {{"ai.onnx.ml", 3}, {"ai.onnx", 13}};
  EXPECT_EQ(spelled_out.opset(""), 13);
  EXPECT_EQ(spelled_out.opset("ai.onnx"), 13);
  EXPECT_EQ(spelled_out.opset("ai.onnx.ml"), 3);
}

}  // namespace
}  // namespace graft
