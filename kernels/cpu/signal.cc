// Signal processing: DFT (opset 17, 20), STFT, HannWindow, HammingWindow,
// BlackmanWindow, MelWeightMatrix. Transforms are computed in double precision.
#include <cmath>
#include <complex>
#include <numbers>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"

namespace graft::cpu {
namespace {

using cd = std::complex<double>;

// A forward or inverse (unnormalized) DFT of one length: iterative radix-2 for powers of
// two, a direct sum over a twiddle table otherwise.
class Fft {
 public:
  Fft(int64_t n, bool inverse) : n_(n), pow2_(n > 0 && (n & (n - 1)) == 0), tw_(n) {
    const double sign = inverse ? 1.0 : -1.0;
    for (int64_t k = 0; k < n; ++k) tw_[k] = std::polar(1.0, sign * 2 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n));
    scratch_.resize(n);
  }

  // In place on n values.
  void run(cd* a) {
    if (pow2_) {
      radix2(a);
      return;
    }
    for (int64_t k = 0; k < n_; ++k) {
      cd acc = 0;
      int64_t step = 0;  // k * j mod n
      for (int64_t j = 0; j < n_; ++j) {
        acc += a[j] * tw_[step];
        step += k;
        if (step >= n_) step -= n_;
      }
      scratch_[k] = acc;
    }
    std::copy(scratch_.begin(), scratch_.end(), a);
  }

 private:
  void radix2(cd* a) {
    for (int64_t i = 1, j = 0; i < n_; ++i) {
      int64_t bit = n_ >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) std::swap(a[i], a[j]);
    }
    for (int64_t len = 2; len <= n_; len <<= 1) {
      const int64_t stride = n_ / len;
      for (int64_t i = 0; i < n_; i += len) {
        for (int64_t k = 0; k < len / 2; ++k) {
          const cd u = a[i + k], v = a[i + k + len / 2] * tw_[k * stride];
          a[i + k] = u + v;
          a[i + k + len / 2] = u - v;
        }
      }
    }
  }

  int64_t n_;
  bool pow2_;
  std::vector<cd> tw_, scratch_;
};

// Geometry of a batch of 1-D signals inside a tensor whose last dim holds 1 (real) or
// 2 (real, imaginary) components: element k of line (o, i) is at ((o*n + k)*inner + i)*comps.
struct Lines {
  int64_t outer, n, inner, comps;
  int64_t at(int64_t o, int64_t k, int64_t i) const { return ((o * n + k) * inner + i) * comps; }
};

Lines lines_of(const Dims& dims, size_t axis) {
  Lines l{1, dims[axis], 1, dims.back()};
  for (size_t d = 0; d < axis; ++d) l.outer *= dims[d];
  for (size_t d = axis + 1; d + 1 < dims.size(); ++d) l.inner *= dims[d];
  return l;
}

template <typename T>
cd load(const T* p, int64_t comps) {
  return {static_cast<double>(p[0]), comps == 2 ? static_cast<double>(p[1]) : 0.0};
}

template <typename T>
void store(T* p, cd v, int64_t comps) {
  p[0] = static_cast<T>(v.real());
  if (comps == 2) p[1] = static_cast<T>(v.imag());
}

struct DftArgs {
  int64_t length;  // transform length
  bool inverse, onesided;
};

// y's lines (along the same axis) get the transform of x's lines.
template <typename T>
void dft_lines(const HostTensor& x, HostTensor& y, size_t axis, const DftArgs& a) {
  const Lines in = lines_of(x.dims(), axis), out = lines_of(y.dims(), axis);
  Fft fft(a.length, a.inverse);
  std::vector<cd> buf(a.length);
  const T* src = x.data<T>();
  T* dst = y.mutable_data<T>();
  const double scale = a.inverse ? 1.0 / static_cast<double>(a.length) : 1.0;
  for (int64_t o = 0; o < in.outer; ++o) {
    for (int64_t i = 0; i < in.inner; ++i) {
      std::fill(buf.begin(), buf.end(), cd(0));
      if (a.inverse && a.onesided) {
        // A one-sided spectrum: rebuild the Hermitian-symmetric full one.
        for (int64_t k = 0; k <= a.length / 2 && k < in.n; ++k) {
          buf[k] = load(src + in.at(o, k, i), in.comps);
          if (k > 0 && k < a.length - k) buf[a.length - k] = std::conj(buf[k]);
        }
        if (a.length > 0) buf[0] = buf[0].real();
        if (a.length % 2 == 0 && a.length / 2 < in.n) buf[a.length / 2] = buf[a.length / 2].real();
      } else {
        for (int64_t k = 0; k < std::min(in.n, a.length); ++k) buf[k] = load(src + in.at(o, k, i), in.comps);
      }
      fft.run(buf.data());
      for (int64_t k = 0; k < out.n; ++k) store(dst + out.at(o, k, i), buf[k] * scale, out.comps);
    }
  }
}

