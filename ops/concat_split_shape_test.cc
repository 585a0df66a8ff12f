// Split shapes: sizes from the attribute, the input (possibly symbolic) or equal parts.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(SplitShape, EqualPartsOfASymbolicDim) {
  NodeUnderTest split("Split", {floats({sym("b"), sym("3*h")})}, 3);
  split.attr(Attribute::of_int("axis", 1));
  EXPECT_EQ(split.type(2, 13), "float32[b, h]");
}

TEST(SplitShape, Opset18NumOutputsLeavesTheLastPartSmaller) {
  NodeUnderTest split("Split", {floats({fix(7), fix(2)})}, 3);
  split.attr(Attribute::of_int("num_outputs", 3));
  EXPECT_EQ(split.type(0, 18), "float32[3, 2]");
  EXPECT_EQ(split.type(2, 18), "float32[1, 2]");
}

TEST(SplitShape, SizesFromATrackedInput) {
  NodeUnderTest split("Split", {floats({sym("b"), sym("seq")}), shape_value({sym("seq - k"), sym("k")})}, 2);
  split.attr(Attribute::of_int("axis", -1));
  EXPECT_EQ(split.type(0, 13), "float32[b, seq - k]");
  EXPECT_EQ(split.type(1, 13), "float32[b, k]");
}

TEST(SplitShape, SplitOfATrackedShapeSplitsItsValues) {
  NodeUnderTest split("Split", {shape_value({sym("b"), sym("seq"), fix(768)})}, 2);
  ValueFacts tail = split.attr(Attribute::of_ints("split", {2, 1})).infer(11)[1];
  ASSERT_TRUE(tail.elements);
  EXPECT_EQ(Shape(*tail.elements).str(), "[768]");
}

TEST(SplitShape, SizesThatDoNotSumToTheAxisAreAnError) {
  NodeUnderTest split("Split", {floats({fix(6)})}, 2);
  EXPECT_EQ(split.attr(Attribute::of_ints("split", {2, 3})).error(11),
            "split [2, 3] must have one size per output (2) and sum to the axis size of [6]");
}

}  // namespace
}  // namespace graft::ops::testing
