#include "folding/channel_fold.h"

#include <algorithm>
#include <cstring>

#include "surgeon/edit.h"
#include "surgeon/error.h"
#include "surgeon/find.h"
#include "surgeon/pattern.h"

namespace graft::folding {
namespace {

bool is_float_type(DataType t) { return t == DataType::kFloat || t == DataType::kDouble; }

std::string quoted(const Tensor& t) { return "'" + t.name + "'"; }

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// A constant input of `node` that the fold may rewrite: its values, or null with `why_not` set.
TensorDataPtr foldable_constant(const Graph& g, const Node& node, const TensorPtr& t, const char* role,
                                std::string& why_not) {
  TensorDataPtr data = constant_value(g, *t);
  if (!data) {
    why_not = "its " + std::string(role) + " " + quoted(*t) + " is not a constant";
    return nullptr;
  }
  if (!is_float_type(data->dtype)) {
    why_not = "its " + std::string(role) + " " + quoted(*t) + " is " + dtype_name(data->dtype) +
              " (only float32 and float64 fold)";
    return nullptr;
  }
  if (!values_loaded(*data)) {
    why_not = "the values of its " + std::string(role) + " " + quoted(*t) + " are not loaded";
    return nullptr;
  }
  if (!only_reader_is(g, *t, node)) {
    why_not = "its " + std::string(role) + " " + quoted(*t) + " is shared with other nodes or is a graph output";
    return nullptr;
  }
  return data;
}

// The output channel of element `i` of the target's weight.
class ChannelOf {
 public:
  explicit ChannelOf(const ChannelFoldTarget& t) : t_(t) {
    const std::vector<int64_t>& d = t.weight_data->dims;
    int64_t n = 1;
    for (int64_t v : d) n *= v;
    switch (t.kind) {
      case ChannelFoldTarget::Kind::kConv: inner_ = d[0] != 0 ? n / d[0] : 1; break;
      case ChannelFoldTarget::Kind::kConvTranspose: {
        per_group_out_ = d[1];
        inner_ = d[0] != 0 && d[1] != 0 ? n / (d[0] * d[1]) : 1;
        const int64_t groups = t.channels / d[1];
        in_per_group_ = d[0] / groups;
        break;
      }
      case ChannelFoldTarget::Kind::kGemm:
      case ChannelFoldTarget::Kind::kMatMul: {
        const Attribute* tb = t.node->attr("transB");
        trans_b_ = t.kind == ChannelFoldTarget::Kind::kGemm && tb && tb->i != 0;
        inner_ = d[1];
        break;
      }
    }
  }
  int64_t operator()(int64_t i) const {
    switch (t_.kind) {
      case ChannelFoldTarget::Kind::kConv: return i / inner_;
      case ChannelFoldTarget::Kind::kConvTranspose: {
        const int64_t c = i / (per_group_out_ * inner_), j = (i / inner_) % per_group_out_;
        return (c / in_per_group_) * per_group_out_ + j;
      }
      default: return trans_b_ ? i / inner_ : i % t_.channels;
    }
  }

 private:
  const ChannelFoldTarget& t_;
  int64_t inner_ = 1, per_group_out_ = 1, in_per_group_ = 1;
  bool trans_b_ = false;
};

}  // namespace

bool values_loaded(const TensorData& data) {
  std::optional<int64_t> n = data.num_elements();
  if (!n) return false;
  std::optional<uint64_t> bytes = dtype_storage_bytes(data.dtype, static_cast<uint64_t>(*n));
  return bytes && data.bytes.size() == *bytes;
}

std::optional<std::vector<double>> values_as_doubles(const TensorData& data) {
  if (!values_loaded(data)) return std::nullopt;
  std::vector<double> v(static_cast<size_t>(*data.num_elements()));
  if (data.dtype == DataType::kFloat) {  // the common case, without a per-element dtype switch
    std::vector<float> f(v.size());
    std::memcpy(f.data(), data.bytes.data(), f.size() * sizeof(float));
    std::copy(f.begin(), f.end(), v.begin());
    return v;
  }
  for (size_t i = 0; i < v.size(); ++i) {
    std::optional<double> x = value_at(data, i);
    if (!x) return std::nullopt;
    v[i] = *x;
  }
  return v;
}

TensorDataPtr make_float_data(DataType dtype, std::vector<int64_t> dims, const std::vector<double>& values) {
  auto data = std::make_shared<TensorData>();
  data->dtype = dtype;
  data->dims = std::move(dims);
  if (dtype == DataType::kDouble) {
    data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(double));
  } else if (dtype == DataType::kFloat) {
    std::vector<float> f(values.begin(), values.end());
    data->bytes = Bytes::copy_of(f.data(), f.size() * sizeof(float));
  } else {
    throw Error("make_float_data: " + dtype_name(dtype) + " is not float32 or float64");
  }
  return data;
}

