// MatMul (numpy semantics: 1-D operands, broadcast batch dims), Gemm and two-operand
// Einsum contractions through cuBLASLt, float32 (TF32 at kTF32) and float16 with float
// accumulation. cuBLAS is column-major: the row-major Y = A B is computed as
// Y^T = B^T A^T, which reads every operand where it lies.
// A batch that one stride per operand cannot describe is split into several calls; a B
// without batch dims folds A's batch into M (one tall product).
//
// Fusion: an Add of a constant row vector [N] (cuBLASLt's bias epilogue), then one
// activation: ReLU and tanh-Gelu in cuBLASLt's epilogue; the others (ONNX's default
// erf-Gelu among them: cuBLASLt's GELU is the tanh form) in one pass of epilogue.h.
// Gemm's C: a constant row vector joins the bias (times beta); a [M, N] C is cuBLASLt's C;
// any other broadcast of C is written into Y first and accumulated in place.
#include <cublasLt.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "kernels/cuda/cublaslt_util.h"
#include "kernels/cuda/epilogue.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/layer_helpers.h"
#include "kernels/cuda/matmul.h"
#include "kernels/cuda/movement.h"
#include "kernels/cuda/node_layer.h"
#include "surgeon/error.h"

namespace graft::cuda {
namespace {

constexpr size_t kMaxWorkspace = size_t(32) << 20;
constexpr int kHeuristics = 8;
constexpr int64_t kAlign = 256;

using cpu::Dims;
using cpu::dims_str;

// --------------------------------------------------------------------------------------
// The node and what its group takes in.

struct ProductAttrs {
  bool gemm = false, trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 0.0f;
};

ProductAttrs product_attrs(const Node& n) {
  ProductAttrs p;
  p.gemm = n.op_type == "Gemm";
  if (!p.gemm) return p;
  const ops::NodeAttrs a(n);
  p.trans_a = a.get_int("transA", 0) != 0;
  p.trans_b = a.get_int("transB", 0) != 0;
  p.alpha = a.get_float("alpha", 1.0f);
  p.beta = n.input(2) ? a.get_float("beta", 1.0f) : 0.0f;
  return p;
}

// Dims of a tensor as far as the IR tells (a constant's, or a static shape).
std::optional<Dims> known_dims(const Tensor* t) {
  if (!t) return std::nullopt;
  if (t->data) return t->data->dims;
  const Shape s = t->shape();
  if (!s.is_static()) return std::nullopt;
  Dims d;
  for (const Dim& x : s.dims()) d.push_back(x.value);
  return d;
}

// The product's N (Y's last dim) as far as the IR tells; -1 when unknown or absent (B 1-D).
int64_t product_cols(const Node& n) {
  const auto b = known_dims(n.input(1).get());
  if (!b || b->size() < 2) return -1;
  return product_attrs(n).trans_b ? (*b)[b->size() - 2] : b->back();
}

// Y's rank as far as the IR tells; 0 when unknown.
size_t product_rank(const Node& n) {
  if (n.op_type == "Gemm") return 2;
  const Shape a = n.input(0) ? n.input(0)->shape() : Shape(), b = n.input(1) ? n.input(1)->shape() : Shape();
  if (!a.has_rank() || !b.has_rank() || a.rank() == 0 || b.rank() == 0) return 0;
  auto batch_rank = [](size_t r) { return r == 1 ? size_t(0) : r - 2; };
  return std::max(batch_rank(a.rank()), batch_rank(b.rank())) + (a.rank() > 1) + (b.rank() > 1);
}

// A constant that adds one value per column (or one in all) to the product's [.., N]
// without broadcasting Y to more dims.
bool is_row_constant(const Tensor* t, int64_t cols, size_t rank) {
  if (!t || !t->data || cols < 0 || !constant_floats(t)) return false;
  const Dims& d = t->data->dims;
  if (d.size() > 1 && d.size() > rank) return false;
  for (size_t i = 0; i + 1 < d.size(); ++i) {
    if (d[i] != 1) return false;
  }
  return d.empty() || d.back() == 1 || d.back() == cols;
}

struct ProductFusion {
  const Tensor* bias_add = nullptr;
  std::optional<ActivationParams> act;
};

bool add_to_fusion(const Node& main, const Tensor* last_out, const Node& next, ProductFusion& f) {
  if (f.act) return false;
  if (const Tensor* other = other_add_input(next, last_out)) {
    if (f.bias_add || !is_row_constant(other, product_cols(main), product_rank(main))) return false;
    f.bias_add = other;
    return true;
  }
  f.act = fused_activation(next);
  return f.act.has_value();
}

ProductFusion product_fusion(const std::vector<const Node*>& nodes) {
  ProductFusion f;
  for (size_t i = 1; i < nodes.size(); ++i) {
    if (!add_to_fusion(*nodes[0], nodes[i - 1]->output(0).get(), *nodes[i], f)) {
      throw Error(nodes[i]->describe() + " cannot be fused into " + nodes[0]->describe());
    }
  }
  return f;
}

bool product_absorbs(const std::vector<const Node*>& group, const Node& next) {
  ProductFusion f;
  for (size_t i = 1; i < group.size(); ++i) add_to_fusion(*group[0], group[i - 1]->output(0).get(), *group[i], f);
  return add_to_fusion(*group[0], group.back()->output(0).get(), next, f);
}

// --------------------------------------------------------------------------------------
// Batches: the innermost batch dims that one stride per operand covers go to cuBLASLt as
// a strided batch; the outer ones become separate calls.

struct BatchPlan {
  int64_t count = 1;
  int64_t stride_a = 0, stride_b = 0, stride_y = 0;  // elements
  std::vector<std::array<int64_t, 3>> calls;         // element offsets of A, B, Y per call
};

// Per output batch dim, the operand's element stride (0 where it broadcasts).
std::vector<int64_t> batch_strides(const Dims& operand, const Dims& out, int64_t matrix) {
  std::vector<int64_t> s(out.size(), 0);
  int64_t step = matrix;
  for (size_t i = operand.size(); i-- > 0;) {
    s[out.size() - operand.size() + i] = operand[i] == 1 ? 0 : step;
    step *= operand[i];
  }
  return s;
}

BatchPlan plan_batches(const Dims& a, const Dims& b, const Dims& out, int64_t a_mat, int64_t b_mat, int64_t y_mat) {
  const std::vector<int64_t> sa = batch_strides(a, out, a_mat), sb = batch_strides(b, out, b_mat),
                             sy = batch_strides(out, out, y_mat);
  BatchPlan p;
  size_t outer = out.size();
  for (; outer > 0; --outer) {
    const size_t d = outer - 1;
    if (out[d] == 1) continue;
    if (p.count == 1) {
      p.stride_a = sa[d];
      p.stride_b = sb[d];
      p.stride_y = sy[d];
    } else if (sa[d] != p.stride_a * p.count || sb[d] != p.stride_b * p.count) {
      break;
    }
    p.count *= out[d];
  }
  p.calls.push_back({0, 0, 0});
  for (size_t d = outer; d-- > 0;) {
    std::vector<std::array<int64_t, 3>> next;
    for (int64_t i = 0; i < out[d]; ++i) {
      for (const auto& c : p.calls) next.push_back({c[0] + i * sa[d], c[1] + i * sb[d], c[2] + i * sy[d]});
    }
    p.calls = std::move(next);
  }
  return p;
}

// --------------------------------------------------------------------------------------

enum class CMode { kNone, kMatrix, kBroadcast };

class LtProductLayer : public Layer {
 public:
  explicit LtProductLayer(const LayerSpec& spec)
      : spec_(spec), attrs_(product_attrs(spec.main())), fusion_(product_fusion(spec.nodes)) {
    const Node& n = spec.main();
    for (const Tensor* t : {n.input(0).get(), n.input(1).get(), n.input(2).get()}) {
      if (t && t->dtype() != DataType::kUndefined) float_num_type(t->dtype(), spec);
    }
    taken_.assign(spec.inputs.size(), false);
    b_index_ = input_of(n.input(1).get());
    c_index_ = attrs_.gemm && attrs_.beta != 0.0f ? input_of(n.input(2).get()) : -1;
    const int64_t cols = product_cols(n);
    c_is_bias_ = c_index_ >= 0 && is_row_constant(n.input(2).get(), cols, 2);
    if (n.input(1)->data) {
      b_dims_ = n.input(1)->data->dims;
      take(b_index_);
    }
    if (c_is_bias_) take(c_index_);
    if (fusion_.bias_add) take(input_of(fusion_.bias_add));
    for (size_t i = 1; i < spec.nodes.size(); ++i) {
      if (spec.nodes[i]->op_type != "Clip") continue;
      for (size_t k = 1; k < spec.nodes[i]->inputs().size(); ++k) take(input_of(spec.nodes[i]->input(k).get()));
    }
  }

