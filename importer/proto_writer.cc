// graft IR -> ONNX protobuf.
#include "importer/proto_convert.h"
#include "importer/tensor_codec.h"

namespace graft::importer {
namespace {

template <typename Msg>
void restore_unknown(const std::string& bytes, Msg* m) {
  if (!bytes.empty()) m->mutable_unknown_fields()->ParseFromString(bytes);
}

void write_key_values(const KeyValues& kv, google::protobuf::RepeatedPtrField<onnx::StringStringEntryProto>* out) {
  for (const auto& [k, v] : kv) {
    auto* e = out->Add();
    e->set_key(k);
    e->set_value(v);
  }
}

class Writer {
 public:
  explicit Writer(const WeightPlacer& placer) : placer_(placer) {}

  void write_model(const Model& m, onnx::ModelProto* mp);

 private:
  void write_graph(const Graph& g, onnx::GraphProto* gp);
  void write_nodes(const Graph& g, google::protobuf::RepeatedPtrField<onnx::NodeProto>* out);
  void write_tensor(const TensorData& d, const std::string& name, onnx::TensorProto* tp);
  void write_sparse(const SparseTensorData& s, onnx::SparseTensorProto* sp);
  void write_attribute(const Attribute& a, onnx::AttributeProto* ap);
  void write_type(const ValueType& t, onnx::TypeProto* tp);
  void write_shape(const Shape& s, onnx::TensorShapeProto* sp);
  void write_value_info(const Tensor& t, onnx::ValueInfoProto* vi);

