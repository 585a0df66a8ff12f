// Shapes of the convolutions: Conv, ConvInteger and QLinearConv give [N, M, spatial...]
// from the sliding window; ConvTranspose gives output_shape, or the transposed window's
// size. X is [N, C, spatial...]; W is [M, C/group, kernel...] ([C, M/group, kernel...]
// transposed).
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

struct ConvGeometry {
  Dim n, m;                     // batch and output channels
  std::vector<Dim> in, kernel;  // spatial dims of X and of the kernel
};

// The geometry from X (input xi), W (input wi) and bias (input bi, if any), checked against
// each other; std::nullopt when neither rank is known.
std::optional<ConvGeometry> conv_geometry(const ShapeContext& ctx, size_t xi, size_t wi, size_t bi, bool transposed) {
  const Shape& x = ctx.input_shape(xi);
  const Shape& w = ctx.input_shape(wi);
  const std::vector<int64_t> kernel_attr = ctx.attrs().get_ints("kernel_shape");
  const size_t rank = x.has_rank() ? x.rank() : w.has_rank() ? w.rank() : kernel_attr.empty() ? 0 : kernel_attr.size() + 2;
  if (rank == 0) return std::nullopt;
  const Shape xs = x.has_rank() ? x : unknown_dims(rank);
  const Shape ws = w.has_rank() ? w : unknown_dims(rank);
  if (rank < 3 || ws.rank() != rank) ctx.fail("X " + xs.str() + " and W " + ws.str() + " must be [N, C, spatial...] of one rank");
  const std::string both = "W " + ws.str() + " does not match X " + xs.str();
  const int64_t group = ctx.attrs().get_int("group", 1);
  if (group <= 0) ctx.fail("group " + std::to_string(group) + " must be positive");
  const Dim g = Dim::fixed(group);
  if (xs[1].is_fixed() && xs[1].value % group != 0) {
    ctx.fail("group " + std::to_string(group) + " does not divide the channels of X " + xs.str());
  }
  merge_dim_or_fail(ctx, xs[1], transposed ? ws[0] : dim_mul(ws[1], g), both + " with group " + std::to_string(group));
  ConvGeometry geo{xs[0], transposed ? dim_mul(ws[1], g) : ws[0], {}, {}};
  if (geo.m.is_fixed() && geo.m.value % group != 0) ctx.fail(both + ": group " + std::to_string(group) + " does not divide the output channels");
  geo.in.assign(xs.dims().begin() + 2, xs.dims().end());
  geo.kernel.assign(ws.dims().begin() + 2, ws.dims().end());
  if (!kernel_attr.empty()) {
    if (kernel_attr.size() != rank - 2) ctx.fail("kernel_shape " + Shape::of(kernel_attr).str() + " does not match W " + ws.str());
    for (size_t i = 0; i < kernel_attr.size(); ++i) {
      geo.kernel[i] = merge_dim_or_fail(ctx, geo.kernel[i], Dim::fixed(kernel_attr[i]),
                                        "kernel_shape " + Shape::of(kernel_attr).str() + " does not match W " + ws.str());
    }
  }
  const Shape& b = ctx.input_shape(bi);
  if (ctx.has_input(bi) && b.has_rank()) {
    if (b.rank() != 1) ctx.fail("B " + b.str() + " must be 1-D, one value per output channel of W " + ws.str());
    geo.m = merge_dim_or_fail(ctx, geo.m, b[0], "B " + b.str() + " does not match the output channels of W " + ws.str());
  }
  return geo;
}

void set_conv_output(ShapeContext& ctx, DataType dtype, const std::optional<ConvGeometry>& geo, std::vector<Dim> spatial) {
  if (!geo) return ctx.set_output(0, dtype, Shape());
  std::vector<Dim> dims{geo->n, geo->m};
  dims.insert(dims.end(), spatial.begin(), spatial.end());
  ctx.set_output(0, dtype, Shape(std::move(dims)));
}

// X, W and B at inputs xi, wi, bi; the output has type `dtype`.
void forward_conv(ShapeContext& ctx, size_t xi, size_t wi, size_t bi, DataType dtype) {
  const auto geo = conv_geometry(ctx, xi, wi, bi, false);
  set_conv_output(ctx, dtype, geo, geo ? window_output_dims(ctx, geo->in, geo->kernel, false) : std::vector<Dim>{});
}

void conv(ShapeContext& ctx) { forward_conv(ctx, 0, 1, 2, ctx.input_dtype(0)); }
void conv_integer(ShapeContext& ctx) { forward_conv(ctx, 0, 1, ctx.num_inputs(), DataType::kInt32); }
void qlinear_conv(ShapeContext& ctx) { forward_conv(ctx, 0, 3, 8, ctx.input_dtype(7)); }

// ConvTranspose's spatial output: output_shape (its last dims, when it also names N and C);
// in * stride for SAME auto_pad; else stride * (in - 1) + output_padding + dilated kernel - pads.
std::vector<Dim> transposed_dims(const ShapeContext& ctx, const ConvGeometry& geo) {
  const size_t nd = geo.in.size();
  const std::vector<int64_t> strides = spatial_ints(ctx, "strides", nd, 1);
  const std::vector<int64_t> dilations = spatial_ints(ctx, "dilations", nd, 1);
  const std::vector<int64_t> out_pad = ctx.attrs().get_ints("output_padding", std::vector<int64_t>(nd, 0));
  std::vector<int64_t> out_shape = ctx.attrs().get_ints("output_shape");
  if (out_pad.size() < nd) ctx.fail("output_padding needs one value per spatial dim of X " + Shape(geo.in).str());
  if (out_shape.size() > nd) out_shape.erase(out_shape.begin(), out_shape.end() - nd);
  if (!out_shape.empty() && out_shape.size() != nd) ctx.fail("output_shape needs one value per spatial dim of X " + Shape(geo.in).str());
  const std::string auto_pad = ctx.attrs().get_string("auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  const std::vector<int64_t> pads =
      same || auto_pad == "VALID" ? std::vector<int64_t>(2 * nd, 0) : spatial_ints(ctx, "pads", 2 * nd, 0);
  std::vector<Dim> out;
  for (size_t i = 0; i < nd; ++i) {
    const Dim s = Dim::fixed(strides[i]);
    Dim o;
    if (!out_shape.empty()) {
      o = Dim::fixed(out_shape[i]);
    } else if (same) {
      o = dim_mul(geo.in[i], s);
    } else if (geo.kernel[i].is_fixed()) {
      const int64_t span = dilations[i] * (geo.kernel[i].value - 1) + 1;
      o = dim_add(dim_mul(s, dim_sub(geo.in[i], Dim::fixed(1))), Dim::fixed(out_pad[i] + span - pads[i] - pads[nd + i]));
    }
    if (o.is_fixed() && o.value < 0) {
      ctx.fail("ConvTranspose output size would be " + std::to_string(o.value) + " for X spatial dims " + Shape(geo.in).str());
    }
    out.push_back(o);
  }
  return out;
}

void conv_transpose(ShapeContext& ctx) {
  const auto geo = conv_geometry(ctx, 0, 1, 2, true);
  set_conv_output(ctx, ctx.input_dtype(0), geo, geo ? transposed_dims(ctx, *geo) : std::vector<Dim>{});
}

}  // namespace

GRAFT_SHAPE_FN("", Conv, 1, conv);
GRAFT_SHAPE_FN("", ConvInteger, 10, conv_integer);
GRAFT_SHAPE_FN("", QLinearConv, 10, qlinear_conv);
GRAFT_SHAPE_FN("", ConvTranspose, 1, conv_transpose);

}  // namespace graft::ops
