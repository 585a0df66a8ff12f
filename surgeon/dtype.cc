#include "surgeon/dtype.h"

#include <array>
#include <cctype>

namespace graft {
namespace {

struct DtypeInfo {
  DataType type;
  const char* name;
  const char* onnx_name;
  int bits;
};

constexpr std::array<DtypeInfo, 29> kDtypes = {{
    {DataType::kUndefined, "undefined", "UNDEFINED", 0},
    {DataType::kFloat, "float32", "FLOAT", 32},
    {DataType::kUint8, "uint8", "UINT8", 8},
    {DataType::kInt8, "int8", "INT8", 8},
    {DataType::kUint16, "uint16", "UINT16", 16},
    {DataType::kInt16, "int16", "INT16", 16},
    {DataType::kInt32, "int32", "INT32", 32},
    {DataType::kInt64, "int64", "INT64", 64},
    {DataType::kString, "string", "STRING", 0},
    {DataType::kBool, "bool", "BOOL", 8},
    {DataType::kFloat16, "float16", "FLOAT16", 16},
    {DataType::kDouble, "float64", "DOUBLE", 64},
    {DataType::kUint32, "uint32", "UINT32", 32},
    {DataType::kUint64, "uint64", "UINT64", 64},
    {DataType::kComplex64, "complex64", "COMPLEX64", 64},
    {DataType::kComplex128, "complex128", "COMPLEX128", 128},
    {DataType::kBfloat16, "bfloat16", "BFLOAT16", 16},
    {DataType::kFloat8E4M3FN, "float8e4m3fn", "FLOAT8E4M3FN", 8},
    {DataType::kFloat8E4M3FNUZ, "float8e4m3fnuz", "FLOAT8E4M3FNUZ", 8},
    {DataType::kFloat8E5M2, "float8e5m2", "FLOAT8E5M2", 8},
    {DataType::kFloat8E5M2FNUZ, "float8e5m2fnuz", "FLOAT8E5M2FNUZ", 8},
    {DataType::kUint4, "uint4", "UINT4", 4},
    {DataType::kInt4, "int4", "INT4", 4},
    {DataType::kFloat4E2M1, "float4e2m1", "FLOAT4E2M1", 4},
    {DataType::kFloat8E8M0, "float8e8m0", "FLOAT8E8M0", 8},
    {DataType::kUint2, "uint2", "UINT2", 2},
    {DataType::kInt2, "int2", "INT2", 2},
    {DataType::kFloat6E2M3, "float6e2m3", "FLOAT6E2M3", 6},
    {DataType::kFloat6E3M2, "float6e3m2", "FLOAT6E3M2", 6},
}};

const DtypeInfo* find(DataType t) {
  auto code = static_cast<int32_t>(t);
  if (code < 0 || code >= static_cast<int32_t>(kDtypes.size())) return nullptr;
  return &kDtypes[code];
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

bool is_known(DataType t) { return find(t) != nullptr; }

std::string dtype_name(DataType t) {
  if (const DtypeInfo* info = find(t)) return info->name;
  return "dtype(" + std::to_string(static_cast<int32_t>(t)) + ")";
}

std::optional<DataType> dtype_from_name(std::string_view name) {
  for (const DtypeInfo& info : kDtypes) {
    if (iequals(name, info.name) || iequals(name, info.onnx_name)) return info.type;
  }
  if (iequals(name, "float")) return DataType::kFloat;
  if (iequals(name, "double")) return DataType::kDouble;
  return std::nullopt;
}

int dtype_bits(DataType t) {
  const DtypeInfo* info = find(t);
  return info ? info->bits : 0;
}

std::optional<uint64_t> dtype_storage_bytes(DataType t, uint64_t count) {
  const uint64_t bits = dtype_bits(t);
  if (bits == 0) return std::nullopt;
  if (count > (UINT64_MAX - 7) / bits) return std::nullopt;
  return (count * bits + 7) / 8;
}

}  // namespace graft
