// MatMul, Gemm, MatMulInteger, QLinearMatMul, Einsum, Det.
#include <array>
#include <cmath>
#include <string>

#include "kernels/cpu/broadcast.h"
#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/gemm_util.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"

namespace graft::cpu {
namespace {

// ---------------------------------------------------------------------------------------
// Batched matrix product with numpy broadcasting (MatMul and its integer variants).

struct MatMulPlan {
  Dims a_batch, b_batch, batch;  // batch dims of A, B and the output
  int64_t M = 1, K = 1, N = 1;
  Dims out;
};

MatMulPlan plan_matmul(const KernelContext& ctx, const Dims& a, const Dims& b) {
  if (a.empty() || b.empty()) ctx.fail("MatMul inputs must not be scalars: " + dims_str(a) + " and " + dims_str(b));
  MatMulPlan p;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  p.M = a_vec ? 1 : a[a.size() - 2];
  p.K = a.back();
  const int64_t kb = b_vec ? b[0] : b[b.size() - 2];
  p.N = b_vec ? 1 : b.back();
  if (kb != p.K) ctx.fail("MatMul inner dimensions differ: A " + dims_str(a) + " and B " + dims_str(b));
  p.a_batch.assign(a.begin(), a.end() - (a_vec ? 1 : 2));
  p.b_batch.assign(b.begin(), b.end() - (b_vec ? 1 : 2));
  p.batch = broadcast_dims({&p.a_batch, &p.b_batch});
  p.out = p.batch;
  if (!a_vec) p.out.push_back(p.M);
  if (!b_vec) p.out.push_back(p.N);
  return p;
}

// y = a @ b for the plan, in T.
template <typename T>
void run_matmul(const MatMulPlan& p, const T* a, const T* b, T* y) {
  const int64_t batches = num_elements(p.batch);
  if (batches == 0 || p.M == 0 || p.N == 0) return;
  const int64_t a_mat = p.M * p.K, b_mat = p.K * p.N, y_mat = p.M * p.N;
  // B shared by every batch of a full A: one tall product.
  if (num_elements(p.b_batch) == 1 && num_elements(p.a_batch) == batches) {
    gemm<T>(false, false, batches * p.M, p.N, p.K, T(1), a, p.K, b, p.N, T(0), y, p.N);
    return;
  }
  for_each_broadcast(p.batch, {&p.a_batch, &p.b_batch},
                     [&](int64_t o, const int64_t* in, const int64_t* step, int64_t n) {
                       for (int64_t k = 0; k < n; ++k) {
                         gemm<T>(false, false, p.M, p.N, p.K, T(1), a + (in[0] + k * step[0]) * a_mat, p.K,
                                 b + (in[1] + k * step[1]) * b_mat, p.N, T(0), y + (o + k) * y_mat, p.N);
                       }
                     });
}

void matmul(KernelContext& ctx) {
  const HostTensor a = widen_to_float(ctx.input(0));
  const HostTensor b = widen_to_float(ctx.input(1));
  if (a.dtype() != b.dtype()) ctx.fail("inputs have different types: " + a.describe() + " and " + b.describe());
  const MatMulPlan p = plan_matmul(ctx, a.dims(), b.dims());
  HostTensor y(a.dtype(), p.out);
  dispatch_numeric(a.dtype(), "MatMul", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_low_float_v<T> || sizeof(T) < 4) {
      unsupported_dtype(a.dtype(), "MatMul");
    } else {
      run_matmul<T>(p, a.data<T>(), b.data<T>(), y.mutable_data<T>());
    }
  });
  ctx.set_output(0, narrow_from_float(y, ctx.input(0).dtype()));
}

// ---------------------------------------------------------------------------------------
// Gemm: Y = alpha * op(A) * op(B) + beta * C.

