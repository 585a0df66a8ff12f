// Shape functions on single nodes, with symbolic dims and tracked shape values. The
// whole-graph checks against real values are in folding/infer_shapes_test.cc.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops {
namespace {

using namespace testing;

TEST(ShapeFns, ShapeGatherConcatReshapeKeepsSymbols) {
  ValueFacts x = tensor(DataType::kFloat, {sym("batch"), sym("seq"), Dim::fixed(12), Dim::fixed(64)});
  NodeUnderTest shape("Shape", {x});
  ValueFacts s = shape.infer()[0];
  ASSERT_TRUE(s.elements);
  EXPECT_EQ(Shape(*s.elements).str(), "[batch, seq, 12, 64]");

  NodeUnderTest concat("Concat", {shape_value({sym("batch"), sym("seq")}), shape_value({Dim::fixed(768)})});
  concat.node->set_attr(Attribute::of_int("axis", 0));
  ValueFacts target = concat.infer()[0];
  EXPECT_EQ(target.type.str(), "int64[3]");

  NodeUnderTest reshape("Reshape", {x, target});
  EXPECT_EQ(reshape.infer()[0].type.str(), "float32[batch, seq, 768]");
}

TEST(ShapeFns, ReshapeInfersMinusOneSymbolically) {
  ValueFacts x = tensor(DataType::kFloat, {sym("batch"), Dim::fixed(3), sym("h"), sym("w")});
  NodeUnderTest reshape("Reshape", {x, shape_value({Dim::fixed(0), Dim::fixed(-1)})});
  EXPECT_EQ(reshape.infer()[0].type.str(), "float32[batch, 3*h*w]");
}

TEST(ShapeFns, ReshapeToAnImpossibleSizeNamesBothShapes) {
  NodeUnderTest reshape("Reshape", {tensor(DataType::kFloat, {Dim::fixed(2), Dim::fixed(3)}),
                                    shape_value({Dim::fixed(4), Dim::fixed(-1)})});
  try {
    reshape.infer();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot reshape data [2, 3] (6 elements) to [4, -1]");
  }
}

TEST(ShapeFns, ConcatAddsSymbolicDims) {
  NodeUnderTest concat("Concat", {tensor(DataType::kFloat, {sym("b"), sym("seq")}), tensor(DataType::kFloat, {sym("b"), sym("seq")})});
  concat.node->set_attr(Attribute::of_int("axis", 1));
  EXPECT_EQ(concat.infer()[0].type.str(), "float32[b, 2*seq]");
}

TEST(ShapeFns, ShapeArithmeticOnTrackedValues) {
  NodeUnderTest mul("Mul", {shape_value({sym("seq")}), shape_value({Dim::fixed(2)})});
  ValueFacts out = mul.infer()[0];
  ASSERT_TRUE(out.elements);
  EXPECT_EQ((*out.elements)[0].str(), "2*seq");
}

TEST(ShapeFns, BroadcastMismatchIsAnError) {
  NodeUnderTest add("Add", {tensor(DataType::kFloat, {Dim::fixed(2), Dim::fixed(3)}), tensor(DataType::kFloat, {Dim::fixed(4)})});
  EXPECT_THROW(add.infer(), Error);
}

TEST(ShapeFns, SqueezeAndUnsqueezeAxesFromInputsSinceOpset13) {
  ValueFacts axes = shape_value({Dim::fixed(0)});
  NodeUnderTest unsq("Unsqueeze", {tensor(DataType::kInt64, {}), axes});
  EXPECT_EQ(unsq.infer(13)[0].type.str(), "int64[1]");
  NodeUnderTest sq("Squeeze", {tensor(DataType::kFloat, {Dim::fixed(1), sym("n")}), axes});
  EXPECT_EQ(sq.infer(13)[0].type.str(), "float32[n]");
}

}  // namespace
}  // namespace graft::ops

namespace graft::ops {
namespace {

TEST(ShapeFns, ComparisonsOfTrackedValuesAreKnownWhereCertain) {
  NodeUnderTest eq("Equal", {shape_value({Dim::fixed(3), sym("seq"), sym("seq")}), shape_value({Dim::fixed(1), sym("n"), sym("seq")})});
  ValueFacts out = eq.infer()[0];
  EXPECT_EQ(out.type.str(), "bool[3]");
  ASSERT_TRUE(out.elements);
  EXPECT_EQ(Shape(*out.elements).str(), "[0, ?, 1]");
  NodeUnderTest less("Less", {shape_value({sym("seq")}), shape_value({sym("seq + 1")})});
  EXPECT_EQ(Shape(*less.infer()[0].elements).str(), "[1]");
  NodeUnderTest negate("Not", {out});
  EXPECT_EQ(Shape(*negate.infer()[0].elements).str(), "[1, ?, 0]");
}

}  // namespace
}  // namespace graft::ops
