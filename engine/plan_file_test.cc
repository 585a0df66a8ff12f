#include "engine/plan_file.h"

#include <gtest/gtest.h>

#include "surgeon/error.h"

namespace graft::engine {
namespace {

Network small_network() {
  Network net;
  net.device = Device::kCuda;
  net.precision = cuda::Precision::kFP16;
  net.model.ir_version = 8;
  net.model.opset_imports = {{"", 17}};
  Graph& g = *net.model.graph;
  g.name = "g";
  TensorPtr x = Tensor::variable("x", DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(4)}));
  g.inputs.push_back(x);
  TensorPtr s = Tensor::variable("s", DataType::kInt64, Shape::of({2}));
  TensorPtr y = Tensor::variable("y", DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(4)}));
  TensorPtr z = Tensor::variable("z", DataType::kFloat, Shape({Dim::symbolic("batch"), Dim::fixed(4)}));
  g.add_node("Shape", {x}, {s}, "shape");
  g.add_node("Relu", {x}, {y}, "relu");
  g.add_node("Reshape", {y, s}, {z}, "reshape");
  g.outputs.push_back(z);
  net.host_nodes = {0};
  net.layers = {{{1}, cuda::Precision::kFP16, ""}, {{2}, cuda::Precision::kFP32, "copy_kernel"}};
  Profile p;
  p.min["x"] = {1, 4};
  p.opt["x"] = {8, 4};
  p.max["x"] = {64, 4};
  net.profiles = {p};
  return net;
}

PlanTarget h100() {
  PlanTarget t;
  t.graft_version = "0.1";
  t.device = Device::kCuda;
  t.gpu_name = "NVIDIA H100 80GB HBM3";
  t.compute_capability = 90;
  t.cuda_runtime = 13000;
  t.cudnn = 91400;
  t.cublaslt = 130100;
  return t;
}

std::string error_of(const std::string& bytes, const PlanTarget& here) {
  try {
    deserialize_plan(bytes, "m.plan", here);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PlanFile, RoundTripsEveryDecision) {
  const Network net = small_network();
  const std::string bytes = serialize_plan(net, h100());
  const Network back = deserialize_plan(bytes, "m.plan", h100());
  EXPECT_EQ(back.device, Device::kCuda);
  EXPECT_EQ(back.precision, cuda::Precision::kFP16);
  EXPECT_EQ(back.host_nodes, net.host_nodes);
  ASSERT_EQ(back.layers.size(), 2u);
  EXPECT_EQ(back.layers[1].nodes, std::vector<size_t>{2});
  EXPECT_EQ(back.layers[1].precision, cuda::Precision::kFP32);
  EXPECT_EQ(back.layers[1].tactic, "copy_kernel");
  EXPECT_EQ(back.layers[0].precision, cuda::Precision::kFP16);
  ASSERT_EQ(back.profiles.size(), 1u);
  EXPECT_EQ(back.profiles[0].max.at("x"), (cpu::Dims{64, 4}));
  ASSERT_EQ(back.model.graph->nodes().size(), 3u);
  EXPECT_EQ(back.model.graph->nodes()[2]->op_type, "Reshape");
  EXPECT_EQ(back.model.graph->inputs[0]->shape().str(), "[batch, 4]");
  EXPECT_EQ(read_plan_target(bytes, "m.plan").gpu_name, "NVIDIA H100 80GB HBM3");
}

TEST(PlanFile, RefusesAnotherArchitectureOrLibrary) {
  const std::string bytes = serialize_plan(small_network(), h100());
  PlanTarget a100 = h100();
  a100.gpu_name = "NVIDIA A100";
  a100.compute_capability = 80;
  EXPECT_NE(error_of(bytes, a100).find("built for NVIDIA H100 80GB HBM3 (sm_90), not NVIDIA A100 (sm_80)"),
            std::string::npos) << error_of(bytes, a100);
  PlanTarget newer = h100();
  newer.cudnn = 91900;
  EXPECT_NE(error_of(bytes, newer).find("cuDNN 9.14, this machine has 9.19"), std::string::npos);
  PlanTarget none;
  EXPECT_NE(error_of(bytes, none).find("no usable CUDA device"), std::string::npos);
  PlanTarget patch = h100();
  patch.cudnn = 91401;  // a patch release reads the plan
  EXPECT_EQ(error_of(bytes, patch), "");
}

TEST(PlanFile, RefusesCorruptTruncatedAndForeignFiles) {
  std::string bytes = serialize_plan(small_network(), h100());
  EXPECT_NE(error_of(bytes.substr(0, bytes.size() - 10), h100()).find("truncated"), std::string::npos);
  std::string flipped = bytes;
  flipped[flipped.size() - 20] ^= 0x5a;
  EXPECT_NE(error_of(flipped, h100()).find("corrupt (checksum mismatch)"), std::string::npos);
  EXPECT_NE(error_of("ONNX....", h100()).find("not a graft plan file"), std::string::npos);
  std::string future = bytes;
  future[8] = 99;  // format version
  EXPECT_NE(error_of(future, h100()).find("plan format version 99"), std::string::npos);
}

TEST(PlanFile, CpuPlansLoadAnywhere) {
  Network net = small_network();
  net.device = Device::kCpu;
  PlanTarget cpu;
  cpu.device = Device::kCpu;
  const Network back = deserialize_plan(serialize_plan(net, cpu), "m.plan", PlanTarget{});
  EXPECT_EQ(back.device, Device::kCpu);
}

}  // namespace
}  // namespace graft::engine
