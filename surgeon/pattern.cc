#include "surgeon/pattern.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <unordered_set>

#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft {
namespace {

AttrCheck attr_check(bool or_absent, std::function<bool(const Attribute&)> same) {
  return [or_absent, same = std::move(same)](const Attribute* a) { return a ? same(*a) : or_absent; };
}

template <typename T>
T load(const TensorData& d, size_t i) {
  T v;
  std::memcpy(&v, d.bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float magnitude = exp == 0    ? std::ldexp(float(mant), -24)
                    : exp == 31 ? (mant ? NAN : INFINITY)
                                : std::ldexp(float(mant | 0x400), int(exp) - 25);
  return sign ? -magnitude : magnitude;
}

float bfloat16_to_float(uint16_t b) {
  uint32_t bits = uint32_t(b) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

AttrCheck attr_int(int64_t v, bool or_absent) {
  return attr_check(or_absent, [v](const Attribute& a) { return a.type == AttrType::kInt && a.i == v; });
}

AttrCheck attr_float(float v, bool or_absent) {
  return attr_check(or_absent, [v](const Attribute& a) { return a.type == AttrType::kFloat && a.f == v; });
}

AttrCheck attr_string(std::string v, bool or_absent) {
  return attr_check(or_absent, [v = std::move(v)](const Attribute& a) { return a.type == AttrType::kString && a.s == v; });
}

AttrCheck attr_ints(std::vector<int64_t> v, bool or_absent) {
  return attr_check(or_absent, [v = std::move(v)](const Attribute& a) { return a.type == AttrType::kInts && a.ints == v; });
}

AttrCheck attr_absent() {
  return [](const Attribute* a) { return a == nullptr; };
}

std::optional<double> value_at(const TensorData& d, size_t i) {
  std::optional<int64_t> n = d.num_elements();
  if (!n || i >= static_cast<size_t>(*n) || d.bytes.size() < (i + 1) * size_t(std::max(dtype_bits(d.dtype) / 8, 1))) {
    return std::nullopt;
  }
  switch (d.dtype) {
    case DataType::kFloat: return load<float>(d, i);
    case DataType::kDouble: return load<double>(d, i);
    case DataType::kFloat16: return half_to_float(load<uint16_t>(d, i));
    case DataType::kBfloat16: return bfloat16_to_float(load<uint16_t>(d, i));
    case DataType::kInt8: return load<int8_t>(d, i);
    case DataType::kInt16: return load<int16_t>(d, i);
    case DataType::kInt32: return load<int32_t>(d, i);
    case DataType::kInt64: return double(load<int64_t>(d, i));
    case DataType::kUint8:
    case DataType::kBool: return load<uint8_t>(d, i);
    case DataType::kUint16: return load<uint16_t>(d, i);
    case DataType::kUint32: return load<uint32_t>(d, i);
    case DataType::kUint64: return double(load<uint64_t>(d, i));
    default: return std::nullopt;
  }
}

ValuesCheck all_values(double v) {
  return [v](const TensorData& d) {
    std::optional<int64_t> n = d.num_elements();
    if (!n || *n == 0) return false;
    for (size_t i = 0; i < static_cast<size_t>(*n); ++i) {
      if (value_at(d, i) != v) return false;
    }
    return true;
  };
}

ValuesCheck single_value() {
  return [](const TensorData& d) { return d.num_elements() == 1; };
}

// ---------------------------------------------------------------------------------------
// Building

PatternValue Pattern::add_value(ValueDef def) {
  values_.push_back(std::move(def));
  return PatternValue(this, values_.size() - 1);
}

PatternValue Pattern::any() { return add_value({.kind = ValueDef::Kind::kAny}); }
PatternValue Pattern::constant() { return add_value({.kind = ValueDef::Kind::kConstant}); }
PatternValue Pattern::optional() { return add_value({.kind = ValueDef::Kind::kOptional}); }

PatternValue Pattern::op(std::string op_type, std::vector<PatternValue> inputs, std::string domain) {
  return op_any_of({std::move(op_type)}, std::move(inputs), std::move(domain));
}

PatternValue Pattern::op_any_of(std::vector<std::string> op_types, std::vector<PatternValue> inputs, std::string domain) {
  OpDef def{.op_types = std::move(op_types), .domain = std::move(domain)};
  for (const PatternValue& v : inputs) {
    if (v.pattern_ != this) throw Error("a pattern op's input belongs to another pattern");
    def.inputs.push_back(v.id());
  }
  ops_.push_back(std::move(def));
  root_ = ops_.size() - 1;
  return op_output(root_, 0);
}

PatternValue Pattern::op_output(size_t op, size_t index) {
  std::vector<size_t>& outs = ops_[op].outputs;
  if (outs.size() <= index) outs.resize(index + 1, kNone);
  if (outs[index] == kNone) outs[index] = add_value({.kind = ValueDef::Kind::kOpOutput, .op = op, .output = index}).id();
  return PatternValue(this, outs[index]);
}

void Pattern::set_root(PatternValue op_output) { root_ = op_index(op_output.id(), "set_root()"); }

size_t Pattern::op_index(size_t value_id, const char* what) const {
  const ValueDef& v = values_.at(value_id);
  if (v.kind != ValueDef::Kind::kOpOutput) {
    throw Error(std::string("pattern: ") + what + " applies to the output of an op, not to value #" +
                std::to_string(value_id));
  }
  return v.op;
}

PatternValue PatternValue::output(size_t index) const {
  return pattern_->op_output(pattern_->op_index(id_, "output()"), index);
}

PatternValue PatternValue::single_use() const {
  pattern_->values_.at(id_).single_use = true;
  return *this;
}

PatternValue PatternValue::where(TensorCheck check) const {
  pattern_->values_.at(id_).checks.push_back(std::move(check));
  return *this;
}

PatternValue PatternValue::dtype(DataType dtype) const {
  return where([dtype](const Graph&, const Tensor& t) { return t.dtype() == dtype; });
}

PatternValue PatternValue::rank(size_t rank) const {
  return where([rank](const Graph&, const Tensor& t) {
    Shape s = t.shape();
    return s.has_rank() && s.rank() == rank;
  });
}

PatternValue PatternValue::shape(std::function<bool(const Shape&)> check) const {
  return where([check = std::move(check)](const Graph&, const Tensor& t) { return check(t.shape()); });
}

PatternValue PatternValue::values(ValuesCheck check) const {
  pattern_->values_.at(id_).value_checks.push_back(std::move(check));
  return *this;
}

PatternValue PatternValue::where_node(std::function<bool(const Node&)> check) const {
  pattern_->ops_[pattern_->op_index(id_, "where_node()")].checks.push_back(std::move(check));
  return *this;
}

PatternValue PatternValue::attr(std::string name, AttrCheck check) const {
  return where_node([name = std::move(name), check = std::move(check)](const Node& n) { return check(n.attr(name)); });
}

PatternValue PatternValue::commutative() const {
  pattern_->ops_[pattern_->op_index(id_, "commutative()")].commutative = true;
  return *this;
}

// ---------------------------------------------------------------------------------------
// Matching: depth-first over (pattern value, tensor) obligations, copying the small state
// at each choice (commutative input orders) so a failed branch leaves nothing behind.

class PatternMatcher {
 public:
  PatternMatcher(const Pattern& pattern, const Graph& graph) : p_(pattern), g_(graph) {}

  std::optional<Match> at(Node& node) {
    if (p_.root_ == Pattern::kNone) throw Error("pattern: it has no op to match");
    if (!op_fits(p_.root_, node)) return std::nullopt;
    State start{.values = std::vector<TensorPtr>(p_.values_.size()),
                .bound = std::vector<bool>(p_.values_.size()),
                .nodes = std::vector<Node*>(p_.ops_.size())};
    if (!bind_op(p_.root_, &node, std::move(start), {})) return std::nullopt;
    return std::move(found_);
  }

 private:
  struct State {
    std::vector<TensorPtr> values;
    std::vector<bool> bound;
    std::vector<Node*> nodes;
  };
  using Todo = std::vector<std::pair<size_t, TensorPtr>>;  // value id must bind this tensor
  using Kind = Pattern::ValueDef::Kind;

  bool solve(State s, Todo todo) {
    if (todo.empty()) return finish(std::move(s));
    auto [v, t] = std::move(todo.back());
    todo.pop_back();
    if (s.bound[v]) return s.values[v] == t && solve(std::move(s), std::move(todo));
    const Pattern::ValueDef& def = p_.values_[v];
    if (!t ? def.kind != Kind::kOptional : !value_fits(def, *t)) return false;
    s.bound[v] = true;
    s.values[v] = t;
    if (def.kind != Kind::kOpOutput) return solve(std::move(s), std::move(todo));
    Node* producer = t->producer();
    if (!producer || producer->graph() != &g_ || producer->output(def.output) != t) return false;
    return bind_op(def.op, producer, std::move(s), std::move(todo));
  }

  bool bind_op(size_t op, Node* node, State s, Todo todo) {
    if (s.nodes[op]) return s.nodes[op] == node && solve(std::move(s), std::move(todo));
    if (std::count(s.nodes.begin(), s.nodes.end(), node) || !op_fits(op, *node)) return false;
    const Pattern::OpDef& def = p_.ops_[op];
    std::vector<TensorPtr> inputs = node->inputs();
    if (inputs.size() > def.inputs.size()) {
      if (std::any_of(inputs.begin() + def.inputs.size(), inputs.end(), [](const TensorPtr& t) { return t; })) return false;
    }
    inputs.resize(def.inputs.size());
    s.nodes[op] = node;
    for (size_t k = 0; k < def.outputs.size(); ++k) {
      if (def.outputs[k] != Pattern::kNone) todo.emplace_back(def.outputs[k], node->output(k));
    }
    std::vector<size_t> order(inputs.size());
    std::iota(order.begin(), order.end(), 0);
    do {
      Todo next = todo;
      for (size_t i = 0; i < order.size(); ++i) next.emplace_back(def.inputs[i], inputs[order[i]]);
      if (solve(s, std::move(next))) return true;
    } while (def.commutative && std::next_permutation(order.begin(), order.end()));
    return false;
  }

  bool op_fits(size_t op, const Node& node) const {
    const Pattern::OpDef& def = p_.ops_[op];
    return std::count(def.op_types.begin(), def.op_types.end(), node.op_type) && same_domain(node.domain, def.domain) &&
           std::all_of(def.checks.begin(), def.checks.end(), [&](const auto& check) { return check(node); });
  }

  bool value_fits(const Pattern::ValueDef& def, const Tensor& t) const {
    if (!std::all_of(def.checks.begin(), def.checks.end(), [&](const auto& check) { return check(g_, t); })) return false;
    if (def.kind != Kind::kConstant && def.value_checks.empty()) return true;
    TensorDataPtr values = constant_value(g_, t);
    return values && std::all_of(def.value_checks.begin(), def.value_checks.end(),
                                 [&](const auto& check) { return check(*values); });
  }

  bool finish(State s) {
    std::unordered_set<const Node*> matched(s.nodes.begin(), s.nodes.end());
    for (size_t v = 0; v < s.values.size(); ++v) {
      const TensorPtr& t = s.values[v];
      if (!p_.values_[v].single_use || !t) continue;
      bool kept_elsewhere = std::count(g_.outputs.begin(), g_.outputs.end(), t) ||
                            std::any_of(t->consumers().begin(), t->consumers().end(),
                                        [&](const Node* c) { return !matched.count(c); });
      if (kept_elsewhere) return false;
    }
    require_all_ops_bound(s);
    found_.graph_ = &g_;
    found_.root_ = p_.root_;
    found_.nodes_ = std::move(s.nodes);
    found_.values_ = std::move(s.values);
    found_.value_ops_.clear();
    for (const auto& def : p_.values_) found_.value_ops_.push_back(def.op);
    return true;
  }

  void require_all_ops_bound(const State& s) const {
    for (size_t op = 0; op < s.nodes.size(); ++op) {
      if (!s.nodes[op]) {
        throw Error("pattern: op #" + std::to_string(op) + " (" + p_.ops_[op].op_types.front() +
                    ") is not connected to the root op; every op must feed the root");
      }
    }
  }

  const Pattern& p_;
  const Graph& g_;
  Match found_;
};

std::optional<Match> Pattern::match(Node& node) const { return PatternMatcher(*this, *node.graph()).at(node); }

std::vector<Match> Pattern::match_all(const Graph& graph) const {
  std::vector<Match> matches;
  for (const auto& node : graph.nodes()) {
    if (std::optional<Match> m = match(*node)) matches.push_back(std::move(*m));
  }
  return matches;
}

Node* Match::node(PatternValue op_output) const {
  size_t op = value_ops_.at(op_output.id());
  if (op == static_cast<size_t>(-1)) {
    throw Error("pattern value #" + std::to_string(op_output.id()) + " is not the output of an op");
  }
  return nodes_.at(op);
}

TensorDataPtr Match::values(PatternValue v) const {
  const TensorPtr& t = tensor(v);
  return t ? constant_value(*graph_, *t) : nullptr;
}

}  // namespace graft
