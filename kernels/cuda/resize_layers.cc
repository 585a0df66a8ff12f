// GPU layers of Resize (opsets 10, 11, 13, 18+) and Upsample (7, 9), with the semantics of
// kernels/cpu/resize.cc: every mode, coordinate transformation, nearest mode, cubic
// coefficient, exclude_outside, antialias, roi, axes and keep_aspect_ratio_policy. Scales,
// sizes and roi must be known on the host (they set where each output reads), and stay in
// their model dtype.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>

#include "kernels/cuda/node_layer.h"
#include "kernels/cuda/resize.h"
#include "kernels/cuda/resize_math.h"

namespace graft::cuda {
namespace {

namespace rm = resize_math;

template <typename E>
std::optional<E> parse(const std::string& value, std::initializer_list<std::pair<const char*, E>> names) {
  for (const auto& [name, e] : names) {
    if (value == name) return e;
  }
  return std::nullopt;
}

// An output position of a resized axis reads input position j with weight 1, for every j.
bool is_identity(const ResizeParams& p, const ResizeAxis& a) {
  if (a.in != a.out) return false;
  for (int64_t j = 0; j < a.out; ++j) {
    if (p.mode == ResizeMode::kNearest) {
      const double x = rm::source_coord(p, a, static_cast<double>(j));
      if (rm::outside(p, a, x) || rm::nearest_index(p, a, x) != j) return false;
      continue;
    }
    const rm::Taps t = rm::taps(p, a, j);
    if (t.extrapolate) return false;
    for (int k = 0; k < t.n; ++k) {
      const double w = rm::weight(p, t, k, a.in);
      if (w != 0 && (w != 1 || rm::tap_index(t, k, a.in) != j)) return false;
    }
  }
  return true;
}

class ResizeLayer : public NodeLayer {
 public:
  ResizeLayer(const LayerSpec& spec, bool upsample) : NodeLayer(spec), upsample_(upsample) {
    const ops::NodeAttrs a = spec.attrs();
    const std::string mode = a.get_string("mode", "nearest");
    const auto m = parse<ResizeMode>(mode, {{"nearest", ResizeMode::kNearest}, {"linear", ResizeMode::kLinear},
                                            {"bilinear", ResizeMode::kLinear}, {"cubic", ResizeMode::kCubic},
                                            {"bicubic", ResizeMode::kCubic}});
    if (!m) fail("attribute 'mode' has unsupported value '" + mode + "'");
    p_.mode = *m;
    if (upsample_ || opset() < 11) {
      p_.coord = ResizeCoord::kAsymmetric;
      p_.nearest = ResizeNearest::kSimple;
      scales_attr_ = a.get_floats("scales");
      return;
    }
    const std::string coord = a.get_string("coordinate_transformation_mode", "half_pixel");
    const auto c = parse<ResizeCoord>(coord, {{"half_pixel", ResizeCoord::kHalfPixel},
                                              {"half_pixel_symmetric", ResizeCoord::kHalfPixelSymmetric},
                                              {"pytorch_half_pixel", ResizeCoord::kPytorchHalfPixel},
                                              {"align_corners", ResizeCoord::kAlignCorners},
                                              {"asymmetric", ResizeCoord::kAsymmetric},
                                              {"tf_half_pixel_for_nn", ResizeCoord::kTfHalfPixelForNn},
                                              {"tf_crop_and_resize", ResizeCoord::kTfCropAndResize}});
    if (!c) fail("attribute 'coordinate_transformation_mode' has unsupported value '" + coord + "'");
    p_.coord = *c;
    const std::string nearest = a.get_string("nearest_mode", "round_prefer_floor");
    const auto n = parse<ResizeNearest>(nearest, {{"round_prefer_floor", ResizeNearest::kRoundPreferFloor},
                                                  {"round_prefer_ceil", ResizeNearest::kRoundPreferCeil},
                                                  {"floor", ResizeNearest::kFloor},
                                                  {"ceil", ResizeNearest::kCeil}});
    if (!n) fail("attribute 'nearest_mode' has unsupported value '" + nearest + "'");
    p_.nearest = *n;
    p_.cubic_a = a.get_float("cubic_coeff_a", -0.75f);
    p_.exclude_outside = a.get_int("exclude_outside", 0) != 0;
    p_.extrapolation = a.get_float("extrapolation_value", 0.0f);
    p_.antialias = opset() >= 18 && a.get_int("antialias", 0) != 0 && p_.mode != ResizeMode::kNearest;
    if (opset() >= 18) {
      axes_attr_ = a.get_ints("axes");
      policy_ = a.get_string("keep_aspect_ratio_policy", "stretch");
      if (policy_ != "stretch" && policy_ != "not_larger" && policy_ != "not_smaller") {
        fail("unsupported keep_aspect_ratio_policy '" + policy_ + "'");
      }
    }
  }