  bool supports_fp16() const override { return true; }
  bool takes_constant(size_t i) const override { return i < taken_.size() && taken_[i]; }
  void load(const LoadContext& ctx) override;
  std::vector<std::string> tactics() const override;
  void set_tactic(const std::string& name) override;
  void prepare(const PrepareContext& ctx) override;
  size_t workspace_bytes() const override { return algos_.empty() ? 0 : algos_[chosen_].workspaceSize; }
  void enqueue(const EnqueueContext& ctx) override;
  std::string summary() const override;

 private:
  int input_of(const Tensor* t) const { return t ? spec_.input_index(t) : -1; }
  void take(int i) {
    if (i >= 0 && spec_.inputs[i] && spec_.inputs[i]->is_constant()) taken_[i] = true;
  }
  bool has_bias() const { return c_is_bias_ || fusion_.bias_add; }
  bool lt_activation() const {
    return fusion_.act && (fusion_.act->kind == Activation::kRelu || fusion_.act->kind == Activation::kGeluTanh);
  }
  void plan_shapes(const Dims& a, const Dims& b);
  void set_c_mode(const PrepareContext& ctx);
  void set_descriptors();
  void find_algos(cublasLtHandle_t h);
  void epilogue(const EnqueueContext& ctx, bool with_bias) const;

  const LayerSpec spec_;
  const ProductAttrs attrs_;
  const ProductFusion fusion_;
  std::vector<bool> taken_;
  int b_index_ = -1, c_index_ = -1;
  bool c_is_bias_ = false;
  Dims b_dims_;  // of a constant B
  void* b_dev_ = nullptr;
  void* bias_dev_ = nullptr;
  NumType weight_type_ = NumType::kFloat;

