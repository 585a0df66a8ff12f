// Add, Sub, Mul, Div with broadcasting.
#include <cmath>

#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

template <typename Op>
void binary(KernelContext& ctx, const char* what, Op op) {
  const HostTensor& a = ctx.input(0);
  const HostTensor& b = ctx.input(1);
  if (a.dtype() != b.dtype()) ctx.fail("inputs have different types: " + a.describe() + " and " + b.describe());
  Dims out_dims = broadcast_dims({&a.dims(), &b.dims()});
  HostTensor& y = ctx.allocate_output(0, a.dtype(), out_dims);
  dispatch_numeric(a.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    const T* pa = a.data<T>();
    const T* pb = b.data<T>();
    T* py = y.mutable_data<T>();
    for_each_broadcast(out_dims, {&a.dims(), &b.dims()},
                       [&](int64_t o, const int64_t* in, const int64_t* step, int64_t n) {
                         for (int64_t k = 0; k < n; ++k) {
                           py[o + k] = op(pa[in[0] + k * step[0]], pb[in[1] + k * step[1]]);
                         }
                       });
  });
}

template <typename T>
T divide(T x, T y) {
  if constexpr (std::is_integral_v<T>) {
    return y == 0 ? T(0) : T(x / y);  // integer division by zero is undefined in ONNX; no trap
  } else {
    return T(x / y);
  }
}

void add(KernelContext& ctx) { binary(ctx, "Add", [](auto x, auto y) { return decltype(x)(x + y); }); }
void sub(KernelContext& ctx) { binary(ctx, "Sub", [](auto x, auto y) { return decltype(x)(x - y); }); }
void mul(KernelContext& ctx) { binary(ctx, "Mul", [](auto x, auto y) { return decltype(x)(x * y); }); }
void div(KernelContext& ctx) { binary(ctx, "Div", [](auto x, auto y) { return divide(x, y); }); }

}  // namespace

GRAFT_CPU_KERNEL("", Add, 1, add);
GRAFT_CPU_KERNEL("", Sub, 1, sub);
GRAFT_CPU_KERNEL("", Mul, 1, mul);
GRAFT_CPU_KERNEL("", Div, 1, div);

}  // namespace graft::cpu
