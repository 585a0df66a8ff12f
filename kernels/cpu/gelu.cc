// Gelu (opset 20): y = 0.5 * x * (1 + erf(x / sqrt(2))), or with approximate="tanh"
// y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))). Computed in double for
// every float type, so it is at least as exact as the decomposition exporters write.
#include <cmath>

#include "kernels/cpu/elementwise_util.h"

namespace graft::cpu {
namespace {

void gelu(KernelContext& ctx) {
  const std::string approximate = ctx.attr_string("approximate", "none");
  if (approximate == "tanh") {
    unary_op(ctx, float_types("Gelu"), [](auto x) {
      const double d = x;
      const double k = 0.7978845608028654;  // sqrt(2 / pi)
      return static_cast<decltype(x)>(0.5 * d * (1 + std::tanh(k * (d + 0.044715 * d * d * d))));
    });
  } else if (approximate == "none") {
    unary_op(ctx, float_types("Gelu"), [](auto x) {
      const double d = x;
      return static_cast<decltype(x)>(0.5 * d * (1 + std::erf(d * 0.7071067811865476)));
    });
  } else {
    ctx.fail("approximate must be 'none' or 'tanh', not '" + approximate + "'");
  }
}

}  // namespace

GRAFT_CPU_KERNEL("", Gelu, 20, gelu);

}  // namespace graft::cpu
