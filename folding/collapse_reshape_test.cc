#include <gtest/gtest.h>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;

TEST(CollapseReshape, ReshapeOfReshapeBecomesOne) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Reshape", "a", {x, ints(g, "s1", {6, 4})});
  TensorPtr b = node(g, "Reshape", "b", {a, ints(g, "s2", {4, -1})});
  output(m, node(g, "Relu", "y", {b}));
  PassResult r = run_checked(m, "collapse-reshape");
  EXPECT_EQ(r.changes, 1u);
  EXPECT_EQ(nodes_text(g), "in: x\nb: Reshape(x, s2) -> b\ny: Relu(b) -> y\nout: y\n");
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0], "merged node 'a' (Reshape) into node 'b' (Reshape)");
}

TEST(CollapseReshape, ChainsOfShapeOpsCollapseInOneRun) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Flatten", "a", {x});
  TensorPtr b = node(g, "Unsqueeze", "b", {a, ints(g, "axes", {0})});
  TensorPtr c = node(g, "Reshape", "c", {b, ints(g, "s1", {3, 8})});
  TensorPtr d = node(g, "Reshape", "d", {c, ints(g, "s2", {24})});
  output(m, node(g, "Relu", "y", {d}));
  EXPECT_EQ(run_checked(m, "collapse-reshape").changes, 3u);
  EXPECT_EQ(nodes_text(g), "in: x\nd: Reshape(x, s2) -> d\ny: Relu(d) -> y\nout: y\n");
}

TEST(CollapseReshape, ZeroEntriesBecomeTheFixedDimsTheyCopy) {
  // Reshape(Squeeze(x), [0, -1]): the 0 copies dim 0 of the Squeeze output (2), which a new
  // target [2, -1] spells out; the old target stays for its other reader.
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {1, 2, 3, 4});
  TensorPtr s = node(g, "Squeeze", "sq", {x, ints(g, "axes", {0})});
  TensorPtr shape = ints(g, "shape", {0, -1});
  output(m, node(g, "Reshape", "r", {s, shape}));
  output(m, node(g, "Reshape", "other", {x, shape}));
  EXPECT_EQ(run_checked(m, "collapse-reshape").changes, 1u);
  EXPECT_EQ(nodes_text(g), "in: x\nr: Reshape(x, shape_1) -> r\nother: Reshape(x, shape) -> other\nout: r, other\n");
  const TensorData& target = *g.nodes()[0]->input(1)->data;
  EXPECT_EQ(target.dims, std::vector<int64_t>{2});
  EXPECT_EQ(target.at<int64_t>(0), 2);
  EXPECT_EQ(target.at<int64_t>(1), -1);
}

TEST(CollapseReshape, KeepsWhatItCannotMerge) {
  Model m = model(14);
  Graph& g = *m.graph;
  TensorPtr x = shaped_input(m, "x", F, Shape({Dim::symbolic("n"), Dim::fixed(6)}));
  // The inner output is also read by Neg.
  TensorPtr a = node(g, "Reshape", "a", {x, ints(g, "s1", {0, 2, 3})});
  output(m, node(g, "Reshape", "b", {a, ints(g, "s2", {-1})}));
  output(m, node(g, "Neg", "neg", {a}));
  // The inner output is a graph output.
  TensorPtr c = node(g, "Reshape", "c", {x, ints(g, "s3", {0, 3, 2})});
  output(m, c);
  output(m, node(g, "Reshape", "d", {c, ints(g, "s4", {-1})}));
  // The target copies a symbolic dim.
  TensorPtr e = node(g, "Flatten", "e", {x});
  output(m, node(g, "Reshape", "f", {e, ints(g, "s5", {0, 2, 3})}));
  // The target is computed at run time.
  TensorPtr h = node(g, "Reshape", "h", {x, ints(g, "s6", {-1})});
  TensorPtr dyn = node(g, "Shape", "dyn", {x});
  output(m, node(g, "Reshape", "i", {h, dyn}));
  PassResult r = run_checked(m, "collapse-reshape");
  EXPECT_EQ(r.changes, 0u);
  EXPECT_EQ(g.nodes().size(), 10u);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_EQ(r.notes[0],
            "kept node 'e' (Flatten) before node 'f' (Reshape): the target copies dim 0 of 'e', which is not fixed");
}

TEST(CollapseReshape, AllowzeroKeepsZerosLiteral) {
  Model m = model(14);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 0, 3});
  TensorPtr a = node(g, "Reshape", "a", {x, ints(g, "s1", {3, 0, 2})});
  output(m, node(g, "Reshape", "b", {a, ints(g, "s2", {0, 6})}, {Attribute::of_int("allowzero", 1)}));
  EXPECT_EQ(run_checked(m, "collapse-reshape").changes, 1u);
  EXPECT_EQ(nodes_text(g), "in: x\nb: Reshape(x, s2) -> b\nout: b\n");
}

TEST(CollapseReshape, OpsetFourShapeAttribute) {
  Model m = model(4);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3, 4});
  TensorPtr a = node(g, "Reshape", "a", {x}, {Attribute::of_ints("shape", {6, 4})});
  output(m, node(g, "Reshape", "b", {a}, {Attribute::of_ints("shape", {0, 2, 2})}));
  EXPECT_EQ(run_checked(m, "collapse-reshape").changes, 1u);
  EXPECT_EQ(text(g), "in: x\nb: Reshape(x) -> b\nout: b\n");
  EXPECT_EQ(g.nodes()[0]->attr("shape")->ints, (std::vector<int64_t>{6, 2, 2}));
}

}  // namespace
}  // namespace graft::folding
