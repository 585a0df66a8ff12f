#pragma once
// Where a resized axis reads its input, the same code on host (the layer's planning) and
// device (the kernels): a port of plan_axis in kernels/cpu/resize.cc, in double, one
// output position at a time, with the CPU kernel's order of operations so that the
// weights come out the same (resize.cu is built without fused multiply-adds).
#include <cmath>
#include <cstdint>

#include "kernels/cuda/resize.h"

#ifdef __CUDACC__
#define GRAFT_HD __host__ __device__
#else
#define GRAFT_HD
#endif

namespace graft::cuda::resize_math {

GRAFT_HD inline double source_coord(const ResizeParams& s, const ResizeAxis& a, double y) {
  const double in = static_cast<double>(a.in), scale = a.scale;
  const double out_f = scale * in;  // the reference's (fractional) output length
  switch (s.coord) {
    case ResizeCoord::kAlignCorners: return out_f == 1 ? 0.0 : y * (in - 1) / (out_f - 1);
    case ResizeCoord::kAsymmetric: return y / scale;
    case ResizeCoord::kTfHalfPixelForNn: return (y + 0.5) / scale;
    case ResizeCoord::kTfCropAndResize: {
      const double span = (a.roi1 - a.roi0) * (in - 1);
      return a.roi0 * (in - 1) + (out_f == 1 ? span / 2 : y * span / (out_f - 1));
    }
    case ResizeCoord::kPytorchHalfPixel: return out_f == 1 ? -0.5 : (y + 0.5) / scale - 0.5;
    case ResizeCoord::kHalfPixel: return (y + 0.5) / scale - 0.5;
    case ResizeCoord::kHalfPixelSymmetric: {
      const double offset = in / 2 * (1 - static_cast<double>(a.out) / out_f);
      return offset + (y + 0.5) / scale - 0.5;
    }
  }
  return 0;
}

// tf_crop_and_resize leaves the input at x: the output takes the extrapolation value.
GRAFT_HD inline bool outside(const ResizeParams& s, const ResizeAxis& a, double x) {
  return s.coord == ResizeCoord::kTfCropAndResize && (x < 0 || x > static_cast<double>(a.in - 1));
}

GRAFT_HD inline int64_t clamp_index(int64_t i, int64_t n) { return i < 0 ? 0 : (i >= n ? n - 1 : i); }

GRAFT_HD inline int64_t nearest_index(const ResizeParams& s, const ResizeAxis& a, double x) {
  const double f = floor(x);
  if (x == f) return clamp_index(static_cast<int64_t>(f), a.in);
  const double r = x - f;
  bool up = false;
  switch (s.nearest) {
    case ResizeNearest::kRoundPreferFloor: up = r > 0.5; break;
    case ResizeNearest::kRoundPreferCeil: up = r >= 0.5; break;
    case ResizeNearest::kFloor: up = false; break;
    case ResizeNearest::kCeil: up = true; break;
    case ResizeNearest::kSimple: up = a.scale < 1; break;
  }
  return clamp_index(static_cast<int64_t>(f) + (up ? 1 : 0), a.in);
}

GRAFT_HD inline double cubic_kernel(double x, double a) {
  x = fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

// The taps of one output position of a linear / cubic axis.
struct Taps {
  bool extrapolate = false;
  int n = 0;           // taps
  int64_t start = 0;   // input position of tap 0 (before clamping)
  double ratio = 0;    // the reference's fractional position, in (0, 1]
  int64_t aa_start = 0;  // antialias: kernel offset of tap 0
  double aa_scale = 1, aa_sum = 1;  // antialias: kernel scale and normalizer
  double kept_sum = 0;              // exclude_outside: normalizer
};

// Tap k's coefficient before exclude_outside (the CPU's interp_coeffs).
GRAFT_HD inline double coeff(const ResizeParams& s, const Taps& t, int k) {
  if (!s.antialias) {
    if (s.mode == ResizeMode::kLinear) return k == 0 ? 1 - t.ratio : t.ratio;
    return cubic_kernel(t.ratio - (k - 1), s.cubic_a);
  }
  const double x = t.aa_scale * (static_cast<double>(t.aa_start + k) - t.ratio);
  double v;
  if (s.mode == ResizeMode::kLinear) {
    v = 1 - fabs(x);
    v = v < 0 ? 0 : (v > 1 ? 1 : v);
  } else {
    v = cubic_kernel(x, s.cubic_a);
  }
  return v / t.aa_sum;
}

GRAFT_HD inline bool tap_inside(const Taps& t, int k, int64_t in) { return t.start + k >= 0 && t.start + k < in; }

GRAFT_HD inline Taps taps(const ResizeParams& s, const ResizeAxis& a, int64_t j) {
  Taps t;
  const double x = source_coord(s, a, static_cast<double>(j));
  t.extrapolate = outside(s, a, x);
  const double fl = floor(x);
  t.ratio = x == fl ? 1.0 : x - fl;
  if (!s.antialias) {
    t.n = s.mode == ResizeMode::kLinear ? 2 : 4;
  } else {
    t.aa_scale = a.scale < 1.0 ? a.scale : 1.0;
    const double support = s.mode == ResizeMode::kLinear ? 1.0 : 2.0;
    t.aa_start = static_cast<int64_t>(floor(-support / t.aa_scale) + 1);
    t.n = static_cast<int>(2 - 2 * t.aa_start);
    double sum = 0;
    for (int k = 0; k < t.n; ++k) sum += coeff(s, t, k);  // aa_sum is 1 here
    t.aa_sum = sum;
  }
  // An exact integer x counts as ratio 1 from x - 1 (as in the reference).
  const int64_t base = static_cast<int64_t>(fl) - (x == fl ? 1 : 0);
  t.start = base - t.n / 2 + 1;
  if (s.exclude_outside) {
    double kept = 0;
    for (int k = 0; k < t.n; ++k) kept += tap_inside(t, k, a.in) ? coeff(s, t, k) : 0.0;
    t.kept_sum = kept;
  }
  return t;
}

// Tap k's weight and (clamped) input position.
GRAFT_HD inline double weight(const ResizeParams& s, const Taps& t, int k, int64_t in) {
  if (!s.exclude_outside) return coeff(s, t, k);
  const double c = tap_inside(t, k, in) ? coeff(s, t, k) : 0.0;
  return t.kept_sum != 0 ? c / t.kept_sum : c;
}
GRAFT_HD inline int64_t tap_index(const Taps& t, int k, int64_t in) { return clamp_index(t.start + k, in); }

}  // namespace graft::cuda::resize_math
