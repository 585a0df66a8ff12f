#include "engine/tensor_io.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "engine/npy.h"

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
  return cpu::HostTensor::from_data(data);
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

namespace {

void to_proto(const cpu::HostTensor& t, const std::string& name, onnx::TensorProto* tp) {
  tp->set_name(name);
  tp->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) tp->add_dims(d);
  importer::encode_tensor_values(t.to_data(), Storage::kRaw, tp);
}

void write_atomically(const std::string& path, const std::string& bytes) {
  importer::AtomicFile out(path);
  out.write(bytes.data(), bytes.size());
  out.commit();
}

}  // namespace

void write_tensor_pb(const std::string& path, const cpu::HostTensor& t, const std::string& name) {
  onnx::TensorProto tp;
  to_proto(t, name, &tp);
  write_atomically(path, tp.SerializeAsString());
}

void write_value_pb(const std::string& path, const cpu::Value& v, const std::string& name) {
  if (v.is_tensor()) return write_tensor_pb(path, v.tensor, name);
  if (v.is_sequence()) {
    onnx::SequenceProto sp;
    sp.set_name(name);
    sp.set_elem_type(onnx::SequenceProto::TENSOR);
    for (const cpu::HostTensor& t : v.sequence) to_proto(t, "", sp.add_tensor_values());
    return write_atomically(path, sp.SerializeAsString());
  }
  onnx::OptionalProto op;
  op.set_name(name);
  write_atomically(path, op.SerializeAsString());
}

std::string sanitize_file_name(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
    if (!ok) c = '_';
  }
  if (s.empty() || s == "." || s == "..") s = "_";
  return s;
}

namespace {

namespace fs = std::filesystem;

class InputMatcher {
 public:
  explicit InputMatcher(const std::vector<TensorPtr>& graph_inputs) : inputs_(graph_inputs) {
    for (const TensorPtr& t : inputs_) {
      if (!t->is_constant()) required_.push_back(t.get());
    }
  }

  // The input a file or .npz entry named `stem` is for; null if none.
  const Tensor* match(const std::string& stem, bool positional_pb) const {
    for (const TensorPtr& t : inputs_) {
      if (t->name == stem) return t.get();
    }
    const Tensor* found = nullptr;
    for (const TensorPtr& t : inputs_) {
      if (sanitize_file_name(t->name) == stem) {
        if (found) return nullptr;  // ambiguous
        found = t.get();
      }
    }
    if (found) return found;
    if (positional_pb) {
      if (auto n = index_after(stem, "input_"); n && *n < inputs_.size()) return inputs_[*n].get();
    }
    return nullptr;
  }

  const Tensor* only_required() const { return required_.size() == 1 ? required_[0] : nullptr; }
  const std::vector<const Tensor*>& required() const { return required_; }

  std::string names() const {
    std::string s;
    for (const TensorPtr& t : inputs_) s += (s.empty() ? "" : ", ") + t->name;
    return s.empty() ? "none" : s;
  }

  // "arr_12" -> 12 for prefix "arr_".
  static std::optional<size_t> index_after(const std::string& s, const std::string& prefix) {
    if (s.size() <= prefix.size() || s.compare(0, prefix.size(), prefix) != 0 || s.size() > prefix.size() + 6) {
      return std::nullopt;
    }
    const std::string digits = s.substr(prefix.size());
    if (digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return static_cast<size_t>(std::stoul(digits));
  }

 private:
  const std::vector<TensorPtr>& inputs_;
  std::vector<const Tensor*> required_;
};

class InputSet {
 public:
  void add(const Tensor& t, cpu::Value v, const std::string& source) {
    auto it = std::find_if(out_.begin(), out_.end(), [&](const LoadedInput& l) { return l.name == t.name; });
    if (it != out_.end()) throw Error("input '" + t.name + "' is given twice: by " + it->source + " and by " + source);
    out_.push_back({t.name, std::move(v), source});
  }
  // In graph-input order.
  std::vector<LoadedInput> take(const std::vector<TensorPtr>& graph_inputs) {
    std::vector<LoadedInput> sorted;
    for (const TensorPtr& t : graph_inputs) {
      for (LoadedInput& l : out_) {
        if (l.name == t->name) sorted.push_back(std::move(l));
      }
    }
    return sorted;
  }

 private:
  std::vector<LoadedInput> out_;
};

void read_npz_inputs(const std::string& path, const InputMatcher& m, InputSet& set) {
  std::vector<NpzEntry> entries = read_npz(path);
  bool positional = !entries.empty();
  for (const auto& [key, t] : entries) positional &= InputMatcher::index_after(key, "arr_") && !m.match(key, false);
  for (auto& [key, t] : entries) {
    const std::string source = path + "[" + key + "]";
    const Tensor* input = nullptr;
    if (positional) {
      const size_t n = *InputMatcher::index_after(key, "arr_");
      if (n >= m.required().size()) {
        throw Error(source + ": the model has " + std::to_string(m.required().size()) +
                    " input(s) without an initializer, so there is no input for arr_" + std::to_string(n));
      }
      input = m.required()[n];
    } else {
      input = m.match(key, false);
    }
    if (!input) throw Error(source + ": '" + key + "' is not an input of the model (inputs: " + m.names() + ")");
    set.add(*input, cpu::Value::of(std::move(t)), source);
  }
}

void read_file_input(const fs::path& file, const InputMatcher& m, bool alone, InputSet& set) {
  const std::string ext = file.extension().string();
  const std::string stem = file.stem().string();
  const std::string source = file.string();
  const Tensor* input = m.match(stem, ext == ".pb");
  if (!input && alone) input = m.only_required();
  if (!input) {
    throw Error(source + ": '" + stem + "' is not an input of the model (inputs: " + m.names() +
                "); name the file after its input" + (ext == ".pb" ? " or input_N.pb" : ""));
  }
  if (ext == ".npy") {
    set.add(*input, cpu::Value::of(read_npy(source)), source);
  } else {
    set.add(*input, read_value_pb(source, input->type), source);
  }
}

}  // namespace

std::vector<LoadedInput> read_inputs(const std::string& path, const std::vector<TensorPtr>& graph_inputs) {
  InputMatcher m(graph_inputs);
  InputSet set;
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".npy" || ext == ".pb")) files.push_back(entry.path());
    }
    if (ec) throw Error(path + ": cannot list the folder: " + ec.message());
    if (files.empty()) throw Error(path + ": no .npy or .pb files in this folder");
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) read_file_input(f, m, false, set);
    return set.take(graph_inputs);
  }
  if (!fs::is_regular_file(p, ec)) throw Error(path + ": no such file or folder");
  const std::string ext = p.extension().string();
  if (ext == ".npz") {
    read_npz_inputs(path, m, set);
  } else if (ext == ".npy" || ext == ".pb") {
    read_file_input(p, m, true, set);
  } else {
    throw Error(path + ": unknown kind of input file (give a .npy, .npz or .pb file, or a folder of them)");
  }
  return set.take(graph_inputs);
}

}  // namespace graft::engine