bool only_reader_is(const Graph& g, const Tensor& t, const Node& reader) {
  if (t.consumers().size() != 1 || t.consumers()[0] != &reader) return false;
  bool output = false;
  for_each_graph(root_of(g), [&](const Graph& sub) { output = output || holds(sub.outputs, &t); });
  return !output;
}

std::optional<ChannelFoldTarget> channel_fold_target(const Graph& g, Node& node, int64_t opset, std::string& why_not) {
  using Kind = ChannelFoldTarget::Kind;
  ChannelFoldTarget t;
  t.node = &node;
  if (!is_default_domain(node.domain)) {
    why_not = "it is not an ONNX op";
    return std::nullopt;
  }
  if (node.op_type == "Conv") t.kind = Kind::kConv;
  else if (node.op_type == "ConvTranspose") t.kind = Kind::kConvTranspose;
  else if (node.op_type == "Gemm") t.kind = Kind::kGemm;
  else if (node.op_type == "MatMul") t.kind = Kind::kMatMul;
  else {
    why_not = "it is no Conv, ConvTranspose, Gemm or MatMul";
    return std::nullopt;
  }
  if ((t.kind == Kind::kGemm || t.kind == Kind::kMatMul) && opset < 7) {
    why_not = "Gemm before opset 7 broadcasts its bias only with the legacy attributes";
    return std::nullopt;
  }
  if (!node.input(0) || !node.input(1) || node.outputs().size() != 1 || !node.output(0)) {
    why_not = "it lacks an input or has other outputs";
    return std::nullopt;
  }
  t.weight = node.input(1);
  t.weight_data = foldable_constant(g, node, t.weight, "weight", why_not);
  if (!t.weight_data) return std::nullopt;
  t.dtype = t.weight_data->dtype;
  const std::vector<int64_t>& wd = t.weight_data->dims;
  const std::string wshape = "its weight " + quoted(*t.weight) + " has shape " + dims_text(wd);
  switch (t.kind) {
    case Kind::kConv:
    case Kind::kConvTranspose: {
      if (wd.size() < 3) {
        why_not = wshape + " (rank 3 or more expected)";
        return std::nullopt;
      }
      const Attribute* group = node.attr("group");
      const int64_t groups = group ? group->i : 1;
      t.output_rank = wd.size();
      if (t.kind == Kind::kConv) {
        t.channels = wd[0];
      } else {
        if (groups <= 0 || wd[0] % groups != 0) {
          why_not = wshape + ", which group " + std::to_string(groups) + " does not divide";
          return std::nullopt;
        }
        t.channels = wd[1] * groups;
      }
      break;
    }
    case Kind::kGemm:
    case Kind::kMatMul: {
      if (wd.size() != 2) {
        why_not = wshape + " (rank 2 expected)";
        return std::nullopt;
      }
      const Attribute* tb = node.attr("transB");
      t.channels = t.kind == Kind::kGemm && tb && tb->i != 0 ? wd[0] : wd[1];
      t.output_rank = 2;
      if (t.kind == Kind::kMatMul) {
        const Shape a = node.input(0)->shape();
        if (!a.has_rank() || a.rank() != 2) {
          why_not = "its first input " + quoted(*node.input(0)) + " has shape " + a.str() +
                    " (rank 2 expected: its output channels must be the BatchNormalization's axis 1)";
          return std::nullopt;
        }
        if (node.input(0)->dtype() != t.dtype) {
          why_not = "its first input " + quoted(*node.input(0)) + " is not " + dtype_name(t.dtype);
          return std::nullopt;
        }
      }
      break;
    }
  }
  if (t.channels <= 0) {
    why_not = wshape + " (no output channels)";
    return std::nullopt;
  }
  if (t.kind != Kind::kMatMul && node.input(2)) {
    t.bias = node.input(2);
    t.bias_data = foldable_constant(g, node, t.bias, "bias", why_not);
    if (!t.bias_data) return std::nullopt;
    const std::vector<int64_t>& bd = t.bias_data->dims;
    bool fits = t.bias_data->dtype == t.dtype;
    if (t.kind == Kind::kGemm) {
      fits = fits && bd.size() <= 2 && (bd.empty() || bd.back() == 1 || bd.back() == t.channels);
    } else {
      fits = fits && bd.size() == 1 && bd[0] == t.channels;
    }
    if (!fits) {
      why_not = "its bias " + quoted(*t.bias) + " (" + dtype_name(t.bias_data->dtype) + dims_text(bd) +
                ") does not match " + std::to_string(t.channels) + " output channels of " + dtype_name(t.dtype);
      return std::nullopt;
    }
  }
  return t;
}

