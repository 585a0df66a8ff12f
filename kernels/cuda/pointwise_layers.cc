// The pointwise layer: a group of elementwise nodes (unary math, activations, arithmetic,
// comparisons, logic, Cast, Where, Clip, Identity, inference Dropout) compiled into one
// register-machine program (kernels/cuda/pointwise.h) and run as one kernel. Every group
// input broadcasts to the group's output shape; values compute in float (float16 and
// float32), double or int64/uint64 and are narrowed to each node's dtype as the CPU
// kernels compute them. Gelu's decomposition (Div, Erf, Add, Mul, Mul) compiles to one op.
// Tactics: a kernel generated for the group (jit, first where NVRTC is there: compiled in
// the background from prepare(), kept for the process); the program runs every group; a
// float chain (each op reading the one before) also runs as a chain, and a lone
// Add/Sub/Mul/Div of full-size or scalar inputs as a direct kernel, both faster.
#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/elementwise_util.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/pointwise.h"
#include "kernels/cuda/pointwise_jit.h"
#include "surgeon/error.h"

namespace graft::cuda {
namespace {

namespace pw = pointwise;
using cpu::Dims;

// ---- dtypes ----

bool is_float(DataType t) { return t == DataType::kFloat || t == DataType::kFloat16 || t == DataType::kDouble; }
bool is_unsigned(DataType t) {
  return t == DataType::kUint8 || t == DataType::kUint16 || t == DataType::kUint32 || t == DataType::kUint64;
}
bool is_integer(DataType t) {
  return is_unsigned(t) || t == DataType::kInt8 || t == DataType::kInt16 || t == DataType::kInt32 || t == DataType::kInt64;
}
bool is_supported(DataType t) { return is_float(t) || is_integer(t) || t == DataType::kBool; }

pw::Kind kind_of(DataType t) {
  switch (t) {
    case DataType::kFloat:
    case DataType::kFloat16: return pw::Kind::kF32;
    case DataType::kDouble: return pw::Kind::kF64;
    case DataType::kUint64: return pw::Kind::kU64;
    default: return pw::Kind::kI64;
  }
}

// What a result of dtype t is narrowed to after each op.
pw::Wrap wrap_of(DataType t) {
  switch (t) {
    case DataType::kFloat16: return pw::Wrap::kHalf;
    case DataType::kInt8: return pw::Wrap::kInt8;
    case DataType::kUint8: return pw::Wrap::kUint8;
    case DataType::kInt16: return pw::Wrap::kInt16;
    case DataType::kUint16: return pw::Wrap::kUint16;
    case DataType::kInt32: return pw::Wrap::kInt32;
    case DataType::kUint32: return pw::Wrap::kUint32;
    default: return pw::Wrap::kNone;
  }
}

pw::Elem elem_of(DataType t, const std::string& what) {
  switch (t) {
    case DataType::kFloat: return pw::Elem::kFloat;
    case DataType::kFloat16: return pw::Elem::kHalf;
    case DataType::kDouble: return pw::Elem::kDouble;
    case DataType::kInt8: return pw::Elem::kInt8;
    case DataType::kInt16: return pw::Elem::kInt16;
    case DataType::kInt32: return pw::Elem::kInt32;
    case DataType::kInt64: return pw::Elem::kInt64;
    case DataType::kUint8: return pw::Elem::kUint8;
    case DataType::kUint16: return pw::Elem::kUint16;
    case DataType::kUint32: return pw::Elem::kUint32;
    case DataType::kUint64: return pw::Elem::kUint64;
    case DataType::kBool: return pw::Elem::kBool;
    default: throw Error(what + ": element type " + dtype_name(t) + " is not supported on the GPU");
  }
}

enum class Types { kFloat, kNumeric, kNumericOrBool, kBool, kInteger, kUnsigned };

bool accepts(Types types, DataType t) {
  switch (types) {
    case Types::kFloat: return is_float(t);
    case Types::kNumeric: return is_float(t) || is_integer(t);
    case Types::kNumericOrBool: return is_supported(t);
    case Types::kBool: return t == DataType::kBool;
    case Types::kInteger: return is_integer(t);
    case Types::kUnsigned: return is_unsigned(t);
  }
  return false;
}

// ---- the program in SSA form ----

struct Value {
  DataType dtype;
  pw::Kind kind() const { return kind_of(dtype); }
};

// An instruction whose operands and result are value ids (registers come later).
struct Step {
  pw::Instr instr;
  int dst = -1;
  std::vector<int> args;
};

// A group input read at every element. Its dims follow an older opset's rule when
// `rule` says so: then `partner` is the value its dims line up with.
struct LoadSlot {
  enum class Rule { kNumpy, kBroadcastAttr, kPReluSlope };
  int input = -1;
  Rule rule = Rule::kNumpy;
  size_t node = 0;
  int partner = -1;
  bool has_axis = false;  // kBroadcastAttr: the node's axis attribute
  int64_t axis = 0;
};

// Inference-mode Dropout: the training_mode input (opset 12+) must be known false.
struct DropoutCheck {
  size_t node;
  int training_input;  // -1: none
};

struct Compiled {
  std::vector<Value> values;
  std::vector<Step> steps;
  std::vector<LoadSlot> loads;
  std::vector<DropoutCheck> dropouts;
  std::vector<pw::Instr> code;  // steps with registers
};

// What Gelu's decomposition passes to Erf: x / s, or x * s.
struct ErfArgument {
  int x;
  float s;
  bool divide;
};

class Compiler;
using Handler = void (*)(Compiler&);
const Handler* find_handler(const std::string& op_type);

// Translates nodes into steps. Group inputs are loaded at their first use.
class Compiler {
 public:
  Compiler(const std::vector<const Node*>& nodes, const std::vector<const Tensor*>& inputs,
           const std::vector<const Tensor*>& outputs, std::string what)
      : nodes_(nodes), inputs_(inputs), outputs_(outputs), what_(std::move(what)) {}

  Compiled run();

  // For the op handlers: the node being translated.
  const Node& node() const { return *nodes_[current_]; }
  size_t node_index() const { return current_; }
  // Index among the group inputs of the node's input i; -1 when absent or computed here.
  int group_input(size_t i) const { return node().input(i) ? input_index(node().input(i).get()) : -1; }
  ops::NodeAttrs attrs() const { return ops::NodeAttrs(node()); }
  bool has_in(size_t i) const { return node().input(i) != nullptr; }
  int in(size_t i, LoadSlot::Rule rule = LoadSlot::Rule::kNumpy, int partner = -1);
  DataType dtype(int value) const { return out_.values[value].dtype; }
  DataType in_dtype(size_t i) const;  // without loading it
  // Input i, checked to be of `types` (and of input 0's dtype when same_as_first).
  int typed_in(size_t i, Types types, bool same_as_first = true);
  int emit(pw::Op op, DataType result, pw::Kind kind, std::vector<int> args, float p0 = 0, float p1 = 0);
  int convert(int value, DataType to);
  void define(size_t output, int value) { defined_[node().output(output).get()] = value; }
  bool is_group_output(size_t output) const;
  void add_dropout(DropoutCheck check) { out_.dropouts.push_back(check); }
  [[noreturn]] void fail(const std::string& message) const { throw Error(what_ + ": " + message); }

