// The CUDA C++ of a group's generated kernel (pointwise_jit.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "kernels/cuda/pointwise_jit.h"
#include "kernels/cuda/pointwise_jit_sources.h"  // pointwise_ops.cuh and pointwise_jit_args.h as text

namespace graft::cuda::pointwise {
namespace {

static_assert(sizeof(JitArgs::in) / sizeof(void*) == kMaxLoads && sizeof(JitArgs::out) / sizeof(void*) == kMaxOutputs);
static_assert(sizeof(JitArgs::dims) / sizeof(long long) == kMaxRank && sizeof(JitArgs::strides[0]) / sizeof(long long) == kMaxRank);

const char* kind_type(Kind k) {
  switch (k) {
    case Kind::kF32: return "float";
    case Kind::kF64: return "double";
    case Kind::kI64: return "int64_t";
    case Kind::kU64: return "uint64_t";
  }
  return "";
}

// Memory types: float16 as its bits, bool as a byte.
const char* elem_type(Elem e) {
  switch (e) {
    case Elem::kFloat: return "float";
    case Elem::kHalf: return "uint16_t";
    case Elem::kDouble: return "double";
    case Elem::kInt8: return "int8_t";
    case Elem::kInt16: return "int16_t";
    case Elem::kInt32: return "int32_t";
    case Elem::kInt64: return "int64_t";
    case Elem::kUint8: return "uint8_t";
    case Elem::kUint16: return "uint16_t";
    case Elem::kUint32: return "uint32_t";
    case Elem::kUint64: return "uint64_t";
    case Elem::kBool: return "uint8_t";
  }
  return "";
}

// An element read from memory as the value its register kind holds (as the interpreter's
// from_memory converts).
std::string from_memory(Elem e, const std::string& raw) {
  switch (e) {
    case Elem::kHalf: return "half_bits_to_float(" + raw + ")";
    case Elem::kFloat:
    case Elem::kDouble:
    case Elem::kUint64: return raw;
    case Elem::kBool: return "int64_t(" + raw + " != 0)";
    default: return "int64_t(" + raw + ")";
  }
}

std::string to_memory(Elem e, const std::string& value) {
  switch (e) {
    case Elem::kHalf: return "float_to_half_bits(" + value + ")";
    case Elem::kBool: return "uint8_t(" + value + " != 0)";
    default: return std::string(elem_type(e)) + "(" + value + ")";
  }
}

// A float attribute exactly: a hex float literal, or its bits when not finite.
std::string literal(float f) {
  char buf[64];
  if (std::isfinite(f)) {
    std::snprintf(buf, sizeof buf, "%af", static_cast<double>(f));
  } else {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    std::snprintf(buf, sizeof buf, "__int_as_float(int(0x%08xu))", bits);
  }
  return buf;
}

// The function of pointwise_ops.cuh computing an op, its operands and how many of p0, p1
// it takes (as the kind's type for float ops, as float for integer ops).
struct OpFunction {
  const char* name;
  int operands;
  int params;
};

const std::map<Op, OpFunction>& float_functions() {
  static const std::map<Op, OpFunction> table = {
      {Op::kAbs, {"f_abs", 1, 0}},
      {Op::kNeg, {"f_neg", 1, 0}},
      {Op::kSign, {"f_sign", 1, 0}},
      {Op::kReciprocal, {"f_reciprocal", 1, 0}},
      {Op::kSqrt, {"f_sqrt", 1, 0}},
      {Op::kExp, {"f_exp", 1, 0}},
      {Op::kLog, {"f_log", 1, 0}},
      {Op::kErf, {"f_erf", 1, 0}},
      {Op::kCeil, {"f_ceil", 1, 0}},
      {Op::kFloor, {"f_floor", 1, 0}},
      {Op::kRound, {"f_round", 1, 0}},
      {Op::kSin, {"f_sin", 1, 0}},
      {Op::kCos, {"f_cos", 1, 0}},
      {Op::kTan, {"f_tan", 1, 0}},
      {Op::kAsin, {"f_asin", 1, 0}},
      {Op::kAcos, {"f_acos", 1, 0}},
      {Op::kAtan, {"f_atan", 1, 0}},
      {Op::kSinh, {"f_sinh", 1, 0}},
      {Op::kCosh, {"f_cosh", 1, 0}},
      {Op::kTanh, {"f_tanh", 1, 0}},
      {Op::kAsinh, {"f_asinh", 1, 0}},
      {Op::kAcosh, {"f_acosh", 1, 0}},
      {Op::kAtanh, {"f_atanh", 1, 0}},
      {Op::kRelu, {"f_relu", 1, 0}},
      {Op::kLeakyRelu, {"f_leaky_relu", 1, 1}},
      {Op::kElu, {"f_elu", 1, 1}},
      {Op::kSelu, {"f_selu", 1, 2}},
      {Op::kCelu, {"f_celu", 1, 1}},
      {Op::kHardSigmoid, {"f_hard_sigmoid", 1, 2}},
      {Op::kHardSwish, {"f_hard_swish", 1, 0}},
      {Op::kSigmoid, {"f_sigmoid", 1, 0}},
      {Op::kSoftplus, {"f_softplus", 1, 0}},
      {Op::kSoftsign, {"f_softsign", 1, 0}},
      {Op::kMish, {"f_mish", 1, 0}},
      {Op::kGelu, {"f_gelu", 1, 0}},
      {Op::kGeluTanh, {"f_gelu_tanh", 1, 0}},
      {Op::kGeluErf, {"f_gelu_erf", 1, 2}},
      {Op::kThresholdedRelu, {"f_thresholded_relu", 1, 1}},
      {Op::kShrink, {"f_shrink", 1, 2}},
      {Op::kAdd, {"f_add", 2, 0}},
      {Op::kSub, {"f_sub", 2, 0}},
      {Op::kMul, {"f_mul", 2, 0}},
      {Op::kDiv, {"f_div", 2, 0}},
      {Op::kFmod, {"f_fmod", 2, 0}},
      {Op::kMod, {"f_mod", 2, 0}},
      {Op::kPow, {"f_pow", 2, 0}},
      {Op::kMax, {"f_max", 2, 0}},
      {Op::kMin, {"f_min", 2, 0}},
      {Op::kPRelu, {"f_prelu", 2, 0}},
      {Op::kClipLo, {"f_clip_lo", 2, 0}},
      {Op::kClipHi, {"f_clip_hi", 2, 0}},
  };
  return table;
}

const std::map<Op, OpFunction>& int_functions() {
  static const std::map<Op, OpFunction> table = {
      {Op::kAbs, {"i_abs", 1, 0}},
      {Op::kNeg, {"i_neg", 1, 0}},
      {Op::kSign, {"i_sign", 1, 0}},
      {Op::kRelu, {"i_relu", 1, 0}},
      {Op::kShrink, {"i_shrink", 1, 2}},
      {Op::kNot, {"i_not", 1, 0}},
      {Op::kBitNot, {"i_bit_not", 1, 0}},
      {Op::kAdd, {"i_add", 2, 0}},
      {Op::kSub, {"i_sub", 2, 0}},
      {Op::kMul, {"i_mul", 2, 0}},
      {Op::kDiv, {"i_div", 2, 0}},
      {Op::kMod, {"i_mod", 2, 0}},
      {Op::kFmod, {"i_fmod", 2, 0}},
      {Op::kPow, {"i_pow", 2, 0}},
      {Op::kMax, {"i_max", 2, 0}},
      {Op::kMin, {"i_min", 2, 0}},
      {Op::kPRelu, {"i_prelu", 2, 0}},
      {Op::kClipLo, {"i_clip_lo", 2, 0}},
      {Op::kClipHi, {"i_clip_hi", 2, 0}},
      {Op::kAnd, {"i_and", 2, 0}},
      {Op::kOr, {"i_or", 2, 0}},
      {Op::kXor, {"i_xor", 2, 0}},
      {Op::kBitAnd, {"i_bit_and", 2, 0}},
      {Op::kBitOr, {"i_bit_or", 2, 0}},
      {Op::kBitXor, {"i_bit_xor", 2, 0}},
      {Op::kShiftLeft, {"i_shift_left", 2, 1}},
      {Op::kShiftRight, {"i_shift_right", 2, 1}},
  };
  return table;
}

const char* comparison(Op op) {
  switch (op) {
    case Op::kEqual: return "cmp_equal";
    case Op::kLess: return "cmp_less";
    case Op::kGreater: return "cmp_greater";
    case Op::kLessOrEqual: return "cmp_less_or_equal";
    case Op::kGreaterOrEqual: return "cmp_greater_or_equal";
    default: return nullptr;
  }
}

std::string value(int id) { return "v" + std::to_string(id); }

// The expression computing `in` from its operand values; nullopt for an op (or kind) the
// generator does not write.
std::optional<std::string> op_expression(const Instr& in) {
  const std::string a = value(in.a), b = value(in.b), c = value(in.c);
  const std::string type = kind_type(in.kind);
  if (const char* compare = comparison(in.op)) return std::string(compare) + "(" + a + ", " + b + ")";
  switch (in.op) {
    case Op::kConst: return type + "(" + literal(in.p0) + ")";
    case Op::kIsNaN: return "is_nan(" + a + ")";
    case Op::kIsInf:
      return "is_inf(" + a + ", " + (in.p0 != 0 ? "true" : "false") + ", " + (in.p1 != 0 ? "true" : "false") + ")";
    case Op::kWhere: return "select_where(" + a + ", " + b + ", " + c + ")";
    case Op::kCast:
      return "cast_to<" + std::string(kind_type(in.to)) + ">(" + a + ", " + (in.wrap == Wrap::kBool ? "true" : "false") + ")";
    default: break;
  }
  const bool floating = in.kind == Kind::kF32 || in.kind == Kind::kF64;
  const auto& table = floating ? float_functions() : int_functions();
  const auto it = table.find(in.op);
  if (it == table.end()) return std::nullopt;
  const OpFunction& f = it->second;
  std::string e = std::string(f.name) + "(" + a;
  if (f.operands == 2) e += ", " + b;
  const float params[2] = {in.p0, in.p1};
  for (int k = 0; k < f.params; ++k) e += ", " + (floating ? type + "(" + literal(params[k]) + ")" : literal(params[k]));
  return e + ")";
}

// The result narrowed to its node's dtype, where the interpreter narrows it.
std::string narrowed(const Instr& in, const std::string& e) {
  const bool selects_or_predicate = in.op == Op::kIsNaN || in.op == Op::kIsInf || in.op == Op::kWhere || comparison(in.op);
  if (selects_or_predicate) return e;
  switch (in.wrap) {
    case Wrap::kNone: return e;
    case Wrap::kHalf: return "round_to_half(" + e + ")";
    case Wrap::kInt8: return "wrap_int8(" + e + ")";
    case Wrap::kUint8: return "wrap_uint8(" + e + ")";
    case Wrap::kInt16: return "wrap_int16(" + e + ")";
    case Wrap::kUint16: return "wrap_uint16(" + e + ")";
    case Wrap::kInt32: return "wrap_int32(" + e + ")";
    case Wrap::kUint32: return "wrap_uint32(" + e + ")";
    case Wrap::kBool: return "wrap_bool(" + e + ")";
  }
  return e;
}

// The kinds of the compute function's parameters, by slot and output.
struct Interface {
  std::vector<Kind> slot_kind;   // the kind each load slot is read as
  std::vector<int> stored;       // output index -> 1 when the program stores it
  std::vector<Kind> output_kind;
};

// compute(x0, x1, ..., y0, ...): the program on one element, slot k's value in xk, output
// j's in yj (the slots and the stored outputs in order).
std::optional<std::string> compute_function(const std::vector<Instr>& ssa, Interface& io, int outputs, size_t slots) {
  std::string body;
  io.slot_kind.assign(slots, Kind::kF32);
  io.stored.assign(static_cast<size_t>(outputs), 0);
  io.output_kind.assign(static_cast<size_t>(outputs), Kind::kF32);
  std::vector<std::string> slot_params(slots), output_params(static_cast<size_t>(outputs));
  for (const Instr& in : ssa) {
    if (in.op == Op::kLoad) {
      const std::string type = kind_type(in.kind), x = "x" + std::to_string(in.a);
      io.slot_kind[in.a] = in.kind;
      slot_params[in.a] = "const " + type + " " + x;
      body += "  const " + type + " " + value(in.dst) + " = " + x + ";\n";
    } else if (in.op == Op::kStore) {
      if (in.b >= outputs) return std::nullopt;
      const std::string y = "y" + std::to_string(in.b);
      output_params[in.b] = std::string(kind_type(in.kind)) + "& " + y;
      io.stored[in.b] = 1;
      io.output_kind[in.b] = in.kind;
      body += "  " + y + " = " + value(in.a) + ";\n";
    } else {
      const std::optional<std::string> e = op_expression(in);
      if (!e) return std::nullopt;
      body += "  const " + std::string(kind_type(in.to)) + " " + value(in.dst) + " = " + narrowed(in, *e) + ";\n";
    }
  }
  std::string params;
  for (const std::string& p : slot_params) {
    if (p.empty()) return std::nullopt;  // a slot no load reads
    params += (params.empty() ? "" : ", ") + p;
  }
  for (const std::string& p : output_params) {
    if (!p.empty()) params += (params.empty() ? "" : ", ") + p;
  }
  return "GRAFT_PW_FN void compute(" + params + ") {\n" + body + "}\n";
}

// Slot strides over the loop dims as offset = (i / inner) % extent, when they are that.
std::optional<JitLoad> pattern_of(const Geometry& g, const Load& load) {
  JitLoad p;
  bool in_run = false, after_run = false;
  int64_t expected = 1;
  for (int d = g.rank - 1; d >= 0; --d) {
    const int64_t size = g.dims[d], stride = load.strides[d];
    if (size == 1) continue;
    if (stride == 0) {
      if (in_run) after_run = true, in_run = false;
      if (!after_run) p.inner *= size;
      continue;
    }
    if (after_run || stride != expected) return std::nullopt;
    in_run = true;
    p.extent *= size;
    expected *= size;
  }
  return p;
}

JitLoad read_of(const Geometry& g, const Load& load, int lanes) {
  if (load.access == Access::kFull) return {JitRead::kFull, 1, g.n};
  if (load.access == Access::kScalar) return {JitRead::kScalar, 1, 1};
  std::optional<JitLoad> p = pattern_of(g, load);
  if (!p || p->extent == 1) return {JitRead::kGeneral, 1, 1};
  if (p->inner == 1) {
    if (p->extent % lanes == 0) p->read = JitRead::kRowVector;
    else if (p->extent >= lanes) p->read = JitRead::kRow;
    else p->read = JitRead::kGeneral;
  } else {
    if (p->inner % lanes == 0) p->read = JitRead::kSame;
    else if (p->inner >= lanes) p->read = JitRead::kStep;
    else p->read = JitRead::kGeneral;
  }
  return *p;
}

// Elements per thread: two 16-byte vectors of the widest type moved in vectors (fewer when
// many streams would hold too many registers).
int lanes_for(const Program& shape, const Interface& s, size_t slots) {
  size_t widest = 1, streams = 0;
  for (size_t k = 0; k < slots; ++k) {
    if (shape.loads[k].access == Access::kScalar) continue;
    widest = std::max(widest, elem_size(shape.loads[k].elem));
    ++streams;
  }
  for (size_t j = 0; j < s.stored.size(); ++j) {
    if (!s.stored[j]) continue;
    widest = std::max(widest, elem_size(shape.outputs[j].elem));
    ++streams;
  }
  int lanes = static_cast<int>(std::clamp<size_t>(32 / widest, 4, 16));
  if (streams > 4) lanes = std::max(4, lanes / 2);
  return lanes;
}

// Helpers of every generated kernel (after pointwise_ops.cuh and JitArgs).
constexpr const char* kKernelHelpers = R"(
namespace graft::cuda::pointwise {

template <typename T, int N>
struct alignas(N * sizeof(T) < 16 ? N * sizeof(T) : 16) Pack {
  T v[N];
};

GRAFT_PW_FN uint32_t div_by(uint32_t i, long long, uint32_t magic, uint32_t shift) { return divide_fast(i, magic, shift); }
GRAFT_PW_FN int64_t div_by(int64_t i, long long d, uint32_t, uint32_t) { return i / d; }

template <typename I>
GRAFT_PW_FN I rem_extent(I i, const JitArgs& a, int k) {
  return i - div_by(i, a.extent[k], a.extent_magic[k], a.extent_shift[k]) * I(a.extent[k]);
}

template <typename I>
GRAFT_PW_FN I pattern_offset(I i, const JitArgs& a, int k) {
  return rem_extent(div_by(i, a.inner[k], a.inner_magic[k], a.inner_shift[k]), a, k);
}

template <typename I>
GRAFT_PW_FN int64_t general_offset(I i, const JitArgs& a, int k) {
  int64_t offset = 0;
  I outer = 0;
  for (int d = 0; d < a.rank; ++d) {
    const I q = div_by(i, a.dim_inner[d], a.dim_magic[d], a.dim_shift[d]);
    offset += static_cast<int64_t>(q - outer * I(a.dims[d])) * a.strides[k][d];
    outer = q;
  }
  return offset;
}

}  // namespace graft::cuda::pointwise
)";

constexpr const char* kIntegerTypes =
    "typedef signed char int8_t;\ntypedef unsigned char uint8_t;\ntypedef short int16_t;\n"
    "typedef unsigned short uint16_t;\ntypedef int int32_t;\ntypedef unsigned int uint32_t;\n"
    "typedef long long int64_t;\ntypedef unsigned long long uint64_t;\n";

// `text` with each ${key} replaced by its value.
std::string fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string token = "${" + key + "}";
    for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + value.size())) {
      text.replace(at, token.size(), value);
    }
  }
  return text;
}

