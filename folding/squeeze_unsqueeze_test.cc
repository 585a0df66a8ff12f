#include <gtest/gtest.h>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;

TEST(SqueezeUnsqueeze, UnsqueezeThenSqueezeCancel) {
  // Axes written differently but equal once normalized: [0, -1] of rank 4 is [0, 3].
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr u = node(g, "Unsqueeze", "u", {x, ints(g, "ua", {3, 0})});
  TensorPtr s = node(g, "Squeeze", "s", {u, ints(g, "sa", {0, -1})});
  output(m, node(g, "Relu", "y", {s}));
  PassResult r = run_checked(m, "squeeze-unsqueeze");
  EXPECT_EQ(r.changes, 1u);
  EXPECT_EQ(nodes_text(g), "in: x\ny: Relu(x) -> y\nout: y\n");
  EXPECT_EQ(r.notes, (std::vector<std::string>{"removed node 'u' (Unsqueeze) and node 's' (Squeeze): they cancel"}));
}

TEST(SqueezeUnsqueeze, SqueezeThenUnsqueezeCancel) {
  Model m = model(11);  // axes as attributes
  Graph& g = *m.graph;
  TensorPtr x = shaped_input(m, "x", F, Shape({Dim::symbolic("n"), Dim::fixed(1), Dim::fixed(4)}));
  TensorPtr r0 = node(g, "Relu", "r0", {x});
  TensorPtr s = node(g, "Squeeze", "s", {r0}, {Attribute::of_ints("axes", {1})});
  output(m, node(g, "Unsqueeze", "u", {s}, {Attribute::of_ints("axes", {-2})}));
  EXPECT_EQ(run_checked(m, "squeeze-unsqueeze").changes, 1u);
  EXPECT_EQ(text(g), "in: x\nr0: Relu(x) -> u\nout: u\n");  // the graph output keeps its name
}

TEST(SqueezeUnsqueeze, SqueezeWithoutAxesNeedsFixedDims) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 1, 3});
  TensorPtr s = node(g, "Squeeze", "s", {x});
  output(m, node(g, "Relu", "y", {node(g, "Unsqueeze", "u", {s, ints(g, "a", {1})})}));
  TensorPtr xs = shaped_input(m, "xs", F, Shape({Dim::symbolic("n"), Dim::fixed(1), Dim::fixed(5)}));
  TensorPtr s2 = node(g, "Squeeze", "s2", {xs});  // n may be 1 too: kept
  output(m, node(g, "Unsqueeze", "u2", {s2, ints(g, "a2", {1})}));
  EXPECT_EQ(run_checked(m, "squeeze-unsqueeze").changes, 1u);
  EXPECT_EQ(nodes_text(g),
            "in: x, xs\ny: Relu(x) -> y\ns2: Squeeze(xs) -> s2\nu2: Unsqueeze(s2, a2) -> u2\nout: y, u2\n");
}

TEST(SqueezeUnsqueeze, DifferentAxesOrSharedFirstNode) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr u = node(g, "Unsqueeze", "u", {x, ints(g, "ua", {0, 3})});
  output(m, node(g, "Squeeze", "s_other", {u, ints(g, "sa", {0})}));  // different axes: stays
  output(m, node(g, "Relu", "y", {node(g, "Squeeze", "s", {u, ints(g, "sb", {3, 0})})}));  // cancels; u stays
  EXPECT_EQ(run_checked(m, "squeeze-unsqueeze").changes, 1u);
  EXPECT_EQ(nodes_text(g),
            "in: x\nu: Unsqueeze(x, ua) -> u\ns_other: Squeeze(u, sa) -> s_other\ny: Relu(x) -> y\nout: s_other, y\n");
}

TEST(SqueezeUnsqueeze, UnknownRankNeedsListsEqualAsWritten) {
  // Unsqueeze(-1) then Squeeze(-1) cancel at any rank; -1 and 2 need the rank (unknown here).
  Model m = model(13);
  m.opset_imports.push_back({"custom", 1});
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  g.add_node("Mystery", {x}, {std::make_shared<Tensor>("v")}, "mystery", "custom");
  TensorPtr v = g.nodes().back()->output(0);
  TensorPtr u = node(g, "Unsqueeze", "u", {v, ints(g, "ua", {-1})});
  output(m, node(g, "Relu", "y", {node(g, "Squeeze", "s", {u, ints(g, "sa", {-1})})}));
  TensorPtr u2 = node(g, "Unsqueeze", "u2", {v, ints(g, "ub", {-1})});
  output(m, node(g, "Squeeze", "s2", {u2, ints(g, "sb", {2})}));
  infer_shapes(m);
  EXPECT_EQ(make_pass("squeeze-unsqueeze")->run(m, {}).changes, 1u);
  EXPECT_EQ(nodes_text(g),
            "in: x\nmystery: custom::Mystery(x) -> v\ny: Relu(v) -> y\nu2: Unsqueeze(v, ub) -> u2\n"
            "s2: Squeeze(u2, sb) -> s2\nout: y, s2\n");
}

}  // namespace
}  // namespace graft::folding
