// The data-movement layers against the CPU engine: every op (EyeLike, ReverseSequence and
// Compress among them), float / fp16 storage / int64 / bool / uint8, negative axes and
// indices, broadcasting, every Pad mode, opset variants, empty tensors, and errors that
// name the node.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "kernels/cuda/op_test_util.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using testing::expect_layer;
using testing::host_tensor;
using testing::inputs_with;
using testing::kFp16Check;
using testing::OpModel;
using cpu::dims_str;

const std::vector<DataType> kCopyTypes = {DataType::kFloat, DataType::kInt64, DataType::kBool, DataType::kUint8,
                                          DataType::kFloat16, DataType::kInt32};

// The model at FP32 (and at FP16 when it has float tensors), on random inputs.
void expect_matches(const Model& m, const std::string& op, uint64_t seed = 1) {
  expect_layer(m, op);
  expect_gpu_matches_cpu(m, seed);
  expect_gpu_matches_cpu(m, seed, kFp16Check);
}

TEST(MovementGpu, TransposeCommonPermutationsEveryType) {
  GRAFT_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims, perm;
  };
  const std::vector<Case> cases = {
      {{2, 16, 9, 20}, {0, 2, 3, 1}},   // NCHW -> NHWC, tiled
      {{2, 9, 20, 16}, {0, 3, 1, 2}},   // NHWC -> NCHW, tiled
      {{1, 3, 33, 35}, {0, 2, 3, 1}},   // three channels: not tiled
      {{1, 64, 56, 56}, {0, 2, 3, 1}},  // many tiles
      {{3, 4, 5}, {}},                  // reversed
      {{2, 3, 4, 5, 6}, {4, 1, 3, 0, 2}},
      {{7, 1, 9}, {2, 0, 1}},
  };
  for (const Case& c : cases) {
    for (DataType t : kCopyTypes) {
      SCOPED_TRACE(dims_str(c.dims) + " perm " + dims_str(c.perm) + " " + dtype_name(t));
      OpModel m;
      std::vector<Attribute> attrs;
      if (!c.perm.empty()) attrs.push_back(Attribute::of_ints("perm", c.perm));
      m.node("Transpose", {m.input("x", c.dims, t)}, attrs);
      expect_layer(m.model, "Transpose");
      expect_gpu_matches_cpu(m.model, 3);
    }
  }
  OpModel m;
  m.node("Transpose", {m.input("x", {2, 16, 9, 20})}, {Attribute::of_ints("perm", {0, 2, 3, 1})});
  expect_gpu_matches_cpu(m.model, 3, kFp16Check);
}

TEST(MovementGpu, DepthToSpaceAndSpaceToDepth) {
  GRAFT_REQUIRE_GPU();
  for (const char* mode : {"DCR", "CRD"}) {
    OpModel m;
    m.node("DepthToSpace", {m.input("x", {2, 12, 3, 5})},
           {Attribute::of_int("blocksize", 2), Attribute::of_string("mode", mode)});
    expect_matches(m.model, "DepthToSpace");
  }
  OpModel m;
  m.node("SpaceToDepth", {m.input("x", {2, 3, 6, 9}, DataType::kInt64)}, {Attribute::of_int("blocksize", 3)});
  expect_layer(m.model, "SpaceToDepth");
  expect_gpu_matches_cpu(m.model, 2);
}

