#pragma once
// ONNX TensorProto data fields <-> graft's TensorData bytes.
// Typed fields (float_data, int32_data, ...) become raw little-endian bytes on import and
// are rebuilt exactly on export, so a model that used them round-trips unchanged.
#include <string>

#include "onnx/onnx_pb.h"
#include "surgeon/tensor_data.h"

namespace graft::importer {

// Reads the in-file values of `tp` (raw_data or typed fields) into `out`, checking their
// size against dims and dtype. `what` names the tensor in error messages.
void decode_tensor_values(onnx::TensorProto& tp, TensorData& out, const std::string& what);
// Writes `data`'s values into `tp` as raw_data or typed fields, as `storage` asks.
void encode_tensor_values(const TensorData& data, Storage storage, onnx::TensorProto* tp);
// Bytes the values of `data` take, as ONNX lays them out; throws if unknowable.
uint64_t expected_bytes(const TensorData& data, const std::string& what);

}  // namespace graft::importer