std::string input_pointer(Elem e, size_t k) {
  return "static_cast<const " + std::string(elem_type(e)) + "*>(a.in[" + std::to_string(k) + "])";
}

std::string output_pointer(Elem e, size_t j) {
  return "static_cast<" + std::string(elem_type(e)) + "*>(a.out[" + std::to_string(j) + "])";
}

// How slot k's values for the chunk at `base` come into xk[l] (or one xk for all lanes).
const char* chunk_load_text(JitRead read) {
  switch (read) {
    case JitRead::kScalar: return "";
    case JitRead::kSame: return "    const ${K} ${x} = ${read_at}(pattern_offset(base, a, ${k}));\n";
    case JitRead::kFull:
    case JitRead::kRowVector:
      return R"(    ${K} ${x}[${n}];
    {
      const Pack<${T}, ${n}> p = *reinterpret_cast<const Pack<${T}, ${n}>*>(${p} + ${start});
#pragma unroll
      for (int l = 0; l < ${n}; ++l) ${x}[l] = ${convert};
    }
)";
    case JitRead::kRow:
      return R"(    ${K} ${x}[${n}];
    {
      const I extent = I(a.extent[${k}]), o = rem_extent(base, a, ${k});
#pragma unroll
      for (int l = 0; l < ${n}; ++l) ${x}[l] = ${read_at}(o + I(l) < extent ? o + I(l) : o + I(l) - extent);
    }
)";
    case JitRead::kStep:
      return R"(    ${K} ${x}[${n}];
    {
      const I inner = I(a.inner[${k}]), extent = I(a.extent[${k}]);
      const I q = div_by(base, a.inner[${k}], a.inner_magic[${k}], a.inner_shift[${k}]), r = base - q * inner;
      const I o0 = rem_extent(q, a, ${k}), o1 = o0 + 1 == extent ? I(0) : o0 + 1;
      const ${K} first = ${read_at}(o0), second = ${read_at}(o1);
#pragma unroll
      for (int l = 0; l < ${n}; ++l) ${x}[l] = r + I(l) < inner ? first : second;
    }
)";
    case JitRead::kGeneral:
      return R"(    ${K} ${x}[${n}];