  bool supports_fp16() const override { return true; }
  // roi, scales and sizes are read on the host; they keep their dtype.
  DataType input_storage(size_t i, DataType model_dtype) const override {
    return node_input_of(i) == 0 ? stored(model_dtype) : model_dtype;
  }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& x = input(ctx, 0);
    const Dims& out = output(ctx, 0).dims;
    std::vector<double> scales, roi;
    const Dims planned = plan_dims(ctx, x.dims, scales, roi);
    if (planned != out) fail("resizing " + dims_str(x.dims) + " gives " + dims_str(planned) + ", not " + dims_str(out));
    const size_t rank = x.dims.size();
    axes_.assign(rank, ResizeAxis{});
    order_.clear();
    for (size_t a = 0; a < rank; ++a) {
      if (out[a] > 0 && x.dims[a] == 0) fail("cannot resize an empty axis " + std::to_string(a) + " of " + dims_str(x.dims));
      ResizeAxis& ax = axes_[a];
      ax.in = x.dims[a];
      ax.out = out[a];
      ax.scale = scales[a];
      if (!roi.empty()) ax.roi0 = roi[a], ax.roi1 = roi[rank + a];
      ax.identity = is_identity(p_, ax);
      if (!ax.identity) order_.push_back(static_cast<int>(a));
    }
    // Shrinking axes first keeps the intermediate results small (as on the CPU).
    std::stable_sort(order_.begin(), order_.end(),
                     [&](int a, int b) { return axes_[a].out * axes_[b].in < axes_[b].out * axes_[a].in; });
    if (p_.mode == ResizeMode::kNearest) {
      elem_size_ = element_size(x.dtype);
      extrapolation_bits_ = stored_value(x.dtype, p_.extrapolation);
      workspace_ = 0;
      return;
    }
    type_ = num_type(x.dtype);
    if (type_ == NumType::kBool) fail("cannot interpolate bool tensors");
    workspace_ = resize_filter_workspace(type_, axes_, order_);
  }
  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const EnqueueContext& ctx) override {
    const void* x = input(ctx, 0).data;
    void* y = output(ctx, 0).data;
    if (p_.mode == ResizeMode::kNearest) {
      check(resize_nearest(x, y, axes_, p_, extrapolation_bits_, elem_size_, ctx.stream), "resize nearest");
    } else {
      check(resize_filter(x, type_, y, axes_, order_, p_, ctx.workspace, ctx.stream), "resize filter");
    }
  }
  std::string summary() const override {
    static const char* const kModes[] = {"nearest", "linear", "cubic"};
    return std::string(kModes[static_cast<int>(p_.mode)]) + " resize, " + std::to_string(order_.size()) + " axes";
  }

 private:
  // Output dims, per-axis scales (for coordinates) and roi (2 * rank, or empty), from the
  // inputs and attributes as the CPU kernel reads them.
  Dims plan_dims(const PrepareContext& ctx, const Dims& in, std::vector<double>& scales, std::vector<double>& roi) const {
    const int64_t rank = static_cast<int64_t>(in.size());
    if (upsample_ || opset() < 11) {
      if (upsample_ && opset() < 9) {
        scales.assign(scales_attr_.begin(), scales_attr_.end());
      } else {
        scales = host_value(ctx, 1, "scales").to_doubles();
      }
      return dims_from_scales(in, scales);
    }
    Dims axes = axes_attr_;
    for (int64_t& a : axes) a = axis_in(a, rank);
    if (axes.empty()) {
      axes.resize(rank);
      std::iota(axes.begin(), axes.end(), 0);
    }
    const std::vector<double> scales_in = optional_doubles(ctx, 2, "scales");
    const Dims sizes_in = has_input(3) ? host_value(ctx, 3, "sizes").to_int64s() : Dims{};
    if (scales_in.empty() == sizes_in.empty()) fail("exactly one of scales and sizes must be given (non-empty)");
    if (p_.coord == ResizeCoord::kTfCropAndResize) {
      const std::vector<double> roi_in = optional_doubles(ctx, 1, "roi");
      if (!roi_in.empty()) roi = expand_roi(roi_in, axes, rank);
    }
    scales.assign(rank, 1.0);
    if (!scales_in.empty()) {
      check_count("scales", scales_in.size(), axes.size());
      for (size_t i = 0; i < axes.size(); ++i) scales[axes[i]] = scales_in[i];
      return dims_from_scales(in, scales);
    }
    return apply_sizes(in, axes, sizes_in, scales);
  }