 private:
  int input_index(const Tensor* t) const;
  void store_outputs();
  void fuse_gelus();
  std::optional<ErfArgument> erf_argument(const Step& scaled) const;
  std::optional<double> constant_of(int value) const;
  void drop_unused();
  void allocate_registers();

  const std::vector<const Node*>& nodes_;
  const std::vector<const Tensor*>& inputs_;
  const std::vector<const Tensor*>& outputs_;
  std::string what_;
  size_t current_ = 0;
  std::map<const Tensor*, int> defined_;
  std::map<int, int> loaded_;  // input index -> value, for numpy-broadcast loads
  Compiled out_;
};

int Compiler::input_index(const Tensor* t) const {
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i] == t) return static_cast<int>(i);
  }
  return -1;
}

DataType Compiler::in_dtype(size_t i) const {
  const Tensor* t = node().input(i).get();
  if (!t) fail("input " + std::to_string(i) + " of " + node().describe() + " is missing");
  auto it = defined_.find(t);
  return it != defined_.end() ? dtype(it->second) : t->dtype();
}

int Compiler::in(size_t i, LoadSlot::Rule rule, int partner) {
  const Tensor* t = node().input(i).get();
  if (!t) fail("input " + std::to_string(i) + " of " + node().describe() + " is missing");
  if (auto it = defined_.find(t); it != defined_.end()) return it->second;
  const int input = input_index(t);
  if (input < 0) fail("tensor '" + t->name + "' is neither a group input nor computed in the group");
  if (rule == LoadSlot::Rule::kNumpy) {
    if (auto it = loaded_.find(input); it != loaded_.end()) return it->second;
  }
  if (!is_supported(t->dtype())) fail("input '" + t->name + "' has element type " + dtype_name(t->dtype()) + ", not supported on the GPU");
  const ops::NodeAttrs node_attrs = attrs();
  out_.loads.push_back({input, rule, current_, partner, node_attrs.has("axis"), node_attrs.get_int("axis", 0)});
  pw::Instr instr;
  instr.op = pw::Op::kLoad;
  instr.kind = kind_of(t->dtype());
  instr.a = static_cast<uint8_t>(std::min<size_t>(out_.loads.size() - 1, 255));
  out_.values.push_back({t->dtype()});
  const int value = static_cast<int>(out_.values.size()) - 1;
  out_.steps.push_back({instr, value, {}});
  if (rule == LoadSlot::Rule::kNumpy) loaded_[input] = value;
  return value;
}

int Compiler::typed_in(size_t i, Types types, bool same_as_first) {
  const int v = in(i);
  if (!accepts(types, dtype(v))) fail(node().describe() + " does not support element type " + dtype_name(dtype(v)));
  if (same_as_first && i > 0 && dtype(v) != in_dtype(0)) {
    fail(node().describe() + ": inputs have different types, " + dtype_name(in_dtype(0)) + " and " + dtype_name(dtype(v)));
  }
  return v;
}

int Compiler::emit(pw::Op op, DataType result, pw::Kind kind, std::vector<int> args, float p0, float p1) {
  pw::Instr instr;
  instr.op = op;
  instr.kind = kind;
  instr.to = kind_of(result);
  instr.p0 = p0;
  instr.p1 = p1;
  // Selecting ops give back one of their (already narrowed) operands.
  const bool selects = op == pw::Op::kWhere || op == pw::Op::kMax || op == pw::Op::kMin || op == pw::Op::kClipLo ||
                       op == pw::Op::kClipHi;
  instr.wrap = selects ? pw::Wrap::kNone : wrap_of(result);
  out_.values.push_back({result});
  const int value = static_cast<int>(out_.values.size()) - 1;
  out_.steps.push_back({instr, value, std::move(args)});
  return value;
}

int Compiler::convert(int value, DataType to) {
  const DataType from = dtype(value);
  if (from == to) return value;
  const int v = emit(pw::Op::kCast, to, kind_of(from), {value});
  if (to == DataType::kBool) out_.steps.back().instr.wrap = pw::Wrap::kBool;
  return v;
}

bool Compiler::is_group_output(size_t output) const {
  const Tensor* t = node().output(output).get();
  return t && std::find(outputs_.begin(), outputs_.end(), t) != outputs_.end();
}

Compiled Compiler::run() {
  for (current_ = 0; current_ < nodes_.size(); ++current_) {
    const Node& n = node();
    const Handler* handler = n.domain.empty() || n.domain == "ai.onnx" ? find_handler(n.op_type) : nullptr;
    if (!handler) fail(n.describe() + " is not a pointwise op");
    (*handler)(*this);
  }
  store_outputs();
  fuse_gelus();
  drop_unused();
  if (out_.steps.size() > static_cast<size_t>(pw::kMaxCode)) fail("more than " + std::to_string(pw::kMaxCode) + " instructions");
  if (out_.loads.size() > static_cast<size_t>(pw::kMaxLoads)) fail("more than " + std::to_string(pw::kMaxLoads) + " loads");
  allocate_registers();
  return std::move(out_);
}

void Compiler::store_outputs() {
  if (outputs_.size() > static_cast<size_t>(pw::kMaxOutputs)) fail("more than " + std::to_string(pw::kMaxOutputs) + " outputs");
  for (size_t j = 0; j < outputs_.size(); ++j) {
    if (!outputs_[j]) continue;  // an omitted optional output
    auto it = defined_.find(outputs_[j]);
    if (it == defined_.end()) fail("output '" + outputs_[j]->name + "' is not computed by the group");
    pw::Instr instr;
    instr.op = pw::Op::kStore;
    instr.kind = out_.values[it->second].kind();
    instr.b = static_cast<uint8_t>(j);
    out_.steps.push_back({instr, -1, {it->second}});
  }
}

// The value of a scalar constant input (the model's initializer) that `value` loads.
std::optional<double> Compiler::constant_of(int value) const {
  if (value < 0) return std::nullopt;
  for (const Step& s : out_.steps) {
    if (s.dst != value) continue;
    if (s.instr.op != pw::Op::kLoad || out_.loads[s.instr.a].rule != LoadSlot::Rule::kNumpy) return std::nullopt;
    const Tensor* t = inputs_[out_.loads[s.instr.a].input];
    if (!t->data) return std::nullopt;
    const cpu::HostTensor h = cpu::HostTensor::from_data(*t->data);
    if (h.numel() != 1) return std::nullopt;
    return h.to_doubles()[0];
  }
  return std::nullopt;
}

