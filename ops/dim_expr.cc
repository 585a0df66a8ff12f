#include "ops/dim_expr.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace graft::ops {
namespace {

// sum of coeff * product(symbols); the empty monomial is the constant term.
using Monomial = std::vector<std::string>;  // sorted symbol names, repeated for powers
using Poly = std::map<Monomial, int64_t>;

bool is_operator_char(char c) { return c == '+' || c == '-' || c == '*' || c == '(' || c == ')'; }

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  std::optional<Poly> parse() {
    auto p = expr();
    skip_space();
    if (!p || pos_ != s_.size()) return std::nullopt;
    return p;
  }

 private:
  void skip_space() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool eat(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) return ++pos_, true;
    return false;
  }
  std::optional<Poly> expr();
  std::optional<Poly> term();
  std::optional<Poly> factor();

  const std::string& s_;
  size_t pos_ = 0;
};

std::optional<Poly> add(const Poly& a, const Poly& b, int64_t sign) {
  Poly r = a;
  for (const auto& [m, c] : b) {
    int64_t scaled, sum;
    if (__builtin_mul_overflow(c, sign, &scaled) || __builtin_add_overflow(r[m], scaled, &sum)) return std::nullopt;
    if (sum == 0) r.erase(m); else r[m] = sum;
  }
  return r;
}

std::optional<Poly> multiply(const Poly& a, const Poly& b) {
  Poly r;
  for (const auto& [ma, ca] : a) {
    for (const auto& [mb, cb] : b) {
      Monomial m = ma;
      m.insert(m.end(), mb.begin(), mb.end());
      std::sort(m.begin(), m.end());
      int64_t prod, sum;
      if (__builtin_mul_overflow(ca, cb, &prod) || __builtin_add_overflow(r[m], prod, &sum)) return std::nullopt;
      if (sum == 0) r.erase(m); else r[m] = sum;
    }
  }
  return r;
}

std::optional<Poly> Parser::expr() {
  auto acc = term();
  while (acc) {
    int64_t sign = eat('+') ? 1 : eat('-') ? -1 : 0;
    if (!sign) break;
    auto rhs = term();
    if (!rhs) return std::nullopt;
    acc = add(*acc, *rhs, sign);
  }
  return acc;
}

std::optional<Poly> Parser::term() {
  auto acc = factor();
  while (acc && eat('*')) {
    auto rhs = factor();
    if (!rhs) return std::nullopt;
    acc = multiply(*acc, *rhs);
  }
  return acc;
}