  std::vector<double> optional_doubles(const PrepareContext& ctx, size_t k, const char* name) const {
    return has_input(k) ? host_value(ctx, k, name).to_doubles() : std::vector<double>{};
  }

  void check_count(const char* what, size_t got, size_t want) const {
    if (got != want) fail(std::string(what) + " has " + std::to_string(got) + " values, expected " + std::to_string(want));
  }

  Dims dims_from_scales(const Dims& in, const std::vector<double>& scales) const {
    check_count("scales", scales.size(), in.size());
    Dims out(in.size());
    for (size_t a = 0; a < in.size(); ++a) {
      if (!(scales[a] > 0)) fail("scales[" + std::to_string(a) + "] = " + std::to_string(scales[a]) + " is not positive");
      out[a] = static_cast<int64_t>(std::floor(static_cast<double>(in[a]) * scales[a]));
    }
    return out;
  }

  std::vector<double> expand_roi(const std::vector<double>& roi_in, const Dims& axes, int64_t rank) const {
    const size_t na = axes.size();
    check_count("roi", roi_in.size(), 2 * na);
    std::vector<double> roi(rank, 0.0);
    roi.resize(2 * rank, 1.0);
    for (size_t i = 0; i < na; ++i) {
      roi[axes[i]] = roi_in[i];
      roi[rank + axes[i]] = roi_in[na + i];
    }
    return roi;
  }

  Dims apply_sizes(const Dims& in, const Dims& axes, const Dims& sizes, std::vector<double>& scales) const {
    check_count("sizes", sizes.size(), axes.size());
    Dims out = in;
    for (size_t i = 0; i < axes.size(); ++i) {
      if (sizes[i] < 0) fail("sizes has a negative value");
      const int64_t a = axes[i];
      out[a] = sizes[i];
      scales[a] = in[a] ? static_cast<double>(sizes[i]) / static_cast<double>(in[a]) : 1.0;
    }
    if (policy_ == "stretch") return out;
    double sc = scales[axes[0]];
    for (int64_t a : axes) sc = policy_ == "not_larger" ? std::min(sc, scales[a]) : std::max(sc, scales[a]);
    for (int64_t a : axes) {
      scales[a] = sc;
      out[a] = static_cast<int64_t>(sc * static_cast<double>(in[a]) + 0.5);
    }
    return out;
  }

  // The extrapolation value as stored (integers rounded half to even, as the CPU kernel does).
  uint64_t stored_value(DataType t, double v) const {
    const std::optional<NumType> n = num_type_of(t);
    if (n && *n != NumType::kFloat && *n != NumType::kHalf && *n != NumType::kDouble && *n != NumType::kBool) {
      v = std::nearbyint(v);
    }
    const std::optional<uint64_t> bits = scalar_bits(t, v);
    return bits ? *bits : 0;
  }

  bool upsample_;
  ResizeParams p_;
  std::vector<float> scales_attr_;
  Dims axes_attr_;
  std::string policy_ = "stretch";
  std::vector<ResizeAxis> axes_;
  std::vector<int> order_;
  size_t elem_size_ = 0;
  NumType type_ = NumType::kFloat;
  uint64_t extrapolation_bits_ = 0;
  size_t workspace_ = 0;
};

std::unique_ptr<Layer> make_resize(const LayerSpec& spec) { return std::make_unique<ResizeLayer>(spec, false); }
std::unique_ptr<Layer> make_upsample(const LayerSpec& spec) { return std::make_unique<ResizeLayer>(spec, true); }

}  // namespace

GRAFT_GPU_LAYER("", Resize, 10, make_resize);
GRAFT_GPU_LAYER("", Upsample, 7, make_upsample);

}  // namespace graft::cuda
