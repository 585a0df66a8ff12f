#pragma once
// Typed reading of a node's attributes with defaults, shared by shape inference and the
// kernels. A present attribute of the wrong type is an error naming the attribute.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "surgeon/node.h"

namespace graft::ops {

class NodeAttrs {
 public:
  explicit NodeAttrs(const Node& node) : node_(node) {}

  bool has(std::string_view name) const { return node_.attr(name) != nullptr; }
  int64_t get_int(std::string_view name, int64_t def) const;
  int64_t required_int(std::string_view name) const;
  float get_float(std::string_view name, float def) const;
  std::string get_string(std::string_view name, const std::string& def) const;
  std::vector<int64_t> get_ints(std::string_view name, const std::vector<int64_t>& def = {}) const;
  std::vector<float> get_floats(std::string_view name, const std::vector<float>& def = {}) const;
  std::vector<std::string> get_strings(std::string_view name) const;
  const TensorData* get_tensor(std::string_view name) const;  // null when absent
  const Graph* get_graph(std::string_view name) const;        // null when absent
  // The attribute when it has this type; null when absent; throws when of another type.
  const Attribute* typed(std::string_view name, AttrType type) const;

 private:
  const Node& node_;
};

}  // namespace graft::ops
