// The CUDA engine end to end: lowering and fusion, shape tensors on the host, dynamic
// shapes within profiles, FP16 storage with conversions, plan files, CUDA graphs and
// several streams, memory reuse, and the errors a user meets.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/gpu_backend.h"
#include "engine/gpu_test_util.h"
#include "engine/random_inputs.h"
#include "surgeon/error.h"
#include "engine/npy.h"
#include "importer/onnx_model.h"
#include "surgeon/run_test_util.h"

namespace graft::engine {
namespace {

using graft::testing::empty_model;

TensorPtr var(const std::string& name) { return std::make_shared<Tensor>(name); }

TensorPtr int64_constant(Graph& g, const std::string& name, std::vector<int64_t> values, std::vector<int64_t> dims) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kInt64;
  data->dims = std::move(dims);
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(int64_t));
  TensorPtr t = Tensor::constant(name, data);
  g.initializers.push_back(t);
  return t;
}

// x[batch, 3, 4, 4] -> Relu -> +bias -> Reshape to [batch, 48] (the target computed from
// Shape -> Gather -> Unsqueeze -> Concat, as exporters write it) -> Mul.
Model dynamic_batch_model() {
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = Tensor::variable("x", DataType::kFloat,
                                 Shape({Dim::symbolic("batch"), Dim::fixed(3), Dim::fixed(4), Dim::fixed(4)}));
  g.inputs.push_back(x);
  TensorPtr bias = graft::testing::float_constant(g, "bias", {0.5f, -0.25f, 1.0f}, {3, 1, 1});
  TensorPtr scale = graft::testing::float_constant(g, "scale", {2.0f}, {});
  TensorPtr r = var("r"), b = var("b"), s = var("s"), n = var("n"), nu = var("nu"), target = var("target"),
            flat = var("flat"), y = var("y");
  g.add_node("Relu", {x}, {r}, "relu");
  g.add_node("Add", {r, bias}, {b}, "add_bias");
  g.add_node("Shape", {b}, {s}, "shape");
  g.add_node("Gather", {s, int64_constant(g, "zero", {0}, {})}, {n}, "batch_of");
  g.add_node("Unsqueeze", {n, int64_constant(g, "axes", {0}, {1})}, {nu}, "unsqueeze");
  g.add_node("Concat", {nu, int64_constant(g, "rest", {-1}, {1})}, {target}, "target")->set_attr(Attribute::of_int("axis", 0));
  g.add_node("Reshape", {b, target}, {flat}, "flatten");
  g.add_node("Mul", {flat, scale}, {y}, "scale_up");
  g.outputs.push_back(y);
  return m;
}

std::vector<NamedValue> inputs_of(const Model& m, const ShapeOverrides& shapes, uint64_t seed) {
  std::vector<NamedValue> out;
  for (auto& [name, t] : random_inputs(CpuExecutor(m).required_inputs(), seed, shapes)) {
    out.push_back({name, cpu::Value::of(std::move(t))});
  }
  return out;
}