void gemm_op(KernelContext& ctx) {
  const DataType dtype = ctx.input(0).dtype();
  const HostTensor a = widen_to_float(ctx.input(0));
  const HostTensor b = widen_to_float(ctx.input(1));
  if (a.rank() != 2 || b.rank() != 2) ctx.fail("Gemm needs 2-D A and B, got " + a.describe() + " and " + b.describe());
  const bool ta = ctx.attr_int("transA", 0) != 0, tb = ctx.attr_int("transB", 0) != 0;
  const float alpha = ctx.attr_float("alpha", 1.0f);
  float beta = ctx.attr_float("beta", 1.0f);
  const int64_t M = ta ? a.dim(1) : a.dim(0), K = ta ? a.dim(0) : a.dim(1);
  const int64_t N = tb ? b.dim(0) : b.dim(1), Kb = tb ? b.dim(1) : b.dim(0);
  if (K != Kb) ctx.fail("Gemm inner dimensions differ: A " + a.describe() + " and B " + b.describe());
  HostTensor y(a.dtype(), {M, N});
  const bool has_c = ctx.has_input(2) && beta != 0.0f;
  dispatch_numeric(a.dtype(), "Gemm", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_low_float_v<T> || sizeof(T) < 4) {
      unsupported_dtype(dtype, "Gemm");
    } else {
      T* py = y.mutable_data<T>();
      if (has_c) {
        const HostTensor c = widen_to_float(ctx.input(2));
        if (c.dtype() != a.dtype()) ctx.fail("C has type " + c.describe() + ", A has " + a.describe());
        const Dims out = y.dims();
        if (broadcast_dims({&out, &c.dims()}) != out) {
          ctx.fail("C " + c.describe() + " does not broadcast to [M, N] = " + dims_str(out));
        }
        const T* pc = c.data<T>();
        for_each_broadcast(out, {&out, &c.dims()}, [&](int64_t o, const int64_t* in, const int64_t* step, int64_t n) {
          for (int64_t k = 0; k < n; ++k) py[o + k] = pc[in[1] + k * step[1]];
        });
      }
      gemm<T>(ta, tb, M, N, K, T(alpha), a.data<T>(), a.dim(1), b.data<T>(), b.dim(1), has_c ? T(beta) : T(0), py, N);
    }
  });
  ctx.set_output(0, narrow_from_float(y, dtype));
}

// ---------------------------------------------------------------------------------------
// Integer and quantized matrix products: zero points are subtracted into int32 copies.

// x - zp as int32, with zp a scalar or one value per group of `inner` consecutive
// elements cycling every `period` groups (per-row: inner=K; per-column: inner=1, period=N).
HostTensor minus_zero_point(const KernelContext& ctx, const HostTensor& x, const HostTensor* zp, int64_t inner,
                            int64_t period, const char* what) {
  HostTensor out(DataType::kInt32, x.dims());
  int32_t* po = out.mutable_data<int32_t>();
  std::vector<int64_t> z = zp ? zp->to_int64s() : std::vector<int64_t>{0};
  if (zp && zp->dtype() != x.dtype()) ctx.fail(std::string(what) + " zero point type differs from its input");
  const int64_t nz = static_cast<int64_t>(z.size());
  if (nz != 1 && nz % period != 0) ctx.fail(std::string(what) + " zero point " + zp->describe() + " does not fit");
  dispatch_integer(x.dtype(), what, [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t zi = nz == 1 ? 0 : (i / inner) % nz;
      po[i] = static_cast<int32_t>(px[i]) - static_cast<int32_t>(z[zi]);
    }
  });
  return out;
}

const HostTensor* optional_input(const KernelContext& ctx, size_t i) {
  return ctx.has_input(i) ? &ctx.input(i) : nullptr;
}

