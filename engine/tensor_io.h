#pragma once
// Reading and writing runtime values: ONNX TensorProto / SequenceProto / OptionalProto
// files (.pb, as the ONNX test suite stores them).
#include <string>

#include "kernels/cpu/host_tensor.h"
#include "surgeon/type.h"

namespace graft::engine {

// Reads a .pb file holding the value of a graph input or output of type `type`
// (a TensorProto for tensors, SequenceProto for sequences, OptionalProto for optionals).
cpu::Value read_value_pb(const std::string& path, const ValueType& type);
cpu::HostTensor read_tensor_pb(const std::string& path);
void write_tensor_pb(const std::string& path, const cpu::HostTensor& t, const std::string& name);

}  // namespace graft::engine