void dft(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  if (rank < 2 || (x.dims().back() != 1 && x.dims().back() != 2)) {
    ctx.fail("input must have rank >= 2 and a last dim of 1 or 2, got " + x.describe());
  }
  int64_t axis = ctx.opset() >= 20 ? (ctx.has_input(2) ? ctx.input_int64s(2).at(0) : -2) : ctx.attr_int("axis", 1);
  axis = normalize_axis(ctx, axis, rank);
  if (axis == rank - 1) ctx.fail("axis must not be the last (real/imaginary) dim of " + x.describe());
  DftArgs a{0, ctx.attr_int("inverse", 0) != 0, ctx.attr_int("onesided", 0) != 0};
  const int64_t n = x.dim(axis);
  if (ctx.has_input(1) && ctx.input(1).numel() > 0) {
    a.length = ctx.input_int64s(1).at(0);
  } else {
    a.length = a.inverse && a.onesided ? 2 * (n - 1) : n;
  }
  if (a.length <= 0) ctx.fail("dft_length must be positive, got " + std::to_string(a.length));
  Dims out = x.dims();
  out[axis] = a.onesided && !a.inverse ? a.length / 2 + 1 : a.length;
  out.back() = a.inverse && a.onesided ? 1 : 2;
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  dispatch_float(x.dtype(), "DFT", [&](auto tag) { dft_lines<decltype(tag)>(x, y, axis, a); });
}

void stft(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() != 3 || (x.dim(2) != 1 && x.dim(2) != 2)) ctx.fail("signal must be [batch, length, 1 or 2], got " + x.describe());
  const int64_t step = ctx.input_int64s(1).at(0);
  const bool has_window = ctx.has_input(2);
  int64_t frame = has_window ? ctx.input(2).numel() : x.dim(1);
  if (ctx.has_input(3)) {
    frame = ctx.input_int64s(3).at(0);
    if (has_window && ctx.input(2).numel() != frame) {
      ctx.fail("window " + ctx.input(2).describe() + " does not match frame_length " + std::to_string(frame));
    }
  }
  if (step <= 0 || frame <= 0 || frame > x.dim(1)) {
    ctx.fail("frame_step " + std::to_string(step) + " and frame_length " + std::to_string(frame) + " do not fit signal " + x.describe());
  }
  const bool onesided = ctx.attr_int("onesided", 1) != 0;
  const int64_t frames = 1 + (x.dim(1) - frame) / step, bins = onesided ? frame / 2 + 1 : frame;
  const int64_t comps = x.dim(2);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), {x.dim(0), frames, bins, 2});
  const std::vector<double> window = has_window ? ctx.input(2).to_doubles() : std::vector<double>(frame, 1.0);
  dispatch_float(x.dtype(), "STFT", [&](auto tag) {
    using T = decltype(tag);
    Fft fft(frame, false);
    std::vector<cd> buf(frame);
    for (int64_t b = 0; b < x.dim(0); ++b) {
      const T* src = x.data<T>() + b * x.dim(1) * comps;
      for (int64_t f = 0; f < frames; ++f) {
        for (int64_t k = 0; k < frame; ++k) buf[k] = load(src + (f * step + k) * comps, comps) * window[k];
        fft.run(buf.data());
        T* dst = y.mutable_data<T>() + ((b * frames + f) * bins) * 2;
        for (int64_t k = 0; k < bins; ++k) store(dst + 2 * k, buf[k], 2);
      }
    }
  });
}

