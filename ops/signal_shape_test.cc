// DFT, STFT and window shapes.
#include <gtest/gtest.h>

#include "ops/shape_test_util.h"

namespace graft::ops::testing {
namespace {

TEST(SignalShape, OnesidedDftHalvesTheAxis) {
  NodeUnderTest dft("DFT", {floats({sym("b"), sym("2*n"), fix(1)})});
  EXPECT_EQ(dft.attr(Attribute::of_int("onesided", 1)).type(0, 17), "float32[b, n + 1, 2]");
  NodeUnderTest axis("DFT", {floats({fix(3), fix(10), fix(8), fix(2)}), absent(), shape_value({fix(2)})});
  EXPECT_EQ(axis.type(0, 20), "float32[3, 10, 8, 2]");
  NodeUnderTest last("DFT", {floats({fix(3), fix(2)})});
  EXPECT_EQ(last.attr(Attribute::of_int("axis", 1)).error(17), "axis must not be the last (real/imaginary) dim of [3, 2]");
}

TEST(SignalShape, StftFramesAndBins) {
  NodeUnderTest stft("STFT", {floats({fix(1), fix(128), fix(1)}), shape_value({fix(8)}), absent(), shape_value({fix(16)})});
  EXPECT_EQ(stft.type(0, 17), "float32[1, 15, 9, 2]");
  NodeUnderTest window("STFT", {floats({sym("b"), fix(128), fix(2)}), shape_value({fix(8)}), floats({fix(16)})});
  EXPECT_EQ(window.attr(Attribute::of_int("onesided", 0)).type(0, 17), "float32[b, 15, 16, 2]");
}

TEST(SignalShape, WindowsTakeOutputDatatype) {
  NodeUnderTest hann("HannWindow", {shape_value({sym("n")})});
  EXPECT_EQ(hann.attr(Attribute::of_int("output_datatype", static_cast<int64_t>(DataType::kDouble))).type(0, 17), "float64[n]");
}

}  // namespace
}  // namespace graft::ops::testing