void apply_channel_fold(Graph& g, const ChannelFoldTarget& t, Node& reader, const std::vector<double>& scale,
                        const std::vector<double>& shift) {
  using Kind = ChannelFoldTarget::Kind;
  Node& node = *t.node;
  const auto m = static_cast<size_t>(t.channels);
  if (scale.size() != m || (!shift.empty() && shift.size() != m)) {
    throw Error("apply_channel_fold: scale/shift sizes do not match " + std::to_string(m) + " channels");
  }
  const std::string base = node.name.empty() ? node.output(0)->name : node.name;

  // New weight values.
  std::vector<double> w = *values_as_doubles(*t.weight_data);
  const ChannelOf channel_of(t);
  for (size_t i = 0; i < w.size(); ++i) w[i] *= scale[static_cast<size_t>(channel_of(static_cast<int64_t>(i)))];
  TensorDataPtr new_w = make_float_data(t.dtype, t.weight_data->dims, w);

  // New bias values (null: the node keeps having no bias).
  TensorDataPtr new_b;
  bool beta_to_one = false;
  if (t.kind == Kind::kGemm || t.kind == Kind::kMatMul) {
    if (t.bias_data || !shift.empty() || t.kind == Kind::kMatMul) {
      double beta = 1;
      if (t.kind == Kind::kGemm) {
        const Attribute* b = node.attr("beta");
        beta = b ? b->f : 1.0f;
      }
      std::vector<double> c = t.bias_data ? *values_as_doubles(*t.bias_data) : std::vector<double>{0.0};
      const std::vector<int64_t> cd = t.bias_data ? t.bias_data->dims : std::vector<int64_t>{};
      const int64_t rows = cd.size() == 2 ? cd[0] : 1;
      const int64_t cols = cd.empty() ? 1 : cd.back();
      std::vector<double> out(static_cast<size_t>(rows) * m);
      for (int64_t r = 0; r < rows; ++r) {
        for (size_t k = 0; k < m; ++k) {
          const double v = beta * c[static_cast<size_t>(r * cols + (cols == 1 ? 0 : int64_t(k)))];
          out[r * m + k] = v * scale[k] + (shift.empty() ? 0.0 : shift[k]);
        }
      }
      new_b = make_float_data(t.dtype, cd.size() == 2 ? std::vector<int64_t>{rows, t.channels}
                                                      : std::vector<int64_t>{t.channels},
                              out);
      beta_to_one = t.kind == Kind::kGemm;
    }
  } else if (t.bias_data || !shift.empty()) {
    std::vector<double> b = t.bias_data ? *values_as_doubles(*t.bias_data) : std::vector<double>(m, 0.0);
    for (size_t k = 0; k < m; ++k) b[k] = b[k] * scale[k] + (shift.empty() ? 0.0 : shift[k]);
    new_b = make_float_data(t.dtype, {t.channels}, b);
  }

  // Tensors for them: initializers change in place after the edit, the rest are new.
  std::vector<TensorPtr> added;
  std::vector<std::pair<TensorPtr, TensorDataPtr>> in_place;
  auto tensor_for = [&](const TensorPtr& old, const TensorDataPtr& data, const std::string& name) {
    if (old && !old->producer() && old->data && old->data->dims == data->dims) {
      in_place.emplace_back(old, data);
      return old;
    }
    TensorPtr fresh = Tensor::constant(unique_tensor_name(g, name), data);
    g.initializers.push_back(fresh);
    added.push_back(fresh);
    return fresh;
  };
  TensorPtr w_t = tensor_for(t.weight, new_w, t.weight->name);
  TensorPtr b_t = new_b ? tensor_for(t.bias, new_b, t.bias ? t.bias->name : base + "_bias") : nullptr;

  NodeSpec spec{t.kind == Kind::kMatMul ? "Gemm" : node.op_type, node.name, node.domain, {node.input(0), w_t},
                {reader.output(0)}, node.attributes};
  if (b_t) spec.inputs.push_back(b_t);
  if (beta_to_one) {
    std::erase_if(spec.attributes, [](const Attribute& a) { return a.name == "beta"; });
    spec.attributes.push_back(Attribute::of_float("beta", 1.0f));
  }
  const std::string doc = node.doc_string;
  std::vector<Node*> made;
  try {
    made = replace_subgraph(g, {&node, &reader}, {std::move(spec)});
  } catch (const Error&) {
    std::erase_if(g.initializers, [&](const TensorPtr& x) { return holds(added, x.get()); });
    throw;
  }
  made[0]->doc_string = doc;
  for (auto& [tensor, data] : in_place) tensor->data = data;
}

}  // namespace graft::folding
