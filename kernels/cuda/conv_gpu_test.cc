// Conv and ConvTranspose on cuDNN against the CPU engine: window attributes, groups,
// 1-D / 2-D / 3-D, fusions, every tactic, precisions, channels-last (2-D at FP16 / TF32),
// MobileNet-like chains, empty tensors, errors, throughput.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include "engine/gpu_test_util.h"
#include "kernels/cuda/layer_test_util.h"
#include "surgeon/error.h"
#include "surgeon/run_test_util.h"

namespace graft::cuda {
namespace {

using engine::testing::expect_gpu_matches_cpu;
using engine::testing::GpuCheck;
using graft::testing::empty_model;
using graft::testing::float_input;
using testing::built_layers;
using testing::random_constant;

TensorPtr var(const std::string& name) { return std::make_shared<Tensor>(name); }

struct ConvCase {
  std::vector<int64_t> x, w;
  std::vector<Attribute> attrs;
  bool bias = true;
  bool transposed = false;
};

// Weights scaled by 1/sqrt(fan-in), so outputs stay near 1 whatever the window.
float weight_scale(const std::vector<int64_t>& w) {
  int64_t fan_in = 1;
  for (size_t i = 1; i < w.size(); ++i) fan_in *= w[i];
  return 1.0f / std::sqrt(static_cast<float>(fan_in));
}

// x -> Conv (or ConvTranspose) -> y, W and B constants.
Model conv_model(const ConvCase& c, int64_t opset = 17) {
  Model m = empty_model(opset);
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", c.x);
  std::vector<TensorPtr> ins{x, random_constant(g, "w", c.w, 1, weight_scale(c.w))};
  const int64_t group = [&] {
    for (const Attribute& a : c.attrs) {
      if (a.name == "group") return a.i;
    }
    return int64_t{1};
  }();
  if (c.bias) ins.push_back(random_constant(g, "b", {c.transposed ? c.w[1] * group : c.w[0]}, 2));
  TensorPtr y = var("y");
  Node* n = g.add_node(c.transposed ? "ConvTranspose" : "Conv", ins, {y}, "conv");
  for (const Attribute& a : c.attrs) n->set_attr(a);
  g.outputs.push_back(y);
  return m;
}

Attribute ints(const char* name, std::vector<int64_t> v) { return Attribute::of_ints(name, std::move(v)); }
Attribute one(const char* name, int64_t v) { return Attribute::of_int(name, v); }
Attribute text(const char* name, const char* v) { return Attribute::of_string(name, v); }

const GpuCheck kFP32{Precision::kFP32, 1e-4, 1e-4};
const GpuCheck kTF32{Precision::kTF32, 1e-2, 1e-2};
const GpuCheck kFP16{Precision::kFP16, 1e-2, 1e-2};

std::vector<ConvCase> conv2d_cases() {
  return {
      {{2, 8, 10, 12}, {16, 8, 3, 3}, {ints("pads", {1, 1, 1, 1})}},
      {{2, 8, 11, 12}, {16, 8, 3, 3}, {ints("strides", {2, 2}), ints("pads", {1, 1, 1, 1})}, false},
      {{1, 4, 13, 13}, {6, 4, 5, 5}, {ints("dilations", {2, 2}), ints("pads", {1, 2, 2, 1})}},
      {{2, 16, 9, 9}, {24, 16, 1, 1}, {}},                                                        // pointwise
      {{2, 16, 10, 10}, {16, 1, 3, 3}, {one("group", 16), ints("pads", {1, 1, 1, 1})}},          // depthwise
      {{2, 16, 10, 10}, {32, 1, 3, 3}, {one("group", 16), ints("strides", {2, 2}), ints("pads", {1, 1, 1, 1})}},
      {{1, 8, 9, 7}, {12, 2, 3, 3}, {one("group", 4)}},
      {{1, 3, 16, 16}, {8, 3, 3, 3}, {ints("strides", {2, 2}), text("auto_pad", "SAME_UPPER")}},  // padded copy
      {{1, 3, 15, 16}, {8, 3, 4, 4}, {ints("strides", {2, 2}), text("auto_pad", "SAME_LOWER")}},
      {{1, 3, 15, 16}, {8, 3, 3, 3}, {text("auto_pad", "VALID")}},
      {{1, 3, 20, 20}, {8, 3, 7, 7}, {ints("strides", {2, 2}), ints("pads", {3, 3, 3, 3})}},      // stem
      {{1, 4, 9, 10}, {5, 4, 1, 3}, {ints("pads", {0, 1, 0, 1})}},
      {{1, 4, 9, 10}, {5, 4, 3, 1}, {ints("pads", {0, 0, 2, 0}), ints("strides", {1, 2})}},      // asymmetric
  };
}

TEST(ConvGpu, Conv2dWindowsAndGroups) {
  GRAFT_REQUIRE_GPU();
  for (const ConvCase& c : conv2d_cases()) expect_gpu_matches_cpu(conv_model(c), 1, kFP32);
}

TEST(ConvGpu, Conv2dAtTF32AndFP16) {
  GRAFT_REQUIRE_GPU();
  for (const ConvCase& c : conv2d_cases()) {
    expect_gpu_matches_cpu(conv_model(c), 2, kTF32);
    expect_gpu_matches_cpu(conv_model(c), 3, kFP16);
  }
}

TEST(ConvGpu, Conv1dAnd3d) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ConvCase> cases{
      {{2, 4, 20}, {6, 4, 3}, {ints("strides", {2}), ints("pads", {1, 1}), ints("dilations", {2})}},
      {{2, 4, 21}, {8, 2, 5}, {one("group", 2), text("auto_pad", "SAME_UPPER"), ints("strides", {2})}},
      {{1, 4, 6, 7, 8}, {6, 2, 3, 3, 3}, {one("group", 2), ints("pads", {1, 1, 1, 1, 1, 1})}},
      {{1, 2, 5, 6, 7}, {4, 2, 2, 3, 3}, {ints("strides", {1, 2, 2}), ints("pads", {0, 1, 0, 1, 1, 1})}},
  };
  for (const ConvCase& c : cases) {
    expect_gpu_matches_cpu(conv_model(c), 4, kFP32);
    expect_gpu_matches_cpu(conv_model(c), 5, kFP16);
  }
}

TEST(ConvGpu, WeightsFromAnInput) {
  GRAFT_REQUIRE_GPU();
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {2, 4, 8, 8}), w = float_input(g, "w", {6, 2, 3, 3}), b = float_input(g, "b", {6});
  TensorPtr y = var("y");
  Node* n = g.add_node("Conv", {x, w, b}, {y}, "conv");
  n->set_attr(one("group", 2));
  n->set_attr(ints("pads", {1, 1, 1, 1}));
  g.outputs.push_back(y);
  expect_gpu_matches_cpu(m, 6, GpuCheck{Precision::kFP32, 1e-4, 1e-4});
  expect_gpu_matches_cpu(m, 6, kFP16);
}

