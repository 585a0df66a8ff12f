#pragma once
// DAG patterns over a graph, as data. A Pattern holds values (tensors to bind) and ops
// (nodes to bind) with constraints; matching it at a node binds every pattern op to a
// graph node and every pattern value to a tensor.
//
//   Pattern p;
//   PatternValue x = p.any();
//   PatternValue conv = p.op("Conv", {x, p.constant(), p.optional()}).single_use();
//   PatternValue relu = p.op("Relu", {conv});      // the last op added is the root
//   if (std::optional<Match> m = p.match(node)) { m->node(conv); m->tensor(x); ... }
//
// Constraint setters on a PatternValue modify its Pattern, which must still be alive and
// not moved; looking a value up in a Match needs only the value's id.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "surgeon/graph.h"

namespace graft {

class Pattern;

using AttrCheck = std::function<bool(const Attribute* a)>;  // a is null when the node lacks it
using TensorCheck = std::function<bool(const Graph& g, const Tensor& t)>;
using ValuesCheck = std::function<bool(const TensorData& values)>;

// Attribute checks; `or_absent` also accepts a node without the attribute (ONNX defaults).
AttrCheck attr_int(int64_t v, bool or_absent = false);
AttrCheck attr_float(float v, bool or_absent = false);
AttrCheck attr_string(std::string v, bool or_absent = false);
AttrCheck attr_ints(std::vector<int64_t> v, bool or_absent = false);
AttrCheck attr_absent();

// Checks of a constant's values. Numeric dtypes only (float16 and bfloat16 included).
ValuesCheck all_values(double v);  // every element equals v (any shape, empty excluded)
ValuesCheck single_value();        // exactly one element (a scalar or [1], [1, 1], ...)
// Element i of a numeric constant as a double; nullopt for other dtypes or out of range.
std::optional<double> value_at(const TensorData& values, size_t i);

class PatternValue {
 public:
  size_t id() const { return id_; }

  // Every reader of the bound tensor is a node of the match, and it is no graph output:
  // the match's nodes may be removed without losing it.
  PatternValue single_use() const;
  PatternValue dtype(DataType dtype) const;
  PatternValue rank(size_t rank) const;
  PatternValue shape(std::function<bool(const Shape&)> check) const;
  PatternValue where(TensorCheck check) const;
  // For a constant(): its values.
  PatternValue values(ValuesCheck check) const;

  // For the output of an op(): constraints on that op, and its other outputs.
  PatternValue attr(std::string name, AttrCheck check) const;
  PatternValue where_node(std::function<bool(const Node&)> check) const;
  // Its inputs may be matched in any order (Add, Mul, ...).
  PatternValue commutative() const;
  PatternValue output(size_t index) const;

 private:
  friend class Pattern;
  PatternValue(Pattern* pattern, size_t id) : pattern_(pattern), id_(id) {}
  Pattern* pattern_;
  size_t id_;
};

class Match;

class Pattern {
 public:
  PatternValue any();       // any tensor
  PatternValue constant();  // a tensor whose values are fixed (see find.h constant_value)
  PatternValue optional();  // an omitted input, or any tensor
  // Output 0 of a node of `op_type` in `domain` reading `inputs`. The node may omit
  // trailing inputs that the pattern marks optional, and may not have more inputs.
  PatternValue op(std::string op_type, std::vector<PatternValue> inputs, std::string domain = "");
  // The same for a node of any of `op_types` ({"Relu", "Clip"}).
  PatternValue op_any_of(std::vector<std::string> op_types, std::vector<PatternValue> inputs, std::string domain = "");
  // The op whose node a match starts from; by default the last op added.
  void set_root(PatternValue op_output);

  std::optional<Match> match(Node& node) const;
  // Matches rooted at each node of `graph` in node order (they may overlap).
  std::vector<Match> match_all(const Graph& graph) const;

  size_t op_count() const { return ops_.size(); }
  size_t value_count() const { return values_.size(); }

 private:
  friend class PatternValue;
  friend class PatternMatcher;
  static constexpr size_t kNone = static_cast<size_t>(-1);

  struct ValueDef {
    enum class Kind { kAny, kConstant, kOptional, kOpOutput } kind = Kind::kAny;
    size_t op = kNone;  // kOpOutput
    size_t output = 0;
    bool single_use = false;
    std::vector<TensorCheck> checks;
    std::vector<ValuesCheck> value_checks;
  };
  struct OpDef {
    std::vector<std::string> op_types;
    std::string domain;
    std::vector<size_t> inputs;   // value ids
    std::vector<size_t> outputs;  // value ids by output index; kNone where unused
    bool commutative = false;
    std::vector<std::function<bool(const Node&)>> checks;
  };

  PatternValue add_value(ValueDef def);
  PatternValue op_output(size_t op, size_t index);
  // The op whose output `value_id` is; throws naming `what` otherwise.
  size_t op_index(size_t value_id, const char* what) const;

  std::vector<ValueDef> values_;
  std::vector<OpDef> ops_;
  size_t root_ = kNone;
};

// Pattern ops bound to graph nodes and pattern values to tensors.
class Match {
 public:
  const Graph& graph() const { return *graph_; }
  Node* root() const { return nodes_.at(root_); }
  // The node producing an op's output value.
  Node* node(PatternValue op_output) const;
  // Null for an omitted optional input.
  const TensorPtr& tensor(PatternValue v) const { return values_.at(v.id()); }
  // The values of a constant() (or of any bound tensor that is constant).
  TensorDataPtr values(PatternValue v) const;
  // Every matched node, in pattern op order.
  const std::vector<Node*>& nodes() const { return nodes_; }

 private:
  friend class PatternMatcher;
  const Graph* graph_ = nullptr;
  size_t root_ = 0;
  std::vector<Node*> nodes_;                     // by pattern op
  std::vector<TensorPtr> values_;                // by pattern value
  std::vector<size_t> value_ops_;                // op of each op-output value
};

}  // namespace graft
