// Tests of rules applied to a fixpoint (rewriter.h), with rules written the way fusion and
// simplification passes write them.
#include "surgeon/rewriter.h"

#include "surgeon/edit.h"
#include "surgeon/test_util.h"

namespace graft {
namespace {

using namespace graft::testing;

RewriteRule remove_identity() {
  Pattern p;
  p.op("Identity", {p.any()});
  return {"remove Identity", std::move(p), [](Graph& g, const Match& m) {
            bypass_node(g, *m.root());
            return true;
          }};
}

// Add(x, 0) and Mul(x, 1) in either order are x.
RewriteRule drop_neutral(const std::string& op_type, double neutral) {
  Pattern p;
  PatternValue x = p.any();
  p.op(op_type, {x, p.constant().values(all_values(neutral))}).commutative();
  return {op_type + " by " + std::to_string(int(neutral)), std::move(p), [x](Graph& g, const Match& m) {
            Node& node = *m.root();
            bypass_node(g, node, node.input(0) == m.tensor(x) ? 0 : 1);
            return true;
          }};
}

RewriteRule fuse_conv_relu() {
  Pattern p;
  PatternValue x = p.any(), w = p.constant(), b = p.optional();
  PatternValue conv = p.op("Conv", {x, w, b}).single_use();
  PatternValue relu = p.op("Relu", {conv});
  return {"Conv+Relu", std::move(p), [=](Graph& g, const Match& m) {
            Node* c = m.node(conv);
            NodeSpec fused{.op_type = "FusedConv", .name = c->name, .domain = "graft",
                           .inputs = {m.tensor(x), m.tensor(w), m.tensor(b)}, .outputs = {m.tensor(relu)},
                           .attributes = c->attributes};
            fused.attributes.push_back(Attribute::of_string("activation", "Relu"));
            replace_subgraph(g, m.nodes(), {fused});
            return true;
          }};
}

TEST(RewriterTest, RemovesAChainOfIdentities) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr i3 = op(g, "i3", {op(g, "i2", {op(g, "i1", {x}, "Identity")}, "Identity")}, "Identity");
  g.outputs = {op(g, "n", {i3}, "Neg")};
  RewriteReport report = apply_rules(g, {remove_identity()});
  EXPECT_EQ(text(g), "in: x\nn: Neg(x) -> n\nout: n\n");
  EXPECT_EQ(report.fired, (std::map<std::string, size_t>{{"remove Identity", 3}}));
  EXPECT_EQ(report.iterations, 2u);  // one sweep removes all three, one finds nothing
  EXPECT_TRUE(report.reached_fixpoint);
}

TEST(RewriterTest, FusesOnlyWhereTheIntermediateIsSingleUse) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x"), w = initializer(g, "w");
  TensorPtr c1 = op(g, "c1", {x, w}, "Conv");
  TensorPtr r1 = op(g, "r1", {c1}, "Relu");
  TensorPtr c2 = op(g, "c2", {r1, w}, "Conv");
  TensorPtr r2 = op(g, "r2", {c2}, "Relu");
  g.outputs = {r2, c2};
  RewriteReport report = apply_rules(g, {fuse_conv_relu()});
  EXPECT_EQ(text(g),
            "in: x\n"
            "init: w\n"
            "c1: graft::FusedConv(x, w, ) -> r1\n"
            "c2: Conv(r1, w) -> c2\n"
            "r2: Relu(c2) -> r2\n"
            "out: r2, c2\n");
  EXPECT_EQ(report.total(), 1u);
  EXPECT_TRUE(links_consistent(g));
  g.check();
}

