// Registers the built-in plugins' CUDA implementations (float32): each turns the plugin's
// fields and the launch's device tensors into its kernel's geometry (cuda_kernels.h).
#include "plugins/builtin/cuda_impls.h"
#include "plugins/builtin/cuda_kernels.h"
#include "plugins/builtin/deform_conv2d.h"
#include "surgeon/error.h"

namespace graft::plugins {
namespace {

void check(const char* plugin, const char* error) {
  if (error) throw Error(std::string("graft::") + plugin + " on CUDA: " + error);
}

void require(const char* plugin, const DeviceTensor& t, DataType dtype, const char* what) {
  if (t.dtype != dtype) {
    throw Error(std::string("graft::") + plugin + " on CUDA takes " + dtype_name(dtype) + " " + what + ", got " +
                dtype_name(t.dtype));
  }
}

template <typename T = float>
const T* in(const CudaLaunch& l, size_t i) {
  return i < l.inputs.size() ? static_cast<const T*>(l.inputs[i].data) : nullptr;
}
float* out(const CudaLaunch& l) { return static_cast<float*>(l.outputs.at(0).data); }

// ---- DeformConv2d: X, W, offset, B?, mask? ----

DeformConvGeometry deform_geometry(const Fields& f, const std::vector<DeviceTensor>& ins) {
  auto dims = [&](size_t i) { return i < ins.size() && ins[i].data ? &ins[i].dims : nullptr; };
  return deform_conv_geometry(f, ins.at(0).dims, ins.at(1).dims, ins.at(2).dims, dims(3), dims(4));
}

size_t deform_workspace(const Fields& f, const std::vector<DeviceTensor>& ins) {
  return cuda::deform_conv2d_workspace(deform_geometry(f, ins));
}

void deform_enqueue(const Fields& f, const CudaLaunch& l) {
  for (const DeviceTensor& t : l.inputs) {
    if (t.data) require("DeformConv2d", t, DataType::kFloat, "inputs");
  }
  check("DeformConv2d", cuda::deform_conv2d(deform_geometry(f, l.inputs), in(l, 0), in(l, 1), in(l, 2), in(l, 3),
                                            in(l, 4), out(l), l.workspace, l.stream));
}

// ---- ScatterElements: data, indices, updates ----

cuda::Reduction reduction_of(const std::string& r) {
  if (r == "none") return cuda::Reduction::kNone;
  if (r == "add") return cuda::Reduction::kAdd;
  if (r == "mul") return cuda::Reduction::kMul;
  if (r == "max") return cuda::Reduction::kMax;
  if (r == "min") return cuda::Reduction::kMin;
  throw Error("graft::ScatterElements: unknown reduction '" + r + "'");
}

void scatter_enqueue(const Fields& f, const CudaLaunch& l) {
  require("ScatterElements", l.inputs.at(0), DataType::kFloat, "data");
  require("ScatterElements", l.inputs.at(1), DataType::kInt64, "indices");
  const std::vector<int64_t>& data = l.inputs[0].dims;
  const std::vector<int64_t>& upd = l.inputs[1].dims;
  cuda::ScatterGeometry g;
  g.rank = static_cast<int>(data.size());
  if (g.rank < 1 || g.rank > cuda::kMaxRank || upd.size() != data.size() || l.inputs.at(2).dims != upd) {
    throw Error("graft::ScatterElements on CUDA: data, indices and updates must share a rank of 1 to 8");
  }
  const int64_t axis = f.get_int("axis");
  g.axis = static_cast<int>(axis < 0 ? axis + g.rank : axis);
  for (int d = 0; d < g.rank; ++d) g.data_dims[d] = data[d], g.update_dims[d] = upd[d];
  check("ScatterElements", cuda::scatter_elements(g, in(l, 0), in<int64_t>(l, 1), in(l, 2), out(l),
                                                  reduction_of(f.get_string("reduction")), l.stream));
}

// ---- GridSample: X [N, C, H, W], grid [N, Ho, Wo, 2] ----

void grid_enqueue(const Fields& f, const CudaLaunch& l) {
  require("GridSample", l.inputs.at(0), DataType::kFloat, "X");
  require("GridSample", l.inputs.at(1), DataType::kFloat, "grid");
  const std::vector<int64_t>& x = l.inputs[0].dims;
  const std::vector<int64_t>& grid = l.inputs[1].dims;
  if (x.size() != 4 || grid.size() != 4) throw Error("graft::GridSample on CUDA takes 4-D X and grid");
  const std::string mode = f.get_string("mode"), pad = f.get_string("padding_mode");
  cuda::GridSampleGeometry g{x[0], x[1], x[2], x[3], grid[1], grid[2],
                             mode == "nearest" ? cuda::GridMode::kNearest
                             : mode == "cubic" || mode == "bicubic" ? cuda::GridMode::kCubic
                                                                     : cuda::GridMode::kLinear,
                             pad == "border"       ? cuda::GridPadding::kBorder
                             : pad == "reflection" ? cuda::GridPadding::kReflection
                                                   : cuda::GridPadding::kZeros,
                             f.get_int("align_corners") != 0};
  check("GridSample", cuda::grid_sample(g, in(l, 0), in(l, 1), out(l), l.stream));
}

// ---- RoiAlign: X [N, C, H, W], rois [R, 4], batch_indices [R] ----

void roi_enqueue(const Fields& f, const CudaLaunch& l) {
  require("RoiAlign", l.inputs.at(0), DataType::kFloat, "X");
  require("RoiAlign", l.inputs.at(1), DataType::kFloat, "rois");
  require("RoiAlign", l.inputs.at(2), DataType::kInt64, "batch_indices");
  const std::vector<int64_t>& x = l.inputs[0].dims;
  cuda::RoiAlignGeometry g{l.inputs[1].dims.at(0), x.at(1), x.at(2), x.at(3), f.get_int("output_height"),
                           f.get_int("output_width"), f.get_int("sampling_ratio"), f.get_float("spatial_scale"),
                           f.get_string("mode") == "max", f.get_string("coordinate_transformation_mode") == "half_pixel"};
  check("RoiAlign", cuda::roi_align(g, in(l, 0), in(l, 1), in<int64_t>(l, 2), out(l), l.stream));
}

const bool registered = register_cuda_impl("DeformConv2d", {deform_enqueue, deform_workspace}) &&
                        register_cuda_impl("ScatterElements", {scatter_enqueue, nullptr}) &&
                        register_cuda_impl("GridSample", {grid_enqueue, nullptr}) &&
                        register_cuda_impl("RoiAlign", {roi_enqueue, nullptr});

}  // namespace
}  // namespace graft::plugins
