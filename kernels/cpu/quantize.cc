// QuantizeLinear, DequantizeLinear (per tensor or per axis), DynamicQuantizeLinear.
#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/gemm_util.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"

namespace graft::cpu {
namespace {

// Scale and zero point per element: a scalar, or a 1-D tensor along `axis`.
struct QuantParams {
  std::vector<double> scale;
  std::vector<int64_t> zero;
  int64_t inner = 1, channels = 1;  // element i uses parameter (i / inner) % channels

  size_t at(int64_t i) const { return scale.size() == 1 ? 0 : static_cast<size_t>((i / inner) % channels); }
};

QuantParams quant_params(const KernelContext& ctx, const HostTensor& x) {
  QuantParams q;
  const HostTensor& s = ctx.input(1);
  q.scale = s.to_doubles();
  q.zero = ctx.has_input(2) ? ctx.input(2).to_int64s() : std::vector<int64_t>(q.scale.size(), 0);
  if (q.zero.size() != q.scale.size()) ctx.fail("scale " + s.describe() + " and zero point " + ctx.input(2).describe() + " differ in size");
  if (q.scale.size() != 1 || s.rank() == 1) {
    if (s.rank() > 1) ctx.fail("scale must be a scalar or 1-D, got " + s.describe());
    const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 1), static_cast<int64_t>(x.rank()));
    q.channels = x.dim(axis);
    if (static_cast<int64_t>(q.scale.size()) != q.channels) {
      ctx.fail("scale " + s.describe() + " must have " + std::to_string(q.channels) + " values along axis " + std::to_string(axis));
    }
    for (size_t d = axis + 1; d < x.rank(); ++d) q.inner *= x.dim(d);
  }
  return q;
}

void quantize_linear(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const QuantParams q = quant_params(ctx, x);
  const DataType out_type = ctx.has_input(2) ? ctx.input(2).dtype() : DataType::kUint8;
  HostTensor& y = ctx.allocate_output(0, out_type, x.dims());
  const HostTensor xf = x.dtype() == DataType::kFloat ? x : HostTensor();
  const std::vector<double> xd = xf.defined() ? std::vector<double>{} : x.to_doubles();
  dispatch_integer(out_type, "QuantizeLinear", [&](auto tag) {
    using Q = decltype(tag);
    Q* py = y.mutable_data<Q>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const size_t c = q.at(i);
      const float v = xf.defined() ? xf.data<float>()[i] : static_cast<float>(xd[i]);
      // Rounded before the zero point is added: ties go to even on x / scale.
      py[i] = saturate_round<Q>(std::nearbyint(v / static_cast<float>(q.scale[c])) + static_cast<float>(q.zero[c]));
    }
  });
}

void dequantize_linear(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const QuantParams q = quant_params(ctx, x);
  const DataType out_type = ctx.input(1).dtype();
  HostTensor& y = ctx.allocate_output(0, out_type, x.dims());
  const std::vector<int64_t> xi = x.to_int64s();
  dispatch_float(out_type, "DequantizeLinear", [&](auto tag) {
    using T = decltype(tag);
    T* py = y.mutable_data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const size_t c = q.at(i);
      py[i] = static_cast<T>(static_cast<float>(xi[i] - q.zero[c]) * static_cast<float>(q.scale[c]));
    }
  });
}

void dynamic_quantize_linear(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.dtype() != DataType::kFloat) ctx.fail("x must be float32, got " + x.describe());
  const float* px = x.data<float>();
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    lo = std::min(lo, px[i]);
    hi = std::max(hi, px[i]);
  }
  const float scale = (hi == lo ? 1.0f : hi - lo) / 255.0f;
  const float zp = std::nearbyint(std::clamp(0.0f - lo / scale, 0.0f, 255.0f));
  uint8_t* py = ctx.allocate_output(0, DataType::kUint8, x.dims()).mutable_data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i) py[i] = saturate_round<uint8_t>(std::nearbyint(px[i] / scale) + zp);
  *ctx.allocate_output(1, DataType::kFloat, {}).mutable_data<float>() = scale;
  *ctx.allocate_output(2, DataType::kUint8, {}).mutable_data<uint8_t>() = static_cast<uint8_t>(zp);
}

}  // namespace

GRAFT_CPU_KERNEL("", QuantizeLinear, 10, quantize_linear);
GRAFT_CPU_KERNEL("", DequantizeLinear, 10, dequantize_linear);
GRAFT_CPU_KERNEL("", DynamicQuantizeLinear, 11, dynamic_quantize_linear);

}  // namespace graft::cpu
