// Shapes of RoiAlign ([num_rois, C, output_height, output_width]) and NonMaxSuppression
// (int64 [selected, 3]; how many boxes are selected depends on the data, unless none can be).
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// Input i's shape with `rank` dims, unknown dims when its rank is unknown.
Shape with_rank(const ShapeContext& ctx, size_t i, size_t rank, const std::string& expected) {
  const Shape& s = ctx.input_shape(i);
  if (!s.has_rank()) return unknown_dims(rank);
  if (s.rank() != rank) ctx.fail("input " + std::to_string(i) + " " + s.str() + " must be " + expected);
  return s;
}

void roi_align(ShapeContext& ctx) {
  const Shape x = with_rank(ctx, 0, 4, "[N, C, H, W]");
  const Shape rois = with_rank(ctx, 1, 2, "[num_rois, 4]");
  const Shape batch = with_rank(ctx, 2, 1, "[num_rois]");
  merge_dim_or_fail(ctx, rois[1], Dim::fixed(4), "rois " + rois.str() + " must be [num_rois, 4]");
  const Dim n = merge_dim_or_fail(ctx, rois[0], batch[0], "batch_indices " + batch.str() + " does not match rois " + rois.str());
  const int64_t h = ctx.attrs().get_int("output_height", 1), w = ctx.attrs().get_int("output_width", 1);
  if (h <= 0 || w <= 0) ctx.fail("output_height and output_width must be positive");
  ctx.set_output(0, ctx.input_dtype(0), Shape({n, x[1], Dim::fixed(h), Dim::fixed(w)}));
}

void non_max_suppression(ShapeContext& ctx) {
  const Shape boxes = with_rank(ctx, 0, 3, "[batches, boxes, 4]");
  const Shape scores = with_rank(ctx, 1, 3, "[batches, classes, boxes]");
  const std::string both = "scores " + scores.str() + " does not match boxes " + boxes.str();
  merge_dim_or_fail(ctx, boxes[2], Dim::fixed(4), "boxes " + boxes.str() + " must be [batches, boxes, 4]");
  merge_dim_or_fail(ctx, boxes[0], scores[0], both);
  merge_dim_or_fail(ctx, boxes[1], scores[2], both);
  // max_output_boxes_per_class: absent, empty or not positive selects nothing.
  const auto max_out = ctx.has_input(2) ? ctx.input_int64s(2) : std::vector<int64_t>{};
  const bool none = max_out && (max_out->empty() || (*max_out)[0] <= 0);
  ctx.set_output(0, DataType::kInt64, Shape({none ? Dim::fixed(0) : Dim::unknown(), Dim::fixed(3)}));
}

}  // namespace

GRAFT_SHAPE_FN("", RoiAlign, 10, roi_align);
GRAFT_SHAPE_FN("", NonMaxSuppression, 10, non_max_suppression);

}  // namespace graft::ops