#pragma unroll
    for (int l = 0; l < ${n}; ++l) ${x}[l] = ${read_at}(general_offset(base + I(l), a, ${k}));
)";
  }
  return "";
}

// Slot k's offset at element i (in the last, partial chunk).
std::string element_offset(JitRead read, size_t k) {
  const std::string ks = std::to_string(k);
  switch (read) {
    case JitRead::kFull: return "i";
    case JitRead::kScalar: return "0";
    case JitRead::kRowVector:
    case JitRead::kRow: return "rem_extent(i, a, " + ks + ")";
    case JitRead::kSame:
    case JitRead::kStep: return "pattern_offset(i, a, " + ks + ")";
    case JitRead::kGeneral: return "general_offset(i, a, " + ks + ")";
  }
  return "";
}

// The kernel: full chunks of `lanes` elements per thread (grid-stride), then the last
// elements one per thread. compute() (the group's ops) runs on each element.
constexpr const char* kKernelText = R"(
extern "C" __global__ void __launch_bounds__(${threads}) ${name}(const __grid_constant__ graft::cuda::pointwise::JitArgs a) {
  using namespace graft::cuda::pointwise;
  using I = ${index};
  const I n = I(a.n), chunks = n / ${n};
  const I thread = I(blockIdx.x) * I(blockDim.x) + I(threadIdx.x);
${scalars}  for (I c = thread; c < chunks; c += I(gridDim.x) * I(blockDim.x)) {
    const I base = c * ${n};
${chunk_loads}${chunk_outputs}#pragma unroll
    for (int l = 0; l < ${n}; ++l) compute(${lane_args});
${chunk_stores}  }
  if (thread < n - chunks * ${n}) {
    const I i = chunks * ${n} + thread;
${element_loads}${element_outputs}    compute(${element_args});
${element_stores}  }
}
)";