// int32 product of A - a_zp and B - b_zp (per-tensor, per-row of A, per-column of B).
HostTensor integer_matmul(KernelContext& ctx, const HostTensor& a, const HostTensor* azp, const HostTensor& b,
                          const HostTensor* bzp) {
  const MatMulPlan p = plan_matmul(ctx, a.dims(), b.dims());
  const HostTensor a32 = minus_zero_point(ctx, a, azp, p.K, 1, "A");
  const HostTensor b32 = minus_zero_point(ctx, b, bzp, 1, p.N, "B");
  HostTensor y(DataType::kInt32, p.out);
  run_matmul<int32_t>(p, a32.data<int32_t>(), b32.data<int32_t>(), y.mutable_data<int32_t>());
  return y;
}

void matmul_integer(KernelContext& ctx) {
  ctx.set_output(0, integer_matmul(ctx, ctx.input(0), optional_input(ctx, 2), ctx.input(1), optional_input(ctx, 3)));
}

float scalar_float(const KernelContext& ctx, size_t i, const char* name) {
  const HostTensor& t = ctx.input(i);
  if (t.numel() != 1) ctx.fail(std::string(name) + " must hold one value, got " + t.describe());
  return static_cast<float>(t.to_doubles()[0]);
}

void qlinear_matmul(KernelContext& ctx) {
  const HostTensor acc = integer_matmul(ctx, ctx.input(0), &ctx.input(2), ctx.input(3), &ctx.input(5));
  const float scale = scalar_float(ctx, 1, "a_scale") * scalar_float(ctx, 4, "b_scale") / scalar_float(ctx, 6, "y_scale");
  const HostTensor& yzp = ctx.input(7);
  const float zp = static_cast<float>(yzp.to_doubles()[0]);
  HostTensor& y = ctx.allocate_output(0, yzp.dtype(), acc.dims());
  dispatch_integer(yzp.dtype(), "QLinearMatMul", [&](auto tag) {
    using Q = decltype(tag);
    const int32_t* pa = acc.data<int32_t>();
    Q* py = y.mutable_data<Q>();
    for (int64_t i = 0; i < acc.numel(); ++i) py[i] = saturate_round<Q>(static_cast<float>(pa[i]) * scale + zp);
  });
}

// ---------------------------------------------------------------------------------------
// Einsum: every label gets a stride in each operand (repeated labels add up, which walks
// diagonals) and in the output (0 for summed labels); one odometer walks all labels.

struct EinsumTerm {
  std::vector<int> labels;  // letters 0..51; ellipsis dims are 52 + k (k counted from the right)
};

int letter_index(char c) { return c >= 'a' && c <= 'z' ? c - 'a' : (c >= 'A' && c <= 'Z' ? 26 + c - 'A' : -1); }

// Parses one term against an operand rank (-1 for the output, whose ellipsis rank is `ell`).
EinsumTerm parse_term(const KernelContext& ctx, const std::string& s, int64_t rank, int64_t& ell) {
  EinsumTerm t;
  int letters = 0;
  bool has_ell = false;
  for (char c : s) letters += letter_index(c) >= 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.compare(i, 3, "...") == 0) {
      if (has_ell) ctx.fail("equation term '" + s + "' has two ellipses");
      has_ell = true;
      const int64_t n = rank >= 0 ? rank - letters : ell;
      if (n < 0) ctx.fail("equation term '" + s + "' has more labels than its operand's rank " + std::to_string(rank));
      if (rank >= 0) ell = std::max(ell, n);
      for (int64_t k = n; k-- > 0;) t.labels.push_back(52 + static_cast<int>(k));
      i += 2;
    } else if (letter_index(s[i]) >= 0) {
      t.labels.push_back(letter_index(s[i]));
    } else {
      ctx.fail(std::string("unexpected character '") + s[i] + "' in equation");
    }
  }
  if (rank >= 0 && static_cast<int64_t>(t.labels.size()) != rank) {
    ctx.fail("equation term '" + s + "' does not match its operand's rank " + std::to_string(rank));
  }
  return t;
}

