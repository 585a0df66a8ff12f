// Identity, Constant: values passed through or produced from attributes.
#include "kernels/cpu/kernel.h"
#include "surgeon/error.h"

namespace graft::cpu {
namespace {

void identity(KernelContext& ctx) { ctx.set_output_value(0, ctx.input_value(0)); }

template <typename T>
HostTensor from_list(DataType dtype, const std::vector<T>& values, bool scalar) {
  HostTensor t(dtype, scalar ? Dims{} : Dims{static_cast<int64_t>(values.size())});
  for (size_t i = 0; i < values.size(); ++i) t.mutable_data<T>()[i] = values[i];
  return t;
}

void constant(KernelContext& ctx) {
  const Attribute& a = ctx.node().attributes.at(0);
  if (ctx.node().attributes.size() != 1) ctx.fail("needs exactly one attribute");
  switch (a.type) {
    case AttrType::kTensor: ctx.set_output(0, HostTensor::from_data(*a.t)); return;
    case AttrType::kFloat: ctx.set_output(0, from_list(DataType::kFloat, std::vector<float>{a.f}, true)); return;
    case AttrType::kInt: ctx.set_output(0, from_list(DataType::kInt64, std::vector<int64_t>{a.i}, true)); return;
    case AttrType::kFloats: ctx.set_output(0, from_list(DataType::kFloat, a.floats, false)); return;
    case AttrType::kInts: ctx.set_output(0, from_list(DataType::kInt64, a.ints, false)); return;
    case AttrType::kString: {
      HostTensor t(DataType::kString, {});
      t.mutable_strings()[0] = a.s;
      ctx.set_output(0, t);
      return;
    }
    case AttrType::kStrings: {
      HostTensor t(DataType::kString, {static_cast<int64_t>(a.strings.size())});
      t.mutable_strings() = a.strings;
      ctx.set_output(0, t);
      return;
    }
    default: ctx.fail("attribute '" + a.name + "' of type " + attr_type_name(a.type) + " is not supported");
  }
}

}  // namespace

GRAFT_CPU_KERNEL("", Identity, 1, identity);
GRAFT_CPU_KERNEL("", Constant, 1, constant);

}  // namespace graft::cpu
