// RNN, GRU, LSTM: forward, reverse or bidirectional; activations with alpha/beta, clip,
// initial states, per-batch sequence_lens, LSTM peepholes and input_forget, GRU
// linear_before_reset, and layout (opset 14). Computed in float (half, bfloat16,
// float) or double, with the input projection of all steps done as one product.
#include <Eigen/Core>
#include <algorithm>
#include <cctype>
#include <cmath>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"

namespace graft::cpu {
namespace {

template <typename C>
using Mat = Eigen::Matrix<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename C>
using MapC = Eigen::Map<const Mat<C>>;
template <typename C>
using MapM = Eigen::Map<Mat<C>>;

enum class Cell { kRnn, kGru, kLstm };

// ---- activations ----

enum class Act { kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu,
                 kSoftsign, kSoftplus };

struct Activation {
  Act kind = Act::kTanh;
  float alpha = 0, beta = 0;
};

struct ActInfo {
  const char* name;
  Act kind;
  bool uses_alpha, uses_beta;
  float alpha, beta;  // defaults
};

constexpr ActInfo kActs[] = {
    {"relu", Act::kRelu, false, false, 0, 0},
    {"tanh", Act::kTanh, false, false, 0, 0},
    {"sigmoid", Act::kSigmoid, false, false, 0, 0},
    {"affine", Act::kAffine, true, true, 1, 0},
    {"leakyrelu", Act::kLeakyRelu, true, false, 0.01f, 0},
    {"thresholdedrelu", Act::kThresholdedRelu, true, false, 1, 0},
    {"scaledtanh", Act::kScaledTanh, true, true, 1, 1},
    {"hardsigmoid", Act::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", Act::kElu, true, false, 1, 0},
    {"softsign", Act::kSoftsign, false, false, 0, 0},
    {"softplus", Act::kSoftplus, false, false, 0, 0},
};

// Applies `a` in place to n values, after clipping them to [-clip, clip] when clip > 0.
template <typename C>
void activate(const Activation& a, float clip, C* x, int64_t n) {
  if (clip > 0) {
    for (int64_t i = 0; i < n; ++i) x[i] = std::clamp<C>(x[i], -clip, clip);
  }
  const C al = a.alpha, be = a.beta;
  auto each = [&](auto f) {
    for (int64_t i = 0; i < n; ++i) x[i] = f(x[i]);
  };
  switch (a.kind) {
    case Act::kRelu: each([](C v) { return std::max<C>(v, 0); }); break;
    case Act::kTanh: each([](C v) { return std::tanh(v); }); break;
    case Act::kSigmoid: each([](C v) { return C(1) / (C(1) + std::exp(-v)); }); break;
    case Act::kAffine: each([&](C v) { return al * v + be; }); break;
    case Act::kLeakyRelu: each([&](C v) { return v >= 0 ? v : al * v; }); break;
    case Act::kThresholdedRelu: each([&](C v) { return v > al ? v : C(0); }); break;
    case Act::kScaledTanh: each([&](C v) { return al * std::tanh(be * v); }); break;
    case Act::kHardSigmoid: each([&](C v) { return std::clamp<C>(al * v + be, 0, 1); }); break;
    case Act::kElu: each([&](C v) { return v >= 0 ? v : al * (std::exp(v) - 1); }); break;
    case Act::kSoftsign: each([](C v) { return v / (1 + std::abs(v)); }); break;
    case Act::kSoftplus: each([](C v) { return std::log1p(std::exp(v)); }); break;
  }
}

// The activations per direction (f, g[, h]), from the attributes or the defaults. alpha
// and beta values are taken in order by the functions that use them.
std::vector<Activation> read_activations(const KernelContext& ctx, const std::vector<std::string>& defaults,
                                         int64_t dirs) {
  std::vector<std::string> names = ctx.attr_strings("activations");
  if (names.empty()) {
    for (int64_t d = 0; d < dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == defaults.size() && dirs == 2) {
    names.insert(names.end(), names.begin(), names.end());
  }
  if (names.size() != defaults.size() * dirs) {
    ctx.fail("attribute 'activations' has " + std::to_string(names.size()) + " entries, expected " +
             std::to_string(defaults.size() * dirs));
  }
  const std::vector<float> alphas = ctx.attr_floats("activation_alpha");
  const std::vector<float> betas = ctx.attr_floats("activation_beta");
  size_t ai = 0, bi = 0;
  std::vector<Activation> acts;
  for (std::string name : names) {
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    const ActInfo* info = nullptr;
    for (const ActInfo& a : kActs) {
      if (name == a.name) info = &a;
    }
    if (!info) ctx.fail("activation '" + name + "' is not supported");
    Activation act{info->kind, info->alpha, info->beta};
    if (info->uses_alpha && ai < alphas.size()) act.alpha = alphas[ai++];
    if (info->uses_beta && bi < betas.size()) act.beta = betas[bi++];
    acts.push_back(act);
  }
  return acts;
}

// ---- shapes and inputs ----

struct RnnShape {
  int64_t seq, batch, input, hidden, dirs, gates;
  bool batch_major;  // layout 1
};

// Values of `t` converted to C; with batch_major, [batch, seq, rest] becomes [seq, batch, rest].
template <typename C, typename T>
std::vector<C> load(const HostTensor& t, bool swap01 = false) {
  std::vector<C> out(t.numel());
  const T* p = t.data<T>();
  if (!swap01) {
    for (int64_t i = 0; i < t.numel(); ++i) out[i] = static_cast<C>(p[i]);
    return out;
  }
  const int64_t a = t.dim(0), b = t.dim(1), rest = a && b ? t.numel() / (a * b) : 0;
  for (int64_t i = 0; i < a; ++i) {
    for (int64_t j = 0; j < b; ++j) {
      for (int64_t k = 0; k < rest; ++k) out[(j * a + i) * rest + k] = static_cast<C>(p[(i * b + j) * rest + k]);
    }
  }
  return out;
}

void expect_dims(const KernelContext& ctx, size_t i, const char* name, const Dims& want) {
  if (ctx.input(i).dims() != want) {
    ctx.fail(std::string(name) + " must be " + dims_str(want) + ", got " + ctx.input(i).describe());
  }
}

RnnShape read_shape(const KernelContext& ctx, Cell cell) {
  const HostTensor& x = ctx.input(0);
  const HostTensor& r = ctx.input(2);
  if (x.rank() != 3) ctx.fail("X must be 3-D, got " + x.describe());
  if (r.rank() != 3) ctx.fail("R must be 3-D, got " + r.describe());
  const std::string direction = ctx.attr_string("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    ctx.fail("direction '" + direction + "' is not forward, reverse or bidirectional");
  }
  RnnShape s{};
  s.batch_major = ctx.opset() >= 14 && ctx.attr_int("layout", 0) == 1;
  s.seq = x.dim(s.batch_major ? 1 : 0);
  s.batch = x.dim(s.batch_major ? 0 : 1);
  s.input = x.dim(2);
  s.hidden = ctx.attr_int("hidden_size", r.dim(2));
  s.dirs = direction == "bidirectional" ? 2 : 1;
  s.gates = cell == Cell::kLstm ? 4 : cell == Cell::kGru ? 3 : 1;
  const int64_t gh = s.gates * s.hidden;
  expect_dims(ctx, 1, "W", {s.dirs, gh, s.input});
  expect_dims(ctx, 2, "R", {s.dirs, gh, s.hidden});
  if (ctx.has_input(3)) expect_dims(ctx, 3, "B", {s.dirs, 2 * gh});
  if (ctx.has_input(4)) expect_dims(ctx, 4, "sequence_lens", {s.batch});
  const Dims state = s.batch_major ? Dims{s.batch, s.dirs, s.hidden} : Dims{s.dirs, s.batch, s.hidden};
  if (ctx.has_input(5)) expect_dims(ctx, 5, "initial_h", state);
  if (cell == Cell::kLstm && ctx.has_input(6)) expect_dims(ctx, 6, "initial_c", state);
  if (cell == Cell::kLstm && ctx.has_input(7)) expect_dims(ctx, 7, "P", {s.dirs, 3 * s.hidden});
  return s;
}

// ---- the recurrence ----

struct CellConfig {
  Cell cell;
  std::vector<Activation> acts;  // per direction: f, g[, h]
  float clip;
  bool linear_before_reset;  // GRU
  bool input_forget;         // LSTM
};

// One direction's weights, in C; biases are zero when absent.
template <typename C>
struct Weights {
  const C* w;   // [gates*hidden, input]
  const C* r;   // [gates*hidden, hidden]
  const C* wb;  // [gates*hidden]
  const C* rb;  // [gates*hidden]
  const C* p;   // LSTM peepholes [3*hidden] (i, o, f), or null
};

template <typename C>
class Recurrence {
 public:
  Recurrence(const RnnShape& s, const CellConfig& cfg, const Weights<C>& w, const Activation* acts)
      : s_(s), cfg_(cfg), w_(w), acts_(acts), gh_(s.gates * s.hidden), gates_(s.batch, gh_) {}

  // One step over the batch rows marked active; gates_ holds the input projections.
  void step(C* h, C* c, const std::vector<char>& active) {
    const int64_t H = s_.hidden;
    MapM<C> hm(h, s_.batch, H);
    if (cfg_.cell == Cell::kGru) {
      gru_step(h, hm, active);
      return;
    }
    gates_.noalias() += hm * MapC<C>(w_.r, gh_, H).transpose();
    for (int64_t b = 0; b < s_.batch; ++b) {
      if (!active[b]) continue;
      C* g = gates_.row(b).data();
      for (int64_t k = 0; k < gh_; ++k) g[k] += w_.rb[k];
      if (cfg_.cell == Cell::kRnn) {
        activate(acts_[0], cfg_.clip, g, H);
        std::copy_n(g, H, h + b * H);
      } else {
        lstm_row(g, h + b * H, c + b * H);
      }
    }
  }

  Mat<C>& gates() { return gates_; }

 private:
  // Gates i, o, f, c; peepholes i, o, f.
  void lstm_row(C* g, C* h, C* c) {
    const int64_t H = s_.hidden;
    C *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
    if (w_.p) {
      for (int64_t k = 0; k < H; ++k) {
        gi[k] += w_.p[k] * c[k];
        gf[k] += w_.p[2 * H + k] * c[k];
      }
    }
    activate(acts_[0], cfg_.clip, gi, H);
    if (cfg_.input_forget) {
      for (int64_t k = 0; k < H; ++k) gf[k] = 1 - gi[k];
    } else {
      activate(acts_[0], cfg_.clip, gf, H);
    }
    activate(acts_[1], cfg_.clip, gc, H);
    for (int64_t k = 0; k < H; ++k) c[k] = gf[k] * c[k] + gi[k] * gc[k];
    if (w_.p) {
      for (int64_t k = 0; k < H; ++k) go[k] += w_.p[H + k] * c[k];
    }
    activate(acts_[0], cfg_.clip, go, H);
    for (int64_t k = 0; k < H; ++k) h[k] = c[k];
    activate(acts_[2], 0, h, H);
    for (int64_t k = 0; k < H; ++k) h[k] *= go[k];
  }

  // Gates z, r, h.
  void gru_step(C* h, MapM<C>& hm, const std::vector<char>& active) {
    const int64_t H = s_.hidden;
    MapC<C> r(w_.r, gh_, H);
    gates_.leftCols(2 * H).noalias() += hm * r.topRows(2 * H).transpose();
    Mat<C> rec = Mat<C>::Zero(s_.batch, H);  // the recurrent part of the h gate
    if (cfg_.linear_before_reset) rec.noalias() = hm * r.bottomRows(H).transpose();
    for (int64_t b = 0; b < s_.batch; ++b) {
      if (!active[b]) continue;
      C* g = gates_.row(b).data();
      for (int64_t k = 0; k < 2 * H; ++k) g[k] += w_.rb[k];
      activate(acts_[0], cfg_.clip, g, 2 * H);
      const C* rg = g + H;
      if (cfg_.linear_before_reset) {
        for (int64_t k = 0; k < H; ++k) g[2 * H + k] += rg[k] * (rec(b, k) + w_.rb[2 * H + k]);
      } else {
        for (int64_t k = 0; k < H; ++k) rec(b, k) = rg[k] * h[b * H + k];
      }
    }
    if (!cfg_.linear_before_reset) {
      Mat<C> rh = rec * r.bottomRows(H).transpose();
      for (int64_t b = 0; b < s_.batch; ++b) {
        if (!active[b]) continue;
        for (int64_t k = 0; k < H; ++k) gates_(b, 2 * H + k) += rh(b, k) + w_.rb[2 * H + k];
      }
    }
    for (int64_t b = 0; b < s_.batch; ++b) {
      if (!active[b]) continue;
      C* g = gates_.row(b).data();
      activate(acts_[1], cfg_.clip, g + 2 * H, H);
      for (int64_t k = 0; k < H; ++k) {
        C& hv = h[b * H + k];
        hv = (1 - g[k]) * g[2 * H + k] + g[k] * hv;
      }
    }
  }

  const RnnShape& s_;
  const CellConfig& cfg_;
  Weights<C> w_;
  const Activation* acts_;
  int64_t gh_;
  Mat<C> gates_;  // [batch, gates*hidden]
};

// Runs direction d over x ([seq, batch, input]); h and c ([batch, hidden]) hold the
// initial state and end as the final one; y ([seq, dirs, batch, hidden]) gets each step.
template <typename C>
void run_direction(const RnnShape& s, const CellConfig& cfg, const Weights<C>& w, int64_t d, bool reverse,
                   const std::vector<C>& x, const std::vector<int64_t>& lens, C* h, C* c, std::vector<C>& y) {
  const int64_t gh = s.gates * s.hidden, H = s.hidden;
  Mat<C> xw = MapC<C>(x.data(), s.seq * s.batch, s.input) * MapC<C>(w.w, gh, s.input).transpose();
  xw.rowwise() += Eigen::Map<const Eigen::Matrix<C, 1, Eigen::Dynamic>>(w.wb, gh);
  Recurrence<C> rec(s, cfg, w, cfg.acts.data() + d * cfg.acts.size() / s.dirs);
  std::vector<char> active(s.batch);
  std::vector<int64_t> t_of(s.batch);
  for (int64_t step = 0; step < s.seq; ++step) {
    bool any = false;
    for (int64_t b = 0; b < s.batch; ++b) {
      active[b] = step < lens[b];
      if (!active[b]) continue;
      any = true;
      t_of[b] = reverse ? lens[b] - 1 - step : step;
      rec.gates().row(b) = xw.row(t_of[b] * s.batch + b);
    }
    if (!any) break;
    rec.step(h, c, active);
    for (int64_t b = 0; b < s.batch; ++b) {
      if (active[b]) std::copy_n(h + b * H, H, y.data() + ((t_of[b] * s.dirs + d) * s.batch + b) * H);
    }
  }
}

// Writes `v` ([outer, dirs, batch, hidden]) as output i of type T; batch-major layout
// puts batch first: [batch, outer, dirs, hidden].
template <typename T, typename C>
void write_output(KernelContext& ctx, size_t i, const RnnShape& s, const std::vector<C>& v, int64_t outer,
                  Dims dims) {
  if (!ctx.output_wanted(i)) return;
  T* out = ctx.allocate_output(i, dtype_of<T>(), std::move(dims)).template mutable_data<T>();
  const int64_t H = s.hidden;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t d = 0; d < s.dirs; ++d) {
      for (int64_t b = 0; b < s.batch; ++b) {
        const C* src = v.data() + ((o * s.dirs + d) * s.batch + b) * H;
        T* dst = out + (s.batch_major ? ((b * outer + o) * s.dirs + d) : ((o * s.dirs + d) * s.batch + b)) * H;
        for (int64_t k = 0; k < H; ++k) dst[k] = static_cast<T>(src[k]);
      }
    }
  }
}

template <typename T, typename C>
void run_rnn(KernelContext& ctx, const RnnShape& s, const CellConfig& cfg) {
  const int64_t gh = s.gates * s.hidden, state_n = s.dirs * s.batch * s.hidden;
  const std::vector<C> x = load<C, T>(ctx.input(0), s.batch_major);
  const std::vector<C> w = load<C, T>(ctx.input(1));
  const std::vector<C> r = load<C, T>(ctx.input(2));
  const std::vector<C> bias = ctx.has_input(3) ? load<C, T>(ctx.input(3)) : std::vector<C>(s.dirs * 2 * gh, C(0));
  std::vector<int64_t> lens(s.batch, s.seq);
  if (ctx.has_input(4)) lens = ctx.input_int64s(4);
  for (int64_t len : lens) {
    if (len < 0 || len > s.seq) ctx.fail("sequence_lens value " + std::to_string(len) + " is out of [0, seq]");
  }
  std::vector<C> h = ctx.has_input(5) ? load<C, T>(ctx.input(5), s.batch_major) : std::vector<C>(state_n, C(0));
  std::vector<C> c;
  std::vector<C> p;
  if (cfg.cell == Cell::kLstm) {
    c = ctx.has_input(6) ? load<C, T>(ctx.input(6), s.batch_major) : std::vector<C>(state_n, C(0));
    if (ctx.has_input(7)) p = load<C, T>(ctx.input(7));
  }
  const std::string direction = ctx.attr_string("direction", "forward");
  std::vector<C> y(s.seq * state_n, C(0));
  const int64_t bh = s.batch * s.hidden;
  for (int64_t d = 0; d < s.dirs; ++d) {
    Weights<C> wd{w.data() + d * gh * s.input, r.data() + d * gh * s.hidden, bias.data() + d * 2 * gh,
                  bias.data() + d * 2 * gh + gh, p.empty() ? nullptr : p.data() + d * 3 * s.hidden};
    const bool reverse = direction == "reverse" || d == 1;
    run_direction(s, cfg, wd, d, reverse, x, lens, h.data() + d * bh, c.empty() ? nullptr : c.data() + d * bh, y);
  }
  const Dims state = s.batch_major ? Dims{s.batch, s.dirs, s.hidden} : Dims{s.dirs, s.batch, s.hidden};
  write_output<T>(ctx, 0, s, y, s.seq,
                  s.batch_major ? Dims{s.batch, s.seq, s.dirs, s.hidden} : Dims{s.seq, s.dirs, s.batch, s.hidden});
  write_output<T>(ctx, 1, s, h, 1, state);
  if (cfg.cell == Cell::kLstm) write_output<T>(ctx, 2, s, c, 1, state);
}

void recurrent(KernelContext& ctx, Cell cell) {
  const RnnShape s = read_shape(ctx, cell);
  static const std::vector<std::string> kRnnActs{"Tanh"}, kGruActs{"Sigmoid", "Tanh"},
      kLstmActs{"Sigmoid", "Tanh", "Tanh"};
  const auto& defaults = cell == Cell::kRnn ? kRnnActs : cell == Cell::kGru ? kGruActs : kLstmActs;
  CellConfig cfg{cell, read_activations(ctx, defaults, s.dirs), ctx.attr_float("clip", 0),
                 ctx.attr_int("linear_before_reset", 0) != 0, ctx.attr_int("input_forget", 0) != 0};
  const DataType dt = ctx.input(0).dtype();
  for (size_t i : {1, 2, 3, 5, 6, 7}) {
    if (ctx.has_input(i) && ctx.input(i).dtype() != dt) {
      ctx.fail("input " + std::to_string(i) + " is " + ctx.input(i).describe() + ", X is " + dtype_name(dt));
    }
  }
  dispatch_float(dt, "RNN", [&](auto tag) {
    using T = decltype(tag);
    using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
    run_rnn<T, C>(ctx, s, cfg);
  });
}

void rnn(KernelContext& ctx) { recurrent(ctx, Cell::kRnn); }
void gru(KernelContext& ctx) { recurrent(ctx, Cell::kGru); }
void lstm(KernelContext& ctx) { recurrent(ctx, Cell::kLstm); }

}  // namespace

GRAFT_CPU_KERNEL("", RNN, 1, rnn);
GRAFT_CPU_KERNEL("", GRU, 1, gru);
GRAFT_CPU_KERNEL("", LSTM, 1, lstm);

}  // namespace graft::cpu
