#pragma once
// ONNX element types. The numeric values are ONNX's TensorProto.DataType codes; codes
// newer than graft knows still travel through the IR unchanged (as DataType(code)).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace graft {

enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUint4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUint2 = 25,
  kInt2 = 26,
  kFloat6E2M3 = 27,
  kFloat6E3M2 = 28,
};

// Whether graft knows this code (and so its size and name).
bool is_known(DataType t);
// numpy-style name: "float32", "int64", "bfloat16", "float8e4m3fn", "int4"; "dtype(99)" if unknown.
std::string dtype_name(DataType t);
// Inverse of dtype_name, also accepting ONNX's upper-case names ("FLOAT", "INT64").
std::optional<DataType> dtype_from_name(std::string_view name);
// Bits per element: 64 for complex64, 4 for int4, 6 for float6; 0 for string, undefined and unknown codes.
int dtype_bits(DataType t);
// Bytes that `count` elements take in ONNX raw_data (sub-byte types packed, low nibble first).
// std::nullopt for strings and unknown types, or if the size overflows.
std::optional<uint64_t> dtype_storage_bytes(DataType t, uint64_t count);

}  // namespace graft