  // Set by prepare().
  NumType type_ = NumType::kFloat;
  int64_t m_ = 0, n_ = 0, k_ = 0;
  BatchPlan batches_;
  CMode c_mode_ = CMode::kNone;
  MatrixBroadcast c_broadcast_;
  LtMatmulDesc desc_;
  LtLayout lt_a_, lt_b_, lt_d_;
  std::vector<cublasLtMatmulHeuristicResult_t> algos_;
  size_t chosen_ = 0;
  std::string tactic_;
};

void LtProductLayer::load(const LoadContext& ctx) {
  const Node& n = spec_.main();
  if (b_index_ >= 0 && taken_[b_index_]) {
    const DataType storage = input_storage(b_index_, n.input(1)->dtype());
    b_dev_ = upload_floats(*constant_floats(n.input(1).get()), storage, ctx);
    weight_type_ = float_num_type(storage, spec_);
  }
  if (!has_bias()) return;
  const int64_t cols = product_cols(n);
  std::vector<float> bias(static_cast<size_t>(cols), 0.0f);
  auto add = [&](const Tensor* t, float scale) {
    const std::vector<float> v = *constant_floats(t);
    for (size_t c = 0; c < bias.size(); ++c) bias[c] += scale * (v.size() == 1 ? v[0] : v[c]);
  };
  if (c_is_bias_) add(n.input(2).get(), attrs_.beta);
  if (fusion_.bias_add) add(fusion_.bias_add, 1.0f);
  bias_dev_ = upload_floats(bias, output_storage(0, n.input(1)->dtype()), ctx);
}

// M, N, K and the batches of Y = op(A) op(B), numpy's rules for MatMul.
void LtProductLayer::plan_shapes(const Dims& a, const Dims& b) {
  const std::string what = spec_.describe();
  const std::string operands = "A " + dims_str(a) + " and B " + dims_str(b);
  if (attrs_.gemm) {
    if (a.size() != 2 || b.size() != 2) throw Error(what + ": Gemm needs 2-D A and B, got " + operands);
    m_ = attrs_.trans_a ? a[1] : a[0];
    k_ = attrs_.trans_a ? a[0] : a[1];
    n_ = attrs_.trans_b ? b[0] : b[1];
    if ((attrs_.trans_b ? b[1] : b[0]) != k_) throw Error(what + ": inner dimensions differ: " + operands);
    batches_ = BatchPlan{};
    batches_.calls = {{0, 0, 0}};
    return;
  }
  if (a.empty() || b.empty()) throw Error(what + ": MatMul inputs must not be scalars: " + operands);
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  m_ = a_vec ? 1 : a[a.size() - 2];
  k_ = a.back();
  n_ = b_vec ? 1 : b.back();
  if ((b_vec ? b[0] : b[b.size() - 2]) != k_) throw Error(what + ": inner dimensions differ: " + operands);
  const Dims a_batch(a.begin(), a.end() - (a_vec ? 1 : 2)), b_batch(b.begin(), b.end() - (b_vec ? 1 : 2));
  if (cpu::num_elements(b_batch) == 1 && b_batch.size() <= a_batch.size()) {
    m_ *= cpu::num_elements(a_batch);  // B shared by every matrix of A: one tall product
    batches_ = BatchPlan{};
    batches_.calls = {{0, 0, 0}};
    return;
  }
  Dims out(std::max(a_batch.size(), b_batch.size()), 1);
  for (const Dims* d : {&a_batch, &b_batch}) {
    for (size_t i = 0; i < d->size(); ++i) {
      int64_t& o = out[out.size() - d->size() + i];
      const int64_t v = (*d)[i];
      if (v != 1 && o != 1 && v != o) throw Error(what + ": batch dims do not broadcast: " + operands);
      if (v != 1) o = v;
    }
  }
  batches_ = plan_batches(a_batch, b_batch, out, m_ * k_, k_ * n_, m_ * n_);
}

void LtProductLayer::set_c_mode(const PrepareContext& ctx) {
  c_mode_ = CMode::kNone;
  if (c_index_ < 0 || c_is_bias_) return;
  const Dims& c = ctx.inputs[c_index_].dims;
  if (c.size() > 2) throw Error(spec_.describe() + ": C " + dims_str(c) + " does not broadcast to [M, N]");
  const int64_t rows = c.size() == 2 ? c[0] : 1, cols = c.empty() ? 1 : c.back();
  if ((rows != 1 && rows != m_) || (cols != 1 && cols != n_)) {
    throw Error(spec_.describe() + ": C " + dims_str(c) + " does not broadcast to [" + std::to_string(m_) + ", " +
                std::to_string(n_) + "]");
  }
  c_mode_ = rows == m_ && cols == n_ && k_ > 0 ? CMode::kMatrix : CMode::kBroadcast;
  c_broadcast_ = MatrixBroadcast{type_, nullptr, rows == 1 ? 0 : cols, cols == 1 ? 0 : 1, nullptr, m_, n_, 1.0f};
}

LtLayout make_layout(cudaDataType t, uint64_t rows, uint64_t cols, int64_t ld, int64_t count, int64_t stride,
                   const std::string& what) {
  cublasLtMatrixLayout_t l = nullptr;
  check_cublas(cublasLtMatrixLayoutCreate(&l, t, rows, cols, ld), what);
  LtLayout out(l);
  if (count > 1) {
    const int32_t n = static_cast<int32_t>(count);
    set_lt_attr(cublasLtMatrixLayoutSetAttribute, l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, n, what);
    set_lt_attr(cublasLtMatrixLayoutSetAttribute, l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, stride, what);
  }
  return out;
}

cublasLtEpilogue_t lt_epilogue(bool bias, std::optional<ActivationParams> act) {
  const Activation a = act ? act->kind : Activation::kNone;
  if (a == Activation::kRelu) return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  if (a == Activation::kGeluTanh) return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
  return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
}

cudaDataType lt_type(NumType t) { return t == NumType::kHalf ? CUDA_R_16F : CUDA_R_32F; }

// A product of `type` operands accumulated in float (TF32 tensor cores for float at kTF32).
LtMatmulDesc lt_desc(NumType type, Precision precision, cublasOperation_t op_a, cublasOperation_t op_b,
                   const std::string& what) {
  const cublasComputeType_t compute =
      type == NumType::kFloat && precision == Precision::kTF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  cublasLtMatmulDesc_t d = nullptr;
  check_cublas(cublasLtMatmulDescCreate(&d, compute, CUDA_R_32F), what);
  LtMatmulDesc desc(d);
  set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_TRANSA, op_a, what);
  set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_TRANSB, op_b, what);
  return desc;
}