TEST(ConvGpu, ConvTranspose) {
  GRAFT_REQUIRE_GPU();
  const std::vector<ConvCase> cases{
      {{2, 8, 5, 6}, {8, 4, 3, 3}, {ints("strides", {2, 2}), ints("pads", {1, 1, 1, 1}), ints("output_padding", {1, 1})}, true, true},
      {{1, 4, 5, 5}, {4, 3, 3, 3}, {one("group", 2), ints("strides", {2, 2})}, true, true},
      {{1, 4, 5, 6}, {4, 2, 3, 3}, {ints("dilations", {2, 2}), ints("pads", {0, 1, 2, 1})}, false, true},  // crop
      {{1, 4, 5, 5}, {4, 2, 4, 4}, {ints("strides", {2, 2}), ints("output_shape", {11, 10})}, true, true},
      {{1, 4, 5, 5}, {4, 2, 3, 3}, {ints("strides", {2, 2}), text("auto_pad", "SAME_UPPER")}, true, true},
      {{1, 4, 5, 5}, {4, 2, 3, 3}, {ints("strides", {2, 2}), text("auto_pad", "SAME_LOWER")}, true, true},
      {{2, 3, 9}, {3, 5, 4}, {ints("strides", {3}), ints("pads", {1, 2})}, true, true},  // 1-D
      {{1, 2, 3, 4, 4}, {2, 3, 2, 2, 2}, {ints("strides", {2, 2, 2})}, true, true},     // 3-D
  };
  for (const ConvCase& c : cases) {
    expect_gpu_matches_cpu(conv_model(c), 8, kFP32);
    expect_gpu_matches_cpu(conv_model(c), 9, kFP16);
  }
}