constexpr const char* kChunkStoreText = R"(    {
      Pack<${T}, ${n}> p;
#pragma unroll
      for (int l = 0; l < ${n}; ++l) p.v[l] = ${convert};
      *reinterpret_cast<Pack<${T}, ${n}>*>(${p} + base) = p;
    }
)";

std::string kernel_source(const std::string& compute, const Interface& s, const Program& shape, const std::vector<JitLoad>& reads,
                          int lanes) {
  const std::string n = std::to_string(lanes);
  std::string scalars, chunk_loads, chunk_outputs, chunk_stores, element_loads, element_outputs, element_stores;
  std::vector<std::string> lane_args, element_args;
  for (size_t k = 0; k < reads.size(); ++k) {
    const Elem e = shape.loads[k].elem;
    const std::string ks = std::to_string(k), x = "x" + ks;
    const std::map<std::string, std::string> values = {
        {"K", kind_type(s.slot_kind[k])}, {"T", elem_type(e)}, {"x", x}, {"k", ks}, {"n", n}, {"p", input_pointer(e, k)},
        {"start", reads[k].read == JitRead::kFull ? "base" : "rem_extent(base, a, " + ks + ")"},
        {"convert", from_memory(e, "p.v[l]")}, {"read_at", "read" + ks}};
    // read<k>(offset): slot k's value at an offset, as its kind.
    scalars += fill("  const auto read${k} = [&](auto at) { return " + from_memory(e, "${p}[at]") + "; };\n", values);
    if (reads[k].read == JitRead::kScalar) {
      scalars += fill("  const ${K} s${k} = read${k}(0);\n", values);
      lane_args.push_back("s" + ks);
      element_args.push_back("s" + ks);
      continue;
    }
    chunk_loads += fill(chunk_load_text(reads[k].read), values);
    lane_args.push_back(reads[k].read == JitRead::kSame ? x : x + "[l]");
    element_loads += fill("    const ${K} t${k} = read${k}(" + element_offset(reads[k].read, k) + ");\n", values);
    element_args.push_back("t" + ks);
  }
  for (size_t j = 0; j < s.stored.size(); ++j) {
    if (!s.stored[j]) continue;
    const Elem e = shape.outputs[j].elem;
    const std::string js = std::to_string(j), K = kind_type(s.output_kind[j]);
    chunk_outputs += "    " + K + " y" + js + "[" + n + "];\n";
    chunk_stores += fill(kChunkStoreText, {{"T", elem_type(e)}, {"n", n}, {"p", output_pointer(e, j)}, {"convert", to_memory(e, "y" + js + "[l]")}});
    element_outputs += "    " + K + " z" + js + ";\n";
    element_stores += "    " + output_pointer(e, j) + "[i] = " + to_memory(e, "z" + js) + ";\n";
    lane_args.push_back("y" + js + "[l]");
    element_args.push_back("z" + js);
  }
  auto joined = [](const std::vector<std::string>& v) {
    std::string out;
    for (const std::string& x : v) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  const std::string kernel = fill(kKernelText, {{"threads", std::to_string(kJitThreads)},
                                                {"name", kJitKernelName},
                                                {"index", shape.geometry.n < (int64_t{1} << 31) ? "uint32_t" : "int64_t"},
                                                {"n", n},
                                                {"scalars", scalars},
                                                {"chunk_loads", chunk_loads},
                                                {"chunk_outputs", chunk_outputs},
                                                {"chunk_stores", chunk_stores},
                                                {"lane_args", joined(lane_args)},
                                                {"element_loads", element_loads},
                                                {"element_outputs", element_outputs},
                                                {"element_stores", element_stores},
                                                {"element_args", joined(element_args)}});
  return std::string("// Generated by graft (kernels/cuda/pointwise_jit_source.cc) for one fused pointwise group.\n") + kIntegerTypes +
         kPointwiseOpsText + kPointwiseJitArgsText + kKernelHelpers + "\nnamespace graft::cuda::pointwise {\n" + compute + "}\n" + kernel;
}

}  // namespace

