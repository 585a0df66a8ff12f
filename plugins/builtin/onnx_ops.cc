// Built-in plugins that carry ONNX ops graft implements: their semantics are those of
// the named opset, their CPU implementation graft's kernel, their CUDA one registered by
// cuda_ops.cu where a binary links it.
#include "plugins/builtin/onnx_op_plugin.h"
#include "plugins/registry.h"

namespace graft::plugins {
namespace {

const std::vector<DataType> kFloats{DataType::kFloat, DataType::kDouble, DataType::kFloat16};

OnnxOpSpec scatter_elements() {
  return {"ScatterElements", 18, 1, {int_field("axis", 0), string_field("reduction", "none")},
          {DataType::kFloat, DataType::kDouble, DataType::kFloat16, DataType::kInt32, DataType::kInt64},
          "ONNX ScatterElements with reduction none/add/mul/max/min (opset 18 semantics)"};
}

OnnxOpSpec grid_sample() {
  return {"GridSample", 20, 1,
          {int_field("align_corners", 0), string_field("mode", "linear"), string_field("padding_mode", "zeros")},
          kFloats, "ONNX GridSample, 2-D and N-D, linear/nearest/cubic (opset 20 semantics)"};
}

OnnxOpSpec roi_align() {
  return {"RoiAlign", 16, 1,
          {string_field("coordinate_transformation_mode", "half_pixel"), string_field("mode", "avg"),
           int_field("output_height", 1), int_field("output_width", 1), int_field("sampling_ratio", 0),
           float_field("spatial_scale", 1.f)},
          kFloats, "ONNX RoiAlign, avg/max (opset 16 semantics)"};
}

OnnxOpSpec non_max_suppression() {
  return {"NonMaxSuppression", 11, 1, {int_field("center_point_box", 0)}, {DataType::kFloat},
          "ONNX NonMaxSuppression, batched, per class (opset 11 semantics)"};
}

GRAFT_BUILTIN_PLUGIN(OnnxOpCreator(scatter_elements()));
GRAFT_BUILTIN_PLUGIN(OnnxOpCreator(grid_sample()));
GRAFT_BUILTIN_PLUGIN(OnnxOpCreator(roi_align()));
GRAFT_BUILTIN_PLUGIN(OnnxOpCreator(non_max_suppression()));

}  // namespace
}  // namespace graft::plugins
