#pragma once
// Reading and writing runtime values: ONNX TensorProto / SequenceProto / OptionalProto
// files (.pb, as the ONNX test suite stores them), and a model's inputs from .npy, .npz
// and .pb files (engine/npy.h has the numpy formats).
#include <string>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "surgeon/tensor.h"
#include "surgeon/type.h"

namespace graft::engine {

// Reads a .pb file holding the value of a graph input or output of type `type`
// (a TensorProto for tensors, SequenceProto for sequences, OptionalProto for optionals).
cpu::Value read_value_pb(const std::string& path, const ValueType& type);
cpu::HostTensor read_tensor_pb(const std::string& path);
void write_tensor_pb(const std::string& path, const cpu::HostTensor& t, const std::string& name);
// A tensor as a TensorProto, a sequence as a SequenceProto, an absent value as an empty
// OptionalProto; atomically.
void write_value_pb(const std::string& path, const cpu::Value& v, const std::string& name);

// A tensor name made safe as a file name stem: characters other than letters, digits,
// '.', '-' and '_' become '_'; "", "." and ".." become "_".  "input/x:0" -> "input_x_0".
std::string sanitize_file_name(const std::string& name);

struct LoadedInput {
  std::string name;    // the graph input
  cpu::Value value;
  std::string source;  // the file (and .npz entry) it came from
};

// Values for a model's inputs from `path` (`graph_inputs`: the graph's inputs, in order):
//   a .npz file: entries named as inputs (np.savez(x=..., y=...)), or arr_0, arr_1, ... in
//     the order of the inputs that have no initializer (np.savez(a, b));
//   a .npy or .pb file: the input named by the file's stem (exactly or as
//     sanitize_file_name writes it), input_N.pb the N-th graph input, else the only input
//     without an initializer;
//   a folder: its .npy and .pb files, each matched as above (input_0.pb, input_1.pb, ...
//     as in ONNX test data). Files with other extensions are ignored.
// Throws an Error naming the file for a file that matches no input, two values for one
// input, or an unreadable file. The values come in graph-input order; inputs given no
// value are left out (the executor names them).
std::vector<LoadedInput> read_inputs(const std::string& path, const std::vector<TensorPtr>& graph_inputs);

}  // namespace graft::engine
