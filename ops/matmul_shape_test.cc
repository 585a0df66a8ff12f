// MatMul, Gemm, Einsum and Det shapes: broadcast batch dims, 1-D operands, transposes,
// implicit and ellipsis Einsum outputs.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(MatMulShape, BatchDimsBroadcast) {
  NodeUnderTest mm("MatMul", {floats({sym("b"), fix(1), sym("s"), fix(64)}), floats({fix(12), fix(64), sym("s")})});
  EXPECT_EQ(mm.type(), "float32[b, 12, s, s]");
}

TEST(MatMulShape, OneDimensionalOperandsAreDropped) {
  NodeUnderTest left("MatMul", {floats({sym("k")}), floats({sym("b"), sym("k"), fix(5)})});
  EXPECT_EQ(left.type(), "float32[b, 5]");
  NodeUnderTest right("MatMul", {floats({sym("b"), fix(3), sym("k")}), floats({sym("k")})});
  EXPECT_EQ(right.type(), "float32[b, 3]");
}

TEST(MatMulShape, InnerMismatchNamesBothShapes) {
  NodeUnderTest mm("MatMul", {floats({fix(2), fix(3)}), floats({fix(4), fix(5)})});
  EXPECT_EQ(mm.error(), "MatMul inner dimensions differ: A [2, 3] and B [4, 5]");
}

TEST(MatMulShape, IntegerProducts) {
  const ValueFacts a = tensor(DataType::kUint8, {sym("m"), fix(4)}), b = tensor(DataType::kInt8, {fix(4), fix(6)});
  NodeUnderTest mm("MatMulInteger", {a, b});
  EXPECT_EQ(mm.type(), "int32[m, 6]");
  const ValueFacts scale = floats({});
  NodeUnderTest q("QLinearMatMul", {a, scale, tensor(DataType::kUint8, {}), b, scale, tensor(DataType::kInt8, {}), scale,
                                    tensor(DataType::kUint8, {})});
  EXPECT_EQ(q.type(), "uint8[m, 6]");
}

TEST(GemmShape, TransposedOperandsAndBias) {
  NodeUnderTest gemm("Gemm", {floats({sym("k"), sym("m")}), floats({fix(10), sym("k")}), floats({fix(10)})});
  gemm.attr(Attribute::of_int("transA", 1)).attr(Attribute::of_int("transB", 1));
  EXPECT_EQ(gemm.type(), "float32[m, 10]");
  NodeUnderTest from_c("Gemm", {floats({sym("m"), fix(4)}), unknown(), floats({fix(1), fix(7)})});
  EXPECT_EQ(from_c.type(), "float32[m, 7]");  // C's 7 can only be N
  NodeUnderTest bad("Gemm", {floats({fix(2), fix(4)}), floats({fix(4), fix(7)}), floats({fix(3), fix(7)})});
  EXPECT_EQ(bad.error(), "C [3, 7] does not broadcast to [M, N] of A [2, 4] and B [4, 7]");
}

TEST(EinsumShape, ExplicitOutput) {
  NodeUnderTest e("Einsum", {floats({sym("b"), fix(12), sym("q"), fix(64)}), floats({sym("b"), fix(12), sym("k"), fix(64)})});
  e.attr(Attribute::of_string("equation", "bhqd, bhkd -> bhqk"));
  EXPECT_EQ(e.type(), "float32[b, 12, q, k]");
}

TEST(EinsumShape, ImplicitOutputIsEllipsisThenSingleLabelsInAsciiOrder) {
  NodeUnderTest e("Einsum", {floats({fix(5), fix(1), fix(2), fix(3)}), floats({fix(7), fix(3), fix(4)})});
  e.attr(Attribute::of_string("equation", "...ij,...jk"));
  EXPECT_EQ(e.type(), "float32[5, 7, 2, 4]");
  NodeUnderTest upper("Einsum", {floats({fix(2), fix(3)})});
  upper.attr(Attribute::of_string("equation", "bA"));
  EXPECT_EQ(upper.type(), "float32[3, 2]");
  NodeUnderTest trace("Einsum", {floats({sym("n"), sym("n")})});
  trace.attr(Attribute::of_string("equation", "ii"));
  EXPECT_EQ(trace.type(), "float32[]");
}

TEST(EinsumShape, LabelSizeMismatchIsAnError) {
  NodeUnderTest e("Einsum", {floats({fix(2), fix(3)}), floats({fix(4), fix(5)})});
  e.attr(Attribute::of_string("equation", "ij,jk->ik"));
  EXPECT_EQ(e.error(), "label 'j' has sizes 3 and 4");
}

TEST(DetShape, KeepsBatchDims) {
  NodeUnderTest det("Det", {floats({sym("b"), fix(3), fix(3)})});
  EXPECT_EQ(det.type(), "float32[b]");
}

}  // namespace
}  // namespace graft::ops::testing
