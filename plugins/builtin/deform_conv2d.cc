#include "plugins/builtin/deform_conv2d.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "plugins/builtin/cuda_impls.h"
#include "plugins/builtin/onnx_op_plugin.h"
#include "plugins/registry.h"
#include "surgeon/error.h"

namespace graft::plugins {
namespace {

enum Input { kX, kW, kOffset, kBias, kMask };

float bilinear(const float* img, int64_t h, int64_t w, float y, float x) {
  if (y <= -1 || y >= h || x <= -1 || x >= w) return 0;
  const int64_t y0 = static_cast<int64_t>(std::floor(y)), x0 = static_cast<int64_t>(std::floor(x));
  const float ly = y - y0, lx = x - x0;
  auto at = [&](int64_t yy, int64_t xx) { return yy >= 0 && yy < h && xx >= 0 && xx < w ? img[yy * w + xx] : 0.f; };
  return (1 - ly) * (1 - lx) * at(y0, x0) + (1 - ly) * lx * at(y0, x0 + 1) + ly * (1 - lx) * at(y0 + 1, x0) +
         ly * lx * at(y0 + 1, x0 + 1);
}

// Columns of one image for output pixels [p0, p0 + len): col[(c*kh + i)*kw + j][q] is
// input channel c sampled for kernel tap (i, j) at output pixel p0 + q.
void sample_columns(const DeformConvGeometry& g, const float* x, const float* offset, const float* mask, int64_t p0,
                    int64_t len, float* col) {
  const int64_t taps = g.kh * g.kw, pixels = g.ho * g.wo, channels_per_offset_group = g.c / g.offset_group;
  for (int64_t c = 0; c < g.c; ++c) {
    const int64_t og = c / channels_per_offset_group;
    for (int64_t k = 0; k < taps; ++k) {
      const float* dy = offset + (og * taps + k) * 2 * pixels;
      const float* dx = dy + pixels;
      const float* mk = mask ? mask + (og * taps + k) * pixels : nullptr;
      float* out = col + (c * taps + k) * len;
      for (int64_t q = 0; q < len; ++q) {
        const int64_t p = p0 + q, oy = p / g.wo, ox = p % g.wo;
        const float y = oy * g.stride_h - g.pad_h + (k / g.kw) * g.dil_h + dy[p];
        const float xx = ox * g.stride_w - g.pad_w + (k % g.kw) * g.dil_w + dx[p];
        out[q] = bilinear(x + c * g.h * g.w, g.h, g.w, y, xx) * (mk ? mk[p] : 1.f);
      }
    }
  }
}

int64_t out_size(int64_t in, int64_t pad_sum, int64_t dil, int64_t k, int64_t stride) {
  return (in + pad_sum - (dil * (k - 1) + 1)) / stride + 1;
}

class DeformConv2d : public Plugin {
 public:
  explicit DeformConv2d(const Fields& f) : fields_(f) { check_fields(f); }

  size_t num_outputs() const override { return 1; }

  void infer(ops::ShapeContext& ctx) const override {
    const Shape& x = ctx.input_shape(kX);
    const Shape& w = ctx.input_shape(kW);
    const Shape& off = ctx.input_shape(kOffset);
    for (const Shape* s : {&x, &w, &off}) {
      if (s->has_rank() && s->rank() != 4) throw Error("X, W and offset must be rank 4, got " + s->str());
    }
    auto dim = [](const Shape& s, size_t i) { return s.has_rank() ? s[i] : Dim::unknown(); };
    ctx.set_output(0, ctx.input_dtype(kX), Shape({dim(x, 0), dim(w, 0), dim(off, 2), dim(off, 3)}));
  }

  bool supports(size_t, DataType dtype, Layout layout) const override {
    return dtype == DataType::kFloat && layout == Layout::kLinear;
  }

  void run_cpu(cpu::KernelContext& ctx) const override {
    auto dims = [&](size_t i) { return ctx.has_input(i) ? &ctx.input(i).dims() : nullptr; };
    auto data = [&](size_t i) { return ctx.has_input(i) ? ctx.input(i).data<float>() : nullptr; };
    const DeformConvGeometry g = deform_conv_geometry(fields_, ctx.input(kX).dims(), ctx.input(kW).dims(),
                                                      ctx.input(kOffset).dims(), dims(kBias), dims(kMask));
    cpu::HostTensor& y = ctx.allocate_output_uninitialized(0, DataType::kFloat, {g.n, g.m, g.ho, g.wo});
    deform_conv2d_cpu(g, data(kX), data(kW), data(kOffset), data(kBias), data(kMask), y.mutable_data<float>());
  }

  bool has_cuda() const override { return has_cuda_impl("DeformConv2d"); }
  size_t cuda_workspace_size(const std::vector<DeviceTensor>& inputs) const override {
    return cuda_impl_workspace("DeformConv2d", fields_, inputs);
  }
  void enqueue_cuda(const CudaLaunch& launch) const override { enqueue_cuda_impl("DeformConv2d", fields_, launch); }