// Y^T [N, M] = op(B)^T [N, K] op(A)^T [K, M], column-major: cuBLASLt's A is our B.
void LtProductLayer::set_descriptors() {
  const std::string what = spec_.describe() + ": cublasLt descriptors";
  const cudaDataType t = lt_type(type_);
  const cublasOperation_t op_a = attrs_.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = attrs_.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  desc_ = lt_desc(type_, precision(), op_a, op_b, what);
  cublasLtMatmulDesc_t d = desc_.get();
  const cublasLtEpilogue_t ep = lt_epilogue(has_bias(), lt_activation() ? fusion_.act : std::nullopt);
  set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_EPILOGUE, ep, what);
  if (has_bias()) set_lt_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias_dev_, what);
  const BatchPlan& p = batches_;
  lt_a_ = attrs_.trans_b ? make_layout(t, k_, n_, k_, p.count, p.stride_b, what)
                         : make_layout(t, n_, k_, n_, p.count, p.stride_b, what);
  lt_b_ = attrs_.trans_a ? make_layout(t, m_, k_, m_, p.count, p.stride_a, what)
                         : make_layout(t, k_, m_, k_, p.count, p.stride_a, what);
  lt_d_ = make_layout(t, n_, m_, n_, p.count, p.stride_y, what);
}

// The alignment every call's pointers keep, given 256-byte aligned tensors.
uint32_t call_alignment(const BatchPlan& p, size_t elem, size_t which) {
  int64_t a = kAlign;
  for (const auto& c : p.calls) a = std::gcd(a, c[which] * static_cast<int64_t>(elem));
  return static_cast<uint32_t>(a);
}

// The byte alignments of cuBLASLt's A, B and D (C is D) pointers.
struct LtAlignments {
  uint32_t a = kAlign, b = kAlign, d = kAlign;
};

// cuBLASLt's algorithms for a product, best first, those it cannot run left out; throws an
// Error starting with `who` when none is left.
std::vector<cublasLtMatmulHeuristicResult_t> lt_algorithms(cublasLtHandle_t h, cublasLtMatmulDesc_t desc,
                                                           cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
                                                           cublasLtMatrixLayout_t d, const LtAlignments& align,
                                                           const std::string& who) {
  const std::string what = who + ": cublasLt heuristics";
  cublasLtMatmulPreference_t pref = nullptr;
  check_cublas(cublasLtMatmulPreferenceCreate(&pref), what);
  LtPreference owner(pref);
  const uint64_t max_ws = kMaxWorkspace;
  set_lt_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, max_ws, what);
  set_lt_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align.a, what);
  set_lt_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align.b, what);
  set_lt_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align.d, what);
  set_lt_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align.d, what);
  std::vector<cublasLtMatmulHeuristicResult_t> algos(kHeuristics);
  int n = 0;
  check_cublas(cublasLtMatmulAlgoGetHeuristic(h, desc, a, b, d, d, pref, kHeuristics, algos.data(), &n), what);
  algos.resize(static_cast<size_t>(n));
  std::erase_if(algos, [](const cublasLtMatmulHeuristicResult_t& r) { return r.state != CUBLAS_STATUS_SUCCESS; });
  if (algos.empty()) throw Error(who + ": cuBLASLt offers no algorithm for these dims and precision");
  return algos;
}

void LtProductLayer::find_algos(cublasLtHandle_t h) {
  const size_t elem = type_ == NumType::kHalf ? 2 : 4;
  const LtAlignments align{call_alignment(batches_, elem, 1), call_alignment(batches_, elem, 0),
                           call_alignment(batches_, elem, 2)};
  algos_ = lt_algorithms(h, desc_.get(), lt_a_.get(), lt_b_.get(), lt_d_.get(), align, spec_.describe());
}

void LtProductLayer::prepare(const PrepareContext& ctx) {
  type_ = float_num_type(ctx.inputs[0].dtype, spec_);
  if (b_dev_ && weight_type_ != type_) throw Error(spec_.describe() + ": A and B are stored in different dtypes");
  plan_shapes(ctx.inputs[0].dims, b_dims_.empty() ? ctx.inputs[b_index_].dims : b_dims_);
  if (m_ * n_ * batches_.count * static_cast<int64_t>(batches_.calls.size()) != ctx.outputs[0].numel()) {
    throw Error(spec_.describe() + ": output dims " + dims_str(ctx.outputs[0].dims) + " do not match the product");
  }
  set_c_mode(ctx);
  algos_.clear();
  if (ctx.outputs[0].numel() == 0 || k_ == 0) return;
  set_descriptors();
  find_algos(static_cast<cublasLtHandle_t>(ctx.handles.cublaslt));
  set_tactic(tactic_);
}