  const WeightPlacer& placer_;
};

void Writer::write_shape(const Shape& s, onnx::TensorShapeProto* sp) {
  for (const Dim& d : s.dims()) {
    auto* dp = sp->add_dim();
    if (d.is_fixed()) dp->set_dim_value(d.value);
    if (d.is_symbolic()) dp->set_dim_param(d.param);
    if (!d.denotation.empty()) dp->set_denotation(d.denotation);
  }
}

void Writer::write_type(const ValueType& t, onnx::TypeProto* tp) {
  if (!t.denotation.empty()) tp->set_denotation(t.denotation);
  auto elem = [](DataType d) { return static_cast<int32_t>(d); };
  switch (t.kind) {
    case ValueType::Kind::kTensor: {
      auto* tt = tp->mutable_tensor_type();
      if (t.elem != DataType::kUndefined) tt->set_elem_type(elem(t.elem));
      if (t.shape.has_rank()) write_shape(t.shape, tt->mutable_shape());
      break;
    }
    case ValueType::Kind::kSparseTensor: {
      auto* st = tp->mutable_sparse_tensor_type();
      if (t.elem != DataType::kUndefined) st->set_elem_type(elem(t.elem));
      if (t.shape.has_rank()) write_shape(t.shape, st->mutable_shape());
      break;
    }
    case ValueType::Kind::kSequence: {
      auto* seq = tp->mutable_sequence_type();
      if (t.inner) write_type(*t.inner, seq->mutable_elem_type());
      break;
    }
    case ValueType::Kind::kOptional: {
      auto* opt = tp->mutable_optional_type();
      if (t.inner) write_type(*t.inner, opt->mutable_elem_type());
      break;
    }
    case ValueType::Kind::kMap: {
      auto* map = tp->mutable_map_type();
      map->set_key_type(elem(t.elem));
      if (t.inner) write_type(*t.inner, map->mutable_value_type());
      break;
    }
    case ValueType::Kind::kOpaque: {
      auto* op = tp->mutable_opaque_type();
      op->set_domain(t.opaque_domain);
      op->set_name(t.opaque_name);
      break;
    }
    case ValueType::Kind::kNone:
    case ValueType::Kind::kEmpty: break;
  }
}

void Writer::write_value_info(const Tensor& t, onnx::ValueInfoProto* vi) {
  vi->set_name(t.name);
  if (t.type.kind != ValueType::Kind::kNone) write_type(t.type, vi->mutable_type());
  if (!t.doc_string.empty()) vi->set_doc_string(t.doc_string);
  restore_unknown(t.value_info_unknown, vi);
}

void Writer::write_tensor(const TensorData& d, const std::string& name, onnx::TensorProto* tp) {
  for (int64_t dim : d.dims) tp->add_dims(dim);
  tp->set_data_type(static_cast<int32_t>(d.dtype));
  if (!name.empty()) tp->set_name(name);
  if (!d.doc_string.empty()) tp->set_doc_string(d.doc_string);
  restore_unknown(d.unknown_fields, tp);
  placer_(d, tp);
}

void Writer::write_sparse(const SparseTensorData& s, onnx::SparseTensorProto* sp) {
  if (s.values) write_tensor(*s.values, s.values->name, sp->mutable_values());
  if (s.indices) write_tensor(*s.indices, s.indices->name, sp->mutable_indices());
  for (int64_t dim : s.dims) sp->add_dims(dim);
}

void Writer::write_attribute(const Attribute& a, onnx::AttributeProto* ap) {
  ap->set_name(a.name);
  if (a.type != AttrType::kUndefined) ap->set_type(static_cast<onnx::AttributeProto::AttributeType>(a.type));
  if (!a.ref_attr_name.empty()) ap->set_ref_attr_name(a.ref_attr_name);
  if (!a.doc_string.empty()) ap->set_doc_string(a.doc_string);
  restore_unknown(a.unknown_fields, ap);
  if (a.type == AttrType::kFloat || a.f != 0) ap->set_f(a.f);
  if (a.type == AttrType::kInt || a.i != 0) ap->set_i(a.i);
  if (a.type == AttrType::kString || !a.s.empty()) ap->set_s(a.s);
  if (a.t) write_tensor(*a.t, a.t->name, ap->mutable_t());
  if (a.g) write_graph(*a.g, ap->mutable_g());
  if (a.sparse_tensor) write_sparse(*a.sparse_tensor, ap->mutable_sparse_tensor());
  if (a.type == AttrType::kTypeProto) write_type(a.tp, ap->mutable_tp());
  for (float v : a.floats) ap->add_floats(v);
  for (int64_t v : a.ints) ap->add_ints(v);
  for (const std::string& v : a.strings) ap->add_strings(v);
  for (const TensorDataPtr& t : a.tensors) write_tensor(*t, t->name, ap->add_tensors());
  for (const GraphPtr& g : a.graphs) write_graph(*g, ap->add_graphs());
  for (const SparseTensorDataPtr& s : a.sparse_tensors) write_sparse(*s, ap->add_sparse_tensors());
  for (const ValueType& t : a.type_protos) write_type(t, ap->add_type_protos());
}

void Writer::write_nodes(const Graph& g, google::protobuf::RepeatedPtrField<onnx::NodeProto>* out) {
  for (const auto& node : g.nodes()) {
    onnx::NodeProto* np = out->Add();
    for (const TensorPtr& t : node->inputs()) np->add_input(t ? t->name : "");
    for (const TensorPtr& t : node->outputs()) np->add_output(t ? t->name : "");
    if (!node->name.empty()) np->set_name(node->name);
    np->set_op_type(node->op_type);
    if (!node->domain.empty()) np->set_domain(node->domain);
    for (const Attribute& a : node->attributes) write_attribute(a, np->add_attribute());
    if (!node->doc_string.empty()) np->set_doc_string(node->doc_string);
    restore_unknown(node->unknown_fields, np);
  }
}

void Writer::write_graph(const Graph& g, onnx::GraphProto* gp) {
  write_nodes(g, gp->mutable_node());
  if (!g.name.empty()) gp->set_name(g.name);
  for (const TensorPtr& t : g.initializers) write_tensor(*t->data, t->name, gp->add_initializer());
  for (const TensorPtr& t : g.sparse_initializers) write_sparse(*t->sparse, gp->add_sparse_initializer());
  if (!g.doc_string.empty()) gp->set_doc_string(g.doc_string);
  for (const TensorPtr& t : g.inputs) write_value_info(*t, gp->add_input());
  for (const TensorPtr& t : g.outputs) write_value_info(*t, gp->add_output());
  for (const TensorPtr& t : g.value_info) write_value_info(*t, gp->add_value_info());
  for (const QuantAnnotation& qa : g.quantization_annotations) {
    auto* ap = gp->add_quantization_annotation();
    ap->set_tensor_name(qa.tensor_name);
    write_key_values(qa.quant_parameter_tensor_names, ap->mutable_quant_parameter_tensor_names());
  }
  restore_unknown(g.unknown_fields, gp);
}

void Writer::write_model(const Model& m, onnx::ModelProto* mp) {
  mp->set_ir_version(m.ir_version);
  for (const OpsetImport& o : m.opset_imports) {
    auto* op = mp->add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  if (!m.producer_name.empty()) mp->set_producer_name(m.producer_name);
  if (!m.producer_version.empty()) mp->set_producer_version(m.producer_version);
  if (!m.domain.empty()) mp->set_domain(m.domain);
  if (m.model_version != 0) mp->set_model_version(m.model_version);
  if (!m.doc_string.empty()) mp->set_doc_string(m.doc_string);
  if (m.graph) write_graph(*m.graph, mp->mutable_graph());
  write_key_values(m.metadata_props, mp->mutable_metadata_props());
  for (const std::string& ti : m.training_info) mp->add_training_info()->ParseFromString(ti);
  for (const Function& f : m.functions) {
    auto* fp = mp->add_functions();
    fp->set_name(f.name);
    for (const TensorPtr& t : f.body->inputs) fp->add_input(t->name);
    for (const TensorPtr& t : f.body->outputs) fp->add_output(t->name);
    for (const std::string& a : f.attribute_names) fp->add_attribute(a);
    write_nodes(*f.body, fp->mutable_node());
    if (!f.doc_string.empty()) fp->set_doc_string(f.doc_string);
    for (const OpsetImport& o : f.opset_imports) {
      auto* op = fp->add_opset_import();
      op->set_domain(o.domain);
      op->set_version(o.version);
    }
    if (!f.domain.empty()) fp->set_domain(f.domain);
    restore_unknown(f.unknown_fields, fp);
  }
  restore_unknown(m.unknown_fields, mp);
}

}  // namespace

void keep_weight_storage(const TensorData& data, onnx::TensorProto* tp) {
  if (data.storage != Storage::kExternal) {
    encode_tensor_values(data, data.storage, tp);
    return;
  }
  tp->set_data_location(onnx::TensorProto::EXTERNAL);
  write_key_values(data.external, tp->mutable_external_data());
}

onnx::ModelProto model_to_proto(const Model& model, const WeightPlacer& placer) {
  onnx::ModelProto mp;
  Writer(placer ? placer : WeightPlacer(keep_weight_storage)).write_model(model, &mp);
  return mp;
}

}  // namespace graft::importer