std::optional<JitPlan> plan_jit(const std::vector<Instr>& ssa, int outputs, const Program& shape) {
  size_t slots = 0;
  for (const Instr& in : ssa) {
    if (in.op == Op::kLoad) slots = std::max<size_t>(slots, in.a + size_t{1});
  }
  Interface s;
  const std::optional<std::string> compute = compute_function(ssa, s, outputs, slots);
  if (!compute) return std::nullopt;
  JitPlan plan;
  plan.lanes = lanes_for(shape, s, slots);
  const Geometry& g = shape.geometry;
  JitArgs& a = plan.args;
  a.n = g.n;
  a.rank = g.rank;
  for (int d = 0; d < g.rank; ++d) {
    a.dims[d] = g.dims[d];
    a.dim_inner[d] = g.inner[d];
    a.dim_magic[d] = g.magic[d];
    a.dim_shift[d] = g.shift[d];
  }
  for (size_t k = 0; k < slots; ++k) {
    const Load& load = shape.loads[k];
    const JitLoad r = read_of(g, load, plan.lanes);
    plan.loads.push_back(r);
    const bool vector = r.read == JitRead::kFull || r.read == JitRead::kRowVector;
    plan.in_alignment.push_back(vector ? std::min<size_t>(16, plan.lanes * elem_size(load.elem)) : 1);
    a.inner[k] = r.inner;
    a.extent[k] = r.extent;
    fast_divisor(r.inner, a.inner_magic[k], a.inner_shift[k]);
    fast_divisor(r.extent, a.extent_magic[k], a.extent_shift[k]);
    std::copy(load.strides, load.strides + kMaxRank, a.strides[k]);
  }
  for (int j = 0; j < outputs; ++j) {
    plan.out_alignment.push_back(s.stored[j] ? std::min<size_t>(16, plan.lanes * elem_size(shape.outputs[j].elem)) : 1);
  }
  plan.source = kernel_source(*compute, s, shape, plan.loads, plan.lanes);
  return plan;
}

}  // namespace graft::cuda::pointwise