// "lt_h<i>": cuBLASLt's i-th heuristic choice for the prepared dims.
std::vector<std::string> LtProductLayer::tactics() const {
  if (algos_.empty()) return {"lt_h0"};
  std::vector<std::string> names;
  for (size_t i = 0; i < algos_.size(); ++i) names.push_back("lt_h" + std::to_string(i));
  return names;
}

void LtProductLayer::set_tactic(const std::string& name) {
  tactic_ = name;
  chosen_ = 0;
  for (size_t i = 0; i < algos_.size(); ++i) {
    if (name == "lt_h" + std::to_string(i)) chosen_ = i;
  }
}

void LtProductLayer::epilogue(const EnqueueContext& ctx, bool with_bias) const {
  EpilogueArgs a;
  a.type = type_;
  a.y = ctx.outputs[0].data;
  a.n = ctx.outputs[0].numel();
  a.channels = n_;
  a.bias = with_bias ? bias_dev_ : nullptr;
  if (fusion_.act) a.act = *fusion_.act;
  if (!a.bias && a.act.kind == Activation::kNone) return;
  check_cuda(apply_epilogue(a, ctx.stream), spec_.describe() + ": epilogue");
}

void LtProductLayer::enqueue(const EnqueueContext& ctx) {
  const std::string& what = spec_.describe();
  if (ctx.outputs[0].numel() == 0) return;
  char* y = static_cast<char*>(ctx.outputs[0].data);
  if (c_mode_ == CMode::kBroadcast) {
    MatrixBroadcast c = c_broadcast_;
    c.src = ctx.inputs[c_index_].data;
    c.dst = y;
    if (k_ == 0) c.scale = attrs_.beta;
    check_cuda(broadcast_matrix(c, ctx.stream), what + ": broadcasting C");
  }
  if (k_ == 0) {  // no products: Y is beta * C (or 0), then bias and activation
    if (c_mode_ == CMode::kNone) check_cuda(cudaMemsetAsync(y, 0, ctx.outputs[0].nbytes(), ctx.stream), what + ": memset");
    return epilogue(ctx, true);
  }
  const size_t elem = type_ == NumType::kHalf ? 2 : 4;
  const char* a = static_cast<const char*>(ctx.inputs[0].data);
  const char* b = static_cast<const char*>(b_dev_ ? b_dev_ : ctx.inputs[b_index_].data);
  const char* c = c_mode_ == CMode::kMatrix ? static_cast<const char*>(ctx.inputs[c_index_].data) : y;
  const float alpha = attrs_.alpha, beta = c_mode_ == CMode::kNone ? 0.0f : attrs_.beta;
  const cublasLtMatmulHeuristicResult_t& algo = algos_[chosen_];
  for (const auto& call : batches_.calls) {
    char* d = y + call[2] * elem;
    check_cublas(cublasLtMatmul(static_cast<cublasLtHandle_t>(ctx.handles.cublaslt), desc_.get(), &alpha,
                                b + call[1] * elem, lt_a_.get(), a + call[0] * elem, lt_b_.get(), &beta,
                                c_mode_ == CMode::kMatrix ? c : d, lt_d_.get(), d, lt_d_.get(), &algo.algo,
                                ctx.workspace, algo.workspaceSize, ctx.stream),
                 what + ": cublasLtMatmul");
  }
  if (fusion_.act && !lt_activation()) epilogue(ctx, false);
}

std::string LtProductLayer::summary() const {
  std::string s = std::string("cublasLt ") + (attrs_.gemm ? "gemm" : "matmul") + " M=" + std::to_string(m_) +
                  " N=" + std::to_string(n_) + " K=" + std::to_string(k_);
  if (batches_.count > 1 || batches_.calls.size() > 1) {
    s += " batch=" + std::to_string(batches_.count) + "x" + std::to_string(batches_.calls.size());
  }
  if (!algos_.empty()) {
    int32_t id = 0, tile = 0;
    size_t written = 0;
    cublasLtMatmulAlgoConfigGetAttribute(&algos_[chosen_].algo, CUBLASLT_ALGO_CONFIG_ID, &id, sizeof id, &written);
    cublasLtMatmulAlgoConfigGetAttribute(&algos_[chosen_].algo, CUBLASLT_ALGO_CONFIG_TILE_ID, &tile, sizeof tile, &written);
    s += ", lt_h" + std::to_string(chosen_) + " (algo " + std::to_string(id) + ", tile " + std::to_string(tile) + ")";
  }
  if (has_bias()) s += ", fused bias";
  if (fusion_.act) s += lt_activation() ? " + activation (cublasLt)" : " + activation (epilogue)";
  return s;
}

std::unique_ptr<Layer> make_product(const LayerSpec& spec) { return std::make_unique<LtProductLayer>(spec); }

// --------------------------------------------------------------------------------------
// Einsum of two operands as one strided-batched product. Every label is a batch label (in
// both operands and the output), a row label (A and the output), a column label (B and
// the output) or a summed one (both operands, not the output). An operand, or the output,
// whose labels do not lie as [batch, rows, cols] groups with one group contiguous goes
// through a permuted copy in workspace. Diagonals, labels summed in one operand only,
// broadcast label sizes and other operand counts are refused.

constexpr int kEllipsisLabel = 52;  // "..." dims are labels 52 + k, k counted from the right

int einsum_letter(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
  return -1;
}

