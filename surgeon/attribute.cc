#include "surgeon/attribute.h"

#include <array>
#include <sstream>

#include "surgeon/graph.h"

namespace graft {
namespace {

template <typename T, typename Fmt>
std::string list_str(const std::vector<T>& items, size_t max_items, Fmt fmt) {
  std::string s = "[";
  for (size_t k = 0; k < items.size() && k < max_items; ++k) {
    if (k) s += ", ";
    s += fmt(items[k]);
  }
  if (items.size() > max_items) {
    s += (max_items ? ", ... (" : "... (") + std::to_string(items.size()) + " items)";
  }
  return s + "]";
}

std::string float_str(float v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

std::string tensor_str(const TensorDataPtr& t) {
  if (!t) return "<tensor>";
  std::string dims;
  for (size_t k = 0; k < t->dims.size(); ++k) dims += (k ? ", " : "") + std::to_string(t->dims[k]);
  return "<tensor " + dtype_name(t->dtype) + "[" + dims + "]>";
}

std::string graph_str(const GraphPtr& g) {
  return g ? "<graph '" + g->name + "': " + std::to_string(g->node_count_recursive()) + " nodes>" : "<graph>";
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

}  // namespace

std::string attr_type_name(AttrType t) {
  static constexpr std::array<const char*, 15> kNames = {
      "undefined", "float",  "int",     "string", "tensor",         "graph",      "floats",     "ints",
      "strings",   "tensors", "graphs", "sparse_tensor", "sparse_tensors", "type_proto", "type_protos"};
  auto code = static_cast<int32_t>(t);
  if (code >= 0 && static_cast<size_t>(code) < kNames.size()) return kNames[code];
  return "attr_type(" + std::to_string(code) + ")";
}

Attribute Attribute::of_int(std::string name, int64_t v) {
  Attribute a{.name = std::move(name), .type = AttrType::kInt};
  a.i = v;
  return a;
}
Attribute Attribute::of_float(std::string name, float v) {
  Attribute a{.name = std::move(name), .type = AttrType::kFloat};
  a.f = v;
  return a;
}
Attribute Attribute::of_string(std::string name, std::string v) {
  Attribute a{.name = std::move(name), .type = AttrType::kString};
  a.s = std::move(v);
  return a;
}
Attribute Attribute::of_ints(std::string name, std::vector<int64_t> v) {
  Attribute a{.name = std::move(name), .type = AttrType::kInts};
  a.ints = std::move(v);
  return a;
}
Attribute Attribute::of_floats(std::string name, std::vector<float> v) {
  Attribute a{.name = std::move(name), .type = AttrType::kFloats};
  a.floats = std::move(v);
  return a;
}
Attribute Attribute::of_graph(std::string name, GraphPtr g) {
  Attribute a{.name = std::move(name), .type = AttrType::kGraph};
  a.g = std::move(g);
  return a;
}
Attribute Attribute::of_tensor(std::string name, TensorDataPtr t) {
  Attribute a{.name = std::move(name), .type = AttrType::kTensor};
  a.t = std::move(t);
  return a;
}

std::string Attribute::value_str(size_t max_items) const {
  if (!ref_attr_name.empty()) return "@" + ref_attr_name;
  auto to_s = [](auto v) { return std::to_string(v); };
  switch (type) {
    case AttrType::kFloat: return float_str(f);
    case AttrType::kInt: return std::to_string(i);
    case AttrType::kString: return quote(s);
    case AttrType::kTensor: return tensor_str(t);
    case AttrType::kGraph: return graph_str(g);
    case AttrType::kFloats: return list_str(floats, max_items, float_str);
    case AttrType::kInts: return list_str(ints, max_items, to_s);
    case AttrType::kStrings: return list_str(strings, max_items, quote);
    case AttrType::kTensors: return list_str(tensors, max_items, tensor_str);
    case AttrType::kGraphs: return list_str(graphs, max_items, graph_str);
    case AttrType::kSparseTensor: return "<sparse tensor>";
    case AttrType::kSparseTensors: return "<" + std::to_string(sparse_tensors.size()) + " sparse tensors>";
    case AttrType::kTypeProto: return "<type " + tp.str() + ">";
    case AttrType::kTypeProtos:
      return list_str(type_protos, max_items, [](const ValueType& v) { return v.str(); });
    case AttrType::kUndefined: break;
  }
  return "<undefined>";
}

}  // namespace graft
