// MatMul (numpy semantics: 1-D operands, broadcast batch dims) and Gemm through cuBLASLt,
// float32 (TF32 at kTF32) and float16 with float accumulation. cuBLAS is column-major: the
// row-major Y = A B is computed as Y^T = B^T A^T, which reads every operand where it lies.
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
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "kernels/cuda/epilogue.h"
#include "kernels/cuda/layer.h"
#include "kernels/cuda/layer_helpers.h"
#include "kernels/cuda/matmul.h"
#include "surgeon/error.h"

namespace graft::cuda {
namespace {

constexpr size_t kMaxWorkspace = size_t(32) << 20;
constexpr int kHeuristics = 8;
constexpr int64_t kAlign = 256;

void check_cublas(cublasStatus_t s, const std::string& what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw Error(what + ": " + cublasLtGetStatusString(s));
}

template <typename P, cublasStatus_t (*Destroy)(P)>
struct LtDestroy {
  void operator()(P p) const { Destroy(p); }
};
using MatmulDesc = std::unique_ptr<cublasLtMatmulDescOpaque_t, LtDestroy<cublasLtMatmulDesc_t, cublasLtMatmulDescDestroy>>;
using Layout = std::unique_ptr<cublasLtMatrixLayoutOpaque_t, LtDestroy<cublasLtMatrixLayout_t, cublasLtMatrixLayoutDestroy>>;
using Preference =
    std::unique_ptr<cublasLtMatmulPreferenceOpaque_t, LtDestroy<cublasLtMatmulPreference_t, cublasLtMatmulPreferenceDestroy>>;

template <typename D, typename A, typename V>
void set_attr(cublasStatus_t (*set)(D, A, const void*, size_t), D d, A attr, const V& v, const std::string& what) {
  check_cublas(set(d, attr, &v, sizeof v), what);
}

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
  MatmulDesc desc_;
  Layout lt_a_, lt_b_, lt_d_;
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

Layout make_layout(cudaDataType t, uint64_t rows, uint64_t cols, int64_t ld, int64_t count, int64_t stride,
                   const std::string& what) {
  cublasLtMatrixLayout_t l = nullptr;
  check_cublas(cublasLtMatrixLayoutCreate(&l, t, rows, cols, ld), what);
  Layout out(l);
  if (count > 1) {
    const int32_t n = static_cast<int32_t>(count);
    set_attr(cublasLtMatrixLayoutSetAttribute, l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, n, what);
    set_attr(cublasLtMatrixLayoutSetAttribute, l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, stride, what);
  }
  return out;
}

cublasLtEpilogue_t lt_epilogue(bool bias, std::optional<ActivationParams> act) {
  const Activation a = act ? act->kind : Activation::kNone;
  if (a == Activation::kRelu) return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  if (a == Activation::kGeluTanh) return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
  return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
}

// Y^T [N, M] = op(B)^T [N, K] op(A)^T [K, M], column-major: cuBLASLt's A is our B.
void LtProductLayer::set_descriptors() {
  const std::string what = spec_.describe() + ": cublasLt descriptors";
  const cudaDataType t = type_ == NumType::kHalf ? CUDA_R_16F : CUDA_R_32F;
  const cublasComputeType_t compute =
      type_ == NumType::kFloat && precision() == Precision::kTF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  cublasLtMatmulDesc_t d = nullptr;
  check_cublas(cublasLtMatmulDescCreate(&d, compute, CUDA_R_32F), what);
  desc_.reset(d);
  const cublasOperation_t op_a = attrs_.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = attrs_.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  set_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_TRANSA, op_a, what);
  set_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_TRANSB, op_b, what);
  const cublasLtEpilogue_t ep = lt_epilogue(has_bias(), lt_activation() ? fusion_.act : std::nullopt);
  set_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_EPILOGUE, ep, what);
  if (has_bias()) set_attr(cublasLtMatmulDescSetAttribute, d, CUBLASLT_MATMUL_DESC_BIAS_POINTER, bias_dev_, what);
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

void LtProductLayer::find_algos(cublasLtHandle_t h) {
  const std::string what = spec_.describe() + ": cublasLt heuristics";
  cublasLtMatmulPreference_t pref = nullptr;
  check_cublas(cublasLtMatmulPreferenceCreate(&pref), what);
  Preference owner(pref);
  const uint64_t max_ws = kMaxWorkspace;
  set_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, max_ws, what);
  const size_t elem = type_ == NumType::kHalf ? 2 : 4;
  const uint32_t align_a = call_alignment(batches_, elem, 1), align_b = call_alignment(batches_, elem, 0),
                 align_d = call_alignment(batches_, elem, 2);
  set_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, align_a, what);
  set_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, align_b, what);
  set_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, align_d, what);
  set_attr(cublasLtMatmulPreferenceSetAttribute, pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, align_d, what);
  algos_.assign(kHeuristics, {});
  int n = 0;
  check_cublas(cublasLtMatmulAlgoGetHeuristic(h, desc_.get(), lt_a_.get(), lt_b_.get(), lt_d_.get(), lt_d_.get(), pref,
                                              kHeuristics, algos_.data(), &n),
               what);
  algos_.resize(static_cast<size_t>(n));
  std::erase_if(algos_, [](const cublasLtMatmulHeuristicResult_t& r) { return r.state != CUBLAS_STATUS_SUCCESS; });
  if (algos_.empty()) throw Error(spec_.describe() + ": cuBLASLt offers no algorithm for these dims and precision");
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

}  // namespace

GRAFT_GPU_LAYER_FUSING("", MatMul, 1, make_product, product_absorbs);
GRAFT_GPU_LAYER_FUSING("", Gemm, 1, make_product, product_absorbs);

}  // namespace graft::cuda
