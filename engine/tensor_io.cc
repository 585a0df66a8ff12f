#include "engine/tensor_io.h"

#include <fstream>
#include <sstream>

#include "importer/files.h"
#include "importer/tensor_codec.h"
#include "onnx/onnx-data.pb.h"
#include "onnx/onnx_pb.h"
#include "surgeon/error.h"

namespace graft::engine {
namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

cpu::HostTensor from_proto(onnx::TensorProto& tp, const std::string& what) {
  TensorData data;
  data.dtype = static_cast<DataType>(tp.data_type());
  data.dims.assign(tp.dims().begin(), tp.dims().end());
  importer::decode_tensor_values(tp, data, what);
  if (data.dtype == DataType::kString) {
    cpu::HostTensor t(DataType::kString, data.dims);
    t.mutable_strings() = std::move(data.strings);
    return t;
  }
  return cpu::HostTensor::view(data.dtype, data.dims, data.bytes);
}

cpu::Value from_sequence(onnx::SequenceProto& sp, const std::string& what) {
  std::vector<cpu::HostTensor> items;
  for (auto& tp : *sp.mutable_tensor_values()) items.push_back(from_proto(tp, what));
  DataType elem = items.empty() ? DataType::kUndefined : items[0].dtype();
  return cpu::Value::of_sequence(std::move(items), elem);
}

}  // namespace

cpu::HostTensor read_tensor_pb(const std::string& path) {
  onnx::TensorProto tp;
  if (!tp.ParseFromString(read_bytes(path))) throw Error(path + ": not a TensorProto file");
  return from_proto(tp, path);
}

cpu::Value read_value_pb(const std::string& path, const ValueType& type) {
  const std::string bytes = read_bytes(path);
  if (type.kind == ValueType::Kind::kSequence) {
    onnx::SequenceProto sp;
    if (!sp.ParseFromString(bytes)) throw Error(path + ": not a SequenceProto file");
    cpu::Value v = from_sequence(sp, path);
    if (type.inner && type.inner->kind == ValueType::Kind::kTensor) v.sequence_elem = type.inner->elem;
    return v;
  }
  if (type.kind == ValueType::Kind::kOptional) {
    onnx::OptionalProto op;
    if (!op.ParseFromString(bytes)) throw Error(path + ": not an OptionalProto file");
    if (op.has_tensor_value()) return cpu::Value::of(from_proto(*op.mutable_tensor_value(), path));
    if (op.has_sequence_value()) return from_sequence(*op.mutable_sequence_value(), path);
    return cpu::Value{};
  }
  onnx::TensorProto tp;
  if (!tp.ParseFromString(bytes)) throw Error(path + ": not a TensorProto file");
  return cpu::Value::of(from_proto(tp, path));
}

void write_tensor_pb(const std::string& path, const cpu::HostTensor& t, const std::string& name) {
  onnx::TensorProto tp;
  tp.set_name(name);
  tp.set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) tp.add_dims(d);
  importer::encode_tensor_values(t.to_data(), Storage::kRaw, &tp);
  importer::AtomicFile out(path);
  const std::string bytes = tp.SerializeAsString();
  out.write(bytes.data(), bytes.size());
  out.commit();
}

}  // namespace graft::engine
