#include "ops/node_attrs.h"

#include "surgeon/error.h"

namespace graft::ops {

const Attribute* NodeAttrs::typed(std::string_view name, AttrType type) const {
  const Attribute* a = node_.attr(name);
  if (a && a->type != type) {
    throw Error("attribute '" + std::string(name) + "' must be " + attr_type_name(type) + ", not " +
                attr_type_name(a->type));
  }
  return a;
}

int64_t NodeAttrs::get_int(std::string_view name, int64_t def) const {
  const Attribute* a = typed(name, AttrType::kInt);
  return a ? a->i : def;
}

int64_t NodeAttrs::required_int(std::string_view name) const {
  const Attribute* a = typed(name, AttrType::kInt);
  if (!a) throw Error("attribute '" + std::string(name) + "' is required");
  return a->i;
}

float NodeAttrs::get_float(std::string_view name, float def) const {
  const Attribute* a = typed(name, AttrType::kFloat);
  return a ? a->f : def;
}

std::string NodeAttrs::get_string(std::string_view name, const std::string& def) const {
  const Attribute* a = typed(name, AttrType::kString);
  return a ? a->s : def;
}

std::vector<int64_t> NodeAttrs::get_ints(std::string_view name, const std::vector<int64_t>& def) const {
  const Attribute* a = typed(name, AttrType::kInts);
  return a ? a->ints : def;
}

std::vector<float> NodeAttrs::get_floats(std::string_view name, const std::vector<float>& def) const {
  const Attribute* a = typed(name, AttrType::kFloats);
  return a ? a->floats : def;
}

std::vector<std::string> NodeAttrs::get_strings(std::string_view name) const {
  const Attribute* a = typed(name, AttrType::kStrings);
  return a ? a->strings : std::vector<std::string>{};
}

const TensorData* NodeAttrs::get_tensor(std::string_view name) const {
  const Attribute* a = typed(name, AttrType::kTensor);
  return a ? a->t.get() : nullptr;
}

const Graph* NodeAttrs::get_graph(std::string_view name) const {
  const Attribute* a = typed(name, AttrType::kGraph);
  return a ? a->g.get() : nullptr;
}

}  // namespace graft::ops
