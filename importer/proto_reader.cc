// ONNX protobuf -> graft IR.
#include <memory>
#include <unordered_map>

#include "importer/files.h"
#include "importer/proto_convert.h"
#include "importer/tensor_codec.h"
#include "surgeon/error.h"

namespace graft::importer {
namespace {

template <typename Msg>
std::string unknown_of(const Msg& m) {
  std::string s;
  if (!m.unknown_fields().empty()) m.unknown_fields().SerializeToString(&s);
  return s;
}

KeyValues key_values(const google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto>& entries) {
  KeyValues kv;
  for (const auto& e : entries) kv.emplace_back(e.key(), e.value());
  return kv;
}

// Names visible while reading a graph: its own, then its enclosing graphs'.
struct Scope {
  std::unordered_map<std::string, TensorPtr> names;
  const Scope* parent = nullptr;

  TensorPtr find(const std::string& name) const {
    for (const Scope* s = this; s; s = s->parent) {
      auto it = s->names.find(name);
      if (it != s->names.end()) return it->second;
    }
    return nullptr;
  }
};

class Reader {
 public:
  explicit Reader(ReadContext& ctx) : ctx_(ctx) {}

  Model read_model(onnx::ModelProto& mp);

 private:
  std::string where(const std::string& what) const { return ctx_.source + ": " + what; }
  GraphPtr read_graph(onnx::GraphProto& gp, Graph* parent, const Scope* outer);
  Function read_function(onnx::FunctionProto& fp);
  void read_nodes(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nps, Graph& g, Scope& scope);
  TensorDataPtr read_tensor(onnx::TensorProto& tp, const std::string& what);
  SparseTensorDataPtr read_sparse(onnx::SparseTensorProto& sp, const std::string& what);
  Attribute read_attribute(onnx::AttributeProto& ap, Graph& g, const Scope& scope, const std::string& what);
  Bytes external_bytes(const TensorData& data, const std::string& what);
  ValueType read_type(const onnx::TypeProto& tp);
  Shape read_shape(const onnx::TensorShapeProto& sp);
  TensorPtr read_value_info(const onnx::ValueInfoProto& vi, TensorPtr existing);