TEST(MovementGpu, SliceStartsEndsAxesSteps) {
  GRAFT_REQUIRE_GPU();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  struct Case {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const std::vector<Case> cases = {
      {{1, 2}, {-1, 100}, {-1, 1}, {1, 1}},        // negative axis, clamped end
      {{-1, 0}, {-kMax, kMax}, {2, 0}, {-2, 3}},   // reversed with a step, clamped
      {{5, 1}, {2, 3}, {1, 2}, {1, 1}},            // empty along axis 1
      {{0}, {3}, {}, {}},                          // axes and steps omitted
      {{-100}, {kMax}, {-3}, {-1}},                // start clamped, reversed whole axis
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("starts " + dims_str(c.starts) + " ends " + dims_str(c.ends));
    OpModel m(13);
    std::vector<TensorPtr> ins = {m.input("x", {4, 6, 7}), m.int64s("starts", c.starts), m.int64s("ends", c.ends)};
    if (!c.axes.empty()) ins.push_back(m.int64s("axes", c.axes));
    if (!c.steps.empty()) ins.push_back(m.int64s("steps", c.steps));
    m.node("Slice", ins);
    expect_matches(m.model, "Slice");
  }
  // Opset 1: starts, ends and axes as attributes.
  OpModel m(9);
  m.node("Slice", {m.input("x", {4, 6, 7}, DataType::kInt64)},
         {Attribute::of_ints("starts", {1, -3}), Attribute::of_ints("ends", {3, 100}), Attribute::of_ints("axes", {0, 2})});
  expect_layer(m.model, "Slice");
  expect_gpu_matches_cpu(m.model, 4);
}

TEST(MovementGpu, SliceStartsMustBeKnownOnTheHost) {
  GRAFT_REQUIRE_GPU();
  OpModel m(13);
  m.node("Slice", {m.input("x", {4, 6}), m.input("starts", {1}, DataType::kInt64), m.int64s("ends", {3})});
  engine::BuildOptions options;
  options.autotune = false;
  try {
    const engine::BuildResult built = engine::gpu_backend()->build(m.model, options);
    engine::gpu_backend()->open(built.network)->run(testing::random_inputs_of(m.model, 1));
    ADD_FAILURE() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'n' (Slice)"), std::string::npos) << e.what();
  }
}

TEST(MovementGpu, ConcatAlongEveryAxisWithEmptyPartsAndManyInputs) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : kCopyTypes) {
    SCOPED_TRACE(dtype_name(t));
    OpModel m;
    m.node("Concat", {m.input("a", {2, 3, 5}, t), m.input("b", {2, 3, 1}, t), m.input("c", {2, 3, 0}, t),
                      m.input("d", {2, 3, 7}, t)},
           {Attribute::of_int("axis", -1)});
    expect_layer(m.model, "Concat");
    expect_gpu_matches_cpu(m.model, 5);
  }
  OpModel m;
  std::vector<TensorPtr> parts;
  for (int i = 0; i < 40; ++i) parts.push_back(m.input("x" + std::to_string(i), {3, 1 + i % 3, 8}));
  m.node("Concat", parts, {Attribute::of_int("axis", 1)});
  expect_matches(m.model, "Concat");
  OpModel same;  // one tensor read twice
  TensorPtr x = same.input("x", {4, 6});
  same.node("Concat", {x, x}, {Attribute::of_int("axis", 0)});
  expect_matches(same.model, "Concat");
}

TEST(MovementGpu, SplitBySizesAttributeAndNumOutputs) {
  GRAFT_REQUIRE_GPU();
  {
    OpModel m(13);
    m.node("Split", {m.input("x", {4, 10, 3}), m.int64s("split", {2, 0, 5, 3})}, {Attribute::of_int("axis", -2)}, 4);
    expect_matches(m.model, "Split");
  }
  {
    OpModel m(11);
    m.node("Split", {m.input("x", {6, 4}, DataType::kBool)},
           {Attribute::of_int("axis", 0), Attribute::of_ints("split", {1, 5})}, 2);
    expect_layer(m.model, "Split");
    expect_gpu_matches_cpu(m.model, 6);
  }
  {
    OpModel m(18);  // 7 in 3 parts: 3, 3, 1
    m.node("Split", {m.input("x", {2, 7}, DataType::kInt64)},
           {Attribute::of_int("axis", 1), Attribute::of_int("num_outputs", 3)}, 3);
    expect_layer(m.model, "Split");
    expect_gpu_matches_cpu(m.model, 7);
  }
}