TEST(RewriterTest, SimplificationsComposeToAFixpoint) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr zero = initializer(g, "zero", {0}), one = initializer(g, "one", {1});
  TensorPtr m = op(g, "m", {one, x}, "Mul");
  TensorPtr a = op(g, "a", {m, zero}, "Add");
  TensorPtr i = op(g, "i", {a}, "Identity");
  g.outputs = {op(g, "e", {i}, "Exp")};
  RewriteReport report = apply_rules(g, {remove_identity(), drop_neutral("Add", 0), drop_neutral("Mul", 1)});
  g.cleanup();
  EXPECT_EQ(text(g), "in: x\ne: Exp(x) -> e\nout: e\n");
  EXPECT_EQ(report.fired, (std::map<std::string, size_t>{{"Add by 0", 1}, {"Mul by 1", 1}, {"remove Identity", 1}}));
}

TEST(RewriterTest, ARuleDeclaringNoChangeDoesNotCountAndLetsOthersTry) {
  Graph g("g");
  g.outputs = {op(g, "i", {graph_input(g, "x")}, "Identity")};
  Pattern p;
  p.op("Identity", {p.any()});
  RewriteRule decline{"decline", std::move(p), [](Graph&, const Match&) { return false; }};
  RewriteReport report = apply_rules(g, {std::move(decline), remove_identity()});
  EXPECT_EQ(report.fired, (std::map<std::string, size_t>{{"remove Identity", 1}}));
  EXPECT_EQ(text(g), "in: x\nout: x\n");
}

TEST(RewriterTest, StopsAtTheIterationLimit) {
  Graph g("g");
  g.outputs = {op(g, "n", {graph_input(g, "x")}, "Neg")};
  Pattern p;
  p.op("Neg", {p.any()});
  RewriteRule flip{"flip", std::move(p), [](Graph&, const Match& m) {
                     Node& n = *m.root();
                     set_attribute(n, Attribute::of_int("flag", n.attr("flag") ? 1 - n.attr("flag")->i : 1));
                     return true;
                   }};
  RewriteReport report = apply_rules(g, {std::move(flip)}, {.max_iterations = 5});
  EXPECT_FALSE(report.reached_fixpoint);
  EXPECT_EQ(report.iterations, 5u);
  EXPECT_EQ(report.fired.at("flip"), 5u);
}

TEST(RewriterTest, RecursesIntoSubgraphsWhenAsked) {
  for (bool recurse : {true, false}) {
    Graph g("g");
    TensorPtr x = graph_input(g, "x");
    Node* if1 = g.add_node("If", {x}, {tensor("y")}, "if1");
    Graph& branch = add_subgraph(if1, "then_branch");
    branch.outputs = {op(branch, "inner", {op(branch, "id", {x}, "Identity")}, "Neg")};
    g.outputs = {if1->output(0)};
    RewriteReport report = apply_rules(g, {remove_identity()}, {.recurse_into_subgraphs = recurse});
    EXPECT_EQ(report.total(), recurse ? 1u : 0u);
    EXPECT_EQ(branch.nodes().size(), recurse ? 1u : 2u);
  }
}

TEST(RewriterTest, ARefusedRewriteThrowsAndLeavesTheGraphAsTheEarlierRewritesMadeIt) {
  Graph g("g");
  TensorPtr x = graph_input(g, "x");
  TensorPtr i = op(g, "i", {x}, "Identity");
  TensorPtr n = op(g, "n", {i}, "Neg");
  g.outputs = {op(g, "e", {n}, "Exp")};
  Pattern p;
  p.op("Neg", {p.any()});
  // Removes the Neg without reproducing its output: refused.
  RewriteRule broken{"broken", std::move(p), [](Graph& g, const Match& m) {
                       replace_subgraph(g, m.nodes(), {});
                       return true;
                     }};
  EXPECT_CONTAINS(error_of([&] { apply_rules(g, {remove_identity(), std::move(broken)}); }),
                  "node 'e' (Exp) would read tensor 'n', which nothing would define");
  EXPECT_EQ(text(g), "in: x\nn: Neg(x) -> n\ne: Exp(n) -> e\nout: e\n");
  EXPECT_TRUE(links_consistent(g));
}

}  // namespace
}  // namespace graft