// The labels of a term for an operand of `rank` dims; the output's (rank -1) ellipsis has
// `ell` dims, the most any operand's covers. Throws an Error saying what is wrong.
std::vector<int> term_labels(const std::string& term, int64_t rank, int64_t& ell) {
  int64_t letters = 0;
  for (char c : term) letters += einsum_letter(c) >= 0;
  std::vector<int> labels;
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term.compare(i, 3, "...") == 0) {
      if (ellipsis) throw Error("term '" + term + "' has two ellipses");
      ellipsis = true;
      const int64_t n = rank >= 0 ? rank - letters : ell;
      if (n < 0) throw Error("term '" + term + "' has more labels than its operand's rank " + std::to_string(rank));
      if (rank >= 0) ell = std::max(ell, n);
      for (int64_t k = n; k-- > 0;) labels.push_back(kEllipsisLabel + static_cast<int>(k));
      i += 2;
    } else if (einsum_letter(term[i]) >= 0) {
      labels.push_back(einsum_letter(term[i]));
    } else {
      throw Error(std::string("unexpected character '") + term[i] + "'");
    }
  }
  if (rank >= 0 && static_cast<int64_t>(labels.size()) != rank) {
    throw Error("term '" + term + "' does not match its operand's rank " + std::to_string(rank));
  }
  return labels;
}

struct EinsumLabels {
  std::vector<int> a, b, out;
};

// Without "->" the output is the ellipsis dims, then the labels used once in a..z, A..Z
// order (as kernels/cpu/matmul.cc).
EinsumLabels einsum_labels(const std::string& equation, int64_t rank_a, int64_t rank_b) {
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  const size_t comma = lhs.find(',');
  if (comma == std::string::npos || lhs.find(',', comma + 1) != std::string::npos) {
    throw Error("only two-operand equations run on the GPU");
  }
  int64_t ell = 0;
  EinsumLabels l;
  l.a = term_labels(lhs.substr(0, comma), rank_a, ell);
  l.b = term_labels(lhs.substr(comma + 1), rank_b, ell);
  if (arrow != std::string::npos) {
    l.out = term_labels(equation.substr(arrow + 2), -1, ell);
    return l;
  }
  for (int64_t k = ell; k-- > 0;) l.out.push_back(kEllipsisLabel + static_cast<int>(k));
  std::array<int, kEllipsisLabel> count{};
  for (const std::vector<int>* t : {&l.a, &l.b}) {
    for (int x : *t) {
      if (x < kEllipsisLabel) ++count[x];
    }
  }
  for (int x = 0; x < kEllipsisLabel; ++x) {
    if (count[x] == 1) l.out.push_back(x);
  }
  return l;
}

bool has_label(const std::vector<int>& labels, int x) { return std::find(labels.begin(), labels.end(), x) != labels.end(); }

// Batch, row and column labels in the output's order; summed labels in A's order.
struct EinsumGroups {
  std::vector<int> batch, rows, cols, sums;
};

EinsumGroups einsum_groups(const EinsumLabels& l) {
  for (const std::vector<int>* t : {&l.a, &l.b, &l.out}) {
    for (size_t i = 0; i < t->size(); ++i) {
      if (std::count(t->begin(), t->end(), (*t)[i]) > 1) throw Error("a term repeats a label (a diagonal)");
    }
  }
  EinsumGroups g;
  for (int x : l.out) {
    const bool in_a = has_label(l.a, x), in_b = has_label(l.b, x);
    if (!in_a && !in_b) throw Error("an output label is in no operand");
    (in_a && in_b ? g.batch : in_a ? g.rows : g.cols).push_back(x);
  }
  for (int x : l.a) {
    if (!has_label(l.out, x)) g.sums.push_back(x);
  }
  for (int x : l.b) {
    if (!has_label(l.out, x) && !has_label(l.a, x)) throw Error("a label is summed in one operand only");
  }
  for (int x : g.sums) {
    if (!has_label(l.b, x)) throw Error("a label is summed in one operand only");
  }
  return g;
}

using LabelMap = std::map<int, int64_t>;

void add_sizes(const std::vector<int>& labels, const Dims& dims, LabelMap& size) {
  for (size_t i = 0; i < labels.size(); ++i) {
    const auto [it, fresh] = size.emplace(labels[i], dims[i]);
    if (!fresh && it->second != dims[i]) {
      throw Error("a label has sizes " + std::to_string(it->second) + " and " + std::to_string(dims[i]) +
                  " (broadcasting is not run on the GPU)");
    }
  }
}

int64_t group_size(const std::vector<int>& group, const LabelMap& size) {
  int64_t n = 1;
  for (int x : group) n *= size.at(x);
  return n;
}

// A group of labels walked as one dim of a tensor: its size and step (0 when it has one
// element). Empty when the labels do not follow one another in the tensor's layout.
struct GroupDim {
  int64_t size = 1, stride = 0;
};

std::optional<GroupDim> merged(const std::vector<int>& group, const LabelMap& stride, const LabelMap& size) {
  GroupDim g;
  for (int x : group) {
    const int64_t n = size.at(x);
    if (n == 1) continue;
    if (g.size > 1 && g.stride != stride.at(x) * n) return std::nullopt;
    g.size *= n;
    g.stride = stride.at(x);
  }
  return g;
}

// A rows x cols matrix (element (r, c) at r * rows.stride + c * cols.stride) as cuBLASLt's
// column-major layout: itself when rows are contiguous, else the transpose of its
// [cols x rows] layout; empty when neither is contiguous.
struct LtMatrix {
  bool transposed = false;
  uint64_t rows = 0, cols = 0;
  int64_t ld = 1;
};

