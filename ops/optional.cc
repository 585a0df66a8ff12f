// Types of Optional, OptionalHasElement and OptionalGetElement. optional(T) is a T that may
// be absent; from opset 18 the last two also take a plain tensor or sequence.
#include <memory>

#include "ops/shape_util.h"

namespace graft::ops {
namespace {

void optional(ShapeContext& ctx) {
  ValueType t;
  t.kind = ValueType::Kind::kOptional;
  if (ctx.has_input(0)) {
    t.inner = std::make_shared<ValueType>(ctx.input_type(0));
  } else if (const Attribute* a = ctx.attrs().typed("type", AttrType::kTypeProto)) {
    t.inner = std::make_shared<ValueType>(a->tp);
  } else {
    ctx.fail("an Optional without an input needs the 'type' attribute");
  }
  ctx.set_output_type(0, std::move(t));
}

void optional_has_element(ShapeContext& ctx) { ctx.set_output(0, DataType::kBool, Shape::scalar()); }

void optional_get_element(ShapeContext& ctx) {
  const ValueType& t = ctx.input_type(0);
  if (t.kind != ValueType::Kind::kOptional) return ctx.set_output_type(0, t);  // a plain value (opset 18), or unknown
  if (t.inner) ctx.set_output_type(0, *t.inner);
}

}  // namespace

GRAFT_SHAPE_FN("", Optional, 15, optional);
GRAFT_SHAPE_FN("", OptionalHasElement, 15, optional_has_element);
GRAFT_SHAPE_FN("", OptionalGetElement, 15, optional_get_element);

}  // namespace graft::ops