template <typename T>
void einsum_compute(const std::vector<const HostTensor*>& ins, const std::vector<int>& order, const std::vector<int64_t>& size,
                    const std::vector<std::vector<int64_t>>& in_strides, const std::vector<int64_t>& out_stride,
                    T* y) {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
  const size_t L = order.size(), n_in = ins.size();
  std::vector<const T*> base(n_in);
  for (size_t k = 0; k < n_in; ++k) base[k] = ins[k]->data<T>();
  std::vector<int64_t> idx(L, 0), off(n_in, 0);
  int64_t out_off = 0;
  const int64_t total = [&] { int64_t t = 1; for (int l : order) t *= size[l]; return t; }();
  if (total == 0) return;
  // The innermost label is walked in a tight loop.
  const int inner = L ? order[L - 1] : -1;
  const int64_t inner_n = L ? size[inner] : 1;
  for (int64_t done = 0; done < total; done += inner_n) {
    Acc sum = 0;
    for (int64_t j = 0; j < inner_n; ++j) {
      Acc prod = 1;
      for (size_t k = 0; k < n_in; ++k) prod *= static_cast<Acc>(base[k][off[k] + (L ? j * in_strides[k][inner] : 0)]);
      if (L && out_stride[inner] != 0) {
        y[out_off + j * out_stride[inner]] = static_cast<T>(static_cast<Acc>(y[out_off + j * out_stride[inner]]) + prod);
      } else {
        sum += prod;
      }
    }
    if (!(L && out_stride[inner] != 0)) y[out_off] = static_cast<T>(static_cast<Acc>(y[out_off]) + sum);
    for (size_t d = L > 0 ? L - 1 : 0; d-- > 0;) {
      const int l = order[d];
      ++idx[d];
      for (size_t k = 0; k < n_in; ++k) off[k] += in_strides[k][l];
      out_off += out_stride[l];
      if (idx[d] < size[l]) break;
      for (size_t k = 0; k < n_in; ++k) off[k] -= in_strides[k][l] * size[l];
      out_off -= out_stride[l] * size[l];
      idx[d] = 0;
    }
  }
}

void einsum(KernelContext& ctx) {
  std::string eq;
  for (char c : ctx.attr_string("equation", "")) if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    parts.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (parts.size() != ctx.num_inputs()) ctx.fail("equation '" + eq + "' names " + std::to_string(parts.size()) + " operands, node has " + std::to_string(ctx.num_inputs()));
  std::vector<HostTensor> widened;
  std::vector<const HostTensor*> ins;
  for (size_t k = 0; k < parts.size(); ++k) widened.push_back(widen_to_float(ctx.input(k)));
  for (auto& w : widened) ins.push_back(&w);
  int64_t ell = 0;
  std::vector<EinsumTerm> terms;
  for (size_t k = 0; k < parts.size(); ++k) terms.push_back(parse_term(ctx, parts[k], static_cast<int64_t>(ins[k]->rank()), ell));
  // Sizes per label; ellipsis dims broadcast.
  constexpr int kLabels = 52 + 16;
  std::vector<int64_t> size(kLabels, -1);
  std::array<int, kLabels> count{};
  for (size_t k = 0; k < terms.size(); ++k) {
    for (size_t d = 0; d < terms[k].labels.size(); ++d) {
      const int l = terms[k].labels[d];
      const int64_t n = ins[k]->dim(d);
      ++count[l];
      if (size[l] == -1 || size[l] == 1) size[l] = n;
      else if (n != size[l] && !(l >= 52 && n == 1)) ctx.fail("label sizes differ in equation '" + eq + "'");
    }
  }
  EinsumTerm out;
  if (arrow != std::string::npos) {
    out = parse_term(ctx, eq.substr(arrow + 2), -1, ell);
  } else {
    for (int64_t k = ell; k-- > 0;) out.labels.push_back(52 + static_cast<int>(k));
    for (int l = 0; l < 52; ++l) if (count[l] == 1) out.labels.push_back(l);
  }
  Dims out_dims;
  std::vector<int> order;
  std::vector<int64_t> out_stride(kLabels, 0);
  for (int l : out.labels) {
    if (size[l] < 0) ctx.fail("output label of '" + eq + "' is not in any input");
    out_dims.push_back(size[l]);
    order.push_back(l);
  }
  const std::vector<int64_t> os = strides_of(out_dims);
  for (size_t d = 0; d < out.labels.size(); ++d) out_stride[out.labels[d]] = os[d];
  for (int l = 0; l < kLabels; ++l) {
    if (size[l] >= 0 && std::find(order.begin(), order.end(), l) == order.end()) order.push_back(l);
  }
  std::vector<std::vector<int64_t>> in_strides(ins.size(), std::vector<int64_t>(kLabels, 0));
  for (size_t k = 0; k < ins.size(); ++k) {
    const std::vector<int64_t> s = strides_of(ins[k]->dims());
    for (size_t d = 0; d < s.size(); ++d) if (ins[k]->dim(d) != 1) in_strides[k][terms[k].labels[d]] += s[d];
  }
  const DataType dtype = ins[0]->dtype();
  for (auto* t : ins) if (t->dtype() != dtype) ctx.fail("Einsum operands have different types");
  HostTensor y(dtype, out_dims);
  dispatch_numeric(dtype, "Einsum", [&](auto tag) {
    using T = decltype(tag);
    if constexpr (is_low_float_v<T>) unsupported_dtype(dtype, "Einsum");
    else einsum_compute<T>(ins, order, size, in_strides, out_stride, y.mutable_data<T>());
  });
  ctx.set_output(0, narrow_from_float(y, ctx.input(0).dtype()));
}

