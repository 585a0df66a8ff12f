#include <gtest/gtest.h>

#include <limits>

#include "folding/pass_test_util.h"

namespace graft::folding {
namespace {

using namespace testing;  // NOLINT
using graft::testing::text;

const DataType F = DataType::kFloat;
const int64_t kMax = std::numeric_limits<int64_t>::max();

Attribute to(DataType t) { return Attribute::of_int("to", static_cast<int64_t>(t)); }

TEST(RemoveNoop, RemovesEveryKindOfNoop) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr v = node(g, "Relu", "r0", {x});
  v = node(g, "Cast", "cast", {v}, {to(F)});
  v = node(g, "Reshape", "reshape", {v, ints(g, "shape", {0, -1})});
  v = node(g, "Reshape", "reshape2", {v, ints(g, "shape2", {2, 3})});
  v = node(g, "Transpose", "transpose", {v}, {Attribute::of_ints("perm", {0, 1})});
  v = node(g, "Pad", "pad", {v, ints(g, "pads", {0, 0, 0, 0})}, {Attribute::of_string("mode", "reflect")});
  v = node(g, "Slice", "slice", {v, ints(g, "starts", {0, -5}), ints(g, "ends", {kMax, 3})});
  v = node(g, "Expand", "expand", {v, ints(g, "eshape", {1, 3})});
  v = node(g, "Tile", "tile", {v, ints(g, "repeats", {1, 1})});
  v = node(g, "Concat", "concat", {v}, {Attribute::of_int("axis", 0)});
  v = node(g, "Sum", "sum", {v});
  v = node(g, "Max", "max", {v});
  v = node(g, "Mul", "mul", {floats(g, "one", {1, 1, 1}, {3}), v});
  v = node(g, "Div", "div", {v, floats(g, "one_s", {1}, {})});
  v = node(g, "Add", "add", {v, floats(g, "zero", {0, 0, 0}, {1, 3})});
  v = node(g, "Sub", "sub", {v, floats(g, "zero_s", {0}, {1})});
  v = node(g, "Flatten", "flatten", {v});
  v = node(g, "Squeeze", "squeeze", {v});
  output(m, node(g, "Relu", "r1", {v}));
  PassResult r = run_checked(m, "remove-noop");
  EXPECT_EQ(r.changes, 17u);
  EXPECT_EQ(nodes_text(g), "in: x\nr0: Relu(x) -> r0\nr1: Relu(r0) -> r1\nout: r1\n");
  ASSERT_FALSE(r.notes.empty());
  EXPECT_CONTAINS(r.notes[0], "1 Cast to its own dtype");
  EXPECT_CONTAINS(r.notes[0], "2 Reshape to its own shape");
}

TEST(RemoveNoop, KeepsNodesThatChangeSomething) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  output(m, node(g, "Cast", "cast", {x}, {to(DataType::kDouble)}));
  output(m, node(g, "Reshape", "reshape", {x, ints(g, "shape", {3, 2})}));
  output(m, node(g, "Transpose", "transpose", {x}, {Attribute::of_ints("perm", {1, 0})}));
  output(m, node(g, "Transpose", "reverse", {x}));
  output(m, node(g, "Pad", "pad", {x, ints(g, "pads", {0, 1, 0, 0})}));
  output(m, node(g, "Slice", "slice", {x, ints(g, "starts", {0}), ints(g, "ends", {2}), ints(g, "axes", {1})}));
  output(m, node(g, "Slice", "reverse_slice",
                 {x, ints(g, "rs", {-1}), ints(g, "re", {-kMax}), ints(g, "ra", {0}), ints(g, "rstep", {-1})}));
  output(m, node(g, "Expand", "expand", {x, ints(g, "eshape", {2, 2, 3})}));
  output(m, node(g, "Mul", "mul_bcast", {x, floats(g, "ones", {1, 1, 1, 1, 1, 1}, {1, 2, 3})}));
  output(m, node(g, "Mul", "mul_two", {x, floats(g, "two", {2}, {})}));
  output(m, node(g, "Sub", "zero_minus", {floats(g, "zero", {0}, {}), x}));
  output(m, node(g, "Div", "one_over", {floats(g, "one", {1}, {}), x}));
  output(m, node(g, "Flatten", "flatten0", {x}, {Attribute::of_int("axis", 0)}));
  PassResult r = run_checked(m, "remove-noop");
  EXPECT_EQ(r.changes, 0u);
  EXPECT_EQ(g.nodes().size(), 13u);
}