// Step `scaled` as x / s or x * s with s a constant near sqrt(2) (or its inverse, to multiply).
std::optional<ErfArgument> Compiler::erf_argument(const Step& scaled) const {
  if (scaled.instr.op == pw::Op::kDiv) {
    const std::optional<double> s = constant_of(scaled.args[1]);
    if (s && std::abs(*s - std::sqrt(2.0)) < 1e-3) return ErfArgument{scaled.args[0], static_cast<float>(*s), true};
  }
  if (scaled.instr.op == pw::Op::kMul) {
    for (int k = 0; k < 2; ++k) {
      const std::optional<double> s = constant_of(scaled.args[k]);
      if (s && std::abs(*s - std::sqrt(0.5)) < 1e-3) return ErfArgument{scaled.args[1 - k], static_cast<float>(*s), false};
    }
  }
  return std::nullopt;
}

// Gelu as exporters decompose it, 0.5 * x * (1 + erf(x / sqrt(2))), as one step (kGeluErf),
// in float32: x / s (or x * 1/s) -> Erf -> + 1 -> * x -> * 0.5, or -> * 0.5 -> * x (the
// orders a chain of nodes can take), any operand order. The fused op computes what the
// nodes compute (multiplying by 0.5 is exact), with the model's constant s, in one step
// instead of five.
void Compiler::fuse_gelus() {
  auto is = [&](int v, double want) {
    const std::optional<double> c = constant_of(v);
    return c && *c == want;
  };
  for (bool fused = true; fused;) {
    fused = false;
    std::vector<int> uses(out_.values.size(), 0), user(out_.values.size(), -1), def(out_.values.size(), -1);
    for (size_t s = 0; s < out_.steps.size(); ++s) {
      if (out_.steps[s].dst >= 0) def[out_.steps[s].dst] = static_cast<int>(s);
      for (int a : out_.steps[s].args) ++uses[a], user[a] = static_cast<int>(s);
    }
    // The step that alone reads `v` when it is a float32 `op` without narrowing, else null.
    auto only_user = [&](int v, pw::Op op) -> Step* {
      if (v < 0 || uses[v] != 1) return nullptr;
      Step& s = out_.steps[user[v]];
      return s.instr.op == op && s.instr.wrap == pw::Wrap::kNone && out_.values[s.dst].dtype == DataType::kFloat ? &s : nullptr;
    };
    // The operand of binary step `s` other than `v` (-1 when v is not one).
    auto other = [](const Step* s, int v) { return !s ? -1 : s->args[0] == v ? s->args[1] : s->args[1] == v ? s->args[0] : -1; };
    for (Step& erf : out_.steps) {
      if (erf.instr.op != pw::Op::kErf || out_.values[erf.dst].dtype != DataType::kFloat || def[erf.args[0]] < 0) continue;
      Step& scaled = out_.steps[def[erf.args[0]]];
      if (uses[scaled.dst] != 1 || scaled.instr.wrap != pw::Wrap::kNone) continue;
      const std::optional<ErfArgument> arg = erf_argument(scaled);
      if (!arg) continue;
      const int gx = arg->x;
      Step* plus = only_user(erf.dst, pw::Op::kAdd);
      if (!plus || !is(other(plus, erf.dst), 1.0)) continue;
      const int a = plus->dst;
      Step* mul = only_user(a, pw::Op::kMul);
      if (!mul) continue;
      const int m = other(mul, a);
      Step* last = only_user(mul->dst, pw::Op::kMul);
      if (!last) continue;
      const bool x_first = m == gx && is(other(last, mul->dst), 0.5);  // (x * a) * 0.5
      const bool half_first = is(m, 0.5) && other(last, mul->dst) == gx;  // x * (a * 0.5)
      if (!x_first && !half_first) continue;
      for (Step* s : {&scaled, &erf, plus, mul}) s->dst = -2;  // erased below
      last->instr.op = pw::Op::kGeluErf;
      last->instr.p0 = arg->s;
      last->instr.p1 = arg->divide ? 1.0f : 0.0f;
      last->args = {gx};
      out_.steps.erase(std::remove_if(out_.steps.begin(), out_.steps.end(), [](const Step& s) { return s.dst == -2; }),
                       out_.steps.end());
      fused = true;
      break;
    }
  }
}

// Drops steps whose values nothing reads (left by fusions) and the load slots they read.
void Compiler::drop_unused() {
  for (bool dropped = true; dropped;) {
    std::vector<int> uses(out_.values.size(), 0);
    for (const Step& s : out_.steps) {
      for (int a : s.args) ++uses[a];
    }
    const size_t before = out_.steps.size();
    out_.steps.erase(std::remove_if(out_.steps.begin(), out_.steps.end(), [&](const Step& s) { return s.dst >= 0 && uses[s.dst] == 0; }),
                     out_.steps.end());
    dropped = out_.steps.size() != before;
  }
  std::vector<LoadSlot> kept;
  for (Step& s : out_.steps) {
    if (s.instr.op != pw::Op::kLoad) continue;
    kept.push_back(out_.loads[s.instr.a]);
    s.instr.a = static_cast<uint8_t>(kept.size() - 1);
  }
  out_.loads = std::move(kept);
}

// Linear scan: a value's register is free after its last reader; float values take the
// float file, the others the 64-bit file.
void Compiler::allocate_registers() {
  const size_t n_values = out_.values.size();
  std::vector<size_t> last_use(n_values, 0);
  for (size_t s = 0; s < out_.steps.size(); ++s) {
    if (out_.steps[s].dst >= 0) last_use[out_.steps[s].dst] = s;
    for (int a : out_.steps[s].args) last_use[a] = s;
  }
  std::vector<int> reg(n_values, -1);
  std::vector<bool> busy[2] = {std::vector<bool>(pw::kMaxRegs), std::vector<bool>(pw::kMaxRegs)};
  auto file = [&](int v) { return out_.values[v].kind() == pw::Kind::kF32 ? 0 : 1; };
  for (size_t s = 0; s < out_.steps.size(); ++s) {
    Step& step = out_.steps[s];
    uint8_t* fields[3] = {&step.instr.a, &step.instr.b, &step.instr.c};
    // A store names its output in b; its operand is a.
    for (size_t k = 0; k < step.args.size(); ++k) *fields[k] = static_cast<uint8_t>(reg[step.args[k]]);
    for (int a : step.args) {
      if (last_use[a] == s) busy[file(a)][reg[a]] = false;
    }
    if (step.dst < 0) continue;
    std::vector<bool>& free_list = busy[file(step.dst)];
    auto slot = std::find(free_list.begin(), free_list.end(), false);
    if (slot == free_list.end()) fail("more than " + std::to_string(pw::kMaxRegs) + " values live at once");
    *slot = true;
    reg[step.dst] = static_cast<int>(slot - free_list.begin());
    step.instr.dst = static_cast<uint8_t>(reg[step.dst]);
    if (last_use[step.dst] == s) *slot = false;  // never read
  }
  for (const Step& step : out_.steps) out_.code.push_back(step.instr);
}

