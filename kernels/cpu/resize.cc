// Resize (opset 10, 11, 13, 18+) and the deprecated Upsample (opset 7, 9).
//
// Every resized axis gets a plan: for each output position, the input indices it reads
// (clamped into range, i.e. edge padding) and their weights, following the ONNX
// reference's neighbour selection exactly. Nearest mode gathers elements directly (any
// dtype); linear and cubic apply the plans one axis at a time (separable filtering) over
// a float or double buffer.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"

namespace graft::cpu {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
// kSimple is Resize-10 / Upsample: floor when upsampling, ceil when downsampling.
enum class Nearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };

struct ResizeSpec {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  Nearest nearest = Nearest::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  bool antialias = false;
  double extrapolation = 0.0;
};

// How one axis maps output positions to input taps.
struct AxisPlan {
  int64_t in = 0, out = 0;
  int taps = 1;
  std::vector<int64_t> idx;     // out * taps, clamped into [0, in)
  std::vector<double> w;        // out * taps
  std::vector<uint8_t> extrap;  // out; 1 where tf_crop_and_resize leaves the input
  bool any_extrap = false;
};

template <typename E>
E parse_enum(const KernelContext& ctx, const char* attr, const std::string& value,
             std::initializer_list<std::pair<const char*, E>> names) {
  for (const auto& [name, e] : names) {
    if (value == name) return e;
  }
  ctx.fail(std::string("attribute '") + attr + "' has unsupported value '" + value + "'");
}

Mode parse_mode(const KernelContext& ctx, const std::string& s) {
  return parse_enum<Mode>(ctx, "mode", s,
                          {{"nearest", Mode::kNearest}, {"linear", Mode::kLinear}, {"bilinear", Mode::kLinear},
                           {"cubic", Mode::kCubic}, {"bicubic", Mode::kCubic}});
}

double source_coord(const ResizeSpec& s, double y, double scale, int64_t in, int64_t out, double roi0, double roi1) {
  const double out_f = scale * static_cast<double>(in);  // the reference's (fractional) output length
  switch (s.coord) {
    case Coord::kAlignCorners: return out_f == 1 ? 0.0 : y * static_cast<double>(in - 1) / (out_f - 1);
    case Coord::kAsymmetric: return y / scale;
    case Coord::kTfHalfPixelForNn: return (y + 0.5) / scale;
    case Coord::kTfCropAndResize: {
      const double span = (roi1 - roi0) * static_cast<double>(in - 1);
      return roi0 * static_cast<double>(in - 1) + (out_f == 1 ? span / 2 : y * span / (out_f - 1));
    }
    case Coord::kPytorchHalfPixel: return out_f == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
    case Coord::kHalfPixel: return (y + 0.5) / scale - 0.5;
    case Coord::kHalfPixelSymmetric: {
      const double offset = static_cast<double>(in) / 2 * (1 - static_cast<double>(out) / out_f);
      return offset + (y + 0.5) / scale - 0.5;
    }
  }
  return 0;
}

int64_t nearest_index(Nearest m, double x, double scale) {
  const double f = std::floor(x);
  if (x == f) return static_cast<int64_t>(f);
  const double r = x - f;
  bool up = false;
  switch (m) {
    case Nearest::kRoundPreferFloor: up = r > 0.5; break;
    case Nearest::kRoundPreferCeil: up = r >= 0.5; break;
    case Nearest::kFloor: up = false; break;
    case Nearest::kCeil: up = true; break;
    case Nearest::kSimple: up = scale < 1; break;
  }
  return static_cast<int64_t>(f) + (up ? 1 : 0);
}

