// Shapes of the normalizations: Y always has X's type. BatchNormalization's training
// outputs have the running statistics' types; LayerNormalization's Mean and InvStdDev keep
// the dims before `axis` and are 1 after it, in the stash type. Per-channel parameters must
// match X's channel dim.
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// X [N, C, ...]; an Error for a lower rank.
void check_channels_input(const ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank() && x.rank() < 2) ctx.fail("X " + x.str() + " must be [N, C, ...]");
}

// Input i must be [C] for X [N, C, ...].
void check_channel_param(const ShapeContext& ctx, size_t i, const char* name) {
  const Shape& x = ctx.input_shape(0);
  const Shape& p = ctx.input_shape(i);
  if (!ctx.has_input(i) || !p.has_rank() || !x.has_rank()) return;
  const std::string why = std::string(name) + " " + p.str() + " must hold one value per channel of X " + x.str();
  if (p.rank() != 1) ctx.fail(why);
  merge_dim_or_fail(ctx, p[0], x[1], why);
}

void same_type(ShapeContext& ctx) { ctx.set_output_type(0, ctx.input_type(0)); }

void channel_normalization(ShapeContext& ctx) {
  check_channels_input(ctx);
  check_channel_param(ctx, 1, "scale");
  check_channel_param(ctx, 2, "B");
  same_type(ctx);
}

// Opset 14 on: outputs running_mean and running_var; before: mean, var, saved_mean,
// saved_var. Each has the type of input_mean (3) or input_var (4).
void batch_normalization(ShapeContext& ctx) {
  check_channels_input(ctx);
  const bool spatial = ctx.opset() >= 9 || ctx.attrs().get_int("spatial", 1) != 0;
  if (spatial) {
    const char* names[] = {"scale", "B", "input_mean", "input_var"};
    for (size_t i = 1; i <= 4; ++i) check_channel_param(ctx, i, names[i - 1]);
  }
  same_type(ctx);
  const Shape& x = ctx.input_shape(0);
  for (size_t i = 1; i < ctx.num_outputs(); ++i) {
    const size_t like = i % 2 == 1 ? 3 : 4;
    Shape s = ctx.input_shape(like);
    if (!s.has_rank() && spatial && x.has_rank()) s = Shape({x[1]});
    ctx.set_output(i, ctx.input_dtype(like), std::move(s));
  }
}

// Opset 18's scale and bias hold one value per group, opset 21's one per channel.
void group_normalization(ShapeContext& ctx) {
  check_channels_input(ctx);
  const int64_t groups = ctx.attrs().required_int("num_groups");
  const Shape& x = ctx.input_shape(0);
  if (groups <= 0 || (x.has_rank() && x[1].is_fixed() && x[1].value % groups != 0)) {
    ctx.fail("num_groups " + std::to_string(groups) + " must divide the channels of X " + x.str());
  }
  same_type(ctx);
}

void lrn(ShapeContext& ctx) {
  check_channels_input(ctx);
  if (ctx.attrs().required_int("size") <= 0) ctx.fail("size must be positive");
  same_type(ctx);
}

void mean_variance_normalization(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (x.has_rank()) {
    for (int64_t a : ctx.attrs().get_ints("axes", {0, 2, 3})) normalize_axis(a, static_cast<int64_t>(x.rank()));
  }
  same_type(ctx);
}

void layer_normalization(ShapeContext& ctx) {
  same_type(ctx);
  const Shape& x = ctx.input_shape(0);
  const DataType stash = static_cast<DataType>(ctx.attrs().get_int("stash_type", 1));
  Shape stats;
  if (x.has_rank()) {
    const int64_t rank = static_cast<int64_t>(x.rank());
    const int64_t axis = normalize_axis(ctx.attrs().get_int("axis", -1), rank);
    std::vector<Dim> dims(x.dims().begin(), x.dims().begin() + axis);
    dims.resize(rank, Dim::fixed(1));
    stats = Shape(std::move(dims));
  }
  for (size_t i = 1; i < ctx.num_outputs() && i < 3; ++i) ctx.set_output(i, stash, stats);
}

}  // namespace

GRAFT_SHAPE_FN("", BatchNormalization, 1, batch_normalization);
GRAFT_SHAPE_FN("", InstanceNormalization, 1, channel_normalization);
GRAFT_SHAPE_FN("", GroupNormalization, 18, group_normalization);
GRAFT_SHAPE_FN("", LRN, 1, lrn);
GRAFT_SHAPE_FN("", MeanVarianceNormalization, 9, mean_variance_normalization);
GRAFT_SHAPE_FN("", LayerNormalization, 17, layer_normalization);

}  // namespace graft::ops