// ---- op handlers ----

struct UnaryDef {
  pw::Op op;
  Types types;
  const char* attr0 = nullptr;
  float default0 = 0;
  const char* attr1 = nullptr;
  float default1 = 0;
};

const std::map<std::string, UnaryDef>& unary_defs() {
  static const std::map<std::string, UnaryDef> defs = {
      {"Abs", {pw::Op::kAbs, Types::kNumeric}},
      {"Neg", {pw::Op::kNeg, Types::kNumeric}},
      {"Sign", {pw::Op::kSign, Types::kNumeric}},
      {"Relu", {pw::Op::kRelu, Types::kNumeric}},
      {"Reciprocal", {pw::Op::kReciprocal, Types::kFloat}},
      {"Sqrt", {pw::Op::kSqrt, Types::kFloat}},
      {"Exp", {pw::Op::kExp, Types::kFloat}},
      {"Log", {pw::Op::kLog, Types::kFloat}},
      {"Erf", {pw::Op::kErf, Types::kFloat}},
      {"Ceil", {pw::Op::kCeil, Types::kFloat}},
      {"Floor", {pw::Op::kFloor, Types::kFloat}},
      {"Round", {pw::Op::kRound, Types::kFloat}},
      {"Sin", {pw::Op::kSin, Types::kFloat}},
      {"Cos", {pw::Op::kCos, Types::kFloat}},
      {"Tan", {pw::Op::kTan, Types::kFloat}},
      {"Asin", {pw::Op::kAsin, Types::kFloat}},
      {"Acos", {pw::Op::kAcos, Types::kFloat}},
      {"Atan", {pw::Op::kAtan, Types::kFloat}},
      {"Sinh", {pw::Op::kSinh, Types::kFloat}},
      {"Cosh", {pw::Op::kCosh, Types::kFloat}},
      {"Tanh", {pw::Op::kTanh, Types::kFloat}},
      {"Asinh", {pw::Op::kAsinh, Types::kFloat}},
      {"Acosh", {pw::Op::kAcosh, Types::kFloat}},
      {"Atanh", {pw::Op::kAtanh, Types::kFloat}},
      {"Sigmoid", {pw::Op::kSigmoid, Types::kFloat}},
      {"Softplus", {pw::Op::kSoftplus, Types::kFloat}},
      {"Softsign", {pw::Op::kSoftsign, Types::kFloat}},
      {"HardSwish", {pw::Op::kHardSwish, Types::kFloat}},
      {"Mish", {pw::Op::kMish, Types::kFloat}},
      {"LeakyRelu", {pw::Op::kLeakyRelu, Types::kFloat, "alpha", 0.01f}},
      {"Elu", {pw::Op::kElu, Types::kFloat, "alpha", 1.0f}},
      {"Selu", {pw::Op::kSelu, Types::kFloat, "alpha", 1.67326319217681884765625f, "gamma", 1.05070102214813232421875f}},
      {"Celu", {pw::Op::kCelu, Types::kFloat, "alpha", 1.0f}},
      {"HardSigmoid", {pw::Op::kHardSigmoid, Types::kFloat, "alpha", 0.2f, "beta", 0.5f}},
      {"ThresholdedRelu", {pw::Op::kThresholdedRelu, Types::kFloat, "alpha", 1.0f}},
      {"Shrink", {pw::Op::kShrink, Types::kNumeric, "bias", 0.0f, "lambd", 0.5f}},
      {"IsNaN", {pw::Op::kIsNaN, Types::kFloat}},
      {"Not", {pw::Op::kNot, Types::kBool}},
      {"BitwiseNot", {pw::Op::kBitNot, Types::kInteger}},
  };
  return defs;
}

void unary(Compiler& c) {
  const UnaryDef& def = unary_defs().at(c.node().op_type);
  const int x = c.typed_in(0, def.types);
  const ops::NodeAttrs attrs = c.attrs();
  const float p0 = def.attr0 ? attrs.get_float(def.attr0, def.default0) : 0;
  const float p1 = def.attr1 ? attrs.get_float(def.attr1, def.default1) : 0;
  const DataType result = def.op == pw::Op::kIsNaN ? DataType::kBool : c.dtype(x);
  c.define(0, c.emit(def.op, result, kind_of(c.dtype(x)), {x}, p0, p1));
}

void is_inf(Compiler& c) {
  const int x = c.typed_in(0, Types::kFloat);
  const ops::NodeAttrs attrs = c.attrs();
  const float negative = static_cast<float>(attrs.get_int("detect_negative", 1) != 0);
  const float positive = static_cast<float>(attrs.get_int("detect_positive", 1) != 0);
  c.define(0, c.emit(pw::Op::kIsInf, DataType::kBool, kind_of(c.dtype(x)), {x}, negative, positive));
}

void gelu(Compiler& c) {
  const std::string approximate = c.attrs().get_string("approximate", "none");
  if (approximate != "none" && approximate != "tanh") c.fail("approximate must be 'none' or 'tanh', not '" + approximate + "'");
  const int x = c.typed_in(0, Types::kFloat);
  c.define(0, c.emit(approximate == "tanh" ? pw::Op::kGeluTanh : pw::Op::kGelu, c.dtype(x), kind_of(c.dtype(x)), {x}));
}

struct BinaryDef {
  pw::Op op;
  Types types;
  bool to_bool = false;
};

// The ops that the CPU runs through binary_op (kernels/cpu/elementwise_util.h): the
// second input follows the legacy broadcast/axis attributes before opset 7.
const std::map<std::string, BinaryDef>& binary_defs() {
  static const std::map<std::string, BinaryDef> defs = {
      {"Add", {pw::Op::kAdd, Types::kNumeric}},
      {"Sub", {pw::Op::kSub, Types::kNumeric}},
      {"Mul", {pw::Op::kMul, Types::kNumeric}},
      {"Div", {pw::Op::kDiv, Types::kNumeric}},
      {"And", {pw::Op::kAnd, Types::kBool, true}},
      {"Or", {pw::Op::kOr, Types::kBool, true}},
      {"Xor", {pw::Op::kXor, Types::kBool, true}},
      {"Equal", {pw::Op::kEqual, Types::kNumericOrBool, true}},
      {"Less", {pw::Op::kLess, Types::kNumericOrBool, true}},
      {"Greater", {pw::Op::kGreater, Types::kNumericOrBool, true}},
      {"LessOrEqual", {pw::Op::kLessOrEqual, Types::kNumericOrBool, true}},
      {"GreaterOrEqual", {pw::Op::kGreaterOrEqual, Types::kNumericOrBool, true}},
      {"BitwiseAnd", {pw::Op::kBitAnd, Types::kInteger}},
      {"BitwiseOr", {pw::Op::kBitOr, Types::kInteger}},
      {"BitwiseXor", {pw::Op::kBitXor, Types::kInteger}},
  };
  return defs;
}