TEST(MovementGpu, PadEveryModeWithAxesAndCropping) {
  GRAFT_REQUIRE_GPU();
  for (const char* mode : {"constant", "reflect", "edge", "wrap"}) {
    SCOPED_TRACE(mode);
    OpModel m(19);
    m.node("Pad", {m.input("x", {2, 3, 4, 5}), m.int64s("pads", {0, 1, 2, 3, 1, 0, 3, -1}), m.floats("value", {2.5f}, {})},
           {Attribute::of_string("mode", mode)});
    expect_matches(m.model, "Pad");
  }
  {
    OpModel m(19);  // only axes 1 and -1, wrap around more than the axis
    m.node("Pad", {m.input("x", {2, 3, 4}, DataType::kInt64), m.int64s("pads", {2, 5, 1, 6}), m.constant("value", DataType::kInt64, std::vector<int64_t>{7}, {}), m.int64s("axes", {1, -1})},
           {Attribute::of_string("mode", "wrap")});
    expect_layer(m.model, "Pad");
    expect_gpu_matches_cpu(m.model, 8);
  }
  {
    OpModel m(18);
    m.node("Pad", {m.input("x", {3, 4}, DataType::kUint8), m.int64s("pads", {1, 2, 2, 1}),
                   m.constant("value", DataType::kUint8, std::vector<uint8_t>{9}, {})});
    expect_layer(m.model, "Pad");
    expect_gpu_matches_cpu(m.model, 9);
  }
  {
    OpModel m(2);  // pads and value as attributes
    m.node("Pad", {m.input("x", {3, 4})},
           {Attribute::of_ints("pads", {1, 0, 0, 2}), Attribute::of_float("value", -1.5f)});
    expect_matches(m.model, "Pad");
  }
  {
    OpModel m(13);  // reflect, 1-wide axis, no value input
    m.node("Pad", {m.input("x", {1, 5}), m.int64s("pads", {2, 3, 1, 4})}, {Attribute::of_string("mode", "reflect")});
    expect_matches(m.model, "Pad");
  }
}

TEST(MovementGpu, ExpandBroadcastsAndTileRepeats) {
  GRAFT_REQUIRE_GPU();
  for (DataType t : {DataType::kFloat, DataType::kBool, DataType::kInt64}) {
    OpModel m;
    m.node("Expand", {m.input("x", {3, 1}, t), m.int64s("shape", {2, 1, 4})});
    expect_layer(m.model, "Expand");
    expect_gpu_matches_cpu(m.model, 10);
  }
  {
    OpModel m;
    m.node("Expand", {m.input("x", {1, 5, 1, 8}), m.int64s("shape", {3, 1, 6, 1})});
    expect_matches(m.model, "Expand");
  }
  {
    OpModel m;
    m.node("Tile", {m.input("x", {2, 3, 4}), m.int64s("repeats", {2, 1, 3})});
    expect_matches(m.model, "Tile");
  }
  {
    OpModel m;  // rank 5 with every dim repeated: a 10-dim walk
    m.node("Tile", {m.input("x", {2, 3, 2, 2, 3}, DataType::kInt64), m.int64s("repeats", {2, 2, 3, 2, 2})});
    expect_layer(m.model, "Tile");
    expect_gpu_matches_cpu(m.model, 11);
  }
}

TEST(MovementGpu, GatherWithNegativeIndicesOnTheDevice) {
  GRAFT_REQUIRE_GPU();
  {
    OpModel m;
    m.node("Gather", {m.input("x", {5, 4, 3}), m.int64s("idx", {-1, 0, 3, -5, 2, 2}, {2, 3})},
           {Attribute::of_int("axis", 0)});
    expect_matches(m.model, "Gather");
  }
  {
    OpModel m;
    m.node("Gather", {m.input("x", {2, 3, 6}, DataType::kInt64), m.constant("idx", DataType::kInt32, std::vector<int32_t>{-2}, {})},
           {Attribute::of_int("axis", -1)});
    expect_layer(m.model, "Gather");
    expect_gpu_matches_cpu(m.model, 12);
  }
  {
    OpModel m;  // indices computed at run time: a graph input
    m.node("Gather", {m.input("x", {7, 16}), m.input("idx", {5}, DataType::kInt64)}, {Attribute::of_int("axis", 0)});
    const auto inputs = inputs_with(m.model, 13, {{"idx", host_tensor<int64_t>(DataType::kInt64, {5}, {-7, 6, -1, 0, 3})}});
    expect_layer(m.model, "Gather");
    expect_gpu_matches_cpu(m.model, inputs);
    expect_gpu_matches_cpu(m.model, inputs, kFp16Check);
  }
}

