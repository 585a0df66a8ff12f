// Shapes of RNN, GRU and LSTM. X is [seq, batch, input] ([batch, seq, input] with
// layout 1, opset 14 on), W [dirs, gates * hidden, input], R [dirs, gates * hidden, hidden].
// Y is [seq, dirs, batch, hidden] ([batch, seq, dirs, hidden]); Y_h and LSTM's Y_c are
// [dirs, batch, hidden] ([batch, dirs, hidden]). The inputs' dims are checked against each other.
#include "ops/dim_expr.h"
#include "ops/shape_util.h"

namespace graft::ops {
namespace {

// Input i's shape with `rank` dims (unknown dims when its rank is unknown or it is absent).
Shape ranked_input(const ShapeContext& ctx, size_t i, size_t rank, const char* name) {
  const Shape& s = ctx.input_shape(i);
  if (!ctx.has_input(i) || !s.has_rank()) return unknown_dims(rank);
  if (s.rank() != rank) ctx.fail(std::string(name) + " " + s.str() + " must have rank " + std::to_string(rank));
  return s;
}

// `gates * hidden` divided by the gate count.
Dim per_gate(const ShapeContext& ctx, const Dim& d, int64_t gates, const Shape& from, const char* name) {
  if (d.is_fixed() && d.value % gates != 0) {
    ctx.fail(std::string(name) + " " + from.str() + " does not hold " + std::to_string(gates) + " gates");
  }
  return dim_div(d, Dim::fixed(gates));
}

void recurrent(ShapeContext& ctx, int64_t gates) {
  const std::string direction = ctx.attrs().get_string("direction", "forward");
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    ctx.fail("direction '" + direction + "' is not forward, reverse or bidirectional");
  }
  const Dim dirs = Dim::fixed(direction == "bidirectional" ? 2 : 1);
  const bool batch_major = ctx.opset() >= 14 && ctx.attrs().get_int("layout", 0) == 1;
  const Shape x = ranked_input(ctx, 0, 3, "X"), w = ranked_input(ctx, 1, 3, "W"), r = ranked_input(ctx, 2, 3, "R");
  const Shape h0 = ranked_input(ctx, 5, 3, "initial_h"), lens = ranked_input(ctx, 4, 1, "sequence_lens");
  const std::string inputs = "X " + x.str() + ", W " + w.str() + " and R " + r.str();
  merge_dim_or_fail(ctx, w[0], dirs, "W " + w.str() + " does not have " + dirs.str() + " directions");
  merge_dim_or_fail(ctx, r[0], dirs, "R " + r.str() + " does not have " + dirs.str() + " directions");
  merge_dim_or_fail(ctx, w[2], x[2], "W " + w.str() + " does not match the input size of X " + x.str());
  Dim hidden = ctx.attrs().has("hidden_size") ? Dim::fixed(ctx.attrs().get_int("hidden_size", 0)) : Dim::unknown();
  for (const Dim& h : {r[2], per_gate(ctx, r[1], gates, r, "R"), per_gate(ctx, w[1], gates, w, "W")}) {
    hidden = merge_dim_or_fail(ctx, hidden, h, "hidden sizes differ in " + inputs);
  }
  const Dim seq = x[batch_major ? 1 : 0];
  Dim batch = merge_dim_or_fail(ctx, x[batch_major ? 0 : 1], lens[0], "sequence_lens " + lens.str() + " does not match X " + x.str());
  batch = merge_dim_or_fail(ctx, batch, h0[batch_major ? 0 : 1], "initial_h " + h0.str() + " does not match X " + x.str());
  hidden = merge_dim_or_fail(ctx, hidden, h0[2], "initial_h " + h0.str() + " does not match " + inputs);
  const DataType dtype = ctx.input_dtype(0);
  ctx.set_output(0, dtype, Shape(batch_major ? std::vector<Dim>{batch, seq, dirs, hidden} : std::vector<Dim>{seq, dirs, batch, hidden}));
  const Shape state(batch_major ? std::vector<Dim>{batch, dirs, hidden} : std::vector<Dim>{dirs, batch, hidden});
  for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, dtype, state);
}

void rnn(ShapeContext& ctx) { recurrent(ctx, 1); }
void gru(ShapeContext& ctx) { recurrent(ctx, 3); }
void lstm(ShapeContext& ctx) { recurrent(ctx, 4); }

}  // namespace

GRAFT_SHAPE_FN("", RNN, 1, rnn);
GRAFT_SHAPE_FN("", GRU, 1, gru);
GRAFT_SHAPE_FN("", LSTM, 1, lstm);

}  // namespace graft::ops