// Writes values[i] (computed in double) as the attribute-chosen output type.
void emit(KernelContext& ctx, const std::vector<double>& values, const Dims& dims) {
  const auto dtype = static_cast<DataType>(ctx.attr_int("output_datatype", 1));
  HostTensor& y = ctx.allocate_output(0, dtype, dims);
  dispatch_numeric(dtype, "output_datatype", [&](auto tag) {
    using T = decltype(tag);
    T* p = y.mutable_data<T>();
    for (size_t i = 0; i < values.size(); ++i) p[i] = static_cast<T>(values[i]);
  });
}

// w[n] = sum_k c_k cos(2 pi k n / N'), N' = size (periodic) or size - 1 (symmetric).
void cosine_window(KernelContext& ctx, std::initializer_list<double> c) {
  const int64_t size = ctx.input_int64s(0).at(0);
  if (size < 0) ctx.fail("size must not be negative, got " + std::to_string(size));
  const double denom = static_cast<double>(ctx.attr_int("periodic", 1) != 0 ? size : size - 1);
  std::vector<double> w(size);
  for (int64_t n = 0; n < size; ++n) {
    double v = 0, k = 0;
    for (double ck : c) {
      v += ck * std::cos(2 * std::numbers::pi * k * static_cast<double>(n) / denom);
      k += 1;
    }
    w[n] = v;
  }
  emit(ctx, w, {size});
}

void hann_window(KernelContext& ctx) { cosine_window(ctx, {0.5, -0.5}); }
void hamming_window(KernelContext& ctx) { cosine_window(ctx, {25.0 / 46.0, -21.0 / 46.0}); }
void blackman_window(KernelContext& ctx) { cosine_window(ctx, {0.42, -0.5, 0.08}); }

void mel_weight_matrix(KernelContext& ctx) {
  const int64_t mel_bins = ctx.input_int64s(0).at(0), dft_length = ctx.input_int64s(1).at(0);
  const int64_t sample_rate = ctx.input_int64s(2).at(0);
  const double lower = ctx.input(3).to_doubles().at(0), upper = ctx.input(4).to_doubles().at(0);
  if (mel_bins <= 0 || dft_length <= 0 || sample_rate <= 0) {
    ctx.fail("num_mel_bins, dft_length and sample_rate must be positive");
  }
  const int64_t spec_bins = dft_length / 2 + 1;
  const double low_mel = 2595 * std::log10(1 + lower / 700), high_mel = 2595 * std::log10(1 + upper / 700);
  const double mel_step = (high_mel - low_mel) / static_cast<double>(mel_bins + 2);
  std::vector<int64_t> edges(mel_bins + 2);
  for (int64_t i = 0; i < mel_bins + 2; ++i) {
    const double hz = 700 * (std::pow(10.0, (static_cast<double>(i) * mel_step + low_mel) / 2595) - 1);
    edges[i] = static_cast<int64_t>(std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate)));
    if (edges[i] < 0) ctx.fail("lower_edge_hertz gives a negative spectrogram bin");
  }
  std::vector<double> w(spec_bins * mel_bins, 0.0);
  auto set = [&](int64_t j, int64_t i, double v) {
    if (j < spec_bins) w[j * mel_bins + i] = v;
  };
  for (int64_t i = 0; i < mel_bins; ++i) {
    const int64_t lo = edges[i], center = edges[i + 1], hi = edges[i + 2];
    if (center == lo) {
      set(center, i, 1);
    } else {
      for (int64_t j = lo; j <= center; ++j) set(j, i, static_cast<double>(j - lo) / static_cast<double>(center - lo));
    }
    for (int64_t j = center; j < hi; ++j) set(j, i, static_cast<double>(hi - j) / static_cast<double>(hi - center));
  }
  emit(ctx, w, {spec_bins, mel_bins});
}

}  // namespace

GRAFT_CPU_KERNEL("", DFT, 17, dft);
GRAFT_CPU_KERNEL("", STFT, 17, stft);
GRAFT_CPU_KERNEL("", HannWindow, 17, hann_window);
GRAFT_CPU_KERNEL("", HammingWindow, 17, hamming_window);
GRAFT_CPU_KERNEL("", BlackmanWindow, 17, blackman_window);
GRAFT_CPU_KERNEL("", MelWeightMatrix, 17, mel_weight_matrix);

}  // namespace graft::cpu