Profile batch_profile(int64_t lo, int64_t opt, int64_t hi) {
  Profile p;
  p.min["x"] = {lo, 3, 4, 4};
  p.opt["x"] = {opt, 3, 4, 4};
  p.max["x"] = {hi, 3, 4, 4};
  return p;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CudaEngine, DynamicBatchWithShapeTensorsOnTheHost) {
  GRAFT_REQUIRE_GPU();
  Model m = dynamic_batch_model();
  BuildOptions options;
  options.profiles = {batch_profile(1, 4, 16)};
  const BuildResult built = gpu_backend()->build(m, options);
  EXPECT_EQ(built.network.host_nodes.size(), 4u);  // Shape, Gather, Unsqueeze, Concat
  auto runner = gpu_backend()->open(built.network);
  for (int64_t batch : {1, 4, 16, 3}) {
    const auto inputs = inputs_of(m, {{"x", {batch, 3, 4, 4}}}, batch);
    const auto expected = CpuExecutor(m).run(inputs);
    const auto actual = runner->run(inputs);
    ASSERT_EQ(actual[0].value.tensor.dims(), (cpu::Dims{batch, 48}));
    EXPECT_EQ(actual[0].value.tensor.to_doubles(), expected[0].value.tensor.to_doubles()) << "batch " << batch;
  }
  const std::string outside = error_of([&] { runner->run(inputs_of(m, {{"x", {17, 3, 4, 4}}}, 0)); });
  EXPECT_NE(outside.find("input 'x': dims 17x3x4x4 are outside the optimization profile (min 1x3x4x4, max 16x3x4x4)"),
            std::string::npos)
      << outside;
  // The context stays usable after the refusal.
  const auto inputs = inputs_of(m, {{"x", {2, 3, 4, 4}}}, 7);
  EXPECT_EQ(runner->run(inputs)[0].value.tensor.to_doubles(), CpuExecutor(m).run(inputs)[0].value.tensor.to_doubles());
}

TEST(CudaEngine, PointwiseChainsFuseIntoOneLayer) {
  GRAFT_REQUIRE_GPU();
  Model m = dynamic_batch_model();
  BuildOptions options;
  options.profiles = {batch_profile(1, 2, 2)};
  const BuildResult built = gpu_backend()->build(m, options);
  // Relu + Add fuse; Reshape; Mul: three layers.
  ASSERT_EQ(built.layers.size(), 3u) << ::testing::PrintToString(built.layers);
  EXPECT_NE(built.layers[0].find("Relu+Add"), std::string::npos) << built.layers[0];
}

TEST(CudaEngine, Fp16StoresFloatTensorsAsHalf) {
  GRAFT_REQUIRE_GPU();
  Model m = dynamic_batch_model();
  BuildOptions options;
  options.precision = cuda::Precision::kFP16;
  options.profiles = {batch_profile(1, 2, 8)};
  const BuildResult built = gpu_backend()->build(m, options);
  bool converts = false;
  for (const std::string& l : built.layers) converts |= l.find("float32 -> float16") != std::string::npos;
  EXPECT_TRUE(converts) << ::testing::PrintToString(built.layers);
  const auto inputs = inputs_of(m, {{"x", {5, 3, 4, 4}}}, 3);
  const auto expected = CpuExecutor(m).run(inputs)[0].value.tensor.to_doubles();
  const auto actual = gpu_backend()->open(built.network)->run(inputs)[0].value.tensor.to_doubles();
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-3 + 1e-2 * std::abs(expected[i]));
}

TEST(CudaEngine, PlanRoundTripRunsTheSame) {
  GRAFT_REQUIRE_GPU();
  Model m = dynamic_batch_model();
  BuildOptions options;
  options.profiles = {batch_profile(1, 4, 8)};
  const BuildResult built = gpu_backend()->build(m, options);
  const PlanTarget here = gpu_backend()->target();
  const Network loaded = deserialize_plan(serialize_plan(built.network, here), "test.plan", here);
  const auto inputs = inputs_of(m, {{"x", {6, 3, 4, 4}}}, 11);
  EXPECT_EQ(gpu_backend()->open(loaded)->run(inputs)[0].value.tensor.to_doubles(),
            gpu_backend()->open(built.network)->run(inputs)[0].value.tensor.to_doubles());
}

TEST(CudaEngine, BenchmarkWithCudaGraphsAndStreams) {
  GRAFT_REQUIRE_GPU();
  Model m = dynamic_batch_model();
  BuildOptions options;
  options.profiles = {batch_profile(1, 4, 8)};
  auto runner = gpu_backend()->open(gpu_backend()->build(m, options).network);
  BenchOptions bench;
  bench.iterations = 20;
  bench.cuda_graph = true;
  bench.streams = 2;
  bench.profile = true;
  const BenchResult r = runner->benchmark(inputs_of(m, {{"x", {4, 3, 4, 4}}}, 1), bench);
  EXPECT_EQ(r.latency_ms.size(), 20u);
  EXPECT_EQ(r.compute_ms.size(), 40u);
  EXPECT_GT(r.throughput, 0);
  EXPECT_EQ(r.layer_ms.size(), runner->describe_layers().size());
  EXPECT_GT(r.memory.activation_bytes, 0u);
}