std::optional<LtMatrix> lt_matrix(const GroupDim& rows, const GroupDim& cols) {
  const uint64_t r = static_cast<uint64_t>(rows.size), c = static_cast<uint64_t>(cols.size);
  if (rows.size == 1 || rows.stride == 1) return LtMatrix{false, r, c, cols.size == 1 ? rows.size : cols.stride};
  if (cols.size == 1 || cols.stride == 1) return LtMatrix{true, c, r, rows.stride};
  return std::nullopt;
}

// Where an operand (or the output) of the product lies: in place, or (copied) in
// workspace as [batch, cols, rows] with rows contiguous, copied by copy_strided of
// copy_dims with copy_strides (from the operand; into the output).
struct ProductOperand {
  bool copied = false;
  int64_t batch_stride = 0;
  LtMatrix matrix;
  Dims copy_dims;
  std::vector<int64_t> copy_strides;
  size_t bytes = 0, offset = 0;  // of the copy in workspace
};

ProductOperand product_operand(const std::vector<int>& labels, const Dims& dims, const std::vector<int>& batch,
                               const std::vector<int>& rows, const std::vector<int>& cols, const LabelMap& size,
                               bool output, size_t elem) {
  LabelMap stride;
  const Dims s = strides_of(dims);
  for (size_t i = 0; i < labels.size(); ++i) stride[labels[i]] = s[i];
  const auto b = merged(batch, stride, size), r = merged(rows, stride, size), c = merged(cols, stride, size);
  if (b && r && c) {
    const std::optional<LtMatrix> m = lt_matrix(*r, *c);
    if (m && !(output && m->transposed)) return ProductOperand{false, b->stride, *m};
  }
  ProductOperand p;
  p.copied = true;
  std::vector<int> order = batch;
  order.insert(order.end(), cols.begin(), cols.end());
  order.insert(order.end(), rows.begin(), rows.end());
  Dims canonical;
  for (int x : order) canonical.push_back(size.at(x));
  const Dims cs = strides_of(canonical);
  LabelMap canonical_stride;
  for (size_t i = 0; i < order.size(); ++i) canonical_stride[order[i]] = cs[i];
  if (output) {
    p.copy_dims = dims;
    for (int x : labels) p.copy_strides.push_back(canonical_stride.at(x));
  } else {
    p.copy_dims = canonical;
    for (int x : order) p.copy_strides.push_back(stride.at(x));
  }
  const int64_t nr = group_size(rows, size), nc = group_size(cols, size);
  p.batch_stride = nr * nc;
  p.matrix = *lt_matrix({nr, 1}, {nc, nr});
  p.bytes = static_cast<size_t>(num_elements(canonical)) * elem;
  return p;
}

size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

class EinsumLayer : public NodeLayer {
 public:
  explicit EinsumLayer(const LayerSpec& spec) : NodeLayer(spec) {
    for (char c : spec.attrs().get_string("equation", "")) {
      if (c != ' ') equation_ += c;
    }
    const Node& n = spec.main();
    if (n.inputs().size() != 2) refuse("only two-operand equations run on the GPU");
    for (const TensorPtr& t : n.inputs()) {
      if (t && t->dtype() != DataType::kUndefined) float_type(t->dtype());
    }
    const Shape a = n.input(0) ? n.input(0)->shape() : Shape(), b = n.input(1) ? n.input(1)->shape() : Shape();
    if (a.has_rank() && b.has_rank()) groups(static_cast<int64_t>(a.rank()), static_cast<int64_t>(b.rank()));
  }

  bool supports_fp16() const override { return true; }

  void prepare(const PrepareContext& ctx) override {
    const TensorDesc& y = output(ctx, 0);
    type_ = float_type(input(ctx, 0).dtype);
    if (input(ctx, 1).dtype != input(ctx, 0).dtype) fail("the operands are stored in different dtypes");
    const Dims& a_dims = input(ctx, 0).dims;
    const Dims& b_dims = input(ctx, 1).dims;
    EinsumLabels l = label_lists(static_cast<int64_t>(a_dims.size()), static_cast<int64_t>(b_dims.size()));
    EinsumGroups g = groups(static_cast<int64_t>(a_dims.size()), static_cast<int64_t>(b_dims.size()));
    LabelMap size;
    try {
      add_sizes(l.a, a_dims, size);
      add_sizes(l.b, b_dims, size);
    } catch (const Error& e) {
      refuse(e.what());
    }
    Dims expected;
    for (int x : l.out) expected.push_back(size.at(x));
    if (expected != y.dims) fail("output dims " + dims_str(y.dims) + " differ from the equation's " + dims_str(expected));
    // The output must be written with its column group contiguous: swap the operands (and
    // the roles of rows and columns) when its row group is the contiguous one.
    a_input_ = 0;
    const ProductOperand as_is = product_operand(l.out, y.dims, g.batch, g.cols, g.rows, size, false, 0);
    if (!as_is.copied && as_is.matrix.transposed) {
      a_input_ = 1;
      std::swap(l.a, l.b);
      std::swap(g.rows, g.cols);
    }
    const size_t elem = type_ == NumType::kHalf ? 2 : 4;
    // D [N x M] = B' [N x K] A' [K x M] column-major, B' and A' our B and A as they lie.
    b_ = product_operand(l.b, input(ctx, 1 - a_input_).dims, g.batch, g.cols, g.sums, size, false, elem);
    a_ = product_operand(l.a, input(ctx, a_input_).dims, g.batch, g.sums, g.rows, size, false, elem);
    y_ = product_operand(l.out, y.dims, g.batch, g.cols, g.rows, size, true, elem);
    batch_ = group_size(g.batch, size);
    m_ = group_size(g.rows, size);
    n_ = group_size(g.cols, size);
    k_ = group_size(g.sums, size);
    algos_.clear();
    workspace_ = 0;
    if (y.numel() == 0 || k_ == 0) return;
    set_descriptors(static_cast<cublasLtHandle_t>(ctx.handles.cublaslt));
    workspace_ = align_up(algos_.front().workspaceSize);
    for (ProductOperand* p : {&a_, &b_, &y_}) {
      if (!p->copied) continue;
      p->offset = workspace_;
      workspace_ += align_up(p->bytes);
    }
  }

