// If, Loop, Scan: ops that run subgraphs. Subgraph inputs are bound positionally; values
// of the outer scope are visible inside.
#include <limits>

#include "kernels/cpu/dtype_dispatch.h"
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"
#include "kernels/cpu/sequence_util.h"
#include "surgeon/graph.h"

namespace graft::cpu {
namespace {

// The single value of a one-element bool or numeric tensor, as a bool.
bool single_bool(const KernelContext& ctx, const HostTensor& t, const std::string& what) {
  if (t.numel() != 1) ctx.fail(what + " must hold one element, got " + t.describe());
  if (t.dtype() == DataType::kBool) return *t.data<bool>();
  return t.to_doubles()[0] != 0;
}

Value input_or_none(const KernelContext& ctx, size_t i) { return ctx.has_input(i) ? ctx.input_value(i) : Value{}; }

void set_outputs(KernelContext& ctx, std::vector<Value>& values, size_t first) {
  for (size_t i = 0; i < ctx.num_outputs() && first + i < values.size(); ++i) {
    ctx.set_output_value(i, std::move(values[first + i]));
  }
}

const HostTensor& tensor_output(const KernelContext& ctx, const Value& v, const Graph& body, size_t i) {
  if (!v.is_tensor()) {
    ctx.fail("body output " + std::to_string(i) + " ('" + body.outputs[i]->name + "') must be a tensor, got " +
             v.describe());
  }
  return v.tensor;
}

void if_op(KernelContext& ctx) {
  const bool cond = single_bool(ctx, ctx.input(0), "cond");
  const Graph& branch = ctx.attr_graph(cond ? "then_branch" : "else_branch");
  std::vector<Value> outs = ctx.run_subgraph(branch, {});
  if (outs.size() < ctx.num_outputs()) {
    ctx.fail(std::string(cond ? "then" : "else") + " branch has " + std::to_string(outs.size()) +
             " outputs, the node " + std::to_string(ctx.num_outputs()));
  }
  set_outputs(ctx, outs, 0);
}

// Stacks per-iteration scan values along new axis `axis` (of the result); with none,
// an empty stack shaped from the body output's declared type.
HostTensor stack_scan(const std::vector<HostTensor>& items, const Graph& body, size_t out_index, int64_t axis) {
  if (items.empty()) return empty_stack(body.outputs[out_index]->type, axis);
  if (axis < 0) axis += static_cast<int64_t>(items[0].rank()) + 1;
  return concat_tensors(items, axis, true);
}

void loop(KernelContext& ctx) {
  const Graph& body = ctx.attr_graph("body");
  const bool has_max = ctx.has_input(0);
  const bool has_cond = ctx.has_input(1);
  if (!has_max && !has_cond) ctx.fail("needs a trip count M or a cond input: without both it never ends");
  int64_t max_trip = std::numeric_limits<int64_t>::max();
  if (has_max) {
    const HostTensor& m = ctx.input(0);
    if (m.numel() != 1) ctx.fail("trip count M must hold one element, got " + m.describe());
    max_trip = m.to_int64s()[0];
  }
  bool cond = has_cond ? single_bool(ctx, ctx.input(1), "cond") : true;
  const size_t n_carried = ctx.num_inputs() > 2 ? ctx.num_inputs() - 2 : 0;
  if (body.outputs.size() < 1 + n_carried || body.inputs.size() != 2 + n_carried) {
    ctx.fail("body has " + std::to_string(body.inputs.size()) + " inputs and " + std::to_string(body.outputs.size()) +
             " outputs; with " + std::to_string(n_carried) + " loop-carried values it needs " +
             std::to_string(2 + n_carried) + " inputs and at least " + std::to_string(1 + n_carried) + " outputs");
  }
  const size_t n_scan = body.outputs.size() - 1 - n_carried;
  std::vector<Value> carried;
  for (size_t i = 0; i < n_carried; ++i) carried.push_back(input_or_none(ctx, 2 + i));
  std::vector<std::vector<HostTensor>> scans(n_scan);
  for (int64_t it = 0; it < max_trip && cond; ++it) {
    std::vector<Value> in;
    in.reserve(2 + n_carried);
    in.push_back(Value::of(HostTensor::scalar(DataType::kInt64, it)));
    in.push_back(Value::of(HostTensor::scalar(DataType::kBool, cond)));
    for (Value& v : carried) in.push_back(std::move(v));
    std::vector<Value> out = ctx.run_subgraph(body, std::move(in));
    if (has_cond) cond = single_bool(ctx, tensor_output(ctx, out[0], body, 0), "body output cond");
    for (size_t i = 0; i < n_carried; ++i) carried[i] = std::move(out[1 + i]);
    for (size_t k = 0; k < n_scan; ++k) {
      const size_t oi = 1 + n_carried + k;
      scans[k].push_back(tensor_output(ctx, out[oi], body, oi));
    }
  }
  for (size_t i = 0; i < n_carried && i < ctx.num_outputs(); ++i) ctx.set_output_value(i, std::move(carried[i]));
  for (size_t k = 0; k < n_scan && n_carried + k < ctx.num_outputs(); ++k) {
    try {
      ctx.set_output(n_carried + k, stack_scan(scans[k], body, 1 + n_carried + k, 0));
    } catch (const Error& e) {
      ctx.fail("scan output " + std::to_string(k) + ": " + e.what());
    }
  }
}

// Scan (opset 9+) over explicit scan inputs: per-input axes and directions, per-output
// axes and directions. Returns the final states followed by the stacked scan outputs.
struct ScanLayout {
  std::vector<int64_t> in_axes, in_dirs, out_axes, out_dirs;
};

std::vector<Value> scan_body(const KernelContext& ctx, const Graph& body, std::vector<Value> states,
                             const std::vector<HostTensor>& xs, const ScanLayout& lay) {
  const size_t n_state = states.size();
  if (body.inputs.size() != n_state + xs.size() || body.outputs.size() < n_state) {
    ctx.fail("body has " + std::to_string(body.inputs.size()) + " inputs and " + std::to_string(body.outputs.size()) +
             " outputs for " + std::to_string(n_state) + " states and " + std::to_string(xs.size()) + " scan inputs");
  }
  const size_t n_out = body.outputs.size() - n_state;
  int64_t len = -1;
  for (size_t i = 0; i < xs.size(); ++i) {
    const int64_t n = xs[i].dim(lay.in_axes[i]);
    if (len >= 0 && n != len) {
      ctx.fail("scan inputs disagree on the sequence length: " + std::to_string(len) + " and " + std::to_string(n) +
               " (input " + xs[i].describe() + ")");
    }
    len = n;
  }
  std::vector<std::vector<HostTensor>> outs(n_out);
  for (int64_t t = 0; t < len; ++t) {
    std::vector<Value> in = std::move(states);
    for (size_t i = 0; i < xs.size(); ++i) {
      in.push_back(Value::of(take_axis(xs[i], lay.in_axes[i], lay.in_dirs[i] ? len - 1 - t : t)));
    }
    std::vector<Value> out = ctx.run_subgraph(body, std::move(in));
    states.assign(std::make_move_iterator(out.begin()), std::make_move_iterator(out.begin() + n_state));
    for (size_t k = 0; k < n_out; ++k) outs[k].push_back(tensor_output(ctx, out[n_state + k], body, n_state + k));
  }
  std::vector<Value> result = std::move(states);
  for (size_t k = 0; k < n_out; ++k) {
    if (k < lay.out_dirs.size() && lay.out_dirs[k]) std::reverse(outs[k].begin(), outs[k].end());
    const int64_t axis = k < lay.out_axes.size() ? lay.out_axes[k] : 0;
    try {
      result.push_back(Value::of(stack_scan(outs[k], body, n_state + k, axis)));
    } catch (const Error& e) {
      ctx.fail("scan output " + std::to_string(k) + ": " + e.what());
    }
  }
  return result;
}

std::vector<int64_t> per_item_attr(const KernelContext& ctx, const char* name, size_t n) {
  std::vector<int64_t> v = ctx.attr_ints(name, std::vector<int64_t>(n, 0));
  if (v.size() != n) {
    ctx.fail("attribute '" + std::string(name) + "' has " + std::to_string(v.size()) + " entries, expected " +
             std::to_string(n));
  }
  return v;
}

void scan9(KernelContext& ctx) {
  const Graph& body = ctx.attr_graph("body");
  const int64_t n_scan_in = ctx.required_attr_int("num_scan_inputs");
  if (n_scan_in < 1 || n_scan_in > static_cast<int64_t>(ctx.num_inputs())) {
    ctx.fail("num_scan_inputs " + std::to_string(n_scan_in) + " does not fit " + std::to_string(ctx.num_inputs()) +
             " inputs");
  }
  const size_t n_state = ctx.num_inputs() - n_scan_in;
  const size_t n_scan_out = body.outputs.size() > n_state ? body.outputs.size() - n_state : 0;
  ScanLayout lay{per_item_attr(ctx, "scan_input_axes", n_scan_in), per_item_attr(ctx, "scan_input_directions", n_scan_in),
                 per_item_attr(ctx, "scan_output_axes", n_scan_out),
                 per_item_attr(ctx, "scan_output_directions", n_scan_out)};
  std::vector<Value> states;
  for (size_t i = 0; i < n_state; ++i) states.push_back(ctx.input_value(i));
  std::vector<HostTensor> xs;
  for (int64_t i = 0; i < n_scan_in; ++i) {
    xs.push_back(ctx.input(n_state + i));
    lay.in_axes[i] = normalize_axis(ctx, lay.in_axes[i], xs.back().rank());
  }
  std::vector<Value> result = scan_body(ctx, body, std::move(states), xs, lay);
  set_outputs(ctx, result, 0);
}

// Pads `t` with zeros at the end of axis 0 up to `len`.
HostTensor pad_axis0(const HostTensor& t, int64_t len) {
  if (t.rank() == 0 || t.dim(0) >= len) return t;
  Dims d = t.dims();
  d[0] = len - t.dim(0);
  return concat_tensors({t, HostTensor(t.dtype(), d)}, 0, false);
}

// Scan-8: every input has a leading batch axis; scan inputs are [batch, seq, ...], with
// optional per-batch sequence lengths (shorter scan outputs are zero-padded).
void scan8(KernelContext& ctx) {
  const Graph& body = ctx.attr_graph("body");
  const int64_t n_scan_in = ctx.required_attr_int("num_scan_inputs");
  if (n_scan_in < 1 || n_scan_in + 1 > static_cast<int64_t>(ctx.num_inputs())) {
    ctx.fail("num_scan_inputs " + std::to_string(n_scan_in) + " does not fit " + std::to_string(ctx.num_inputs()) +
             " inputs");
  }
  const size_t n_state = ctx.num_inputs() - 1 - n_scan_in;
  ScanLayout lay{std::vector<int64_t>(n_scan_in, 0), per_item_attr(ctx, "directions", n_scan_in), {}, {}};
  const HostTensor& x0 = ctx.input(1 + n_state);
  if (x0.rank() < 2) ctx.fail("scan inputs need [batch, sequence, ...] dims, got " + x0.describe());
  const int64_t batch = x0.dim(0), max_len = x0.dim(1);
  if (batch == 0) ctx.fail("a batch of 0 is not supported");
  std::vector<int64_t> lens(batch, max_len);
  if (ctx.has_input(0)) lens = ctx.input_int64s(0);
  if (static_cast<int64_t>(lens.size()) != batch) ctx.fail("sequence_lens must have one entry per batch");
  std::vector<std::vector<HostTensor>> per_out;
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Value> states;
    for (size_t i = 0; i < n_state; ++i) states.push_back(Value::of(take_axis(ctx.input(1 + i), 0, b)));
    std::vector<HostTensor> xs;
    for (int64_t i = 0; i < n_scan_in; ++i) {
      const HostTensor& x = ctx.input(1 + n_state + i);
      if (x.rank() < 2 || x.dim(0) != batch || lens[b] < 0 || lens[b] > x.dim(1)) {
        ctx.fail("scan input " + x.describe() + " does not fit batch " + std::to_string(batch) + " and length " +
                 std::to_string(lens[b]));
      }
      xs.push_back(slice_axis(take_axis(x, 0, b), 0, 0, lens[b]));
    }
    std::vector<Value> result = scan_body(ctx, body, std::move(states), xs, lay);
    per_out.resize(result.size());
    for (size_t k = 0; k < result.size(); ++k) {
      const Value& v = result[k];
      if (!v.is_tensor()) ctx.fail("output " + std::to_string(k) + " must be a tensor, got " + v.describe());
      per_out[k].push_back(k < n_state ? v.tensor : pad_axis0(v.tensor, max_len));
    }
  }
  for (size_t k = 0; k < per_out.size() && k < ctx.num_outputs(); ++k) {
    ctx.set_output(k, concat_tensors(per_out[k], 0, true));
  }
}

}  // namespace

GRAFT_CPU_KERNEL("", If, 1, if_op);
GRAFT_CPU_KERNEL("", Loop, 1, loop);
GRAFT_CPU_KERNEL("", Scan, 8, scan8);
GRAFT_CPU_KERNEL("", Scan, 9, scan9);

}  // namespace graft::cpu