// Input 1 of a binary op, loaded under the legacy broadcast attribute when it is set.
int second_operand(Compiler& c, int first) {
  const bool legacy = c.attrs().get_int("broadcast", 0) != 0;
  return c.in(1, legacy ? LoadSlot::Rule::kBroadcastAttr : LoadSlot::Rule::kNumpy, first);
}

void binary_with(Compiler& c, pw::Op op, Types types, bool to_bool, float p0 = 0) {
  const int a = c.typed_in(0, types);
  const int b = second_operand(c, a);
  if (c.dtype(b) != c.dtype(a)) {
    c.fail(c.node().describe() + ": inputs have different types, " + dtype_name(c.dtype(a)) + " and " + dtype_name(c.dtype(b)));
  }
  c.define(0, c.emit(op, to_bool ? DataType::kBool : c.dtype(a), kind_of(c.dtype(a)), {a, b}, p0));
}

void binary(Compiler& c) {
  const BinaryDef& def = binary_defs().at(c.node().op_type);
  binary_with(c, def.op, def.types, def.to_bool);
}

void mod(Compiler& c) {
  binary_with(c, c.attrs().get_int("fmod", 0) != 0 ? pw::Op::kFmod : pw::Op::kMod, Types::kNumeric, false);
}

void bit_shift(Compiler& c) {
  const std::string direction = c.attrs().get_string("direction", "");
  if (direction != "LEFT" && direction != "RIGHT") c.fail("attribute 'direction' must be LEFT or RIGHT, got '" + direction + "'");
  const float width = static_cast<float>(dtype_bits(c.in_dtype(0)));
  binary_with(c, direction == "LEFT" ? pw::Op::kShiftLeft : pw::Op::kShiftRight, Types::kUnsigned, false, width);
}

// Pow takes an exponent of any numeric type: integer powers of integers wrap; a float
// on either side computes in float, or in double where double is involved (as the CPU
// computes every mixed case).
void pow(Compiler& c) {
  const int x = c.typed_in(0, Types::kNumeric);
  const int e = second_operand(c, x);
  const DataType tx = c.dtype(x), te = c.dtype(e);
  if (!accepts(Types::kNumeric, te)) c.fail(c.node().describe() + " does not support exponent type " + dtype_name(te));
  if (is_integer(tx) && is_integer(te)) {
    c.define(0, c.emit(pw::Op::kPow, tx, kind_of(tx), {x, c.convert(e, tx)}));
    return;
  }
  const bool in_float = tx != DataType::kDouble && te != DataType::kDouble && is_float(tx);
  const DataType compute = in_float ? tx : DataType::kDouble;
  const int r = c.emit(pw::Op::kPow, compute, kind_of(compute), {c.convert(x, compute), c.convert(e, compute)});
  c.define(0, c.convert(r, tx));
}

// Max, Min, Sum, Mean: folded left to right; Mean divides by the count at the end.
void variadic(Compiler& c) {
  const std::string& op = c.node().op_type;
  const pw::Op fold = op == "Max" ? pw::Op::kMax : op == "Min" ? pw::Op::kMin : pw::Op::kAdd;
  const size_t n = c.node().inputs().size();
  if (n == 0) c.fail(c.node().describe() + " needs at least one input");
  int acc = c.typed_in(0, Types::kNumeric);
  const DataType t = c.dtype(acc);
  for (size_t i = 1; i < n; ++i) acc = c.emit(fold, t, kind_of(t), {acc, c.typed_in(i, Types::kNumeric)});
  if (op == "Mean" && n > 1) {
    const int count = c.emit(pw::Op::kConst, t, kind_of(t), {}, static_cast<float>(n));
    acc = c.emit(pw::Op::kDiv, t, kind_of(t), {acc, count});
  }
  c.define(0, acc);
}

void where(Compiler& c) {
  const int cond = c.in(0);
  if (c.dtype(cond) != DataType::kBool) c.fail(c.node().describe() + ": the condition must be bool, not " + dtype_name(c.dtype(cond)));
  const int x = c.in(1), y = c.in(2);
  if (c.dtype(x) != c.dtype(y)) {
    c.fail(c.node().describe() + ": X and Y have different types, " + dtype_name(c.dtype(x)) + " and " + dtype_name(c.dtype(y)));
  }
  c.define(0, c.emit(pw::Op::kWhere, c.dtype(x), kind_of(c.dtype(x)), {cond, x, y}));
}

// Clip's bounds are inputs 1 and 2 (opset 11+; the runtime checks they are scalars) or
// the min/max attributes (before).
void clip(Compiler& c) {
  int x = c.typed_in(0, Types::kNumeric);
  const DataType t = c.dtype(x);
  const bool bound_inputs = c.node().inputs().size() > 1;
  const ops::NodeAttrs attrs = c.attrs();
  const pw::Op ops[2] = {pw::Op::kClipLo, pw::Op::kClipHi};
  const char* names[2] = {"min", "max"};
  for (size_t k = 0; k < 2; ++k) {
    int bound = -1;
    if (bound_inputs && c.has_in(k + 1)) bound = c.typed_in(k + 1, Types::kNumeric);
    if (!bound_inputs && attrs.has(names[k])) bound = c.emit(pw::Op::kConst, t, kind_of(t), {}, attrs.get_float(names[k], 0));
    if (bound >= 0) x = c.emit(ops[k], t, kind_of(t), {x, bound});
  }
  c.define(0, x);
}

void prelu(Compiler& c) {
  const int x = c.typed_in(0, Types::kNumeric);
  const int slope = c.in(1, LoadSlot::Rule::kPReluSlope, x);
  if (c.dtype(slope) != c.dtype(x)) {
    c.fail(c.node().describe() + ": X and slope have different types, " + dtype_name(c.dtype(x)) + " and " + dtype_name(c.dtype(slope)));
  }
  c.define(0, c.emit(pw::Op::kPRelu, c.dtype(x), kind_of(c.dtype(x)), {x, slope}));
}

void cast_to(Compiler& c, DataType to) {
  if (!is_supported(to)) c.fail(c.node().describe() + ": casting to " + dtype_name(to) + " is not supported on the GPU");
  c.define(0, c.convert(c.typed_in(0, Types::kNumericOrBool), to));
}

void cast(Compiler& c) {
  const Attribute* to = c.node().attr("to");
  if (to && to->type == AttrType::kString) {  // opset 1: the type's name
    const auto t = dtype_from_name(to->s);
    if (!t) c.fail("attribute 'to' names an unknown type '" + to->s + "'");
    cast_to(c, *t);
    return;
  }
  cast_to(c, static_cast<DataType>(c.attrs().required_int("to")));
}

void cast_like(Compiler& c) { cast_to(c, c.in_dtype(1)); }

void identity(Compiler& c) { c.define(0, c.in(0)); }

