// Shapes of the matrix products: MatMul and its integer and quantized forms (numpy
// matmul: 1-D operands promoted and dropped, batch dims broadcast), Gemm ([M, N] from the
// transposed operands), Einsum (label sizes from the operands) and Det (batch dims).
#include <algorithm>
#include <cctype>
#include <map>

#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

Shape matmul_shape(const ShapeContext& ctx, const Shape& a, const Shape& b) {
  if (!a.has_rank() || !b.has_rank()) return Shape();
  if (a.rank() == 0 || b.rank() == 0) ctx.fail("MatMul inputs must not be scalars: A " + a.str() + " and B " + b.str());
  const bool a_vec = a.rank() == 1, b_vec = b.rank() == 1;
  const Dim& k = a[a.rank() - 1];
  const Dim& kb = b[b.rank() - (b_vec ? 1 : 2)];
  merge_dim_or_fail(ctx, k, kb, "MatMul inner dimensions differ: A " + a.str() + " and B " + b.str());
  const Shape a_batch(std::vector<Dim>(a.dims().begin(), a.dims().end() - (a_vec ? 1 : 2)));
  const Shape b_batch(std::vector<Dim>(b.dims().begin(), b.dims().end() - (b_vec ? 1 : 2)));
  std::vector<Dim> dims = broadcast_shapes(a_batch, b_batch).dims();
  if (!a_vec) dims.push_back(a[a.rank() - 2]);
  if (!b_vec) dims.push_back(b[b.rank() - 1]);
  return Shape(std::move(dims));
}

void matmul(ShapeContext& ctx) {
  ctx.set_output(0, ctx.input_dtype(0), matmul_shape(ctx, ctx.input_shape(0), ctx.input_shape(1)));
}

void matmul_integer(ShapeContext& ctx) {
  ctx.set_output(0, DataType::kInt32, matmul_shape(ctx, ctx.input_shape(0), ctx.input_shape(1)));
}

void qlinear_matmul(ShapeContext& ctx) {
  ctx.set_output(0, ctx.input_dtype(7), matmul_shape(ctx, ctx.input_shape(0), ctx.input_shape(3)));
}

// A 2-D operand's dims, transposed when `trans`; two unknown dims when its rank is unknown.
std::vector<Dim> gemm_operand(const ShapeContext& ctx, size_t i, const char* name, bool trans) {
  const Shape& s = ctx.input_shape(i);
  if (!s.has_rank()) return {Dim::unknown(), Dim::unknown()};
  if (s.rank() != 2) ctx.fail(std::string("Gemm needs a 2-D ") + name + ", got " + s.str());
  return trans ? std::vector<Dim>{s[1], s[0]} : std::vector<Dim>{s[0], s[1]};
}

// Y [M, N] = op(A) [M, K] * op(B) [K, N] + C, C broadcast to [M, N] (a C dim other than 1
// is M or N).
void gemm(ShapeContext& ctx) {
  const auto a = gemm_operand(ctx, 0, "A", ctx.attrs().get_int("transA", 0) != 0);
  const auto b = gemm_operand(ctx, 1, "B", ctx.attrs().get_int("transB", 0) != 0);
  const std::string operands = "A " + ctx.input_shape(0).str() + " and B " + ctx.input_shape(1).str();
  merge_dim_or_fail(ctx, a[1], b[0], "Gemm inner dimensions differ: " + operands);
  std::vector<Dim> out{a[0], b[1]};
  const Shape& c = ctx.input_shape(2);
  if (ctx.has_input(2) && c.has_rank()) {
    if (c.rank() > 2) ctx.fail("C " + c.str() + " does not broadcast to [M, N] of " + operands);
    for (size_t i = 0; i < c.rank(); ++i) {
      const Dim& d = c[c.rank() - 1 - i];
      Dim& o = out[1 - i];
      if (!(d.is_fixed() && d.value == 1)) o = merge_dim_or_fail(ctx, o, d, "C " + c.str() + " does not broadcast to [M, N] of " + operands);
    }
  }
  ctx.set_output(0, ctx.input_dtype(0), Shape(std::move(out)));
}

void det(ShapeContext& ctx) {
  const Shape& x = ctx.input_shape(0);
  if (!x.has_rank()) return ctx.set_output(0, ctx.input_dtype(0), Shape());
  if (x.rank() < 2) ctx.fail("Det needs [*, M, M], got " + x.str());
  merge_dim_or_fail(ctx, x[x.rank() - 1], x[x.rank() - 2], "Det needs square matrices, got " + x.str());
  ctx.set_output(0, ctx.input_dtype(0), Shape(std::vector<Dim>(x.dims().begin(), x.dims().end() - 2)));
}

// ---------------------------------------------------------------------------------------
// Einsum.

constexpr char kEllipsis = '.';

