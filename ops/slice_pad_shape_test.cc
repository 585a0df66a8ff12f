// Slice, Pad, Expand and Tile shapes: symbolic dims, negative steps, tracked values.
#include <gtest/gtest.h>

#include <limits>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max(), kMin = std::numeric_limits<int64_t>::min();

ValueFacts ints(std::vector<int64_t> v) { return shape_value(Shape::of(v).dims()); }

NodeUnderTest slice(ValueFacts x, std::vector<int64_t> starts, std::vector<int64_t> ends, std::vector<int64_t> axes,
                    std::vector<int64_t> steps) {
  return NodeUnderTest("Slice", {std::move(x), ints(starts), ints(ends), ints(axes), ints(steps)});
}

TEST(SlicePadShape, NegativeStepsWalkSymbolicDimsBackwards) {
  EXPECT_EQ(slice(floats({sym("n"), sym("seq")}), {-1}, {kMin}, {1}, {-1}).type(), "float32[n, seq]");
  EXPECT_EQ(slice(floats({sym("n"), sym("2*seq")}), {kMax}, {kMin}, {-1}, {-2}).type(), "float32[n, seq]");
  EXPECT_EQ(slice(floats({fix(10)}), {8}, {1}, {0}, {-3}).type(), "float32[3]");  // 8, 5, 2
}

TEST(SlicePadShape, SymbolicDimsSliceToExpressions) {
  EXPECT_EQ(slice(floats({sym("b"), sym("seq"), fix(4)}), {1}, {kMax}, {1}, {1}).type(), "float32[b, seq - 1, 4]");
  EXPECT_EQ(slice(floats({sym("b"), sym("seq")}), {0}, {-2}, {-1}, {1}).type(), "float32[b, seq - 2]");
  EXPECT_EQ(slice(floats({sym("b"), sym("2*seq")}), {0}, {kMax}, {1}, {2}).type(), "float32[b, seq]");
}

TEST(SlicePadShape, UnknownStartsLeaveOnlyTheSlicedAxisUnknown) {
  NodeUnderTest s("Slice", {floats({sym("b"), sym("seq"), fix(4)}), tensor(DataType::kInt64, {fix(1)}), ints({5}), ints({1})});
  EXPECT_EQ(s.type(), "float32[b, ?, 4]");
}

TEST(SlicePadShape, SliceOfATrackedShapeSlicesItsValues) {
  NodeUnderTest s("Slice", {shape_value({sym("batch"), sym("seq"), fix(12), fix(64)}), ints({0}), ints({-2})});
  ValueFacts out = s.infer()[0];
  EXPECT_EQ(out.type.str(), "int64[2]");
  ASSERT_TRUE(out.elements);
  EXPECT_EQ(Shape(*out.elements).str(), "[batch, seq]");
}

TEST(SlicePadShape, ReversingATracked2DValueAsPyTorchPadDoes) {
  ValueFacts pads = tensor(DataType::kInt64, {fix(2), fix(2)});
  pads.elements = Shape::of({0, 64, 0, 0}).dims();
  ValueFacts out = slice(pads, {-1}, {kMin}, {0}, {-1}).infer()[0];
  ASSERT_TRUE(out.elements);
  EXPECT_EQ(Shape(*out.elements).str(), "[0, 0, 0, 64]");
  NodeUnderTest t("Transpose", {out});
  ValueFacts transposed = t.attr(Attribute::of_ints("perm", {1, 0})).infer()[0];
  ASSERT_TRUE(transposed.elements);
  EXPECT_EQ(Shape(*transposed.elements).str(), "[0, 0, 0, 64]");
}

TEST(SlicePadShape, SliceAttributesBeforeOpset10) {
  NodeUnderTest s("Slice", {floats({fix(20), fix(10), fix(5)})});
  s.attr(Attribute::of_ints("starts", {0, 10})).attr(Attribute::of_ints("ends", {3, -1})).attr(Attribute::of_ints("axes", {0, 1}));
  EXPECT_EQ(s.type(0, 9), "float32[3, 0, 5]");
}

TEST(SlicePadShape, PadsFromATrackedValueAddSymbolically) {
  NodeUnderTest pad("Pad", {floats({sym("n"), fix(3), sym("h"), sym("w")}), shape_value({fix(0), fix(0), fix(1), sym("k"), fix(0), fix(0), fix(1), sym("k")})});
  EXPECT_EQ(pad.type(0, 13), "float32[n, 3, h + 2, 2*k + w]");
}

TEST(SlicePadShape, PadAxesInputPadsOnlyThoseAxes) {
  NodeUnderTest pad("Pad", {floats({sym("n"), sym("w")}), ints({2, 3}), absent(), ints({-1})});
  pad.attr(Attribute::of_string("mode", "reflect"));
  EXPECT_EQ(pad.type(0, 18), "float32[n, w + 5]");
}

TEST(SlicePadShape, PadThatRemovesMoreThanAllIsAnError) {
  NodeUnderTest pad("Pad", {floats({fix(2)}), ints({-2, -1})});
  EXPECT_EQ(pad.error(), "pads [-2, -1] remove more than all of [2]");
}

TEST(SlicePadShape, ExpandBroadcastsToATrackedShape) {
  EXPECT_EQ(NodeUnderTest("Expand", {floats({fix(3), fix(1)}), shape_value({sym("b"), fix(1), fix(4)})}).type(), "float32[b, 3, 4]");
  // Only the target's length known: a dim of 3 stays 3 (the target's dim is 1 or 3).
  EXPECT_EQ(NodeUnderTest("Expand", {floats({fix(3), fix(1)}), tensor(DataType::kInt64, {fix(2)})}).type(), "float32[3, ?]");
}

TEST(SlicePadShape, TileMultipliesByTrackedRepeats) {
  EXPECT_EQ(NodeUnderTest("Tile", {floats({sym("n"), fix(1)}), shape_value({fix(2), sym("seq")})}).type(), "float32[2*n, seq]");
  EXPECT_EQ(NodeUnderTest("Tile", {floats({fix(2), fix(3)}), ints({2})}).error(), "repeats [2] must have one value per dim of [2, 3]");
}

}  // namespace
}  // namespace graft::ops::testing