TEST(MovementGpu, GatherElementsGatherNDScatterND) {
  GRAFT_REQUIRE_GPU();
  {
    OpModel m;
    m.node("GatherElements",
           {m.input("x", {3, 4}), m.int64s("idx", {-1, 0, 3, 1, 2, -4, 0, 0}, {2, 4})}, {Attribute::of_int("axis", 1)});
    expect_matches(m.model, "GatherElements");
  }
  {
    OpModel m;
    m.node("GatherND", {m.input("x", {2, 3, 4}), m.int64s("idx", {1, -1, 0, 2}, {2, 1, 2})},
           {Attribute::of_int("batch_dims", 1)});
    expect_matches(m.model, "GatherND");
  }
  {
    OpModel m;
    m.node("GatherND", {m.input("x", {4, 5}, DataType::kInt64), m.int64s("idx", {3, -2, 0}, {3, 1})});
    expect_layer(m.model, "GatherND");
    expect_gpu_matches_cpu(m.model, 14);
  }
  {
    OpModel m(13);
    m.node("ScatterND", {m.input("x", {4, 3}), m.int64s("idx", {2, -1}, {2, 1}), m.input("u", {2, 3})});
    expect_matches(m.model, "ScatterND");
  }
  for (const char* reduction : {"add", "mul", "max", "min"}) {
    SCOPED_TRACE(reduction);
    OpModel m(18);  // duplicate index tuples combine
    m.node("ScatterND", {m.input("x", {4, 3}), m.int64s("idx", {1, 2, 1, -1, 2, 0}, {3, 2}), m.input("u", {3})},
           {Attribute::of_string("reduction", reduction)});
    expect_matches(m.model, "ScatterND");
  }
}

TEST(MovementGpu, TriluWithK) {
  GRAFT_REQUIRE_GPU();
  for (int upper : {0, 1}) {
    for (int64_t k : {-2, 0, 3}) {
      OpModel m(14);
      m.node("Trilu", {m.input("x", {2, 5, 6}), m.int64s("k", {k}, {})}, {Attribute::of_int("upper", upper)});
      expect_matches(m.model, "Trilu");
    }
  }
  OpModel m(14);
  m.node("Trilu", {m.input("x", {4, 3}, DataType::kInt64)});
  expect_layer(m.model, "Trilu");
  expect_gpu_matches_cpu(m.model, 15);
}

TEST(MovementGpu, ReshapeFamilyCopies) {
  GRAFT_REQUIRE_GPU();
  OpModel m(13);
  Graph& g = m.graph();
  TensorPtr x = m.input("x", {2, 3, 4});
  auto t = [](const std::string& n) { return std::make_shared<Tensor>(n); };
  TensorPtr a = t("a"), b = t("b"), c = t("c"), d = t("d");
  g.add_node("Reshape", {x, m.int64s("shape", {3, -1, 0})}, {a}, "reshape");
  g.add_node("Unsqueeze", {a, m.int64s("axes", {-1})}, {b}, "unsqueeze");
  g.add_node("Squeeze", {b, m.int64s("sq", {3})}, {c}, "squeeze");
  g.add_node("Flatten", {c}, {d}, "flatten")->set_attr(Attribute::of_int("axis", -1));
  g.outputs.push_back(d);
  g.outputs.push_back(b);
  expect_layer(m.model, "Flatten");
  expect_gpu_matches_cpu(m.model, 16);
  expect_gpu_matches_cpu(m.model, 16, kFp16Check);
}