// x -> Conv(3x3, pads 1, 8 -> 8 channels) -> then each of `ops` in turn.
struct FusedOp {
  std::string op;  // "bias", "residual", or an activation op
  std::vector<Attribute> attrs;
  std::vector<float> clip;  // Clip's min/max inputs (opset 11+)
};

Model fused_model(const std::vector<FusedOp>& ops, bool conv_bias = true, int64_t batch = 2, int64_t group = 1,
                  int64_t kernel = 3) {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = float_input(g, "x", {batch, 8, 6, 7});
  std::vector<TensorPtr> ins{x, random_constant(g, "w", {8, 8 / group, kernel, kernel}, 1, 1.0f / 8)};
  if (conv_bias) ins.push_back(random_constant(g, "b", {8}, 2));
  TensorPtr cur = var("conv_out");
  Node* conv = g.add_node("Conv", ins, {cur}, "conv");
  const int64_t pad = kernel / 2;
  conv->set_attr(ints("pads", {pad, pad, pad, pad}));
  conv->set_attr(one("group", group));
  for (size_t i = 0; i < ops.size(); ++i) {
    const FusedOp& f = ops[i];
    TensorPtr out = var("out" + std::to_string(i));
    if (f.op == "bias") {
      g.add_node("Add", {random_constant(g, "channel_bias", {8, 1, 1}, 3), cur}, {out}, "add_bias");
    } else if (f.op == "residual") {
      g.add_node("Add", {cur, float_input(g, "r", {batch, 8, 6, 7})}, {out}, "add_residual");
    } else {
      std::vector<TensorPtr> act_ins{cur};
      for (size_t k = 0; k < f.clip.size(); ++k) {
        act_ins.push_back(graft::testing::float_constant(g, "clip" + std::to_string(k), {f.clip[k]}, {}));
      }
      Node* n = g.add_node(f.op, act_ins, {out}, "act");
      for (const Attribute& a : f.attrs) n->set_attr(a);
    }
    cur = out;
  }
  g.outputs.push_back(cur);
  return m;
}

std::vector<std::vector<FusedOp>> fusions() {
  return {
      {{"bias"}},
      {{"residual"}},
      {{"Relu"}},
      {{"Clip", {}, {0.0f, 6.0f}}},
      {{"bias"}, {"residual"}, {"Relu"}},
      {{"bias"}, {"Clip", {}, {0.0f, 6.0f}}},
      {{"residual"}, {"Clip", {}, {0.0f, 0.5f}}},
      {{"bias"}, {"Clip", {}, {-0.5f, 0.5f}}},
      {{"residual"}, {"LeakyRelu", {Attribute::of_float("alpha", 0.2f)}}},
      {{"Sigmoid"}},
      {{"bias"}, {"HardSwish"}},
      {{"residual"}, {"Tanh"}},
  };
}

TEST(ConvGpu, FusedBiasResidualActivation) {
  GRAFT_REQUIRE_GPU();
  for (const auto& ops : fusions()) {
    const Model m = fused_model(ops);
    ASSERT_EQ(built_layers(m).size(), 1u) << "the Conv takes in " << ops.size() << " node(s): " << built_layers(m)[0];
    expect_gpu_matches_cpu(m, 10, kFP32);
    expect_gpu_matches_cpu(m, 11, kFP16);
  }
  // No bias of its own: relu alone, and bias from the Add only.
  expect_gpu_matches_cpu(fused_model({{"Relu"}}, false), 12, kFP32);
  expect_gpu_matches_cpu(fused_model({{"bias"}, {"Relu"}}, false), 13, kFP32);
}