double cubic_kernel(double x, double a) {
  x = std::abs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// The reference's coefficients for a tap ratio in (0, 1].
void interp_coeffs(const ResizeSpec& s, double ratio, double scale, std::vector<double>& c) {
  c.clear();
  if (!s.antialias) {
    if (s.mode == Mode::kLinear) {
      c = {1 - ratio, ratio};
    } else {
      for (int i = -1; i <= 2; ++i) c.push_back(cubic_kernel(ratio - i, s.cubic_a));
    }
    return;
  }
  const double sc = std::min(scale, 1.0);
  const double support = s.mode == Mode::kLinear ? 1.0 : 2.0;
  const int64_t start = static_cast<int64_t>(std::floor(-support / sc) + 1);
  const int64_t n = 2 - 2 * start;
  double sum = 0;
  for (int64_t i = start; i < start + n; ++i) {
    const double x = sc * (static_cast<double>(i) - ratio);
    const double v = s.mode == Mode::kLinear ? std::clamp(1 - std::abs(x), 0.0, 1.0) : cubic_kernel(x, s.cubic_a);
    c.push_back(v);
    sum += v;
  }
  for (double& v : c) v /= sum;
}

AxisPlan plan_axis(const ResizeSpec& s, int64_t in, int64_t out, double scale, double roi0, double roi1) {
  AxisPlan p;
  p.in = in;
  p.out = out;
  p.extrap.assign(out, 0);
  std::vector<double> c;
  for (int64_t j = 0; j < out; ++j) {
    const double x = source_coord(s, static_cast<double>(j), scale, in, out, roi0, roi1);
    if (s.coord == Coord::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      p.extrap[j] = 1;
      p.any_extrap = true;
    }
    if (s.mode == Mode::kNearest) {
      p.idx.push_back(std::clamp<int64_t>(nearest_index(s.nearest, x, scale), 0, in - 1));
      p.w.push_back(1);
      continue;
    }
    const double fl = std::floor(x);
    interp_coeffs(s, x == fl ? 1.0 : x - fl, scale, c);
    const int n = static_cast<int>(c.size());
    p.taps = n;
    // The n taps around x: an exact integer x counts as ratio 1 from x - 1 (as in the
    // reference), so both cases start at floor(ratio-adjusted x) - n/2 + 1.
    const int64_t base = static_cast<int64_t>(fl) - (x == fl ? 1 : 0);
    const int64_t start = base - n / 2 + 1;
    double sum = 0;
    for (int k = 0; k < n; ++k) {
      const int64_t i = start + k;
      if (s.exclude_outside && (i < 0 || i >= in)) c[k] = 0;
      sum += c[k];
    }
    for (int k = 0; k < n; ++k) {
      p.idx.push_back(std::clamp<int64_t>(start + k, 0, in - 1));
      p.w.push_back(s.exclude_outside && sum != 0 ? c[k] / sum : c[k]);
    }
  }
  return p;
}

template <typename T>
T from_double(double v) {
  if constexpr (std::is_integral_v<T>) {
    if constexpr (std::is_same_v<T, bool>) {
      return v != 0;
    } else {
      const double r = std::nearbyint(v);
      return static_cast<T>(std::clamp(r, static_cast<double>(std::numeric_limits<T>::lowest()),
                                       static_cast<double>(std::numeric_limits<T>::max())));
    }
  } else {
    return static_cast<T>(v);
  }
}

// Nearest: out[j...] = in[idx0[j0], idx1[j1], ...], or the extrapolation value.
template <typename T>
void gather_nearest(const HostTensor& x, HostTensor& y, const std::vector<AxisPlan>& plans, const T extrap) {
  const size_t rank = plans.size();
  const Dims& od = y.dims();
  if (y.numel() == 0) return;
  const std::vector<int64_t> in_strides = strides_of(x.dims());
  // Per axis: input offset of each output position (and its extrapolation flag).
  std::vector<std::vector<int64_t>> offs(rank);
  bool any_extrap = false;
  for (size_t a = 0; a < rank; ++a) {
    for (int64_t j = 0; j < od[a]; ++j) offs[a].push_back(plans[a].idx[j] * in_strides[a]);
    any_extrap |= plans[a].any_extrap;
  }
  const T* src = x.data<T>();
  T* dst = y.mutable_data<T>();
  const int64_t inner = rank ? od[rank - 1] : 1;
  const int64_t* last = rank ? offs[rank - 1].data() : nullptr;
  std::vector<int64_t> index(rank, 0);
  for (int64_t o = 0; o < y.numel(); o += inner) {
    int64_t base = 0;
    bool outside = false;
    for (size_t a = 0; a + 1 < rank; ++a) {
      base += offs[a][index[a]];
      outside |= plans[a].any_extrap && plans[a].extrap[index[a]];
    }
    if (rank == 0) {
      dst[0] = src[0];
    } else if (outside) {
      std::fill(dst + o, dst + o + inner, extrap);
    } else {
      for (int64_t j = 0; j < inner; ++j) dst[o + j] = src[base + last[j]];
      if (any_extrap && plans[rank - 1].any_extrap) {
        for (int64_t j = 0; j < inner; ++j) {
          if (plans[rank - 1].extrap[j]) dst[o + j] = extrap;
        }
      }
    }
    for (size_t d = rank > 1 ? rank - 1 : 0; d-- > 0;) {
      if (++index[d] < od[d]) break;
      index[d] = 0;
    }
  }
}

// One separable pass along `axis`: dims[axis] goes from plan.in to plan.out.
template <typename A>
std::vector<A> filter_axis(const std::vector<A>& src, Dims& dims, size_t axis, const AxisPlan& p, A extrap) {
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= dims[d];
  for (size_t d = axis + 1; d < dims.size(); ++d) inner *= dims[d];
  std::vector<A> dst(static_cast<size_t>(outer * p.out * inner));
  std::vector<A> w(p.w.begin(), p.w.end());
  for (int64_t o = 0; o < outer; ++o) {
    const A* s = src.data() + o * p.in * inner;
    A* d = dst.data() + o * p.out * inner;
    for (int64_t j = 0; j < p.out; ++j, d += inner) {
      if (p.extrap[j]) {
        std::fill(d, d + inner, extrap);
        continue;
      }
      const int64_t* ix = p.idx.data() + j * p.taps;
      const A* wj = w.data() + j * p.taps;
      if (inner == 1) {
        A acc = 0;
        for (int k = 0; k < p.taps; ++k) acc += wj[k] * s[ix[k]];
        *d = acc;
        continue;
      }
      for (int k = 0; k < p.taps; ++k) {
        const A wk = wj[k];
        const A* sk = s + ix[k] * inner;
        if (wk == 0) continue;
        for (int64_t i = 0; i < inner; ++i) d[i] += wk * sk[i];
      }
    }
  }
  dims[axis] = p.out;
  return dst;
}

template <typename T>
void interpolate(const HostTensor& x, HostTensor& y, const std::vector<AxisPlan>& plans, double extrapolation) {
  using A = std::conditional_t<std::is_same_v<T, double> || std::is_same_v<T, int64_t> || std::is_same_v<T, int32_t> ||
                                   std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>,
                               double, float>;
  if (y.numel() == 0) return;
  const T* src = x.data<T>();
  std::vector<A> buf(static_cast<size_t>(x.numel()));
  for (int64_t i = 0; i < x.numel(); ++i) buf[i] = static_cast<A>(src[i]);
  // Shrinking axes first keeps the intermediate buffers small.
  std::vector<size_t> order;
  for (size_t a = 0; a < plans.size(); ++a) {
    const AxisPlan& p = plans[a];
    bool identity = p.in == p.out && !p.any_extrap;
    for (int64_t j = 0; identity && j < p.out; ++j) {
      for (int k = 0; k < p.taps; ++k) {
        const double w = p.w[j * p.taps + k];
        if (w != 0 && (w != 1 || p.idx[j * p.taps + k] != j)) identity = false;
      }
    }
    if (!identity) order.push_back(a);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return plans[a].out * plans[b].in < plans[b].out * plans[a].in;
  });
  Dims dims = x.dims();
  for (size_t a : order) buf = filter_axis<A>(buf, dims, a, plans[a], static_cast<A>(extrapolation));
  T* dst = y.mutable_data<T>();
  for (int64_t i = 0; i < y.numel(); ++i) dst[i] = from_double<T>(static_cast<double>(buf[i]));
}