// Inference-mode Dropout: output 0 is the input; the optional mask is all true.
void dropout(Compiler& c) {
  c.define(0, c.in(0));
  if (c.is_group_output(1)) c.define(1, c.emit(pw::Op::kConst, DataType::kBool, pw::Kind::kI64, {}, 1));
  c.add_dropout({c.node_index(), c.group_input(2)});
}

const std::map<std::string, Handler>& handlers() {
  static const std::map<std::string, Handler> table = [] {
    std::map<std::string, Handler> t;
    for (const auto& [name, def] : unary_defs()) t[name] = unary;
    for (const auto& [name, def] : binary_defs()) t[name] = binary;
    for (const char* name : {"Max", "Min", "Sum", "Mean"}) t[name] = variadic;
    t["IsInf"] = is_inf;
    t["Gelu"] = gelu;
    t["Mod"] = mod;
    t["BitShift"] = bit_shift;
    t["Pow"] = pow;
    t["Where"] = where;
    t["Clip"] = clip;
    t["PRelu"] = prelu;
    t["Cast"] = cast;
    t["CastLike"] = cast_like;
    t["Identity"] = identity;
    t["Dropout"] = dropout;
    return t;
  }();
  return table;
}

const Handler* find_handler(const std::string& op_type) {
  auto it = handlers().find(op_type);
  return it == handlers().end() ? nullptr : &it->second;
}

// ---- the layer ----

// Numpy's rule, one way: every dim of `in` (aligned at the end) is 1 or out's.
bool broadcasts_to(const Dims& in, const Dims& out) {
  if (in.size() > out.size()) return false;
  for (size_t i = 1; i <= in.size(); ++i) {
    if (in[in.size() - i] != 1 && in[in.size() - i] != out[out.size() - i]) return false;
  }
  return true;
}