  ReadContext& ctx_;
};

Shape Reader::read_shape(const onnx::TensorShapeProto& sp) {
  std::vector<Dim> dims;
  for (const auto& d : sp.dim()) {
    Dim dim;
    if (d.has_dim_value()) {
      dim = Dim::fixed(d.dim_value());
    } else if (d.has_dim_param()) {
      dim = Dim::symbolic(d.dim_param());
    }
    dim.denotation = d.denotation();
    dims.push_back(std::move(dim));
  }
  return Shape(std::move(dims));
}

ValueType Reader::read_type(const onnx::TypeProto& tp) {
  ValueType t;
  t.denotation = tp.denotation();
  auto inner = [&](const onnx::TypeProto& e) { return std::make_shared<ValueType>(read_type(e)); };
  switch (tp.value_case()) {
    case onnx::TypeProto::kTensorType:
      t.kind = ValueType::Kind::kTensor;
      t.elem = static_cast<DataType>(tp.tensor_type().elem_type());
      if (tp.tensor_type().has_shape()) t.shape = read_shape(tp.tensor_type().shape());
      break;
    case onnx::TypeProto::kSparseTensorType:
      t.kind = ValueType::Kind::kSparseTensor;
      t.elem = static_cast<DataType>(tp.sparse_tensor_type().elem_type());
      if (tp.sparse_tensor_type().has_shape()) t.shape = read_shape(tp.sparse_tensor_type().shape());
      break;
    case onnx::TypeProto::kSequenceType:
      t.kind = ValueType::Kind::kSequence;
      if (tp.sequence_type().has_elem_type()) t.inner = inner(tp.sequence_type().elem_type());
      break;
    case onnx::TypeProto::kOptionalType:
      t.kind = ValueType::Kind::kOptional;
      if (tp.optional_type().has_elem_type()) t.inner = inner(tp.optional_type().elem_type());
      break;
    case onnx::TypeProto::kMapType:
      t.kind = ValueType::Kind::kMap;
      t.elem = static_cast<DataType>(tp.map_type().key_type());
      if (tp.map_type().has_value_type()) t.inner = inner(tp.map_type().value_type());
      break;
    case onnx::TypeProto::kOpaqueType:
      t.kind = ValueType::Kind::kOpaque;
      t.opaque_domain = tp.opaque_type().domain();
      t.opaque_name = tp.opaque_type().name();
      break;
    case onnx::TypeProto::VALUE_NOT_SET: t.kind = ValueType::Kind::kEmpty; break;
  }
  return t;
}

TensorPtr Reader::read_value_info(const onnx::ValueInfoProto& vi, TensorPtr existing) {
  TensorPtr t = existing ? existing : std::make_shared<Tensor>(vi.name());
  // A tensor listed in several places (input and value_info, say) keeps its first type.
  if (t->type.kind == ValueType::Kind::kNone && vi.has_type()) t->type = read_type(vi.type());
  if (t->doc_string.empty()) t->doc_string = vi.doc_string();
  if (t->value_info_unknown.empty()) t->value_info_unknown = unknown_of(vi);
  return t;
}

Bytes Reader::external_bytes(const TensorData& data, const std::string& what) {
  const std::string location = data.external_entry("location");
  if (location.empty()) throw Error(where(what + " is stored externally but names no location"));
  if (!is_safe_location(location)) {
    throw Error(where(what + " has external data location '" + location +
                      "': it must be a relative path inside the model's folder"));
  }
  const std::string path = join_path(ctx_.base_dir, location);
  auto it = ctx_.external_files.find(path);
  if (it == ctx_.external_files.end()) {
    Bytes file;
    try {
      file = map_file(path);
    } catch (const Error& e) {
      throw Error(where(what + ": external data file unavailable: " + e.what()));
    }
    it = ctx_.external_files.emplace(path, file).first;
  }
  const Bytes& file = it->second;
  auto number = [&](const std::string& key, uint64_t fallback) -> uint64_t {
    const std::string v = data.external_entry(key);
    if (v.empty()) return fallback;
    size_t used = 0;
    unsigned long long n = 0;
    try {
      n = std::stoull(v, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != v.size()) throw Error(where(what + " has external data " + key + " '" + v + "', not a number"));
    return n;
  };
  const uint64_t offset = number("offset", 0);
  if (offset > file.size()) {
    throw Error(where(what + ": external data offset " + std::to_string(offset) + " is past the end of " + path +
                      " (" + std::to_string(file.size()) + " bytes)"));
  }
  const uint64_t length = number("length", file.size() - offset);
  if (length > file.size() - offset) {
    throw Error(where(what + ": external data at offset " + std::to_string(offset) + " with length " +
                      std::to_string(length) + " runs past the end of " + path + " (" +
                      std::to_string(file.size()) + " bytes)"));
  }
  const uint64_t want = expected_bytes(data, where(what));
  if (length != want) {
    throw Error(where(what + ": external data length " + std::to_string(length) + " does not match its shape (" +
                      std::to_string(want) + " bytes needed)"));
  }
  return file.slice(offset, length);
}

TensorDataPtr Reader::read_tensor(onnx::TensorProto& tp, const std::string& what) {
  auto data = std::make_shared<TensorData>();
  data->dtype = static_cast<DataType>(tp.data_type());
  data->dims.assign(tp.dims().begin(), tp.dims().end());
  data->name = tp.name();
  data->doc_string = tp.doc_string();
  data->unknown_fields = unknown_of(tp);
  if (tp.has_segment()) throw Error(where(what + " uses TensorProto segments, which graft does not support"));
  if (tp.data_location() == onnx::TensorProto::EXTERNAL) {
    data->storage = Storage::kExternal;
    data->external = key_values(tp.external_data());
    if (data->dtype == DataType::kString) throw Error(where(what + ": string tensors cannot be stored externally"));
    if (ctx_.load_external_data) data->bytes = external_bytes(*data, what);
    return data;
  }
  try {
    decode_tensor_values(tp, *data, what);
  } catch (const Error& e) {
    throw Error(where(e.what()));
  }
  return data;
}

SparseTensorDataPtr Reader::read_sparse(onnx::SparseTensorProto& sp, const std::string& what) {
  auto s = std::make_shared<SparseTensorData>();
  s->values = read_tensor(*sp.mutable_values(), what + " (values)");
  s->indices = read_tensor(*sp.mutable_indices(), what + " (indices)");
  s->dims.assign(sp.dims().begin(), sp.dims().end());
  return s;
}

Attribute Reader::read_attribute(onnx::AttributeProto& ap, Graph& g, const Scope& scope, const std::string& what) {
  Attribute a;
  a.name = ap.name();
  a.type = static_cast<AttrType>(ap.type());
  a.ref_attr_name = ap.ref_attr_name();
  a.doc_string = ap.doc_string();
  a.unknown_fields = unknown_of(ap);
  const std::string attr_what = what + " attribute '" + a.name + "'";
  a.f = ap.f();
  a.i = ap.i();
  a.s = ap.s();
  if (ap.has_t()) a.t = read_tensor(*ap.mutable_t(), attr_what);
  if (ap.has_g()) a.g = read_graph(*ap.mutable_g(), &g, &scope);
  if (ap.has_sparse_tensor()) a.sparse_tensor = read_sparse(*ap.mutable_sparse_tensor(), attr_what);
  if (ap.has_tp()) a.tp = read_type(ap.tp());
  a.floats.assign(ap.floats().begin(), ap.floats().end());
  a.ints.assign(ap.ints().begin(), ap.ints().end());
  a.strings.assign(ap.strings().begin(), ap.strings().end());
  for (auto& t : *ap.mutable_tensors()) a.tensors.push_back(read_tensor(t, attr_what));
  for (auto& sg : *ap.mutable_graphs()) a.graphs.push_back(read_graph(sg, &g, &scope));
  for (auto& st : *ap.mutable_sparse_tensors()) a.sparse_tensors.push_back(read_sparse(st, attr_what));
  for (const auto& t : ap.type_protos()) a.type_protos.push_back(read_type(t));
  return a;
}

void Reader::read_nodes(google::protobuf::RepeatedPtrField<onnx::NodeProto>& nps, Graph& g, Scope& scope) {
  // Outputs first, so inputs may name tensors that later nodes produce (unsorted graphs).
  std::vector<Node*> nodes;
  for (const onnx::NodeProto& np : nps) {
    Node* node = g.add_node(np.op_type(), {}, {}, np.name(), np.domain());
    for (const std::string& out : np.output()) {
      if (out.empty()) {
        node->add_output(nullptr);
        continue;
      }
      auto [it, fresh] = scope.names.emplace(out, nullptr);
      if (!fresh) {
        const TensorPtr& prev = it->second;
        std::string prior = prev->producer() ? "the output of " + prev->producer()->describe()
                                             : std::string("a graph input or initializer");
        throw Error(where(g.describe() + ": tensor '" + out + "' is produced by " + node->describe() +
                          " but is already " + prior));
      }
      it->second = std::make_shared<Tensor>(out);
      node->add_output(it->second);
    }
    nodes.push_back(node);
  }
  for (size_t k = 0; k < nodes.size(); ++k) {
    onnx::NodeProto& np = nps[static_cast<int>(k)];
    Node* node = nodes[k];
    for (const std::string& in : np.input()) {
      if (in.empty()) {
        node->add_input(nullptr);
        continue;
      }
      TensorPtr t = scope.find(in);
      if (!t) {
        throw Error(where(g.describe() + ": " + node->describe() + " reads tensor '" + in +
                          "', which no node produces and which is no graph input or initializer"));
      }
      node->add_input(t);
    }
    node->doc_string = np.doc_string();
    node->unknown_fields = unknown_of(np);
    for (auto& ap : *np.mutable_attribute()) {
      node->attributes.push_back(read_attribute(ap, g, scope, node->describe()));
    }
  }
}

GraphPtr Reader::read_graph(onnx::GraphProto& gp, Graph* parent, const Scope* outer) {
  auto g = std::make_shared<Graph>(gp.name(), parent);
  g->doc_string = gp.doc_string();
  g->unknown_fields = unknown_of(gp);
  Scope scope{{}, outer};
  for (const auto& vi : gp.input()) {
    if (scope.names.count(vi.name())) {
      throw Error(where(g->describe() + ": graph input '" + vi.name() + "' is listed twice"));
    }
    TensorPtr t = read_value_info(vi, nullptr);
    scope.names[vi.name()] = t;
    g->inputs.push_back(t);
  }
  auto add_constant = [&](const std::string& name, const std::string& kind) -> TensorPtr {
    TensorPtr& slot = scope.names[name];
    bool is_input = slot && std::find(g->inputs.begin(), g->inputs.end(), slot) != g->inputs.end();
    if (slot && (!is_input || slot->is_constant())) {
      throw Error(where(g->describe() + ": " + kind + " '" + name + "' is defined twice"));
    }
    if (!slot) slot = std::make_shared<Tensor>(name);  // else an input with a default value
    return slot;
  };
  for (auto& tp : *gp.mutable_initializer()) {
    TensorPtr t = add_constant(tp.name(), "initializer");
    t->data = read_tensor(tp, "initializer '" + tp.name() + "'");
    g->initializers.push_back(t);
  }
  for (auto& sp : *gp.mutable_sparse_initializer()) {
    const std::string name = sp.values().name();
    TensorPtr t = add_constant(name, "sparse initializer");
    t->sparse = read_sparse(sp, "sparse initializer '" + name + "'");
    g->sparse_initializers.push_back(t);
  }
  read_nodes(*gp.mutable_node(), *g, scope);
  for (const auto& vi : gp.output()) {
    TensorPtr t = scope.find(vi.name());
    if (!t) {
      throw Error(where(g->describe() + ": graph output '" + vi.name() +
                        "' is not produced by any node, nor a graph input or initializer"));
    }
    g->outputs.push_back(read_value_info(vi, t));
  }
  for (const auto& vi : gp.value_info()) {
    // value_info may describe a tensor that no longer exists; keep the entry anyway.
    g->value_info.push_back(read_value_info(vi, scope.find(vi.name())));
  }
  for (const auto& qa : gp.quantization_annotation()) {
    g->quantization_annotations.push_back({qa.tensor_name(), key_values(qa.quant_parameter_tensor_names())});
  }
  return g;
}

Function Reader::read_function(onnx::FunctionProto& fp) {
  Function f;
  f.name = fp.name();
  f.domain = fp.domain();
  f.doc_string = fp.doc_string();
  f.unknown_fields = unknown_of(fp);
  f.attribute_names.assign(fp.attribute().begin(), fp.attribute().end());
  for (const auto& o : fp.opset_import()) f.opset_imports.push_back({o.domain(), o.version()});
  Graph& body = *f.body;
  body.name = f.name;
  Scope scope;
  for (const std::string& in : fp.input()) {
    auto t = std::make_shared<Tensor>(in);
    scope.names[in] = t;
    body.inputs.push_back(t);
  }
  read_nodes(*fp.mutable_node(), body, scope);
  for (const std::string& out : fp.output()) {
    TensorPtr t = scope.find(out);
    if (!t) throw Error(where("function '" + f.name + "': output '" + out + "' is not produced by any node"));
    body.outputs.push_back(t);
  }
  return f;
}

Model Reader::read_model(onnx::ModelProto& mp) {
  Model m;
  m.ir_version = mp.ir_version();
  for (const auto& o : mp.opset_import()) m.opset_imports.push_back({o.domain(), o.version()});
  m.producer_name = mp.producer_name();
  m.producer_version = mp.producer_version();
  m.domain = mp.domain();
  m.model_version = mp.model_version();
  m.doc_string = mp.doc_string();
  m.metadata_props = key_values(mp.metadata_props());
  m.unknown_fields = unknown_of(mp);
  if (mp.has_graph()) m.graph = read_graph(*mp.mutable_graph(), nullptr, nullptr);
  for (auto& fp : *mp.mutable_functions()) m.functions.push_back(read_function(fp));
  for (const auto& ti : mp.training_info()) m.training_info.push_back(ti.SerializeAsString());
  return m;
}

}  // namespace

Model model_from_proto(onnx::ModelProto& proto, ReadContext& ctx) { return Reader(ctx).read_model(proto); }

}  // namespace graft::importer