std::optional<Poly> Parser::factor() {
  skip_space();
  if (eat('-')) {
    auto inner = factor();
    return inner ? multiply(*inner, Poly{{Monomial{}, -1}}) : std::nullopt;
  }
  if (eat('(')) {
    auto inner = expr();
    if (!inner || !eat(')')) return std::nullopt;
    return inner;
  }
  size_t start = pos_;
  while (pos_ < s_.size() && s_[pos_] != ' ' && !is_operator_char(s_[pos_])) ++pos_;
  if (pos_ == start) return std::nullopt;
  std::string token = s_.substr(start, pos_ - start);
  if (std::all_of(token.begin(), token.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    if (token.size() > 18) return std::nullopt;
    int64_t v = std::stoll(token);
    return v ? Poly{{Monomial{}, v}} : Poly{};
  }
  return Poly{{Monomial{token}, 1}};
}

std::optional<Poly> to_poly(const Dim& d) {
  if (d.is_fixed()) return d.value ? Poly{{Monomial{}, d.value}} : Poly{};
  if (!d.is_symbolic()) return std::nullopt;
  if (auto p = Parser(d.param).parse()) return p;
  return Poly{{Monomial{d.param}, 1}};  // a name we cannot read is one opaque symbol
}

std::string monomial_str(const Monomial& m) {
  std::string s;
  for (const std::string& sym : m) s += (s.empty() ? "" : "*") + sym;
  return s;
}

Dim from_poly(const std::optional<Poly>& p) {
  if (!p) return Dim::unknown();
  if (p->empty()) return Dim::fixed(0);
  if (p->size() == 1 && p->begin()->first.empty()) return Dim::fixed(p->begin()->second);
  // Higher degree first, then by name; the constant term last.
  std::vector<std::pair<Monomial, int64_t>> terms(p->begin(), p->end());
  std::stable_sort(terms.begin(), terms.end(), [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
  std::string s;
  for (const auto& [m, c] : terms) {
    int64_t magnitude = c < 0 ? -c : c;
    if (!s.empty()) s += c < 0 ? " - " : " + ";
    else if (c < 0) s += "-";
    std::string body = monomial_str(m);
    if (body.empty()) s += std::to_string(magnitude);
    else s += magnitude == 1 ? body : std::to_string(magnitude) + "*" + body;
  }
  return Dim::symbolic(s);
}

}  // namespace

Dim dim_add(const Dim& a, const Dim& b) {
  auto pa = to_poly(a), pb = to_poly(b);
  return pa && pb ? from_poly(add(*pa, *pb, 1)) : Dim::unknown();
}

Dim dim_sub(const Dim& a, const Dim& b) {
  auto pa = to_poly(a), pb = to_poly(b);
  return pa && pb ? from_poly(add(*pa, *pb, -1)) : Dim::unknown();
}

Dim dim_mul(const Dim& a, const Dim& b) {
  if ((a.is_fixed() && a.value == 0) || (b.is_fixed() && b.value == 0)) return Dim::fixed(0);
  auto pa = to_poly(a), pb = to_poly(b);
  return pa && pb ? from_poly(multiply(*pa, *pb)) : Dim::unknown();
}

namespace {

// A polynomial divided by one term (a constant or c*x*y...) when every term is a multiple
// of it; std::nullopt otherwise.
std::optional<Poly> divide_exact(const Poly& a, const Monomial& m, int64_t c) {
  Poly r;
  for (const auto& [terms, coeff] : a) {
    if (coeff % c != 0) return std::nullopt;
    Monomial rest = terms;
    for (const std::string& sym : m) {
      auto it = std::find(rest.begin(), rest.end(), sym);
      if (it == rest.end()) return std::nullopt;
      rest.erase(it);
    }
    r[rest] = coeff / c;
  }
  return r;
}

// Floor (or ceil) division for fixed values; exact division of polynomials by one term.
Dim divide(const Dim& a, const Dim& b, bool round_up) {
  if (a.is_fixed() && b.is_fixed()) {
    if (b.value == 0) return Dim::unknown();
    int64_t q = a.value / b.value, r = a.value % b.value;
    if (r != 0 && ((r < 0) != (b.value < 0))) --q;  // floor
    if (round_up && r != 0) ++q;
    return Dim::fixed(q);
  }
  auto pa = to_poly(a), pb = to_poly(b);
  if (!pa || !pb || pb->size() != 1 || pb->begin()->second == 0) return Dim::unknown();
  auto q = divide_exact(*pa, pb->begin()->first, pb->begin()->second);
  return q ? from_poly(q) : Dim::unknown();
}

}  // namespace

Dim dim_div(const Dim& a, const Dim& b) { return divide(a, b, false); }
Dim dim_ceil_div(const Dim& a, const Dim& b) { return divide(a, b, true); }

bool same_dim(const Dim& a, const Dim& b) {
  if (a.is_fixed() && b.is_fixed()) return a.value == b.value;
  if (!a.is_symbolic() || !b.is_symbolic()) return false;
  if (a.param == b.param) return true;
  Dim diff = dim_sub(a, b);
  return diff.is_fixed() && diff.value == 0;
}

Dim canonical(const Dim& d) {
  if (!d.is_symbolic()) return d;
  Dim c = from_poly(to_poly(d));
  c.denotation = d.denotation;
  return c;
}

Dim dim_product(const std::vector<Dim>& dims, size_t begin, size_t end) {
  Dim p = Dim::fixed(1);
  for (size_t i = begin; i < end; ++i) p = dim_mul(p, dims[i]);
  return p;
}

}  // namespace graft::ops