// Resizes X to `out` with per-axis `scales` (used for coordinate mapping) and `roi`
// (2 * rank values: starts then ends; only read by tf_crop_and_resize).
void run_resize(KernelContext& ctx, const ResizeSpec& s, const Dims& out, const std::vector<double>& scales,
                const std::vector<double>& roi) {
  const HostTensor& x = ctx.input(0);
  const size_t rank = x.rank();
  std::vector<AxisPlan> plans;
  for (size_t a = 0; a < rank; ++a) {
    if (out[a] > 0 && x.dim(a) == 0) ctx.fail("cannot resize an empty axis " + std::to_string(a) + " of X " + x.describe());
    const double r0 = roi.empty() ? 0.0 : roi[a], r1 = roi.empty() ? 1.0 : roi[rank + a];
    plans.push_back(plan_axis(s, x.dim(a), out[a], scales[a], r0, r1));
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  if (s.mode == Mode::kNearest) {
    dispatch_numeric_or_bool(x.dtype(), "Resize", [&](auto tag) {
      using T = decltype(tag);
      gather_nearest<T>(x, y, plans, from_double<T>(s.extrapolation));
    });
    return;
  }
  dispatch_numeric(x.dtype(), "Resize", [&](auto tag) {
    using T = decltype(tag);
    interpolate<T>(x, y, plans, s.extrapolation);
  });
}

ResizeSpec read_spec(const KernelContext& ctx) {
  ResizeSpec s;
  s.mode = parse_mode(ctx, ctx.attr_string("mode", "nearest"));
  if (ctx.opset() < 11) {
    s.coord = Coord::kAsymmetric;
    s.nearest = Nearest::kSimple;
    return s;
  }
  s.coord = parse_enum<Coord>(ctx, "coordinate_transformation_mode", ctx.attr_string("coordinate_transformation_mode", "half_pixel"),
                              {{"half_pixel", Coord::kHalfPixel},
                               {"half_pixel_symmetric", Coord::kHalfPixelSymmetric},
                               {"pytorch_half_pixel", Coord::kPytorchHalfPixel},
                               {"align_corners", Coord::kAlignCorners},
                               {"asymmetric", Coord::kAsymmetric},
                               {"tf_half_pixel_for_nn", Coord::kTfHalfPixelForNn},
                               {"tf_crop_and_resize", Coord::kTfCropAndResize}});
  s.nearest = parse_enum<Nearest>(ctx, "nearest_mode", ctx.attr_string("nearest_mode", "round_prefer_floor"),
                                  {{"round_prefer_floor", Nearest::kRoundPreferFloor},
                                   {"round_prefer_ceil", Nearest::kRoundPreferCeil},
                                   {"floor", Nearest::kFloor},
                                   {"ceil", Nearest::kCeil}});
  s.cubic_a = ctx.attr_float("cubic_coeff_a", -0.75f);
  s.exclude_outside = ctx.attr_int("exclude_outside", 0) != 0;
  s.extrapolation = ctx.attr_float("extrapolation_value", 0.0f);
  s.antialias = ctx.opset() >= 18 && ctx.attr_int("antialias", 0) != 0 && s.mode != Mode::kNearest;
  return s;
}

std::vector<double> input_doubles(const KernelContext& ctx, size_t i) {
  return ctx.has_input(i) ? ctx.input(i).to_doubles() : std::vector<double>();
}

// Output dims from scales (floor(in * scale)); the scales themselves map coordinates.
Dims dims_from_scales(const KernelContext& ctx, const Dims& in, const std::vector<double>& scales) {
  if (scales.size() != in.size()) {
    ctx.fail("scales has " + std::to_string(scales.size()) + " values but X has rank " + std::to_string(in.size()));
  }
  Dims out(in.size());
  for (size_t a = 0; a < in.size(); ++a) {
    if (!(scales[a] > 0)) ctx.fail("scales[" + std::to_string(a) + "] = " + std::to_string(scales[a]) + " is not positive");
    out[a] = static_cast<int64_t>(std::floor(static_cast<double>(in[a]) * scales[a]));
  }
  return out;
}

// The resized axes (opset 18's `axes`, else all), non-negative.
std::vector<int64_t> resize_axes(const KernelContext& ctx, int64_t rank) {
  std::vector<int64_t> axes = ctx.opset() >= 18 ? ctx.attr_ints("axes") : std::vector<int64_t>();
  for (int64_t& a : axes) a = normalize_axis(ctx, a, rank);
  if (axes.empty()) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  return axes;
}

void check_count(const KernelContext& ctx, const char* what, size_t got, size_t want) {
  if (got != want) ctx.fail(std::string(what) + " has " + std::to_string(got) + " values, expected " + std::to_string(want));
}

// roi over `axes` ([starts..., ends...]) expanded to every axis of a rank-`rank` input.
std::vector<double> expand_roi(const KernelContext& ctx, const std::vector<double>& roi_in, const std::vector<int64_t>& axes,
                               int64_t rank) {
  const size_t na = axes.size();
  check_count(ctx, "roi", roi_in.size(), 2 * na);
  std::vector<double> roi(rank, 0.0);
  roi.resize(2 * rank, 1.0);
  for (size_t i = 0; i < na; ++i) {
    roi[axes[i]] = roi_in[i];
    roi[rank + axes[i]] = roi_in[na + i];
  }
  return roi;
}

// Output dims and per-axis scales from the `sizes` input, honouring keep_aspect_ratio_policy.
void apply_sizes(const KernelContext& ctx, const Dims& in, const std::vector<int64_t>& axes, const std::vector<int64_t>& sizes,
                 Dims& out, std::vector<double>& scales) {
  check_count(ctx, "sizes", sizes.size(), axes.size());
  for (size_t i = 0; i < axes.size(); ++i) {
    if (sizes[i] < 0) ctx.fail("sizes has a negative value");
    const int64_t a = axes[i];
    out[a] = sizes[i];
    scales[a] = in[a] ? static_cast<double>(sizes[i]) / static_cast<double>(in[a]) : 1.0;
  }
  const std::string policy = ctx.opset() >= 18 ? ctx.attr_string("keep_aspect_ratio_policy", "stretch") : "stretch";
  if (policy == "stretch") return;
  if (policy != "not_larger" && policy != "not_smaller") ctx.fail("unsupported keep_aspect_ratio_policy '" + policy + "'");
  double sc = scales[axes[0]];
  for (int64_t a : axes) sc = policy == "not_larger" ? std::min(sc, scales[a]) : std::max(sc, scales[a]);
  for (int64_t a : axes) {
    scales[a] = sc;
    out[a] = static_cast<int64_t>(sc * static_cast<double>(in[a]) + 0.5);
  }
}

void resize(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const ResizeSpec s = read_spec(ctx);
  if (ctx.opset() < 11) {
    const std::vector<double> scales = input_doubles(ctx, 1);
    run_resize(ctx, s, dims_from_scales(ctx, x.dims(), scales), scales, {});
    return;
  }
  const std::vector<int64_t> axes = resize_axes(ctx, rank);
  const std::vector<double> roi_in = input_doubles(ctx, 1), scales_in = input_doubles(ctx, 2);
  const std::vector<int64_t> sizes_in = ctx.has_input(3) ? ctx.input_int64s(3) : std::vector<int64_t>();
  if (scales_in.empty() == sizes_in.empty()) ctx.fail("exactly one of scales and sizes must be given (non-empty)");
  std::vector<double> scales(rank, 1.0), roi;
  Dims out = x.dims();
  if (!roi_in.empty() && s.coord == Coord::kTfCropAndResize) roi = expand_roi(ctx, roi_in, axes, rank);
  if (!scales_in.empty()) {
    check_count(ctx, "scales", scales_in.size(), axes.size());
    for (size_t i = 0; i < axes.size(); ++i) scales[axes[i]] = scales_in[i];
    out = dims_from_scales(ctx, x.dims(), scales);
  } else {
    apply_sizes(ctx, x.dims(), axes, sizes_in, out, scales);
  }
  run_resize(ctx, s, out, scales, roi);
}

void upsample(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  ResizeSpec s;
  s.mode = parse_mode(ctx, ctx.attr_string("mode", "nearest"));
  s.coord = Coord::kAsymmetric;
  s.nearest = Nearest::kSimple;
  std::vector<double> scales;
  if (ctx.opset() >= 9) {
    scales = ctx.input(1).to_doubles();
  } else {
    for (float f : ctx.attr_floats("scales")) scales.push_back(f);
  }
  run_resize(ctx, s, dims_from_scales(ctx, x.dims(), scales), scales, {});
}

}  // namespace

GRAFT_CPU_KERNEL("", Resize, 10, resize);
GRAFT_CPU_KERNEL("", Upsample, 7, upsample);

}  // namespace graft::cpu
