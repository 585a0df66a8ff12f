// ConstantOfShape, Range, OneHot, EyeLike shapes from tracked (symbolic) shape values.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

ValueFacts scalar_value(Dim d) {
  ValueFacts f = tensor(DataType::kInt64, {});
  f.elements = std::vector<Dim>{d};
  return f;
}

TEST(GeneratorsShape, ConstantOfShapeTakesATrackedShape) {
  NodeUnderTest c("ConstantOfShape", {shape_value({sym("b"), fix(1), sym("seq")})});
  EXPECT_EQ(c.type(), "float32[b, 1, seq]");
}

TEST(GeneratorsShape, ConstantOfShapeOfIntegersIsATrackedValue) {
  auto one = std::make_shared<TensorData>();
  one->dtype = DataType::kInt64;
  one->dims = {1};
  const int64_t v = 1;
  one->bytes = Bytes::copy_of(&v, sizeof v);
  NodeUnderTest c("ConstantOfShape", {shape_value({fix(3)})});
  ValueFacts out = c.attr(Attribute::of_tensor("value", one)).infer()[0];
  EXPECT_EQ(out.type.str(), "int64[3]");
  ASSERT_TRUE(out.elements);
  EXPECT_EQ(Shape(*out.elements).str(), "[1, 1, 1]");
}

TEST(GeneratorsShape, RangeCountsSymbolically) {
  NodeUnderTest r("Range", {scalar_value(fix(0)), scalar_value(sym("seq")), scalar_value(fix(1))});
  EXPECT_EQ(r.type(), "int64[seq]");
  NodeUnderTest down("Range", {scalar_value(sym("seq")), scalar_value(fix(0)), scalar_value(fix(-1))});
  EXPECT_EQ(down.type(), "int64[seq]");
  NodeUnderTest halves("Range", {scalar_value(fix(0)), scalar_value(sym("n")), scalar_value(fix(2))});
  EXPECT_EQ(halves.type(), "int64[?]");  // ceil(n / 2) depends on n's parity
}

TEST(GeneratorsShape, RangeOfKnownScalarsIsATrackedValue) {
  NodeUnderTest r("Range", {scalar_value(fix(5)), scalar_value(fix(-1)), scalar_value(fix(-2))});
  ValueFacts out = r.infer()[0];
  EXPECT_EQ(out.type.str(), "int64[3]");
  ASSERT_TRUE(out.elements);
  EXPECT_EQ(Shape(*out.elements).str(), "[5, 3, 1]");
  NodeUnderTest zero("Range", {scalar_value(fix(0)), scalar_value(fix(4)), scalar_value(fix(0))});
  EXPECT_EQ(zero.error(), "delta must not be zero");
}

TEST(GeneratorsShape, OneHotInsertsTheDepthAtTheAxis) {
  NodeUnderTest oh("OneHot", {tensor(DataType::kInt64, {sym("b"), sym("seq")}), scalar_value(sym("vocab")), floats({fix(2)})});
  EXPECT_EQ(oh.attr(Attribute::of_int("axis", 1)).type(0, 11), "float32[b, vocab, seq]");
}

TEST(GeneratorsShape, EyeLikeTakesTheDtypeAttribute) {
  NodeUnderTest eye("EyeLike", {floats({sym("n"), fix(4)})});
  EXPECT_EQ(eye.attr(Attribute::of_int("dtype", static_cast<int64_t>(DataType::kInt32))).type(0, 9), "int32[n, 4]");
}

}  // namespace
}  // namespace graft::ops::testing
