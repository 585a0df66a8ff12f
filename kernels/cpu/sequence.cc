// Sequence ops: SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt,
// SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence, SequenceMap.
#include "kernels/cpu/kernel.h"
#include "kernels/cpu/op_util.h"
#include "kernels/cpu/sequence_util.h"
#include "surgeon/graph.h"

namespace graft::cpu {
namespace {

const Value& sequence_input(const KernelContext& ctx, size_t i) {
  const Value& v = ctx.input_value(i);
  if (!v.is_sequence()) ctx.fail("input " + std::to_string(i) + " must be a sequence, got " + v.describe());
  return v;
}

// A position input in [-n, n + extra) made non-negative (extra = 1 where the end is valid).
int64_t position(const KernelContext& ctx, size_t input, int64_t n, int64_t extra, int64_t def) {
  if (!ctx.has_input(input)) return def;
  const HostTensor& p = ctx.input(input);
  if (p.numel() != 1) ctx.fail("position must hold one element, got " + p.describe());
  const int64_t pos = p.to_int64s()[0];
  if (pos < -n || pos >= n + extra) {
    ctx.fail("position " + std::to_string(pos) + " is out of range for a sequence of " + std::to_string(n));
  }
  return pos < 0 ? pos + n : pos;
}

void check_elem(const KernelContext& ctx, const Value& seq, const HostTensor& t) {
  if (seq.sequence_elem != DataType::kUndefined && t.dtype() != seq.sequence_elem) {
    ctx.fail("tensor " + t.describe() + " does not match the sequence's element type " + dtype_name(seq.sequence_elem));
  }
}

void sequence_empty(KernelContext& ctx) {
  const auto elem = static_cast<DataType>(ctx.attr_int("dtype", static_cast<int64_t>(DataType::kFloat)));
  ctx.set_output_value(0, Value::of_sequence({}, elem));
}

void sequence_construct(KernelContext& ctx) {
  std::vector<HostTensor> items;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    items.push_back(ctx.input(i));
    if (items.back().dtype() != items[0].dtype()) {
      ctx.fail("inputs have different types: " + items[0].describe() + " and " + items.back().describe());
    }
  }
  if (items.empty()) ctx.fail("needs at least one input");
  const DataType elem = items[0].dtype();
  ctx.set_output_value(0, Value::of_sequence(std::move(items), elem));
}

void sequence_insert(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  const HostTensor& t = ctx.input(1);
  check_elem(ctx, seq, t);
  const int64_t n = static_cast<int64_t>(seq.sequence.size());
  const int64_t pos = position(ctx, 2, n, 1, n);
  Value out = seq;
  out.sequence.insert(out.sequence.begin() + pos, t);
  if (out.sequence_elem == DataType::kUndefined) out.sequence_elem = t.dtype();
  ctx.set_output_value(0, std::move(out));
}

void sequence_at(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  if (!ctx.has_input(1)) ctx.fail("position is required");
  const int64_t pos = position(ctx, 1, static_cast<int64_t>(seq.sequence.size()), 0, 0);
  ctx.set_output(0, seq.sequence[pos]);
}

void sequence_erase(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  const int64_t n = static_cast<int64_t>(seq.sequence.size());
  if (n == 0) ctx.fail("cannot erase from an empty sequence");
  const int64_t pos = position(ctx, 1, n, 0, n - 1);
  Value out = seq;
  out.sequence.erase(out.sequence.begin() + pos);
  ctx.set_output_value(0, std::move(out));
}

void sequence_length(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  ctx.set_output(0, HostTensor::scalar(DataType::kInt64, static_cast<int64_t>(seq.sequence.size())));
}

// Chunk lengths along an axis of size `dim` from the optional split input.
std::vector<int64_t> split_lengths(const KernelContext& ctx, int64_t dim) {
  if (!ctx.has_input(1)) return std::vector<int64_t>(dim, 1);
  const HostTensor& s = ctx.input(1);
  std::vector<int64_t> v = s.to_int64s();
  if (s.rank() == 0) {
    if (v[0] <= 0) ctx.fail("scalar split must be positive, got " + std::to_string(v[0]));
    std::vector<int64_t> lens;
    for (int64_t left = dim; left > 0; left -= v[0]) lens.push_back(std::min(left, v[0]));
    return lens;
  }
  if (s.rank() != 1) ctx.fail("split must be a scalar or 1-D, got " + s.describe());
  int64_t sum = 0;
  for (int64_t x : v) {
    if (x < 0) ctx.fail("split lengths must be non-negative");
    sum += x;
  }
  if (sum != dim) {
    ctx.fail("split lengths sum to " + std::to_string(sum) + ", but the axis has " + std::to_string(dim) + " elements");
  }
  return v;
}

void split_to_sequence(KernelContext& ctx) {
  const HostTensor& x = ctx.input(0);
  if (x.rank() == 0) ctx.fail("input must have rank >= 1, got a scalar");
  const int64_t axis = normalize_axis(ctx, ctx.attr_int("axis", 0), x.rank());
  const bool squeeze = !ctx.has_input(1) && ctx.attr_int("keepdims", 1) == 0;
  Dims squeezed = x.dims();
  squeezed.erase(squeezed.begin() + axis);
  std::vector<HostTensor> items;
  int64_t start = 0;
  for (int64_t len : split_lengths(ctx, x.dim(axis))) {
    HostTensor part = slice_axis(x, axis, start, len);
    items.push_back(squeeze ? part.reshaped(squeezed) : part);
    start += len;
  }
  ctx.set_output_value(0, Value::of_sequence(std::move(items), x.dtype()));
}

void concat_from_sequence(KernelContext& ctx) {
  const Value& seq = sequence_input(ctx, 0);
  if (seq.sequence.empty()) ctx.fail("cannot concatenate an empty sequence");
  const bool new_axis = ctx.attr_int("new_axis", 0) != 0;
  const int64_t rank = static_cast<int64_t>(seq.sequence[0].rank()) + (new_axis ? 1 : 0);
  const int64_t axis = normalize_axis(ctx, ctx.required_attr_int("axis"), rank);
  try {
    ctx.set_output(0, concat_tensors(seq.sequence, axis, new_axis));
  } catch (const Error& e) {
    ctx.fail(e.what());
  }
}

// Runs the body once per position of the sequence inputs; tensor inputs are passed to
// every run. Output k is the sequence of the body's k-th outputs.
void sequence_map(KernelContext& ctx) {
  const Graph& body = ctx.attr_graph("body");
  if (body.inputs.size() != ctx.num_inputs()) {
    ctx.fail("body has " + std::to_string(body.inputs.size()) + " inputs, the node " +
             std::to_string(ctx.num_inputs()));
  }
  const size_t n = sequence_input(ctx, 0).sequence.size();
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    const Value& v = ctx.input_value(i);
    if (v.is_sequence() && v.sequence.size() != n) {
      ctx.fail("input " + std::to_string(i) + " has " + std::to_string(v.sequence.size()) +
               " items, the input sequence " + std::to_string(n));
    }
  }
  std::vector<std::vector<HostTensor>> outs(body.outputs.size());
  for (size_t j = 0; j < n; ++j) {
    std::vector<Value> in;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const Value& v = ctx.input_value(i);
      in.push_back(v.is_sequence() ? Value::of(v.sequence[j]) : v);
    }
    std::vector<Value> out = ctx.run_subgraph(body, std::move(in));
    for (size_t k = 0; k < outs.size(); ++k) {
      if (!out[k].is_tensor()) ctx.fail("body output " + std::to_string(k) + " must be a tensor, got " + out[k].describe());
      outs[k].push_back(std::move(out[k].tensor));
    }
  }
  for (size_t k = 0; k < outs.size() && k < ctx.num_outputs(); ++k) {
    const DataType elem = outs[k].empty() ? body.outputs[k]->type.elem : outs[k][0].dtype();
    ctx.set_output_value(k, Value::of_sequence(std::move(outs[k]), elem));
  }
}

}  // namespace

GRAFT_CPU_KERNEL("", SequenceEmpty, 11, sequence_empty);
GRAFT_CPU_KERNEL("", SequenceConstruct, 11, sequence_construct);
GRAFT_CPU_KERNEL("", SequenceInsert, 11, sequence_insert);
GRAFT_CPU_KERNEL("", SequenceAt, 11, sequence_at);
GRAFT_CPU_KERNEL("", SequenceErase, 11, sequence_erase);
GRAFT_CPU_KERNEL("", SequenceLength, 11, sequence_length);
GRAFT_CPU_KERNEL("", SplitToSequence, 11, split_to_sequence);
GRAFT_CPU_KERNEL("", ConcatFromSequence, 11, concat_from_sequence);
GRAFT_CPU_KERNEL("", SequenceMap, 17, sequence_map);

}  // namespace graft::cpu