 private:
  static void check_fields(const Fields& f) {
    if (f.get_ints("strides").size() != 2 || f.get_ints("pads").size() != 4 || f.get_ints("dilations").size() != 2) {
      throw Error("strides and dilations take 2 values, pads 4 (top, left, bottom, right)");
    }
    if (f.get_int("group") < 1 || f.get_int("offset_group") < 1) throw Error("group and offset_group must be >= 1");
  }

  Fields fields_;
};

class DeformConv2dCreator : public PluginCreator {
 public:
  PluginId id() const override { return {"graft", "DeformConv2d", 1}; }
  std::string description() const override {
    return "deformable convolution (torchvision deform_conv2d, DCNv1/v2 with mask); float32";
  }
  std::vector<FieldSpec> field_specs() const override {
    return {ints_field("strides", {1, 1}), ints_field("pads", {0, 0, 0, 0}), ints_field("dilations", {1, 1}),
            int_field("group", 1), int_field("offset_group", 1)};
  }
  std::unique_ptr<Plugin> create(const Fields& f) const override { return std::make_unique<DeformConv2d>(f); }
};

GRAFT_BUILTIN_PLUGIN(DeformConv2dCreator);

}  // namespace

DeformConvGeometry deform_conv_geometry(const Fields& f, const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                                        const std::vector<int64_t>& off, const std::vector<int64_t>* bias,
                                        const std::vector<int64_t>* mask) {
  using Dims = std::vector<int64_t>;
  if (x.size() != 4 || w.size() != 4 || off.size() != 4) throw Error("X, W and offset must be rank 4");
  const Dims strides = f.get_ints("strides"), pads = f.get_ints("pads"), dilations = f.get_ints("dilations");
  DeformConvGeometry g{x[0], x[1], x[2], x[3], w[0], w[2], w[3], 0, 0, strides[0], strides[1], pads[0], pads[1],
                       dilations[0], dilations[1], f.get_int("group"), f.get_int("offset_group")};
  g.ho = out_size(g.h, pads[0] + pads[2], g.dil_h, g.kh, g.stride_h);
  g.wo = out_size(g.w, pads[1] + pads[3], g.dil_w, g.kw, g.stride_w);
  if (g.ho < 1 || g.wo < 1) throw Error("X " + cpu::dims_str(x) + " is smaller than the kernel " + cpu::dims_str(w));
  if (g.c % g.group || g.m % g.group || w[1] * g.group != g.c) {
    throw Error("W " + cpu::dims_str(w) + " does not fit X " + cpu::dims_str(x) + " with group " + std::to_string(g.group));
  }
  if (g.c % g.offset_group) {
    throw Error("offset_group " + std::to_string(g.offset_group) + " does not divide C " + std::to_string(g.c));
  }
  const Dims want_offset{g.n, 2 * g.offset_group * g.kh * g.kw, g.ho, g.wo};
  const Dims want_mask{g.n, g.offset_group * g.kh * g.kw, g.ho, g.wo};
  if (off != want_offset) throw Error("offset is " + cpu::dims_str(off) + ", expected " + cpu::dims_str(want_offset));
  if (mask && *mask != want_mask) throw Error("mask is " + cpu::dims_str(*mask) + ", expected " + cpu::dims_str(want_mask));
  if (bias && *bias != Dims{g.m}) throw Error("B is " + cpu::dims_str(*bias) + ", expected " + cpu::dims_str({g.m}));
  return g;
}

void deform_conv2d_cpu(const DeformConvGeometry& g, const float* x, const float* weight, const float* offset,
                       const float* bias, const float* mask, float* y) {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int64_t taps = g.kh * g.kw, pixels = g.ho * g.wo;
  const int64_t cg = g.c / g.group, mg = g.m / g.group;
  // Columns for a block of output pixels at a time: an EDVR-sized frame (64 channels, 3x3,
  // 180x320) would otherwise need 132 MB of them.
  const int64_t block = std::min<int64_t>(pixels, 4096);
  std::vector<float> col(static_cast<size_t>(g.c * taps * block));
  for (int64_t n = 0; n < g.n; ++n) {
    const float* xn = x + n * g.c * g.h * g.w;
    const float* offn = offset + n * 2 * g.offset_group * taps * pixels;
    const float* maskn = mask ? mask + n * g.offset_group * taps * pixels : nullptr;
    for (int64_t p0 = 0; p0 < pixels; p0 += block) {
      const int64_t len = std::min(block, pixels - p0);
      sample_columns(g, xn, offn, maskn, p0, len, col.data());
      for (int64_t grp = 0; grp < g.group; ++grp) {
        Eigen::Map<const Matrix> w(weight + grp * mg * cg * taps, mg, cg * taps);
        Eigen::Map<const Matrix> cols(col.data() + grp * cg * taps * len, cg * taps, len);
        Eigen::Map<Matrix, 0, Eigen::OuterStride<>> out(y + (n * g.m + grp * mg) * pixels + p0, mg, len,
                                                       Eigen::OuterStride<>(pixels));
        out.noalias() = w * cols;
        if (bias) out.colwise() += Eigen::Map<const Eigen::VectorXf>(bias + grp * mg, mg);
      }
    }
  }
}

}  // namespace graft::plugins
