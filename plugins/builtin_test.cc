// The built-in plugins on the CPU: DeformConv2d against the numpy reference's outputs
// (testdata/plugins/generate.py), the ONNX-op plugins against graft's ONNX kernels, and
// plugins inside shape inference, the CPU engine, constant folding and --plugin-map.
#include <gtest/gtest.h>

#include <random>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "engine/npy.h"
#include "folding/infer_shapes.h"
#include "folding/pass.h"
#include "folding/pass_test_util.h"
#include "folding/sanitize.h"
#include "testdata/test_paths.h"
#include "importer/onnx_model.h"
#include "plugins/registry.h"
#include "surgeon/error.h"

namespace graft::plugins {
namespace {

using engine::NamedValue;
using folding::testing::node;
using folding::testing::output;

const std::string kDir = "testdata/plugins/";
// float32 sums of 18-36 products of values ~N(0,1) against a float64 reference.
const engine::Tolerance kDeformTol{1e-4, 1e-4};

std::map<std::string, cpu::HostTensor> npz(const std::string& name) {
  std::map<std::string, cpu::HostTensor> out;
  for (auto& [k, v] : engine::read_npz(kDir + name)) out[k] = v;
  return out;
}

std::vector<NamedValue> named(const std::map<std::string, cpu::HostTensor>& io, std::vector<std::string> names) {
  std::vector<NamedValue> v;
  for (const std::string& n : names) v.push_back({n, cpu::Value::of(io.at(n))});
  return v;
}

void expect_close(const cpu::HostTensor& expected, const cpu::Value& actual, const engine::Tolerance& tol) {
  const engine::Comparison c = engine::compare(cpu::Value::of(expected), actual, tol);
  EXPECT_TRUE(c.ok) << c.detail;
}

cpu::HostTensor random_floats(cpu::Dims dims, uint32_t seed, float lo = -1, float hi = 1) {
  cpu::HostTensor t(DataType::kFloat, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = d(rng);
  return t;
}

TEST(DeformConv2d, MatchesNumpyReferenceWithMaskGroupsAndStride) {
  const auto io = npz("deform_conv2d_io.npz");
  engine::CpuExecutor exec(importer::load_model(kDir + "deform_conv2d.onnx"));
  const std::vector<NamedValue> out = exec.run(named(io, {"x", "offset", "mask"}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value.tensor.dims(), (cpu::Dims{2, 6, 5, 5}));
  expect_close(io.at("y"), out[0].value, kDeformTol);
}

TEST(DeformConv2d, MatchesNumpyReferenceWithoutMaskOrBias) {
  const auto io = npz("deform_conv2d_nomask_io.npz");
  Model m = folding::testing::model(17);
  m.opset_imports.push_back({"graft", 1});
  Graph& g = *m.graph;
  TensorPtr x = folding::testing::input(m, "x", DataType::kFloat, io.at("x").dims());
  TensorPtr off = folding::testing::input(m, "offset", DataType::kFloat, io.at("offset").dims());
  TensorPtr w = folding::testing::input(m, "W", DataType::kFloat, io.at("W").dims());
  output(m, node(g, "DeformConv2d", "dcn", {x, w, off},
                 {Attribute::of_ints("pads", {2, 2, 2, 2}), Attribute::of_ints("dilations", {2, 2}),
                  Attribute::of_int("offset_group", 3)}));
  g.nodes()[0]->domain = "graft";
  const std::vector<NamedValue> out = engine::CpuExecutor(m).run(named(io, {"x", "offset", "W"}));
  expect_close(io.at("y"), out[0].value, kDeformTol);
}

// With zero offsets and no mask, deform_conv2d is a grouped convolution: graft's ONNX Conv
// kernel is the reference, on a frame large enough (70x70) that the columns are built in
// more than one block of output pixels.
TEST(DeformConv2d, ZeroOffsetsMatchOnnxConvOnALargeFrame) {
  std::vector<std::vector<cpu::Value>> results;
  const cpu::HostTensor x = random_floats({1, 4, 70, 70}, 11), w = random_floats({6, 2, 3, 3}, 12);
  const cpu::HostTensor b = random_floats({6}, 13);
  for (const bool deform : {false, true}) {
    Model m = folding::testing::model(17);
    m.opset_imports.push_back({"graft", 1});
    std::vector<TensorPtr> ins{folding::testing::input(m, "x", DataType::kFloat, x.dims()),
                               folding::testing::input(m, "w", DataType::kFloat, w.dims())};
    std::vector<NamedValue> feed{{"x", cpu::Value::of(x)}, {"w", cpu::Value::of(w)}};
    if (deform) {
      ins.push_back(folding::testing::input(m, "offset", DataType::kFloat, {1, 18, 70, 70}));
      feed.push_back({"offset", cpu::Value::of(cpu::HostTensor(DataType::kFloat, {1, 18, 70, 70}))});
    }
    ins.push_back(folding::testing::input(m, "b", DataType::kFloat, b.dims()));
    feed.push_back({"b", cpu::Value::of(b)});
    std::vector<Attribute> attrs{Attribute::of_ints("pads", {1, 1, 1, 1}), Attribute::of_int("group", 2)};
    if (!deform) attrs.push_back(Attribute::of_ints("kernel_shape", {3, 3}));
    output(m, node(*m.graph, deform ? "DeformConv2d" : "Conv", "n", ins, attrs));
    if (deform) m.graph->nodes()[0]->domain = "graft";
    results.push_back({engine::CpuExecutor(m).run(feed)[0].value});
  }
  EXPECT_EQ(results[1][0].tensor.dims(), (cpu::Dims{1, 6, 70, 70}));
  const engine::Comparison c = engine::compare(results[0][0], results[1][0], {1e-5, 1e-5});
  EXPECT_TRUE(c.ok) << c.detail;
}

TEST(DeformConv2d, ShapeInferenceKeepsSymbolicDims) {
  Model m = importer::load_model(kDir + "deform_conv2d.onnx");
  const folding::ShapeInferenceReport r = folding::infer_shapes(m);
  EXPECT_TRUE(r.ops_without_shape_fn.empty());
  EXPECT_EQ(m.graph->outputs[0]->type.str(), "float32[batch, 6, oh, ow]");
}

TEST(DeformConv2d, BadInputsNameTheNodeAndPlugin) {
  const auto io = npz("deform_conv2d_io.npz");
  engine::CpuExecutor exec(importer::load_model(kDir + "deform_conv2d.onnx"));
  std::vector<NamedValue> in = named(io, {"offset", "mask"});
  in.push_back({"x", cpu::Value::of(cpu::HostTensor(DataType::kFloat, {2, 4, 12, 12}))});
  try {
    exec.run(in);
    FAIL() << "ran with a bad mask";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plugin graft::DeformConv2d v1 (built-in): offset is [2, 36, 5, 5], expected [2, 36, 6, 6]"),
              std::string::npos)
        << e.what();
  }
}

TEST(DeformConv2d, PluginMapRunsAnOnnxDomainNodeThroughThePlugin) {
  const Model m = importer::load_model(kDir + "deform_conv_onnx_domain.onnx");
  Registry::global().clear_mappings();
  try {
    engine::CpuExecutor exec(m);
    FAIL() << "ONNX DeformConv has no CPU kernel in graft";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("have no CPU kernel"), std::string::npos) << e.what();
  }
  Registry::global().add_mapping("DeformConv=graft::DeformConv2d");
  const auto io = npz("deform_conv2d_io.npz");
  const std::vector<NamedValue> out = engine::CpuExecutor(m).run(named(io, {"x", "offset", "mask"}));
  Registry::global().clear_mappings();
  expect_close(io.at("y"), out[0].value, kDeformTol);
}

TEST(DeformConv2d, ConstantFoldingEvaluatesThePlugin) {
  Model m = importer::load_model(kDir + "deform_conv2d_const.onnx");
  folding::PassManager pm;
  pm.add("fold-constants");
  pm.run(m);
  ASSERT_EQ(m.graph->nodes().size(), 1u);  // the Relu writing the graph output stays
  EXPECT_EQ(m.graph->nodes()[0]->op_type, "Relu");
  const auto io = npz("deform_conv2d_io.npz");
  const std::vector<NamedValue> out = engine::CpuExecutor(m).run({});
  expect_close(io.at("y"), out[0].value, kDeformTol);
}

// The proof: a model whose op only a plugin runs is sanitized (the mapped node
// swapped into the plugin's op), written, read back and run without the mapping; the
// outputs match the numpy reference.
TEST(DeformConv2d, SanitizeSwapSaveReloadAndRunMatchesReference) {
  Model m = importer::load_model(kDir + "deform_conv_onnx_domain.onnx");
  Registry::global().clear_mappings();
  Registry::global().add_mapping("DeformConv=graft::DeformConv2d");
  folding::SanitizeOptions options;
  options.pass_names = folding::default_pipeline();
  options.pass_names.insert(options.pass_names.begin(), "swap-plugins");
  const folding::SanitizeReport r = folding::sanitize(m, options);
  Registry::global().clear_mappings();
  ASSERT_EQ(r.passes.passes[0].name, "swap-plugins");
  EXPECT_EQ(r.passes.passes[0].notes,
            std::vector<std::string>{"swapped node 'dcn' (DeformConv) -> plugin graft::DeformConv2d v1 (built-in)"});
  EXPECT_TRUE(r.ops_without_kernel.empty());
  EXPECT_EQ(r.ops_after.at("graft.DeformConv2d"), 1u);
  EXPECT_EQ(m.opset("graft"), 1);

  const std::string path = graft::testing::make_temp_dir("swap") + "/dcn.onnx";
  importer::save_model(m, path);
  const auto io = npz("deform_conv2d_io.npz");
  const std::vector<NamedValue> out = engine::CpuExecutor(importer::load_model(path)).run(named(io, {"x", "offset", "mask"}));
  expect_close(io.at("y"), out[0].value, kDeformTol);
}

TEST(DeformConv2d, SwapKeepsANodeThePluginRefuses) {
  Model m = importer::load_model(kDir + "deform_conv_onnx_domain.onnx");
  m.graph->nodes()[0]->set_attr(Attribute::of_ints("pads", {1, 1}));
  Registry::global().add_mapping("DeformConv=graft::DeformConv2d");
  const folding::PassResult r = folding::make_pass("swap-plugins")->run(m, {});
  Registry::global().clear_mappings();
  EXPECT_EQ(r.changes, 0u);
  EXPECT_EQ(r.notes, std::vector<std::string>{"kept node 'dcn' (DeformConv): plugin graft::DeformConv2d v1 (built-in): "
                                              "strides and dilations take 2 values, pads 4 (top, left, bottom, right)"});
  EXPECT_EQ(m.graph->nodes()[0]->op_type, "DeformConv");
}

// The same op as an ONNX node and as a graft plugin node over the same constant inputs.
void expect_plugin_matches_onnx(const std::string& op, int64_t opset, std::vector<cpu::HostTensor> inputs,
                                std::vector<Attribute> attrs, size_t outputs = 1) {
  std::vector<cpu::Value> results[2];
  for (int as_plugin = 0; as_plugin < 2; ++as_plugin) {
    Model m = folding::testing::model(opset);
    m.opset_imports.push_back({"graft", 1});
    std::vector<TensorPtr> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
      TensorPtr t = folding::testing::input(m, "in" + std::to_string(i), inputs[i].dtype(), inputs[i].dims());
      ins.push_back(t);
    }
    output(m, node(*m.graph, op, "n", ins, attrs, outputs));
    if (as_plugin) m.graph->nodes()[0]->domain = "graft";
    Model inferred = m;
    EXPECT_NO_THROW(folding::infer_shapes(inferred)) << op;
    std::vector<NamedValue> in;
    for (size_t i = 0; i < inputs.size(); ++i) in.push_back({"in" + std::to_string(i), cpu::Value::of(inputs[i])});
    for (NamedValue& v : engine::CpuExecutor(m).run(in)) results[as_plugin].push_back(v.value);
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i) {
    const engine::Comparison c = engine::compare(results[0][i], results[1][i], {0, 0});
    EXPECT_TRUE(c.ok) << op << ": " << c.detail;
  }
}


cpu::HostTensor int64s(cpu::Dims dims, std::vector<int64_t> values) {
  cpu::HostTensor t(DataType::kInt64, std::move(dims));
  std::copy(values.begin(), values.end(), t.mutable_data<int64_t>());
  return t;
}

TEST(OnnxOpPlugins, ScatterElementsWithReductions) {
  const cpu::HostTensor indices = int64s({2, 3}, {1, 0, 2, 1, 1, 0});
  for (const char* r : {"none", "add", "mul", "max", "min"}) {
    expect_plugin_matches_onnx("ScatterElements", 18, {random_floats({3, 3}, 1), indices, random_floats({2, 3}, 2)},
                               {Attribute::of_int("axis", 0), Attribute::of_string("reduction", r)});
  }
}

TEST(OnnxOpPlugins, GridSample) {
  for (const char* mode : {"linear", "nearest", "cubic"}) {
    expect_plugin_matches_onnx("GridSample", 20, {random_floats({2, 3, 5, 6}, 3), random_floats({2, 4, 7, 2}, 4, -1.2f, 1.2f)},
                               {Attribute::of_string("mode", mode), Attribute::of_string("padding_mode", "border")});
  }
}

TEST(OnnxOpPlugins, RoiAlign) {
  cpu::HostTensor rois(DataType::kFloat, {3, 4});
  const float boxes[] = {0, 0, 4, 4, 1.5f, 0.5f, 6, 5, 2, 2, 3, 7};
  std::copy(boxes, boxes + 12, rois.mutable_data<float>());
  expect_plugin_matches_onnx("RoiAlign", 16, {random_floats({2, 3, 8, 8}, 5), rois, int64s({3}, {0, 1, 0})},
                             {Attribute::of_int("output_height", 3), Attribute::of_int("output_width", 2),
                              Attribute::of_int("sampling_ratio", 2), Attribute::of_float("spatial_scale", 0.5f)});
}

TEST(OnnxOpPlugins, NonMaxSuppressionBatched) {
  cpu::HostTensor boxes = random_floats({2, 6, 4}, 6, 0, 10);
  cpu::HostTensor max_out = int64s({1}, {3});
  cpu::HostTensor iou(DataType::kFloat, {1}), score(DataType::kFloat, {1});
  iou.mutable_data<float>()[0] = 0.3f;
  score.mutable_data<float>()[0] = 0.2f;
  expect_plugin_matches_onnx("NonMaxSuppression", 11, {boxes, random_floats({2, 2, 6}, 7, 0, 1), max_out, iou, score},
                             {Attribute::of_int("center_point_box", 1)});
}

}  // namespace
}  // namespace graft::plugins
