#pragma once
// Fused pointwise kernels. A group of elementwise ops runs as one small register-machine
// program, interpreted per output element: load input k (with its broadcast strides)
// into a register, apply ops register to register, store registers to the outputs. Each
// thread runs the program on kLanes consecutive elements at once, so decoding an
// instruction is paid once per kLanes elements.
// Two faster forms cover the common cases: a chain (float values, each op consuming the
// one before: an accumulator and loaded operands, all in hardware registers), and a
// direct kernel for one binary float op on full-size or scalar inputs. Fastest of all, a
// kernel generated for the group and compiled at run time (pointwise_jit.h). Each op's
// math is in pointwise_ops.cuh, shared by all of them.
#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

namespace graft::cuda::pointwise {

constexpr int kLanes = 4;         // elements per thread and program run
constexpr int kMaxRegs = 8;       // registers per file (float, 64-bit)
constexpr int kMaxCode = 64;      // instructions, loads and stores included
constexpr int kMaxLoads = 16;     // distinct (input, strides) loads
constexpr int kMaxOutputs = 4;
constexpr int kMaxRank = 8;
constexpr int kChainLanes = 8;    // elements per thread in the chain kernel

// Where a chain instruction's operands a, b, c come from, when not from load slot a/b/c.
constexpr uint8_t kFromAcc = 255;    // the previous instruction's result
constexpr uint8_t kFromP0 = 254;     // the instruction's p0 (a constant operand)
constexpr uint8_t kNoOperand = 253;

// Element types in memory.
enum class Elem : uint8_t { kFloat, kHalf, kDouble, kInt8, kInt16, kInt32, kInt64, kUint8, kUint16, kUint32, kUint64, kBool };

// The type a register holds: floats compute in float (float16 too) or double; integers
// and bool (0/1) in int64, except uint64. kF32 registers live in the float file, the
// others in the 64-bit file.
enum class Kind : uint8_t { kF32, kF64, kI64, kU64 };

// What an op's result is narrowed to, so that values inside a group stay those of the
// model's dtype (integers wrap, float16 rounds, as the CPU kernels' do).
enum class Wrap : uint8_t { kNone, kInt8, kUint8, kInt16, kUint16, kInt32, kUint32, kBool, kHalf };

enum class Op : uint8_t {
  kLoad,   // dst = loads[a] at the element (kind: that of the load's element type)
  kStore,  // outputs[b] = a
  kConst,  // dst = p0
  // Unary, dst and a of `kind`.
  kAbs, kNeg, kSign, kReciprocal, kSqrt, kExp, kLog, kErf, kCeil, kFloor, kRound,
  kSin, kCos, kTan, kAsin, kAcos, kAtan, kSinh, kCosh, kTanh, kAsinh, kAcosh, kAtanh,
  kRelu, kLeakyRelu, kElu, kSelu, kCelu, kHardSigmoid, kHardSwish, kSigmoid, kSoftplus,
  kSoftsign, kMish, kGelu, kGeluTanh, kThresholdedRelu, kShrink, kNot, kBitNot,
  kGeluErf,  // Gelu as exporters decompose it (p0: the constant x is divided by, or multiplied by when p1 is 0)
  // Float predicates: a of `kind`, dst bool.
  kIsNaN, kIsInf,
  // Binary, dst, a and b of `kind`.
  kAdd, kSub, kMul, kDiv, kMod, kFmod, kPow, kMax, kMin, kPRelu, kClipLo, kClipHi,
  kAnd, kOr, kXor, kBitAnd, kBitOr, kBitXor, kShiftLeft, kShiftRight,
  // Comparisons: a and b of `kind`, dst bool.
  kEqual, kLess, kGreater, kLessOrEqual, kGreaterOrEqual,
  kWhere,  // dst = a (bool) ? b : c, b and c of `kind`
  kCast,   // dst (of kind `to`) = a (of `kind`)
};

struct Instr {
  Op op = Op::kConst;
  Kind kind = Kind::kF32;
  Kind to = Kind::kF32;  // kCast's result kind
  Wrap wrap = Wrap::kNone;
  uint8_t dst = 0, a = 0, b = 0, c = 0;
  float p0 = 0, p1 = 0;  // attributes (alpha, beta, bounds, shift width...)
};

enum class Access : uint8_t {
  kFull,     // element i
  kScalar,   // element 0
  kStrided,  // sum over dims of coordinate * stride
};

size_t elem_size(Elem e);  // bytes

struct Load {
  const void* data = nullptr;
  Elem elem = Elem::kFloat;
  Access access = Access::kFull;
  bool vector = false;  // kFull and aligned for loads of kLanes elements at once
  int64_t strides[kMaxRank] = {};
};

struct Store {
  void* data = nullptr;
  Elem elem = Elem::kFloat;
  bool vector = false;
};

// The loop shape (broadcast dims coalesced) and what divides an element index into its
// coordinates: coordinate d = i / inner[d] - (i / inner[d - 1]) * dims[d].
struct Geometry {
  int64_t n = 0;
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t inner[kMaxRank] = {};
  // i / inner[d] == (umulhi(i, magic[d]) + i) >> shift[d] for i < 2^31.
  uint32_t magic[kMaxRank] = {};
  uint32_t shift[kMaxRank] = {};
};

struct Program {
  Geometry geometry;
  int code_size = 0;
  Instr code[kMaxCode];
  Load loads[kMaxLoads];
  Store outputs[kMaxOutputs];
};

// Sets geometry's fields from the coalesced loop dims.
void set_geometry(Geometry& g, const int64_t* dims, int rank);
// magic and shift such that i / divisor == (umulhi(i, magic) + i) >> shift for i < 2^31
// (magic is left alone for divisors of 2^31 and more, never divided by that way).
void fast_divisor(int64_t divisor, uint32_t& magic, uint32_t& shift);

// Runs `program` over its geometry's n elements.
cudaError_t run_program(const Program& program, cudaStream_t stream);

// Runs a chain: code[i] computes op(a, b, c) from the sources above into the accumulator
// (ops on float only, kWhere with a bool condition, kCast float -> float16 -> float);
// the last result goes to outputs[0].
cudaError_t run_chain(const Program& chain, cudaStream_t stream);

enum class BinaryOp : uint8_t { kAdd, kSub, kMul, kDiv };

// y = a op b for float or half (elem) storage, each input full-size or a scalar (its
// *_scalar), all pointers aligned to 16 bytes; computed in float.
cudaError_t run_binary(BinaryOp op, Elem elem, const void* a, bool a_scalar, const void* b, bool b_scalar, void* y,
                       int64_t n, cudaStream_t stream);

}  // namespace graft::cuda::pointwise