TEST(MovementGpu, ConstantOfShapeRangeOneHot) {
  GRAFT_REQUIRE_GPU();
  {
    OpModel m;
    auto value = std::make_shared<TensorData>();
    value->dtype = DataType::kFloat;
    value->dims = {1};
    const float v = 1.25f;
    value->bytes = Bytes::copy_of(&v, sizeof v);
    m.node("ConstantOfShape", {m.int64s("shape", {3, 40})}, {Attribute::of_tensor("value", value)});
    expect_matches(m.model, "ConstantOfShape");
  }
  {
    OpModel m;
    m.node("Range", {m.floats("start", {-1.5f}, {}), m.floats("limit", {30.f}, {}), m.floats("delta", {0.75f}, {})});
    expect_matches(m.model, "Range");
  }
  for (int64_t axis : {-1, 0, 1}) {
    OpModel m(11);
    m.node("OneHot", {m.input("idx", {2, 3}, DataType::kInt64), m.int64s("depth", {5}, {}), m.input("values", {2})},
           {Attribute::of_int("axis", axis)});
    const auto inputs =
        inputs_with(m.model, 17, {{"idx", host_tensor<int64_t>(DataType::kInt64, {2, 3}, {0, 4, -1, -5, 7, 2})}});
    expect_layer(m.model, "OneHot");
    expect_gpu_matches_cpu(m.model, inputs);
    expect_gpu_matches_cpu(m.model, inputs, kFp16Check);
  }
}

TEST(MovementGpu, EmptyTensors) {
  GRAFT_REQUIRE_GPU();
  {
    OpModel m;
    m.node("Transpose", {m.input("x", {0, 3, 4})}, {Attribute::of_ints("perm", {2, 0, 1})});
    expect_matches(m.model, "Transpose");
  }
  {
    OpModel m(13);
    m.node("Pad", {m.input("x", {0, 3}), m.int64s("pads", {1, 0, 2, 1})});
    expect_matches(m.model, "Pad");
  }
  {
    OpModel m;
    m.node("Gather", {m.input("x", {4, 3}), m.int64s("idx", {}, {0})}, {Attribute::of_int("axis", 0)});
    expect_matches(m.model, "Gather");
  }
}

TEST(MovementGpu, UnsupportedAttributesNameTheNode) {
  GRAFT_REQUIRE_GPU();
  OpModel m(13);
  m.node("Pad", {m.input("x", {2, 3}), m.int64s("pads", {1, 1, 1, 1})}, {Attribute::of_string("mode", "mirror")});
  const std::string error = testing::build_error(m.model);
  EXPECT_NE(error.find("'n' (Pad)"), std::string::npos) << error;
  EXPECT_NE(error.find("mirror"), std::string::npos) << error;
}

TEST(MovementGpu, EyeLikeDiagonalsAndTypes) {
  GRAFT_REQUIRE_GPU();
  for (int64_t k : {0, 2, -1, 7, -5}) {
    for (DataType t : {DataType::kFloat, DataType::kInt64}) {
      SCOPED_TRACE("k " + std::to_string(k) + " " + dtype_name(t));
      OpModel m;
      m.node("EyeLike", {m.input("x", {4, 6}, t)}, {Attribute::of_int("k", k)});
      expect_matches(m.model, "EyeLike");
    }
  }
  for (DataType t : {DataType::kInt32, DataType::kBool, DataType::kFloat16, DataType::kDouble, DataType::kUint8}) {
    SCOPED_TRACE("dtype " + dtype_name(t));
    OpModel m;
    m.node("EyeLike", {m.input("x", {5, 3})},
           {Attribute::of_int("k", 1), Attribute::of_int("dtype", static_cast<int64_t>(t))});
    expect_layer(m.model, "EyeLike");
    expect_gpu_matches_cpu(m.model, 1);
  }
  OpModel empty;
  empty.node("EyeLike", {empty.input("x", {0, 3})});
  expect_matches(empty.model, "EyeLike");
}