// A term's labels (letters), with kEllipsis standing for "...".
std::string parse_term(const ShapeContext& ctx, const std::string& term) {
  std::string labels;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term.compare(i, 3, "...") == 0) {
      if (labels.find(kEllipsis) != std::string::npos) ctx.fail("equation term '" + term + "' has two ellipses");
      labels += kEllipsis;
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(term[i]))) {
      labels += term[i];
    } else {
      ctx.fail(std::string("unexpected character '") + term[i] + "' in equation term '" + term + "'");
    }
  }
  return labels;
}

// A dim that a label has in two operands: equal, or 1 in one of them (which broadcasts).
Dim label_dim(const ShapeContext& ctx, const Dim& a, const Dim& b, char label) {
  if (a.is_fixed() && a.value == 1) return b;
  if (b.is_fixed() && b.value == 1) return a;
  return merge_dim_or_fail(ctx, a, b, std::string("label '") + label + "' has sizes " + a.str() + " and " + b.str());
}

struct EinsumLabels {
  std::map<char, Dim> size;
  std::map<char, int> count;
  std::vector<Shape> ellipses;  // the dims each operand's "..." covers
  bool ellipsis_rank_known = true;
};

EinsumLabels einsum_labels(const ShapeContext& ctx, const std::vector<std::string>& terms) {
  EinsumLabels l;
  for (size_t k = 0; k < terms.size(); ++k) {
    const std::string& t = terms[k];
    const size_t letters = t.size() - std::count(t.begin(), t.end(), kEllipsis);
    const bool has_ellipsis = letters != t.size();
    Shape s = ctx.input_shape(k);
    if (!s.has_rank()) {
      if (has_ellipsis) l.ellipsis_rank_known = false;
      s = unknown_dims(has_ellipsis ? letters : t.size());  // the ellipsis then covers nothing
    }
    if (has_ellipsis ? s.rank() < letters : s.rank() != letters) {
      ctx.fail("equation term '" + t + "' does not match the rank of operand " + std::to_string(k) + " " + s.str());
    }
    size_t d = 0;
    for (char c : t) {
      if (c == kEllipsis) {
        const size_t n = s.rank() - letters;
        l.ellipses.push_back(Shape(std::vector<Dim>(s.dims().begin() + d, s.dims().begin() + d + n)));
        d += n;
        continue;
      }
      auto [it, fresh] = l.size.emplace(c, s[d]);
      if (!fresh) it->second = label_dim(ctx, it->second, s[d], c);
      ++l.count[c];
      ++d;
    }
  }
  return l;
}

void einsum(ShapeContext& ctx) {
  std::string eq;
  for (char c : ctx.attrs().get_string("equation", "")) {
    if (c != ' ') eq += c;
  }
  const size_t arrow = eq.find("->");
  std::vector<std::string> terms;
  const std::string lhs = eq.substr(0, arrow);
  for (size_t start = 0;;) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(parse_term(ctx, lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ctx.num_inputs()) {
    ctx.fail("equation '" + eq + "' names " + std::to_string(terms.size()) + " operands, the node has " +
             std::to_string(ctx.num_inputs()));
  }
  const DataType dtype = ctx.input_dtype(0);
  const EinsumLabels l = einsum_labels(ctx, terms);
  std::string out;
  if (arrow != std::string::npos) {
    out = parse_term(ctx, eq.substr(arrow + 2));
  } else {
    // Implicit output: the broadcast "..." dims, then the labels used once, in ASCII order.
    if (!l.ellipses.empty()) out += kEllipsis;
    for (const auto& [c, n] : l.count) {
      if (n == 1) out += c;
    }
  }
  const bool out_has_ellipsis = out.find(kEllipsis) != std::string::npos;
  if (out_has_ellipsis && !l.ellipsis_rank_known) return ctx.set_output(0, dtype, Shape());
  std::vector<Dim> dims;
  for (char c : out) {
    if (c == kEllipsis) {
      const Shape broadcast = broadcast_shapes(l.ellipses);
      dims.insert(dims.end(), broadcast.dims().begin(), broadcast.dims().end());
      continue;
    }
    auto it = l.size.find(c);
    if (it == l.size.end()) ctx.fail(std::string("output label '") + c + "' of '" + eq + "' is in no input");
    dims.push_back(it->second);
  }
  ctx.set_output(0, dtype, Shape(std::move(dims)));
}

}  // namespace

GRAFT_SHAPE_FN("", MatMul, 1, matmul);
GRAFT_SHAPE_FN("", MatMulInteger, 10, matmul_integer);
GRAFT_SHAPE_FN("", QLinearMatMul, 10, qlinear_matmul);
GRAFT_SHAPE_FN("", Gemm, 1, gemm);
GRAFT_SHAPE_FN("", Det, 11, det);
GRAFT_SHAPE_FN("", Einsum, 12, einsum);

}  // namespace graft::ops