bool aligned(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// The direct kernel's case: one Add/Sub/Mul/Div of two full-size or scalar float (or
// half) loads into one output of the same storage.
struct Direct {
  pw::BinaryOp op;
  int a, b;  // load slots
};

// The program as a chain (pointwise::run_chain) when it is one: float values, each op
// reading the op before it (and nothing after reading that), loads, and for a binary op
// at most one constant; one output.
std::optional<std::vector<pw::Instr>> chain_of(const Compiled& c) {
  std::vector<const Step*> def(c.values.size(), nullptr);
  std::vector<int> uses(c.values.size(), 0);
  for (const Step& s : c.steps) {
    if (s.dst >= 0) def[s.dst] = &s;
    for (int a : s.args) ++uses[a];
  }
  std::vector<pw::Instr> code;
  int acc = -1, stores = 0;
  for (const Step& s : c.steps) {
    const pw::Op op = s.instr.op;
    if (op == pw::Op::kLoad || op == pw::Op::kConst) continue;
    if (op == pw::Op::kStore) {
      if (s.args[0] != acc || s.instr.b != 0 || ++stores > 1) return std::nullopt;
      continue;
    }
    if (s.instr.kind != pw::Kind::kF32 || s.instr.to != pw::Kind::kF32) return std::nullopt;
    pw::Instr in = s.instr;
    uint8_t* sources[3] = {&in.a, &in.b, &in.c};
    for (uint8_t* source : sources) *source = pw::kNoOperand;
    int acc_reads = 0;
    bool p0_used = false;
    for (size_t k = 0; k < s.args.size(); ++k) {
      const int v = s.args[k];
      const pw::Op from = def[v]->instr.op;
      const bool cond = op == pw::Op::kWhere && k == 0;
      if (v == acc) {
        *sources[k] = pw::kFromAcc;
        ++acc_reads;
      } else if (from == pw::Op::kLoad && (kind_of(c.values[v].dtype) == pw::Kind::kF32 || cond)) {
        *sources[k] = def[v]->instr.a;
      } else if (from == pw::Op::kConst && s.args.size() == 2 && !p0_used) {  // binary ops have no parameters
        *sources[k] = pw::kFromP0;
        in.p0 = def[v]->instr.p0;
        p0_used = true;
      } else {
        return std::nullopt;
      }
    }
    if (acc >= 0 && acc_reads != uses[acc]) return std::nullopt;  // acc lost, or read again later
    acc = s.dst;
    code.push_back(in);
  }
  if (code.empty() || stores != 1) return std::nullopt;
  return code;
}

// The program with value ids in place of registers, as the kernel generator takes it.
std::vector<pw::Instr> ssa_of(const Compiled& c) {
  std::vector<pw::Instr> code;
  for (const Step& s : c.steps) {
    pw::Instr in = s.instr;
    if (in.op == pw::Op::kStore) {
      in.a = static_cast<uint8_t>(s.args[0]);
    } else {
      in.dst = static_cast<uint8_t>(s.dst);
      uint8_t* operands[3] = {&in.a, &in.b, &in.c};
      for (size_t k = 0; k < s.args.size(); ++k) *operands[k] = static_cast<uint8_t>(s.args[k]);
    }
    code.push_back(in);
  }
  return code;
}

class PointwiseLayer : public Layer {
 public:
  PointwiseLayer(const LayerSpec& spec, Compiled compiled)
      : what_(spec.describe()), opsets_(spec.opsets), compiled_(std::move(compiled)), chain_code_(chain_of(compiled_)) {
    for (const Node* n : spec.nodes) ops_ += (ops_.empty() ? "" : "+") + n->op_type;
  }

  bool supports_fp16() const override { return true; }
  // The fastest form first: jit (where NVRTC compiles the group's kernel), direct, chain,
  // program (which runs everything).
  std::vector<std::string> tactics() const override {
    std::vector<std::string> names;
    if (jit()) names.push_back("jit");
    if (direct_) names.push_back("direct");
    if (chain_code_) names.push_back("chain");
    names.push_back("program");
    return names;
  }
  void set_tactic(const std::string& name) override { tactic_ = name; }
  void prepare(const PrepareContext& ctx) override;
  void enqueue(const EnqueueContext& ctx) override;
  std::string summary() const override;

 private:
  [[noreturn]] void fail(const std::string& message) const { throw Error(what_ + ": " + message); }
  void check_dropouts(const PrepareContext& ctx) const;
  Dims load_dims(const LoadSlot& slot, Dims dims, const std::vector<Dims>& values) const;
  std::vector<Dims> slot_dims(const PrepareContext& ctx) const;
  void set_loads(const PrepareContext& ctx, const Dims& out);
  std::optional<Direct> find_direct() const;
  std::string active_tactic() const { return tactic_.empty() ? tactics().front() : tactic_; }
  bool run_direct(const EnqueueContext& ctx);
  bool run_jit(const EnqueueContext& ctx);
  const pw::Program& bind(pw::Program& program, const EnqueueContext& ctx, int lanes) const;
  // The generated kernel (compiling since prepare(); waits for it), or null.
  const pw::JitKernel* jit() const { return jit_kernel_.valid() ? jit_kernel_.get() : nullptr; }

  std::string what_;
  std::string ops_;
  std::vector<int64_t> opsets_;
  Compiled compiled_;
  std::optional<std::vector<pw::Instr>> chain_code_;
  pw::Program program_;
  pw::Program chain_;
  std::optional<Direct> direct_;
  std::optional<pw::JitPlan> jit_plan_;
  pw::JitFuture jit_kernel_;
  std::string tactic_;  // empty: the first of tactics()
};

void PointwiseLayer::check_dropouts(const PrepareContext& ctx) const {
  for (const DropoutCheck& d : compiled_.dropouts) {
    if (opsets_[d.node] < 12 || d.training_input < 0) continue;
    const cpu::HostTensor* training = ctx.host_values[d.training_input];
    if (!training) fail("Dropout's training_mode must be a constant to run on the GPU");
    if (training->numel() > 0 && training->data<bool>()[0]) fail("Dropout in training mode is not supported on the GPU");
  }
}

// A load's dims under the legacy rules of its node's opset (numpy's otherwise).
Dims PointwiseLayer::load_dims(const LoadSlot& slot, Dims dims, const std::vector<Dims>& values) const {
  if (opsets_[slot.node] >= 7 || slot.rule == LoadSlot::Rule::kNumpy) return dims;
  const Dims& partner = values[slot.partner];
  const int64_t ra = static_cast<int64_t>(partner.size()), rb = static_cast<int64_t>(dims.size());
  if (slot.rule == LoadSlot::Rule::kPReluSlope) {  // a 1-D slope of X's channel count applies per channel
    if (rb != 1 || ra < 2 || dims[0] != partner[1] || dims[0] == 1) return dims;
    Dims d(static_cast<size_t>(ra - 1), 1);
    d[0] = dims[0];
    return d;
  }
  int64_t axis = slot.has_axis ? slot.axis : ra - rb;
  if (axis < 0) axis += ra;
  if (axis < 0 || axis + rb > ra) {
    fail("legacy broadcast: input " + cpu::dims_str(dims) + " does not fit " + cpu::dims_str(partner) + " at axis " +
         std::to_string(axis));
  }
  dims.resize(static_cast<size_t>(ra - axis), 1);
  return dims;
}

// The dims of every load, found by walking the program with each value's dims.
std::vector<Dims> PointwiseLayer::slot_dims(const PrepareContext& ctx) const {
  std::vector<Dims> values(compiled_.values.size()), slots(compiled_.loads.size());
  try {
    for (const Step& step : compiled_.steps) {
      if (step.instr.op == pw::Op::kLoad) {
        const LoadSlot& slot = compiled_.loads[step.instr.a];
        slots[step.instr.a] = load_dims(slot, ctx.inputs[slot.input].dims, values);
        values[step.dst] = slots[step.instr.a];
      } else if (step.dst >= 0) {
        std::vector<const Dims*> args;
        for (int a : step.args) args.push_back(&values[a]);
        values[step.dst] = cpu::broadcast_dims(args);
      }
    }
  } catch (const Error& e) {
    fail(e.what());
  }
  return slots;
}

void PointwiseLayer::set_loads(const PrepareContext& ctx, const Dims& out) {
  std::vector<Dims> dims = slot_dims(ctx);
  for (const Dims& d : dims) {
    if (!broadcasts_to(d, out)) fail("input dims " + cpu::dims_str(d) + " do not broadcast to " + cpu::dims_str(out));
  }
  Dims loop = out;
  cpu::coalesce_broadcast(loop, dims);
  pw::set_geometry(program_.geometry, loop.data(), static_cast<int>(loop.size()));
  for (size_t k = 0; k < dims.size(); ++k) {
    pw::Load& load = program_.loads[k];
    const DataType storage = ctx.inputs[compiled_.loads[k].input].dtype;
    load.elem = elem_of(storage, what_);
    const int64_t numel = cpu::num_elements(dims[k]);
    load.access = numel == program_.geometry.n ? pw::Access::kFull : numel == 1 ? pw::Access::kScalar : pw::Access::kStrided;
    int64_t stride = 1;
    for (size_t d = dims[k].size(); d-- > 0;) {
      load.strides[d] = dims[k][d] == 1 ? 0 : stride;
      stride *= dims[k][d];
    }
  }
}

void PointwiseLayer::prepare(const PrepareContext& ctx) {
  check_dropouts(ctx);
  const Dims* out = nullptr;
  for (const Step& step : compiled_.steps) {  // storage must hold what the registers hold
    const bool load = step.instr.op == pw::Op::kLoad, store = step.instr.op == pw::Op::kStore;
    if (!load && !store) continue;
    const TensorDesc& desc = load ? ctx.inputs[compiled_.loads[step.instr.a].input] : ctx.outputs[step.instr.b];
    if (!is_supported(desc.dtype) || kind_of(desc.dtype) != step.instr.kind) {
      fail("a tensor is stored as " + dtype_name(desc.dtype) + ", which the group's program does not expect");
    }
    if (store) {
      if (out && desc.dims != *out) fail("outputs of different dims " + cpu::dims_str(desc.dims) + " and " + cpu::dims_str(*out));
      out = &desc.dims;
      program_.outputs[step.instr.b].elem = elem_of(desc.dtype, what_);
    }
  }
  set_loads(ctx, *out);
  program_.code_size = static_cast<int>(compiled_.code.size());
  std::copy(compiled_.code.begin(), compiled_.code.end(), program_.code);
  if (chain_code_) {
    chain_ = program_;
    chain_.code_size = static_cast<int>(chain_code_->size());
    std::copy(chain_code_->begin(), chain_code_->end(), chain_.code);
  }
  direct_ = find_direct();
  jit_plan_ = pw::plan_jit(ssa_of(compiled_), static_cast<int>(ctx.outputs.size()), program_);
  jit_kernel_ = jit_plan_ ? pw::jit_kernel(jit_plan_->source) : pw::JitFuture();
}

std::optional<Direct> PointwiseLayer::find_direct() const {
  std::vector<const Step*> ops, stores;
  for (const Step& step : compiled_.steps) {
    if (step.instr.op == pw::Op::kStore) stores.push_back(&step);
    else if (step.instr.op != pw::Op::kLoad) ops.push_back(&step);
  }
  if (ops.size() != 1 || stores.size() != 1 || stores[0]->instr.b != 0 || stores[0]->args[0] != ops[0]->dst ||
      ops[0]->instr.kind != pw::Kind::kF32) {
    return std::nullopt;
  }
  const pw::Op op = ops[0]->instr.op;
  const pw::BinaryOp binary[] = {pw::BinaryOp::kAdd, pw::BinaryOp::kSub, pw::BinaryOp::kMul, pw::BinaryOp::kDiv};
  const pw::Op arith[] = {pw::Op::kAdd, pw::Op::kSub, pw::Op::kMul, pw::Op::kDiv};
  const auto* found = std::find(std::begin(arith), std::end(arith), op);
  if (found == std::end(arith)) return std::nullopt;
  // The operands must come straight from full-size or scalar loads of the output's storage.
  int slots[2];
  for (int k = 0; k < 2; ++k) {
    const int value = ops[0]->args[k];
    auto def = std::find_if(compiled_.steps.begin(), compiled_.steps.end(), [&](const Step& s) { return s.dst == value; });
    if (def->instr.op != pw::Op::kLoad) return std::nullopt;
    slots[k] = def->instr.a;
    const pw::Load& load = program_.loads[slots[k]];
    if (load.access == pw::Access::kStrided || load.elem != program_.outputs[0].elem) return std::nullopt;
  }
  return Direct{binary[found - std::begin(arith)], slots[0], slots[1]};
}

// Runs the direct kernel when its pointers allow (16-byte aligned, scalars aside).
bool PointwiseLayer::run_direct(const EnqueueContext& ctx) {
  const bool a_scalar = program_.loads[direct_->a].access == pw::Access::kScalar;
  const bool b_scalar = program_.loads[direct_->b].access == pw::Access::kScalar;
  const void* a = ctx.inputs[compiled_.loads[direct_->a].input].data;
  const void* b = ctx.inputs[compiled_.loads[direct_->b].input].data;
  void* y = ctx.outputs[0].data;
  if (!(a_scalar || aligned(a, 16)) || !(b_scalar || aligned(b, 16)) || !aligned(y, 16)) return false;
  check_cuda(pw::run_binary(direct_->op, program_.outputs[0].elem, a, a_scalar, b, b_scalar, y, program_.geometry.n, ctx.stream),
             what_ + ": pointwise kernel");
  return true;
}

// Runs the generated kernel when the pointers are aligned for its vectors (always in the
// engine's memory).
bool PointwiseLayer::run_jit(const EnqueueContext& ctx) {
  const pw::Program& bound = bind(program_, ctx, pw::kLanes);
  if (!pw::jit_aligned(*jit_plan_, bound)) return false;
  check_cuda(pw::run_jit(*jit(), *jit_plan_, bound, ctx.stream), what_ + ": generated pointwise kernel");
  return true;
}

// `program` with this run's pointers; vector loads and stores where aligned for `lanes`.
const pw::Program& PointwiseLayer::bind(pw::Program& program, const EnqueueContext& ctx, int lanes) const {
  for (size_t k = 0; k < compiled_.loads.size(); ++k) {
    pw::Load& load = program.loads[k];
    load.data = ctx.inputs[compiled_.loads[k].input].data;
    load.vector = load.access == pw::Access::kFull && aligned(load.data, lanes * pw::elem_size(load.elem));
  }
  for (const pw::Instr& instr : compiled_.code) {
    if (instr.op != pw::Op::kStore) continue;
    pw::Store& store = program.outputs[instr.b];
    store.data = ctx.outputs[instr.b].data;
    store.vector = aligned(store.data, lanes * pw::elem_size(store.elem));
  }
  return program;
}

void PointwiseLayer::enqueue(const EnqueueContext& ctx) {
  if (program_.geometry.n == 0) return;
  const std::string tactic = active_tactic();
  if (tactic == "jit" && jit() && run_jit(ctx)) return;
  if (tactic == "direct" && direct_ && run_direct(ctx)) return;
  const bool chain = tactic != "program" && chain_code_;
  const int err = chain ? pw::run_chain(bind(chain_, ctx, pw::kChainLanes), ctx.stream)
                        : pw::run_program(bind(program_, ctx, pw::kLanes), ctx.stream);
  check_cuda(err, what_ + ": pointwise kernel");
}

std::string PointwiseLayer::summary() const {
  const std::string tactic = active_tactic();
  std::string form = "program of " + std::to_string(compiled_.code.size()) + " instructions";
  if (tactic == "direct") form = "direct binary kernel";
  if (tactic == "chain") form = "chain of " + std::to_string(chain_code_->size()) + " ops";
  if (tactic == "jit" && jit()) {
    form = "generated kernel, " + std::to_string(jit_plan_->lanes) + " elements a thread, NVRTC " +
           std::to_string(static_cast<int>(jit()->compile_seconds * 1000 + 0.5)) + " ms";
  }
  return "pointwise " + ops_ + " (" + form + ", " + std::to_string(compiled_.loads.size()) + " loads)";
}

std::unique_ptr<Layer> make_pointwise(const LayerSpec& spec) {
  Compiled compiled = Compiler(spec.nodes, spec.inputs, spec.outputs, spec.describe()).run();
  return std::make_unique<PointwiseLayer>(spec, std::move(compiled));
}

// ---- fusion ----

size_t present_outputs(const Node& n) {
  return static_cast<size_t>(std::count_if(n.outputs().begin(), n.outputs().end(), [](const TensorPtr& t) { return t != nullptr; }));
}

bool produced_by(const std::vector<const Node*>& nodes, const Tensor* t) {
  for (const Node* n : nodes) {
    for (const TensorPtr& o : n->outputs()) {
      if (o.get() == t) return true;
    }
  }
  return false;
}

// Whether `next`'s input 1 takes its dims from an older opset's rule (re-read per load,
// so it must be a group input).
bool has_legacy_operand(const Node& next) {
  return next.op_type == "PRelu" || ops::NodeAttrs(next).get_int("broadcast", 0) != 0;
}

// The group may take in `next` when it is a pointwise op of one output whose program
// (group + next) stays within the limits.
bool pointwise_absorbs(const std::vector<const Node*>& group, const Node& next) {
  if ((!next.domain.empty() && next.domain != "ai.onnx") || !find_handler(next.op_type) || present_outputs(next) != 1) return false;
  if (std::any_of(group.begin(), group.end(), [](const Node* n) { return present_outputs(*n) != 1; })) return false;
  if (has_legacy_operand(next) && produced_by(group, next.input(1).get())) return false;
  std::vector<const Node*> nodes = group;
  nodes.push_back(&next);
  std::vector<const Tensor*> inputs, outputs;
  for (const Node* n : nodes) {
    for (const TensorPtr& t : n->inputs()) {
      if (t && !produced_by(nodes, t.get()) && std::find(inputs.begin(), inputs.end(), t.get()) == inputs.end()) {
        inputs.push_back(t.get());
      }
    }
  }
  outputs.push_back(next.output(0).get());
  try {
    Compiler(nodes, inputs, outputs, "").run();
    return true;
  } catch (const Error&) {
    return false;
  }
}

// The first opset of each op whose first version is not 1.
int64_t first_opset(const std::string& op_type) {
  if (op_type == "Gelu") return 20;
  if (op_type == "Mish" || op_type.rfind("Bitwise", 0) == 0) return 18;
  return 1;
}

[[maybe_unused]] const bool registered = [] {
  for (const auto& [op_type, handler] : handlers()) {
    register_layer({"", op_type, first_opset(op_type), make_pointwise, pointwise_absorbs});
  }
  return true;
}();

}  // namespace
}  // namespace graft::cuda
