// The built-in plugins' CUDA implementations against their CPU implementations on random
// inputs (through the same plugin objects the engine uses); skipped without a GPU.
#include <gtest/gtest.h>

#include <random>

#include "engine/conformance.h"
#include "engine/cpu_executor.h"
#include "folding/pass_test_util.h"
#include "kernels/cuda/device.h"
#include "plugins/node_plugin.h"

#ifdef GRAFT_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace graft::plugins {
namespace {

using Inputs = std::vector<cpu::HostTensor>;

cpu::HostTensor random_floats(cpu::Dims dims, uint32_t seed, float lo = -1, float hi = 1) {
  cpu::HostTensor t(DataType::kFloat, std::move(dims));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data<float>()[i] = d(rng);
  return t;
}

cpu::HostTensor random_indices(cpu::Dims dims, int64_t bound, uint32_t seed) {
  cpu::HostTensor t(DataType::kInt64, std::move(dims));
  std::mt19937 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.mutable_data<int64_t>()[i] = static_cast<int64_t>(rng() % bound) - (i % 3 == 0 ? bound : 0);
  return t;
}

// A model of one graft-domain plugin node over these inputs.
Model plugin_model(const std::string& op, const Inputs& inputs, std::vector<Attribute> attrs) {
  Model m = folding::testing::model(17);
  m.opset_imports.push_back({"graft", 1});
  std::vector<TensorPtr> ins;
  for (size_t i = 0; i < inputs.size(); ++i) {
    ins.push_back(folding::testing::input(m, "in" + std::to_string(i), inputs[i].dtype(), inputs[i].dims()));
  }
  folding::testing::output(m, folding::testing::node(*m.graph, op, "n", ins, std::move(attrs)));
  m.graph->nodes()[0]->domain = "graft";
  return m;
}

struct Stats {
  double max_abs = 0;
  int64_t compared = 0;
};

#ifdef GRAFT_WITH_CUDA
void* to_device(const cpu::HostTensor& t) {
  void* p = nullptr;
  EXPECT_EQ(cudaMalloc(&p, std::max<size_t>(t.nbytes(), 4)), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(p, t.raw(), t.nbytes(), cudaMemcpyHostToDevice), cudaSuccess);
  return p;
}

// Runs the node's plugin on CUDA with output dims from the CPU run; returns the output.
cpu::HostTensor run_cuda(const Model& m, const Inputs& inputs, const cpu::HostTensor& cpu_out) {
  const Node& node = *m.graph->nodes()[0];
  const Registered* r = Registry::global().resolve(node, 1);
  std::unique_ptr<Plugin> plugin = instantiate(*r, node);
  EXPECT_TRUE(plugin->has_cuda()) << describe(*r);
  CudaLaunch launch;
  for (const cpu::HostTensor& t : inputs) launch.inputs.push_back({t.dtype(), t.dims(), to_device(t)});
  cpu::HostTensor out(cpu_out.dtype(), cpu_out.dims());
  launch.outputs.push_back({out.dtype(), out.dims(), to_device(out)});
  const size_t ws = plugin->cuda_workspace_size(launch.inputs);
  if (ws) {
    EXPECT_EQ(cudaMalloc(&launch.workspace, ws), cudaSuccess);
  }
  cudaStream_t stream;
  EXPECT_EQ(cudaStreamCreate(&stream), cudaSuccess);
  launch.stream = stream;
  plugin->enqueue_cuda(launch);
  EXPECT_EQ(cudaStreamSynchronize(stream), cudaSuccess);
  EXPECT_EQ(cudaMemcpy(out.mutable_raw(), launch.outputs[0].data, out.nbytes(), cudaMemcpyDeviceToHost), cudaSuccess);
  cudaStreamDestroy(stream);
  for (const DeviceTensor& t : launch.inputs) cudaFree(t.data);
  cudaFree(launch.outputs[0].data);
  cudaFree(launch.workspace);
  return out;
}
#endif

// CPU (the engine, through the plugin) vs CUDA; prints the largest difference.
void expect_cuda_matches_cpu(const std::string& op, const Inputs& inputs, std::vector<Attribute> attrs,
                             engine::Tolerance tol, const std::string& label) {
#ifdef GRAFT_WITH_CUDA
  const Model m = plugin_model(op, inputs, std::move(attrs));
  std::vector<engine::NamedValue> feed;
  for (size_t i = 0; i < inputs.size(); ++i) feed.push_back({"in" + std::to_string(i), cpu::Value::of(inputs[i])});
  const cpu::HostTensor cpu_out = engine::CpuExecutor(m).run(feed)[0].value.tensor;
  const cpu::HostTensor gpu_out = run_cuda(m, inputs, cpu_out);
  const engine::Comparison c = engine::compare(cpu::Value::of(cpu_out), cpu::Value::of(gpu_out), tol);
  double max_abs = 0;
  for (int64_t i = 0; i < cpu_out.numel(); ++i) {
    max_abs = std::max<double>(max_abs, std::abs(cpu_out.data<float>()[i] - gpu_out.data<float>()[i]));
  }
  std::printf("%-16s %-44s %9lld values  max |cpu - cuda| %.3g\n", op.c_str(), label.c_str(),
              static_cast<long long>(cpu_out.numel()), max_abs);
  EXPECT_TRUE(c.ok) << op << " " << label << ": " << c.detail;
#else
  (void)op, (void)inputs, (void)attrs, (void)tol, (void)label;
#endif
}

#define SKIP_WITHOUT_GPU()                                       \
  do {                                                            \
    const cuda::DeviceInfo dev = cuda::query_devices();           \
    if (dev.count == 0) GTEST_SKIP() << dev.why_none;             \
  } while (0)

TEST(CudaPlugins, DeformConv2dMatchesCpu) {
  SKIP_WITHOUT_GPU();
  // EDVR's alignment DCN: 64 channels, 8 offset groups, 3x3, pad 1, with mask; 72x72 makes
  // the CPU build its columns in two blocks of output pixels.
  struct Case { int64_t n, c, h, w, m, group, offset_group, stride; };
  for (const Case& k : {Case{2, 4, 9, 9, 6, 2, 2, 2}, Case{1, 64, 32, 32, 64, 1, 8, 1}, Case{1, 64, 72, 72, 64, 1, 8, 1}}) {
    const int64_t ho = (k.h + 2 - 3) / k.stride + 1, wo = (k.w + 2 - 3) / k.stride + 1;
    const uint32_t s = static_cast<uint32_t>(k.c);
    Inputs in{random_floats({k.n, k.c, k.h, k.w}, s), random_floats({k.m, k.c / k.group, 3, 3}, s + 1),
              random_floats({k.n, 2 * k.offset_group * 9, ho, wo}, s + 2, -3, 3), random_floats({k.m}, s + 3),
              random_floats({k.n, k.offset_group * 9, ho, wo}, s + 4, 0, 1)};
    const std::string label = "C" + std::to_string(k.c) + " " + std::to_string(k.h) + "x" + std::to_string(k.w) + " og" + std::to_string(k.offset_group) + " s" + std::to_string(k.stride);
    expect_cuda_matches_cpu("DeformConv2d", in,
                            {Attribute::of_ints("pads", {1, 1, 1, 1}), Attribute::of_ints("strides", {k.stride, k.stride}),
                             Attribute::of_int("group", k.group), Attribute::of_int("offset_group", k.offset_group)},
                            {1e-4, 1e-4}, label);
  }
}

TEST(CudaPlugins, ScatterElementsWithReductionsMatchesCpu) {
  SKIP_WITHOUT_GPU();
  for (const char* r : {"add", "mul", "max", "min"}) {
    Inputs in{random_floats({16, 33, 5}, 1), random_indices({40, 33, 5}, 16, 2), random_floats({40, 33, 5}, 3)};
    expect_cuda_matches_cpu("ScatterElements", in, {Attribute::of_int("axis", 0), Attribute::of_string("reduction", r)},
                            {1e-5, 1e-5}, std::string("axis 0, reduction ") + r);
  }
  // reduction none: each target written once (a permutation along axis 1).
  cpu::HostTensor perm(DataType::kInt64, {4, 7});
  for (int64_t i = 0; i < 4; ++i) {
    for (int64_t j = 0; j < 7; ++j) perm.mutable_data<int64_t>()[i * 7 + j] = (j * 3 + i) % 7 - (j % 2 ? 7 : 0);
  }
  expect_cuda_matches_cpu("ScatterElements", {random_floats({4, 7}, 4), perm, random_floats({4, 7}, 5)},
                          {Attribute::of_int("axis", -1)}, {0, 0}, "axis -1, reduction none");
}

TEST(CudaPlugins, GridSampleMatchesCpu) {
  SKIP_WITHOUT_GPU();
  for (const char* mode : {"linear", "nearest", "cubic"}) {
    for (const char* pad : {"zeros", "border", "reflection"}) {
      for (int align : {0, 1}) {
        Inputs in{random_floats({2, 3, 11, 13}, 6), random_floats({2, 9, 10, 2}, 7, -1.3f, 1.3f)};
        expect_cuda_matches_cpu("GridSample", in,
                                {Attribute::of_string("mode", mode), Attribute::of_string("padding_mode", pad),
                                 Attribute::of_int("align_corners", align)},
                                {1e-5, 1e-5}, std::string(mode) + " " + pad + " align " + std::to_string(align));
      }
    }
  }
}

TEST(CudaPlugins, RoiAlignMatchesCpu) {
  SKIP_WITHOUT_GPU();
  cpu::HostTensor rois = random_floats({20, 4}, 8, 0, 30);
  for (int64_t i = 0; i < 20; ++i) {  // x2 >= x1, y2 >= y1
    float* b = rois.mutable_data<float>() + i * 4;
    b[2] = b[0] + std::abs(b[2] - b[0]) / 2;
    b[3] = b[1] + std::abs(b[3] - b[1]) / 2;
  }
  cpu::HostTensor batch(DataType::kInt64, {20});
  for (int64_t i = 0; i < 20; ++i) batch.mutable_data<int64_t>()[i] = i % 2;
  for (const char* mode : {"avg", "max"}) {
    for (const char* ctm : {"half_pixel", "output_half_pixel"}) {
      for (int64_t ratio : {0, 2}) {
        expect_cuda_matches_cpu("RoiAlign", {random_floats({2, 8, 16, 16}, 9), rois, batch},
                                {Attribute::of_string("mode", mode), Attribute::of_string("coordinate_transformation_mode", ctm),
                                 Attribute::of_int("output_height", 5), Attribute::of_int("output_width", 4),
                                 Attribute::of_int("sampling_ratio", ratio), Attribute::of_float("spatial_scale", 0.5f)},
                                {1e-5, 1e-5}, std::string(mode) + " " + ctm + " ratio " + std::to_string(ratio));
      }
    }
  }
}

}  // namespace
}  // namespace graft::plugins