// ---------------------------------------------------------------------------------------
// Det: LU with partial pivoting per matrix, in double.

double determinant(std::vector<double>& a, int64_t n) {
  double det = 1;
  for (int64_t c = 0; c < n; ++c) {
    int64_t piv = c;
    for (int64_t r = c + 1; r < n; ++r) if (std::abs(a[r * n + c]) > std::abs(a[piv * n + c])) piv = r;
    if (a[piv * n + c] == 0) return 0;
    if (piv != c) {
      for (int64_t k = 0; k < n; ++k) std::swap(a[c * n + k], a[piv * n + k]);
      det = -det;
    }
    det *= a[c * n + c];
    for (int64_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      for (int64_t k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
    }
  }
  return det;
}

void det(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() < 2 || x.dim(x.rank() - 1) != x.dim(x.rank() - 2)) ctx.fail("Det needs [*, M, M], got " + x.describe());
  const int64_t n = x.dim(x.rank() - 1);
  Dims out(x.dims().begin(), x.dims().end() - 2);
  HostTensor& y = ctx.allocate_output(0, x.dtype(), out);
  dispatch_float(x.dtype(), "Det", [&](auto tag) {
    using T = decltype(tag);
    const T* px = x.data<T>();
    std::vector<double> m(n * n);
    for (int64_t b = 0; b < y.numel(); ++b) {
      for (int64_t i = 0; i < n * n; ++i) m[i] = static_cast<double>(px[b * n * n + i]);
      y.mutable_data<T>()[b] = static_cast<T>(determinant(m, n));
    }
  });
}

}  // namespace

GRAFT_CPU_KERNEL("", MatMul, 1, matmul);
GRAFT_CPU_KERNEL("", Gemm, 1, gemm_op);
GRAFT_CPU_KERNEL("", MatMulInteger, 10, matmul_integer);
GRAFT_CPU_KERNEL("", QLinearMatMul, 10, qlinear_matmul);
GRAFT_CPU_KERNEL("", Einsum, 12, einsum);
GRAFT_CPU_KERNEL("", Det, 11, det);

}  // namespace graft::cpu