  size_t workspace_bytes() const override { return workspace_; }

  void enqueue(const EnqueueContext& ctx) override {
    const DeviceTensor& y = output(ctx, 0);
    if (y.numel() == 0) return;
    if (k_ == 0) {  // nothing summed: zeros
      check(cudaMemsetAsync(y.data, 0, y.nbytes(), ctx.stream), "memset");
      return;
    }
    char* ws = static_cast<char*>(ctx.workspace);
    const size_t elem = type_ == NumType::kHalf ? 2 : 4;
    auto operand = [&](const ProductOperand& p, const void* data) -> const void* {
      if (!p.copied) return data;
      check(copy_strided(data, 0, p.copy_strides, ws + p.offset, p.copy_dims, elem, ctx.stream), "operand copy");
      return ws + p.offset;
    };
    const void* a = operand(a_, input(ctx, a_input_).data);
    const void* b = operand(b_, input(ctx, 1 - a_input_).data);
    void* d = y_.copied ? ws + y_.offset : y.data;
    const float alpha = 1.0f, beta = 0.0f;
    const cublasLtMatmulHeuristicResult_t& algo = algos_.front();
    check_cublas(cublasLtMatmul(static_cast<cublasLtHandle_t>(ctx.handles.cublaslt), desc_.get(), &alpha, b,
                                lt_a_.get(), a, lt_b_.get(), &beta, d, lt_d_.get(), d, lt_d_.get(), &algo.algo, ws,
                                algo.workspaceSize, ctx.stream),
                 what() + ": cublasLtMatmul");
    if (y_.copied) check(copy_strided(d, 0, y_.copy_strides, y.data, y_.copy_dims, elem, ctx.stream), "output copy");
  }

  std::string summary() const override {
    std::string s = "cublasLt einsum '" + equation_ + "' batch=" + std::to_string(batch_) + " M=" + std::to_string(m_) +
                    " N=" + std::to_string(n_) + " K=" + std::to_string(k_);
    for (const auto& [name, p] : {std::pair{"A", &a_}, std::pair{"B", &b_}, std::pair{"Y", &y_}}) {
      if (p->copied) s += std::string(", ") + name + " permuted";
    }
    return s;
  }

 private:
  [[noreturn]] void refuse(const std::string& why) const { fail("equation '" + equation_ + "': " + why); }

  NumType float_type(DataType t) const {
    if (t == DataType::kFloat) return NumType::kFloat;
    if (t == DataType::kFloat16) return NumType::kHalf;
    fail("runs float32 and float16 operands on the GPU, not " + dtype_name(t));
  }

  EinsumLabels label_lists(int64_t rank_a, int64_t rank_b) const {
    try {
      return einsum_labels(equation_, rank_a, rank_b);
    } catch (const Error& e) {
      refuse(e.what());
    }
  }

  EinsumGroups groups(int64_t rank_a, int64_t rank_b) const {
    try {
      return einsum_groups(einsum_labels(equation_, rank_a, rank_b));
    } catch (const Error& e) {
      refuse(e.what());
    }
  }

  void set_descriptors(cublasLtHandle_t h) {
    const std::string what = this->what() + ": cublasLt descriptors";
    const cudaDataType t = lt_type(type_);
    desc_ = lt_desc(type_, precision(), b_.matrix.transposed ? CUBLAS_OP_T : CUBLAS_OP_N,
                    a_.matrix.transposed ? CUBLAS_OP_T : CUBLAS_OP_N, what);
    lt_a_ = make_layout(t, b_.matrix.rows, b_.matrix.cols, b_.matrix.ld, batch_, b_.batch_stride, what);
    lt_b_ = make_layout(t, a_.matrix.rows, a_.matrix.cols, a_.matrix.ld, batch_, a_.batch_stride, what);
    lt_d_ = make_layout(t, y_.matrix.rows, y_.matrix.cols, y_.matrix.ld, batch_, y_.batch_stride, what);
    algos_ = lt_algorithms(h, desc_.get(), lt_a_.get(), lt_b_.get(), lt_d_.get(), LtAlignments{}, this->what());
  }

  std::string equation_;
  NumType type_ = NumType::kFloat;
  int a_input_ = 0;  // the node input that plays A (1 when the operands are swapped)
  ProductOperand a_, b_, y_;
  int64_t batch_ = 1, m_ = 0, n_ = 0, k_ = 0;
  LtMatmulDesc desc_;
  LtLayout lt_a_, lt_b_, lt_d_;
  std::vector<cublasLtMatmulHeuristicResult_t> algos_;
  size_t workspace_ = 0;
};

}  // namespace

GRAFT_GPU_LAYER_FUSING("", MatMul, 1, make_product, product_absorbs);
GRAFT_GPU_LAYER_FUSING("", Gemm, 1, make_product, product_absorbs);
GRAFT_GPU_LAYER("", Einsum, 12, make_layer<EinsumLayer>);

}  // namespace graft::cuda
