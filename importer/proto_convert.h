#pragma once
// ONNX ModelProto <-> graft IR, in memory. Fields newer than the ONNX schema graft was
// built with travel as serialized unknown fields on the nearest message graft knows.
#include <functional>
#include <string>
#include <unordered_map>

#include "onnx/onnx_pb.h"
#include "surgeon/model.h"

namespace graft::importer {

struct ReadContext {
  std::string source;    // the model's path, for messages
  std::string base_dir;  // external data locations are relative to this
  bool load_external_data = true;
  std::unordered_map<std::string, Bytes> external_files;  // opened files, by path
};

// Moves tensor bytes out of `proto` (no copy). Throws an Error naming the source file and
// the graph, node or tensor at fault.
Model model_from_proto(onnx::ModelProto& proto, ReadContext& ctx);

// Called for each constant's values on export; fills the TensorProto's data fields.
// The default writes them back as they were imported (raw, typed or external reference).
using WeightPlacer = std::function<void(const TensorData&, onnx::TensorProto*)>;
onnx::ModelProto model_to_proto(const Model& model, const WeightPlacer& placer = {});
// The placer that keeps each tensor's storage; external tensors keep their references.
void keep_weight_storage(const TensorData& data, onnx::TensorProto* tp);

}  // namespace graft::importer
