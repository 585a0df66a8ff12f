// Optional, OptionalHasElement, OptionalGetElement. An optional value is the Value
// itself (tensor or sequence) when it holds one, and Kind::kNone when empty.
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

void optional(KernelContext& ctx) {
  if (ctx.has_input(0)) {
    ctx.set_output_value(0, ctx.input_value(0));
    return;
  }
  if (!ctx.has_attr("type")) ctx.fail("an empty Optional needs the 'type' attribute");
  ctx.set_output_value(0, Value{});
}

void optional_has_element(KernelContext& ctx) {
  ctx.set_output(0, HostTensor::scalar(DataType::kBool, ctx.has_input(0)));
}

void optional_get_element(KernelContext& ctx) {
  if (!ctx.has_input(0)) ctx.fail("the optional input is empty");
  ctx.set_output_value(0, ctx.input_value(0));
}

}  // namespace

GRAFT_CPU_KERNEL("", Optional, 15, optional);
GRAFT_CPU_KERNEL("", OptionalHasElement, 15, optional_has_element);
GRAFT_CPU_KERNEL("", OptionalGetElement, 15, optional_get_element);

}  // namespace graft::cpu
