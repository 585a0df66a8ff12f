// RNN, GRU and LSTM shapes: layout, directions, hidden size from the weights.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(RnnShape, BatchMajorBidirectionalLstm) {
  NodeUnderTest lstm("LSTM", {floats({sym("b"), sym("s"), fix(16)}), floats({fix(2), fix(128), fix(16)}),
                              floats({fix(2), fix(128), fix(32)})},
                     3);
  lstm.attr(Attribute::of_string("direction", "bidirectional")).attr(Attribute::of_int("layout", 1));
  const auto out = lstm.infer(14);
  EXPECT_EQ(out[0].type.str(), "float32[b, s, 2, 32]");
  EXPECT_EQ(out[1].type.str(), "float32[b, 2, 32]");
  EXPECT_EQ(out[2].type.str(), "float32[b, 2, 32]");
}

TEST(RnnShape, HiddenSizeFromWeightsAndBatchFromInitialState) {
  NodeUnderTest gru("GRU", {floats({sym("s"), Dim::unknown(), fix(8)}),
                            floats({fix(1), fix(60), fix(8)}), unknown(), absent(), absent(),
                            floats({fix(1), sym("b"), fix(20)})},
                    2);
  const auto out = gru.infer(14);
  EXPECT_EQ(out[0].type.str(), "float32[s, 1, b, 20]");
  EXPECT_EQ(out[1].type.str(), "float32[1, b, 20]");
}

TEST(RnnShape, LayoutIsIgnoredBeforeOpset14) {
  NodeUnderTest rnn("RNN", {floats({sym("s"), sym("b"), fix(4)}), floats({fix(1), fix(10), fix(4)}), floats({fix(1), fix(10), fix(10)})});
  rnn.attr(Attribute::of_int("layout", 1));
  EXPECT_EQ(rnn.type(0, 7), "float32[s, 1, b, 10]");
}

TEST(RnnShape, MismatchesNameTheShapes) {
  NodeUnderTest input("LSTM", {floats({sym("s"), sym("b"), fix(9)}), floats({fix(1), fix(80), fix(8)}), floats({fix(1), fix(80), fix(20)})});
  EXPECT_EQ(input.error(14), "W [1, 80, 8] does not match the input size of X [s, b, 9]");
  NodeUnderTest dirs("LSTM", {floats({sym("s"), sym("b"), fix(8)}), floats({fix(1), fix(80), fix(8)}), floats({fix(1), fix(80), fix(20)})});
  dirs.attr(Attribute::of_string("direction", "bidirectional"));
  EXPECT_EQ(dirs.error(14), "W [1, 80, 8] does not have 2 directions");
}

}  // namespace
}  // namespace graft::ops::testing
