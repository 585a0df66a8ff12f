// load_model / save_model: files, external data and atomic output.
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <filesystem>
#include <map>
#include <memory>

#include "importer/files.h"
#include "importer/onnx_model.h"
#include "importer/proto_convert.h"
#include "importer/tensor_codec.h"
#include "surgeon/error.h"

namespace graft::importer {
namespace {

bool parse_proto(const void* data, size_t size, onnx::ModelProto* proto) {
  google::protobuf::io::ArrayInputStream raw(data, static_cast<int>(size));
  google::protobuf::io::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT_MAX);
  return proto->ParseFromCodedStream(&in) && in.ConsumedEntireMessage();
}

// Appends tensors to external data files, one AtomicFile per location.
class ExternalSinks {
 public:
  ExternalSinks(std::string model_path) : model_path_(std::move(model_path)), dir_(dirname_of(model_path_)) {}

  void write(const TensorData& data, const std::string& location, onnx::TensorProto* tp) {
    if (!is_safe_location(location)) {
      throw Error("external data location '" + location + "' must be a relative path inside the model's folder");
    }
    const std::string path = join_path(dir_, location);
    if (path == model_path_) throw Error("external data file '" + location + "' would overwrite the model itself");
    if (data.storage == Storage::kExternal && data.bytes.empty() && expected_bytes(data, data.name) > 0) {
      throw Error("tensor '" + tp->name() + "' cannot be saved: its external data was not loaded");
    }
    auto& [sink, tensors] = sinks_[path];
    if (!sink) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
      sink = std::make_unique<AtomicFile>(path);
    }
    ++tensors;
    // Page-align big tensors so they can be mapped and read in place; 64 bytes for the rest.
    const uint64_t align = data.bytes.size() >= (1u << 20) ? 4096 : 64;
    const uint64_t offset = (sink->size() + align - 1) / align * align;
    sink->pad_to(offset);
    sink->write(data.bytes.data(), data.bytes.size());
    tp->set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const std::string& k, const std::string& v) {
      auto* e = tp->add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", location);
    add("offset", std::to_string(offset));
    add("length", std::to_string(data.bytes.size()));
    for (const auto& [k, v] : data.external) {
      if (k != "location" && k != "offset" && k != "length") add(k, v);
    }
  }

  // Moves every file into place and says what was written.
  std::vector<SavedFile> commit() {
    std::vector<SavedFile> files;
    for (auto& [path, sink] : sinks_) {
      sink.first->commit();
      files.push_back({path, sink.first->size(), sink.second});
    }
    return files;
  }

 private:
  std::string model_path_, dir_;
  std::map<std::string, std::pair<std::unique_ptr<AtomicFile>, size_t>> sinks_;
};

void embed(const TensorData& data, onnx::TensorProto* tp) {
  encode_tensor_values(data, data.storage == Storage::kExternal ? Storage::kRaw : data.storage, tp);
}

}  // namespace

std::string model_to_bytes(const Model& model) {
  const onnx::ModelProto proto = model_to_proto(model, embed);
  std::string bytes;
  if (!proto.SerializeToString(&bytes)) throw Error("the model is too large to serialize in one piece (2 GB limit)");
  return bytes;
}

Model parse_model(const void* data, size_t size, const std::string& source, const std::string& base_dir,
                  const LoadOptions& options) {
  if (size > static_cast<size_t>(INT_MAX)) {
    throw Error(source + ": the file is " + std::to_string(size >> 20) +
                " MiB; ONNX files over 2 GB must keep their weights in external data files");
  }
  onnx::ModelProto proto;
  if (!parse_proto(data, size, &proto)) {
    throw Error(source + ": not a valid ONNX model: the protobuf data is corrupt or truncated (" +
                std::to_string(size) + " bytes)");
  }
  if (proto.ir_version() <= 0 || !proto.has_graph()) {
    throw Error(source + ": not an ONNX model: " +
                std::string(proto.ir_version() <= 0 ? "no IR version" : "no graph"));
  }
  ReadContext ctx{source, base_dir, options.load_external_data, {}};
  Model model = model_from_proto(proto, ctx);
  if (options.check) {
    try {
      model.graph->check();
    } catch (const Error& e) {
      throw Error(source + ": " + e.what());
    }
  }
  return model;
}

Model load_model(const std::string& path, const LoadOptions& options) {
  Bytes file = map_file(path);
  return parse_model(file.data(), file.size(), path, dirname_of(path), options);
}

SaveReport save_model(const Model& model, const std::string& path, const SaveOptions& options) {
  ExternalSinks sinks(path);
  WeightPlacer placer;
  switch (options.weights) {
    case WeightLayout::kKeep:
      placer = [&](const TensorData& d, onnx::TensorProto* tp) {
        if (d.storage == Storage::kExternal) {
          sinks.write(d, d.external_entry("location"), tp);
        } else {
          keep_weight_storage(d, tp);
        }
      };
      break;
    case WeightLayout::kEmbed: placer = embed; break;
    case WeightLayout::kExternal:
      if (options.external_file.empty()) throw Error("saving with external data needs a file name");
      placer = [&](const TensorData& d, onnx::TensorProto* tp) {
        if (d.dtype != DataType::kString && d.bytes.size() >= options.external_threshold) {
          sinks.write(d, options.external_file, tp);
        } else {
          embed(d, tp);
        }
      };
      break;
  }
  onnx::ModelProto proto = model_to_proto(model, placer);
  const size_t size = proto.ByteSizeLong();
  if (size > static_cast<size_t>(INT_MAX)) {
    throw Error(path + ": the model would be " + std::to_string(size >> 20) +
                " MiB with its weights embedded; protobuf cannot hold more than 2 GB. "
                "Save the weights as external data (--external-data FILE)");
  }
  AtomicFile out(path);
  {
    // 1 MiB writes: the default 8 KiB buffer makes saving a 1 GB model several times slower.
    google::protobuf::io::FileOutputStream stream(out.fd(), 1 << 20);
    if (!proto.SerializeToZeroCopyStream(&stream) || !stream.Flush()) {
      throw Error(path + ": write failed (errno " + std::to_string(stream.GetErrno()) + ")");
    }
  }
  SaveReport report;
  report.external_files = sinks.commit();
  out.commit();
  report.model = {path, size, 0};
  return report;
}

}  // namespace graft::importer