const std::vector<std::string> kForwardAlgos{"implicit_gemm",     "implicit_precomp_gemm", "gemm",
                                             "direct",            "fft",                   "fft_tiling",
                                             "winograd",          "winograd_nonfused",     "depthwise_nhwc",
                                             "cublaslt_gemm",     "no_such_algorithm"};

// x -> Conv 1x1 (W and B graph inputs) -> Relu: cuBLASLt's epilogue cannot take the bias.
Model pointwise_with_input_bias() {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr conv = var("conv_out"), y = var("y");
  g.add_node("Conv", {float_input(g, "x", {2, 16, 5, 6}), float_input(g, "w", {8, 16, 1, 1}), float_input(g, "b", {8})},
             {conv}, "conv");
  g.add_node("Relu", {conv}, {y}, "relu");
  g.outputs.push_back(y);
  return m;
}

// Every algorithm cuDNN offers for one conv gives the same result; names it does not offer
// fall back to its first choice.
TEST(ConvGpu, EveryTacticAgrees) {
  GRAFT_REQUIRE_GPU();
  const std::vector<Model> models{
      fused_model({{"bias"}, {"Relu"}}),
      fused_model({{"bias"}, {"residual"}}),
      fused_model({{"Clip", {}, {0.0f, 0.5f}}}),
      fused_model({{"residual"}, {"Clip", {}, {0.0f, 0.5f}}}),
      fused_model({{"residual"}, {"Clip", {}, {-1.0f, 0.5f}}}),
      conv_model({{2, 16, 9, 9}, {24, 16, 1, 1}, {}}),
      conv_model({{2, 32, 10, 10}, {32, 1, 3, 3}, {one("group", 32), ints("pads", {1, 1, 1, 1})}}),
      conv_model({{2, 32, 11, 11}, {32, 1, 3, 3}, {one("group", 32), ints("strides", {2, 2}), ints("pads", {1, 1, 1, 1})}}),
      conv_model({{2, 32, 9, 9}, {48, 8, 3, 3}, {one("group", 4), ints("strides", {2, 2}), ints("pads", {1, 1, 1, 1})}}),
      // Depthwise: channels not a multiple of 8 (graft's kernel one channel per thread at
      // FP16), dilations, asymmetric pads (cuDNN through a padded copy), fused epilogues.
      conv_model({{2, 12, 11, 10}, {12, 1, 3, 3}, {one("group", 12), ints("dilations", {2, 2}), ints("pads", {0, 1, 2, 1})}}),
      conv_model({{1, 16, 16, 16}, {16, 1, 3, 3}, {one("group", 16), ints("strides", {2, 2}), text("auto_pad", "SAME_UPPER")}}),
      conv_model({{1, 24, 9, 9}, {24, 1, 5, 5}, {one("group", 24), ints("strides", {2, 1}), ints("pads", {2, 2, 2, 2})}}),
      fused_model({{"residual"}, {"Clip", {}, {0.0f, 0.5f}}}, true, 2, 8),
      fused_model({{"bias"}, {"HardSwish"}}, false, 1, 8),
      // 1x1: one cuBLASLt GEMM at FP16 / TF32, its epilogue taking bias, residual and ReLU.
      fused_model({{"bias"}, {"residual"}, {"Relu"}}, true, 2, 1, 1),
      fused_model({{"residual"}, {"Clip", {}, {0.0f, 0.5f}}}, true, 2, 1, 1),
      fused_model({{"Relu"}}, false, 2, 1, 1),
      fused_model({{"Sigmoid"}}, true, 2, 1, 1),
      pointwise_with_input_bias(),
  };
  for (const Model& m : models) {
    for (Precision p : {Precision::kFP32, Precision::kTF32, Precision::kFP16}) {
      const double tol = p == Precision::kFP32 ? 1e-3 : 1e-2;
      const std::set<std::string> seen = testing::expect_each_tactic_matches_cpu(m, kForwardAlgos, p, tol, tol);
      EXPECT_GE(seen.size(), 2u) << "expected several cuDNN algorithms at " << precision_name(p);
      for (const std::string& s : seen) {
        if (s.rfind("[reformat]", 0) != 0) std::cout << "  " << s << "\n";
      }
    }
  }
  ConvCase t{{1, 4, 5, 5}, {4, 2, 3, 3}, {ints("strides", {2, 2}), ints("pads", {1, 1, 1, 1})}, true, true};
  testing::expect_each_tactic_matches_cpu(conv_model(t), {"bwd_data_0", "bwd_data_1", "fft", "fft_tiling", "winograd",
                                                          "winograd_nonfused"},
                                          Precision::kFP32, 1e-3, 1e-3);
}

