// Softmax, LogSoftmax, Hardmax. Before opset 13 the input is coerced to 2D at `axis`
// (default 1) and the op runs over the flattened trailing dims; from 13 it runs along
// `axis` alone (default -1).
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"
#include "kernels/cpu/softmax_util.h"

namespace graft::cpu {
namespace {

template <SoftmaxKind kKind>
void softmax(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const bool coerce_2d = ctx.opset() < 13;
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", coerce_2d ? 1 : -1), rank);
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (d < axis) outer *= x.dim(d);
    else if (d == axis || coerce_2d) n *= x.dim(d);
    else inner *= x.dim(d);
  }
  HostTensor& y = ctx.allocate_output(0, x.dtype(), x.dims());
  dispatch_float(x.dtype(), ctx.node().op_type.c_str(), [&](auto tag) {
    using T = decltype(tag);
    softmax_along(x.data<T>(), y.mutable_data<T>(), outer, n, inner, kKind);
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", Softmax, 1, softmax<SoftmaxKind::kSoftmax>);
GRAFT_CPU_KERNEL("", LogSoftmax, 1, softmax<SoftmaxKind::kLogSoftmax>);
GRAFT_CPU_KERNEL("", Hardmax, 1, softmax<SoftmaxKind::kHardmax>);

}  // namespace graft::cpu