TEST(RemoveNoop, SymbolicDimsOnlyWhereTheyAreProvablyKept) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = shaped_input(m, "x", F, Shape({Dim::symbolic("batch"), Dim::fixed(3)}));
  // Removed: copies of dim 0, -1 beside a fixed non-zero dim, a slice to the end.
  TensorPtr a = node(g, "Reshape", "copy", {x, ints(g, "s1", {0, 3})});
  TensorPtr b = node(g, "Reshape", "infer", {a, ints(g, "s2", {-1, 3})});
  TensorPtr c = node(g, "Slice", "to_end", {b, ints(g, "st", {0}), ints(g, "en", {kMax}), ints(g, "ax", {0})});
  TensorPtr d = node(g, "Expand", "expand_ones", {c, ints(g, "ones", {1, 1})});
  TensorPtr y = node(g, "Relu", "y", {d});
  output(m, y);
  // Kept: -1 beside a symbolic dim (zero batch), a slice ending at 5, an Expand of the batch
  // dim to 4, a Squeeze without axes (batch may be 1).
  output(m, node(g, "Reshape", "infer_sym", {x, ints(g, "s3", {0, -1})}));
  output(m, node(g, "Slice", "to_five", {x, ints(g, "st5", {0}), ints(g, "en5", {5}), ints(g, "ax5", {0})}));
  output(m, node(g, "Expand", "expand4", {x, ints(g, "four", {4, 3})}));
  output(m, node(g, "Squeeze", "squeeze", {x}));
  PassResult r = run_checked(m, "remove-noop");
  EXPECT_EQ(r.changes, 4u);
  EXPECT_EQ(nodes_text(g),
            "in: x\n"
            "y: Relu(x) -> y\n"
            "infer_sym: Reshape(x, s3) -> infer_sym\n"
            "to_five: Slice(x, st5, en5, ax5) -> to_five\n"
            "expand4: Expand(x, four) -> expand4\n"
            "squeeze: Squeeze(x) -> squeeze\n"
            "out: y, infer_sym, to_five, expand4, squeeze\n");
}

TEST(RemoveNoop, AttributeFormsOfOlderOpsets) {
  Model m = model(9);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  TensorPtr v = node(g, "Relu", "r0", {x});
  v = node(g, "Pad", "pad", {v}, {Attribute::of_ints("pads", {0, 0, 0, 0})});
  v = node(g, "Slice", "slice", {v}, {Attribute::of_ints("starts", {0}), Attribute::of_ints("ends", {3}),
                                      Attribute::of_ints("axes", {1})});
  v = node(g, "Squeeze", "squeeze_none", {v});
  output(m, node(g, "Relu", "r1", {v}));
  output(m, node(g, "Pad", "pad1", {x}, {Attribute::of_ints("pads", {0, 0, 1, 0})}));
  EXPECT_EQ(run_checked(m, "remove-noop").changes, 3u);
  EXPECT_EQ(text(g), "in: x\nr0: Relu(x) -> r0\nr1: Relu(r0) -> r1\npad1: Pad(x) -> pad1\nout: r1, pad1\n");
}

TEST(RemoveNoop, GraphOutputsKeepTheirNames) {
  Model m = model(13);
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2});
  output(m, node(g, "Cast", "from_input", {x}, {to(F)}));  // kept: x is a graph input
  TensorPtr r = node(g, "Relu", "r", {x});
  output(m, node(g, "Cast", "from_relu", {r}, {to(F)}));  // removed: Relu writes "from_relu"
  PassResult res = run_checked(m, "remove-noop");
  EXPECT_EQ(res.changes, 1u);
  EXPECT_EQ(text(g), "in: x\nfrom_input: Cast(x) -> from_input\nr: Relu(x) -> from_relu\nout: from_input, from_relu\n");
  ASSERT_EQ(res.notes.size(), 2u);
  EXPECT_CONTAINS(res.notes[1], "kept node 'from_input' (Cast) (Cast to its own dtype)");
}

TEST(RemoveNoop, NeedsKnownDtypesAndShapes) {
  // The Cast input's dtype and the Reshape input's shape are unknown (no inference through a
  // custom op): both stay.
  Model m = model(13);
  m.opset_imports.push_back({"custom", 1});
  Graph& g = *m.graph;
  TensorPtr x = input(m, "x", F, {2, 3});
  g.add_node("Mystery", {x}, {std::make_shared<Tensor>("u")}, "mystery", "custom");
  TensorPtr u = g.nodes().back()->output(0);
  output(m, node(g, "Cast", "cast", {u}, {to(F)}));
  output(m, node(g, "Reshape", "reshape", {u, ints(g, "shape", {2, 3})}));
  infer_shapes(m);
  EXPECT_EQ(make_pass("remove-noop")->run(m, {}).changes, 0u);
  EXPECT_EQ(g.nodes().size(), 3u);
}

}  // namespace
}  // namespace graft::folding
