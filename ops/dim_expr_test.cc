#include "ops/dim_expr.h"

#include <gtest/gtest.h>

#include "ops/shape_util.h"
#include "surgeon/error.h"

namespace graft::ops {
namespace {

Dim sym(const char* s) { return Dim::symbolic(s); }

TEST(DimExpr, FixedArithmetic) {
  EXPECT_EQ(dim_add(Dim::fixed(2), Dim::fixed(3)), Dim::fixed(5));
  EXPECT_EQ(dim_mul(Dim::fixed(4), Dim::fixed(3)), Dim::fixed(12));
  EXPECT_EQ(dim_div(Dim::fixed(7), Dim::fixed(2)), Dim::fixed(3));
  EXPECT_EQ(dim_div(Dim::fixed(-7), Dim::fixed(2)), Dim::fixed(-4));  // floor
  EXPECT_EQ(dim_ceil_div(Dim::fixed(7), Dim::fixed(2)), Dim::fixed(4));
}

TEST(DimExpr, SymbolicPolynomialsAreCanonical) {
  EXPECT_EQ(dim_add(sym("seq"), sym("seq")).str(), "2*seq");
  EXPECT_EQ(dim_mul(sym("w"), sym("h")).str(), "h*w");
  EXPECT_EQ(dim_add(dim_mul(Dim::fixed(2), sym("seq")), Dim::fixed(1)).str(), "2*seq + 1");
  EXPECT_EQ(dim_sub(sym("n"), Dim::fixed(1)).str(), "n - 1");
  EXPECT_EQ(dim_sub(Dim::fixed(0), sym("seq")).str(), "-seq");
  EXPECT_EQ(dim_div(dim_sub(Dim::fixed(0), sym("seq")), Dim::fixed(-1)).str(), "seq");
  EXPECT_EQ(dim_add(sym("-seq + 2"), sym("seq")), Dim::fixed(2));
  EXPECT_EQ(dim_sub(sym("2*seq + 1"), sym("seq*2")), Dim::fixed(1));
  EXPECT_EQ(dim_div(sym("4*seq"), Dim::fixed(2)).str(), "2*seq");
  EXPECT_EQ(dim_div(sym("6*batch*seq"), sym("2*batch")).str(), "3*seq");
  EXPECT_EQ(dim_div(sym("batch*seq + 1"), sym("seq")), Dim::unknown());
  EXPECT_EQ(dim_div(sym("seq"), Dim::fixed(2)), Dim::unknown());
  EXPECT_EQ(dim_div(sym("seq"), sym("seq")), Dim::fixed(1));
  EXPECT_EQ(dim_mul(sym("seq"), Dim::fixed(0)), Dim::fixed(0));
  EXPECT_EQ(dim_add(sym("seq"), Dim::unknown()), Dim::unknown());
}

TEST(DimExpr, OddNamesAreOpaqueSymbols) {
  EXPECT_EQ(dim_add(sym("unk__0"), sym("unk__0")).str(), "2*unk__0");
  EXPECT_EQ(dim_add(sym("a (b"), Dim::fixed(1)).str(), "a (b + 1");  // unreadable: one symbol
  EXPECT_TRUE(same_dim(sym("seq*2"), sym("2*seq")));
  EXPECT_FALSE(same_dim(sym("seq"), sym("len")));
  EXPECT_EQ(canonical(sym("seq * 2")).str(), "2*seq");
}

TEST(ShapeUtil, BroadcastWithSymbols) {
  Shape a({sym("batch"), Dim::fixed(1), Dim::fixed(4)});
  Shape b({Dim::fixed(3), Dim::fixed(1)});
  EXPECT_EQ(broadcast_shapes(a, b).str(), "[batch, 3, 4]");
  EXPECT_EQ(broadcast_shapes(Shape({sym("n")}), Shape({sym("m")})).str(), "[?]");
  EXPECT_EQ(broadcast_shapes(Shape({sym("n")}), Shape({Dim::fixed(5)})).str(), "[5]");
  try {
    broadcast_shapes(Shape::of({2, 3}), Shape::of({4}));
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot broadcast [2, 3] with [4]");
  }
}

TEST(ShapeUtil, WindowOutputs) {
  EXPECT_EQ(window_out_dim(Dim::fixed(224), 7, 2, 1, 6, false), Dim::fixed(112));
  EXPECT_EQ(window_out_dim(Dim::fixed(5), 2, 2, 1, 0, true), Dim::fixed(3));
  EXPECT_EQ(window_out_dim(sym("h"), 3, 1, 1, 2, false).str(), "h");
  EXPECT_EQ(window_out_dim(sym("h"), 3, 2, 1, 2, false), Dim::unknown());
}

}  // namespace
}  // namespace graft::ops