TEST(CudaEngine, ListsEveryNodeWithoutAGpuLayer) {
  GRAFT_REQUIRE_GPU();
  Model m = empty_model(17);
  Graph& g = *m.graph;
  TensorPtr x = graft::testing::float_input(g, "x", {2, 2});
  TensorPtr a = var("a"), b = var("b");
  g.add_node("Frobnicate", {x}, {a}, "f1", "acme");
  g.add_node("Frobnicate", {a}, {b}, "f2", "acme");
  g.outputs.push_back(b);
  m.opset_imports.push_back({"acme", 1});
  const std::string err = error_of([&] { gpu_backend()->build(m, BuildOptions{}); });
  EXPECT_NE(err.find("2 node(s) cannot run on the GPU"), std::string::npos) << err;
  EXPECT_NE(err.find("node 'f1' (acme::Frobnicate): no GPU layer for acme Frobnicate (opset 1)"), std::string::npos) << err;
  EXPECT_NE(err.find("node 'f2'"), std::string::npos) << err;
}

TEST(CudaEngine, WrongInputDtypeNamesTheInput) {
  GRAFT_REQUIRE_GPU();
  Model m = dynamic_batch_model();
  BuildOptions options;
  options.profiles = {batch_profile(1, 1, 4)};
  auto runner = gpu_backend()->open(gpu_backend()->build(m, options).network);
  cpu::HostTensor wrong(DataType::kInt64, {1, 3, 4, 4});
  const std::string err = error_of([&] { runner->run({{"x", cpu::Value::of(wrong)}}); });
  EXPECT_NE(err.find("input 'x': expected float32, got int64[1, 3, 4, 4]"), std::string::npos) << err;
}

}  // namespace
}  // namespace graft::engine

namespace graft::engine {
namespace {

// testdata/plugins/deform_conv2d.onnx: a graft::DeformConv2d node (EDVR's custom op) runs
// through the built-in plugin's CUDA implementation inside the engine, and a plan keeps it.
TEST(CudaEngine, CustomOpRunsThroughItsPlugin) {
  GRAFT_REQUIRE_GPU();
  const Model m = importer::load_model("testdata/plugins/deform_conv2d.onnx");
  std::vector<NamedValue> inputs;  // the .npz also holds the weights and the expected output
  for (auto& [name, t] : read_npz("testdata/plugins/deform_conv2d_io.npz")) {
    const TensorPtr in = m.graph->find_tensor(name);
    const bool graph_input = in && !in->is_constant() &&
                             std::find(m.graph->inputs.begin(), m.graph->inputs.end(), in) != m.graph->inputs.end();
    if (graph_input) inputs.push_back({name, cpu::Value::of(std::move(t))});
  }
  ASSERT_EQ(inputs.size(), 3u);
  BuildOptions options;
  Profile fixed;
  for (const NamedValue& in : inputs) fixed.min[in.name] = fixed.opt[in.name] = fixed.max[in.name] = in.value.tensor.dims();
  options.profiles = {fixed};
  const BuildResult built = gpu_backend()->build(m, options);
  bool via_plugin = false;
  for (const std::string& l : built.layers) via_plugin |= l.find("plugin graft::DeformConv2d v1 (built-in)") != std::string::npos;
  EXPECT_TRUE(via_plugin) << ::testing::PrintToString(built.layers);
  testing::GpuCheck check;
  check.rtol = 1e-4;
  check.atol = 1e-4;
  testing::expect_gpu_matches_cpu(m, inputs, check);
}

}  // namespace
}  // namespace graft::engine