// The layer line of the build's Conv (not a reformat step).
std::string conv_line(const std::vector<std::string>& layers) {
  for (const std::string& l : layers) {
    if (l.rfind("[reformat]", 0) != 0) return l;
  }
  return "";
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// 2-D convs at FP16 and TF32 read and write NHWC; FP32, 1-D, 3-D and ConvTranspose NCHW.
TEST(ConvGpu, ChannelsLastFormats) {
  GRAFT_REQUIRE_GPU();
  const Model conv2d = conv_model(conv2d_cases()[0]);
  for (Precision p : {Precision::kTF32, Precision::kFP16}) {
    const std::vector<std::string> layers = built_layers(conv2d, p);
    EXPECT_TRUE(ends_with(conv_line(layers), ", NHWC")) << conv_line(layers);
    EXPECT_EQ(layers.size(), 3u) << "X and Y reordered, the graph's tensors being linear";
  }
  EXPECT_TRUE(ends_with(conv_line(built_layers(conv2d, Precision::kFP32)), ", NCHW"));
  const Model conv1d = conv_model({{2, 4, 20}, {6, 4, 3}, {ints("pads", {1, 1})}});
  EXPECT_TRUE(ends_with(conv_line(built_layers(conv1d, Precision::kFP16)), ", NCHW"));
  const Model transposed = conv_model({{1, 4, 5, 5}, {4, 2, 3, 3}, {ints("strides", {2, 2})}, true, true});
  EXPECT_TRUE(ends_with(conv_line(built_layers(transposed, Precision::kFP16)), ", NCHW"));
}

// x -> Conv -> [Clip(0, 6)], weights scaled by 1/sqrt(fan-in), bias.
TensorPtr conv_node(Graph& g, const TensorPtr& x, const std::string& name, std::vector<int64_t> w, int64_t stride,
                    int64_t group, bool clip) {
  const uint64_t seed = std::hash<std::string>{}(name);
  TensorPtr y = var(name);
  const int64_t pad = w[2] / 2;
  Node* n = g.add_node("Conv", {x, random_constant(g, name + "_w", w, seed, weight_scale(w)),
                                random_constant(g, name + "_b", {w[0]}, seed + 1, 0.1f)},
                       {y}, name);
  n->set_attr(one("group", group));
  n->set_attr(ints("strides", {stride, stride}));
  n->set_attr(ints("pads", {pad, pad, pad, pad}));
  if (!clip) return y;
  TensorPtr out = var(name + "_clip");
  g.add_node("Clip",
             {y, graft::testing::float_constant(g, name + "_min", {0.0f}, {}),
              graft::testing::float_constant(g, name + "_max", {6.0f}, {})},
             {out}, name + "_relu6");
  return out;
}

// MobileNetV2's inverted residual: 1x1 expand + ReLU6, depthwise 3x3 + ReLU6, 1x1 project,
// plus the input when the stride is 1 and the channels stay.
TensorPtr inverted_residual(Graph& g, const TensorPtr& x, const std::string& name, int64_t cin, int64_t cout,
                            int64_t stride) {
  const int64_t hidden = 6 * cin;
  TensorPtr h = conv_node(g, x, name + "_expand", {hidden, cin, 1, 1}, 1, 1, true);
  h = conv_node(g, h, name + "_dw", {hidden, 1, 3, 3}, stride, hidden, true);
  h = conv_node(g, h, name + "_project", {cout, hidden, 1, 1}, 1, 1, false);
  if (stride != 1 || cin != cout) return h;
  TensorPtr out = var(name + "_add");
  g.add_node("Add", {x, h}, {out}, name + "_residual");
  return out;
}

// Stem 3x3 stride 2 + ReLU6, then an inverted residual of stride 1 (with the residual Add)
// and one of stride 2.
Model mobilenet_block_model(int64_t batch = 2) {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr h = conv_node(g, float_input(g, "x", {batch, 3, 32, 32}), "stem", {16, 3, 3, 3}, 2, 1, true);
  h = inverted_residual(g, h, "block1", 16, 16, 1);
  h = inverted_residual(g, h, "block2", 16, 24, 2);
  g.outputs.push_back(h);
  return m;
}

// MobileNetV2 at FP16 gave outputs far from torch's: every tactic and the autotuned build
// of its blocks against the CPU engine.
TEST(ConvGpu, MobileNetBlocksAtFP16) {
  GRAFT_REQUIRE_GPU();
  const Model m = mobilenet_block_model();
  for (Precision p : {Precision::kFP16, Precision::kTF32}) {
    const std::set<std::string> seen = testing::expect_each_tactic_matches_cpu(m, kForwardAlgos, p, 1e-2, 1e-2);
    for (const std::string& s : seen) std::cout << "  " << s << "\n";
    const std::vector<std::string> layers = testing::expect_autotuned_matches_cpu(m, p, 1e-2, 1e-2);
    std::cout << "autotuned at " << precision_name(p) << ":\n";
    for (const std::string& s : layers) std::cout << "  " << s << "\n";
    EXPECT_EQ(layers.size(), 7u + 2u) << "7 fused convs, X and Y reordered";
  }
}

// Two convs in a row at FP16: the first writes NHWC, the second reads it as it is.
TEST(ConvGpu, ChainWithoutReorder) {
  GRAFT_REQUIRE_GPU();
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr h = conv_node(g, float_input(g, "x", {2, 16, 12, 12}), "conv1", {32, 16, 3, 3}, 1, 1, true);
  h = conv_node(g, h, "conv2", {32, 32, 3, 3}, 2, 1, false);
  g.outputs.push_back(h);
  for (Precision p : {Precision::kFP16, Precision::kTF32}) {
    const std::vector<std::string> layers = built_layers(m, p);
    ASSERT_EQ(layers.size(), 4u);
    EXPECT_EQ(layers[0].rfind("[reformat] 'x'", 0), 0u) << layers[0];
    EXPECT_TRUE(ends_with(layers[1], ", NHWC")) << layers[1];
    EXPECT_TRUE(ends_with(layers[2], ", NHWC")) << layers[2];
    EXPECT_EQ(layers[3].rfind("[reformat]", 0), 0u) << layers[3];
    expect_gpu_matches_cpu(m, 15, GpuCheck{p, 1e-2, 1e-2});
  }
}

TEST(ConvGpu, EmptyBatch) {
  GRAFT_REQUIRE_GPU();
  expect_gpu_matches_cpu(conv_model({{0, 4, 6, 6}, {8, 4, 3, 3}, {ints("pads", {1, 1, 1, 1})}}), 14, kFP32);
  expect_gpu_matches_cpu(fused_model({{"bias"}, {"residual"}, {"Relu"}}, true, 0), 14, kFP16);
}

std::string build_error(const Model& m) {
  try {
    built_layers(m);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ConvGpu, Errors) {
  GRAFT_REQUIRE_GPU();
  Model bad_pad = conv_model({{1, 4, 6, 6}, {8, 4, 3, 3}, {text("auto_pad", "MIRROR")}});
  EXPECT_NE(build_error(bad_pad).find("'conv'"), std::string::npos) << build_error(bad_pad);
  Model doubles = empty_model(17);
  Graph& g = *doubles.graph;
  TensorPtr x = Tensor::variable("x", DataType::kDouble, Shape::of({1, 2, 4, 4}));
  g.inputs.push_back(x);
  TensorPtr w = Tensor::variable("w", DataType::kDouble, Shape::of({2, 2, 1, 1}));
  g.inputs.push_back(w);
  TensorPtr y = var("y");
  g.add_node("Conv", {x, w}, {y}, "conv64");
  g.outputs.push_back(y);
  EXPECT_NE(build_error(doubles).find("'conv64'"), std::string::npos) << build_error(doubles);
}

// Each cuDNN algorithm timed on one conv at each precision.
void print_throughput(const std::string& what, const Model& m, double flops) {
  const std::vector<engine::NamedValue> inputs = testing::random_inputs_of(m, 1);
  for (Precision p : {Precision::kFP32, Precision::kTF32, Precision::kFP16}) {
    engine::BuildOptions options;
    options.precision = p;
    options.autotune = false;
    const engine::BuildResult built = engine::gpu_backend()->build(m, options);
    engine::BenchOptions bench;
    bench.iterations = 20;
    bench.warmup = 3;
    bench.profile = true;
    for (const std::string& tactic : kForwardAlgos) {
      engine::Network net = built.network;
      for (engine::LayerRecord& l : net.layers) l.tactic = tactic;
      try {
        const auto runner = engine::gpu_backend()->open(net);
        const engine::BenchResult r = runner->benchmark(inputs, bench);
        // Skipped when not offered (the layer ran its first choice instead).
        if (conv_line(runner->describe_layers()).find("conv " + tactic + " (") == std::string::npos) continue;
        std::cout << testing::throughput_line(what + " " + tactic, p, flops, r) << "\n";
      } catch (const Error& e) {
        std::cout << what << " " << tactic << " " << precision_name(p) << ": " << e.what() << "\n";
      }
    }
    options.autotune = true;
    const engine::BuildResult tuned = engine::gpu_backend()->build(m, options);
    const std::string line = conv_line(tuned.layers);
    const size_t at = line.find("conv ", line.find("tactic="));
    std::cout << testing::throughput_line(what + " autotuned: " + line.substr(at == std::string::npos ? 0 : at), p, flops,
                                          engine::gpu_backend()->open(tuned.network)->benchmark(inputs, bench))
              << "\n";
  }
}

// ResNet-50's 3x3 conv of stage 3 (N=32, C=K=256, 14x14).
TEST(ConvGpu, ResNetConvThroughput) {
  GRAFT_REQUIRE_GPU();
  print_throughput("conv 3x3 N=32 C=K=256 14x14",
                   conv_model({{32, 256, 14, 14}, {256, 256, 3, 3}, {ints("pads", {1, 1, 1, 1})}}),
                   2.0 * 32 * 256 * 256 * 9 * 14 * 14);
}

// ResNet-50's 1x1 conv of stage 3 (N=32, C=1024 -> K=256, 14x14).
TEST(ConvGpu, PointwiseConvThroughput) {
  GRAFT_REQUIRE_GPU();
  print_throughput("conv 1x1 N=32 C=1024 K=256 14x14", conv_model({{32, 1024, 14, 14}, {256, 1024, 1, 1}, {}}),
                   2.0 * 32 * 1024 * 256 * 14 * 14);
}

// MobileNetV2's depthwise 3x3 of stage 4 (N=32, C=576, 14x14).
TEST(ConvGpu, DepthwiseConvThroughput) {
  GRAFT_REQUIRE_GPU();
  print_throughput("depthwise 3x3 N=32 C=576 14x14",
                   conv_model({{32, 576, 14, 14}, {576, 1, 3, 3}, {one("group", 576), ints("pads", {1, 1, 1, 1})}}),
                   2.0 * 32 * 576 * 9 * 14 * 14);
}

}  // namespace
}  // namespace graft::cuda