TEST(MovementGpu, ReverseSequenceAlongEitherAxis) {
  GRAFT_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims;
    int64_t batch_axis, time_axis;
    std::vector<int64_t> lens;
  };
  const std::vector<Case> cases = {
      {{5, 3, 4}, 1, 0, {5, 0, 3}},     // the defaults: [time, batch, ...]
      {{3, 6, 2, 2}, 0, 1, {1, 6, 4}},  // [batch, time, ...]
      {{2, 3, 4}, 0, 2, {4, 2}},        // axes apart, time last
      {{4, 2}, -1, -2, {2, 4}},
  };
  for (const Case& c : cases) {
    for (DataType t : {DataType::kFloat, DataType::kInt64, DataType::kBool, DataType::kFloat16}) {
      SCOPED_TRACE(dims_str(c.dims) + " lens " + dims_str(c.lens) + " " + dtype_name(t));
      const std::vector<Attribute> attrs = {Attribute::of_int("batch_axis", c.batch_axis),
                                            Attribute::of_int("time_axis", c.time_axis)};
      OpModel known(10);
      known.node("ReverseSequence", {known.input("x", c.dims, t), known.int64s("lens", c.lens)}, attrs);
      expect_matches(known.model, "ReverseSequence");
      // Lengths only the device sees.
      OpModel read(10);
      const int64_t batch = static_cast<int64_t>(c.lens.size());
      read.node("ReverseSequence", {read.input("x", c.dims, t), read.input("lens", {batch}, DataType::kInt64)}, attrs);
      expect_layer(read.model, "ReverseSequence");
      expect_gpu_matches_cpu(read.model,
                             inputs_with(read.model, 2, {{"lens", host_tensor<int64_t>(DataType::kInt64, {batch}, c.lens)}}));
    }
  }
}

TEST(MovementGpu, ReverseSequenceChecksKnownLengths) {
  GRAFT_REQUIRE_GPU();
  OpModel m(10);
  m.node("ReverseSequence", {m.input("x", {4, 2}), m.int64s("lens", {5, 1})});
  const std::string error = testing::run_error(m.model);
  EXPECT_NE(error.find("'n' (ReverseSequence)"), std::string::npos) << error;
  EXPECT_NE(error.find("sequence_lens[0]"), std::string::npos) << error;
}

TEST(MovementGpu, CompressWithAConstantCondition) {
  GRAFT_REQUIRE_GPU();
  struct Case {
    std::vector<int64_t> dims;
    std::optional<int64_t> axis;
    std::vector<uint8_t> condition;
  };
  const std::vector<Case> cases = {
      {{4, 3}, 0, {1, 0, 1, 1}},
      {{4, 3}, 1, {0, 1}},                            // shorter than the axis
      {{2, 3, 5}, -1, {1, 0, 0, 1, 1, 0, 1}},         // longer: the rest is ignored
      {{3, 4}, std::nullopt, {0, 1, 1, 0, 0, 0, 1, 1, 1}},  // flattened
      {{4, 3}, 0, {0, 0, 0, 0}},                      // nothing kept
  };
  for (const Case& c : cases) {
    for (DataType t : {DataType::kFloat, DataType::kInt64, DataType::kBool}) {
      SCOPED_TRACE(dims_str(c.dims) + " axis " + (c.axis ? std::to_string(*c.axis) : "none") + " " + dtype_name(t));
      OpModel m(11);
      const int64_t n = static_cast<int64_t>(c.condition.size());
      std::vector<Attribute> attrs;
      if (c.axis) attrs.push_back(Attribute::of_int("axis", *c.axis));
      m.node("Compress", {m.input("x", c.dims, t), m.constant<uint8_t>("condition", DataType::kBool, c.condition, {n})},
             attrs);
      expect_matches(m.model, "Compress");
    }
  }
}

TEST(MovementGpu, CompressNeedsAConstantCondition) {
  GRAFT_REQUIRE_GPU();
  OpModel m(11);
  m.node("Compress", {m.input("x", {4, 3}), m.input("condition", {4}, DataType::kBool)}, {Attribute::of_int("axis", 0)});
  const std::string error = testing::run_error(m.model);
  EXPECT_NE(error.find("'n' (Compress)"), std::string::npos) << error;
}

}  // namespace
}  // namespace graft::cuda
