#pragma once
// The values of a constant tensor (an initializer or a tensor attribute), held as ONNX
// raw_data bytes: little-endian, sub-byte types packed low nibble first.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "surgeon/bytes.h"
#include "surgeon/dtype.h"

namespace graft {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// How the ONNX file stored the values; export writes them back the same way unless asked
// to move them (see importer/SaveOptions).
enum class Storage : uint8_t {
  kRaw,       // raw_data
  kTyped,     // float_data / int32_data / int64_data / double_data / uint64_data / string_data
  kExternal,  // a separate file, see TensorData::external
};

struct TensorData {
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> dims;
  Bytes bytes;                       // every dtype but string
  std::vector<std::string> strings;  // string tensors
  Storage storage = Storage::kRaw;
  KeyValues external;                // external_data entries (location, offset, length, ...)
  std::string name;                  // the TensorProto's own name (attribute tensors)
  std::string doc_string;
  std::string unknown_fields;        // fields newer than graft's ONNX schema, serialized

  std::optional<int64_t> num_elements() const;
  // The ONNX external_data value for `key`, or "" when absent.
  std::string external_entry(const std::string& key) const;
  // Reads element i as T; T must match dtype's size. For tests and small constants.
  template <typename T>
  T at(size_t i) const {
    T v;
    __builtin_memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    return v;
  }
};

using TensorDataPtr = std::shared_ptr<TensorData>;

// A sparse constant: COO indices ([NNZ] linearized or [NNZ, rank]) into a dense shape.
struct SparseTensorData {
  TensorDataPtr values;
  TensorDataPtr indices;
  std::vector<int64_t> dims;
};

using SparseTensorDataPtr = std::shared_ptr<SparseTensorData>;

}  // namespace graft
