#include "importer/tensor_codec.h"

#include <cstring>

#include "surgeon/error.h"

namespace graft::importer {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "graft assumes a little-endian host");

enum class TypedField { kFloat, kDouble, kInt32, kInt64, kUint64, kString };

TypedField typed_field_of(DataType t) {
  switch (t) {
    case DataType::kFloat:
    case DataType::kComplex64: return TypedField::kFloat;
    case DataType::kDouble:
    case DataType::kComplex128: return TypedField::kDouble;
    case DataType::kInt64: return TypedField::kInt64;
    case DataType::kUint32:
    case DataType::kUint64: return TypedField::kUint64;
    case DataType::kString: return TypedField::kString;
    default: return TypedField::kInt32;
  }
}

// Bytes each typed-field element stands for: one element, or one packed byte of sub-byte types.
size_t unit_bytes(DataType t) {
  const int bits = dtype_bits(t);
  if (t == DataType::kComplex64) return 4;
  if (t == DataType::kComplex128) return 8;
  return bits >= 8 ? bits / 8 : 1;
}

// Float6 is the one sub-byte type whose typed form holds one value per int32_data entry;
// its raw form packs the 6-bit codes LSB first.
bool is_unpacked_in_int32(DataType t) { return dtype_bits(t) == 6; }

std::string pack6(const google::protobuf::RepeatedField<int32_t>& values) {
  std::string bytes((values.size() * 6 + 7) / 8, '\0');
  for (int k = 0; k < values.size(); ++k) {
    for (int b = 0; b < 6; ++b) {
      if ((values.Get(k) >> b) & 1) bytes[(k * 6 + b) / 8] |= static_cast<char>(1 << ((k * 6 + b) % 8));
    }
  }
  return bytes;
}

void unpack6(const Bytes& bytes, int64_t count, google::protobuf::RepeatedField<int32_t>* out) {
  for (int64_t k = 0; k < count; ++k) {
    int32_t v = 0;
    for (int b = 0; b < 6; ++b) v |= ((bytes.data()[(k * 6 + b) / 8] >> ((k * 6 + b) % 8)) & 1) << b;
    out->Add(v);
  }
}

bool sign_extends(DataType t) { return t == DataType::kInt8 || t == DataType::kInt16; }

// Copies the low `unit` bytes of each element of `values` into a packed byte string.
template <typename T>
std::string narrow(const google::protobuf::RepeatedField<T>& values, size_t unit) {
  std::string bytes(values.size() * unit, '\0');
  for (int k = 0; k < values.size(); ++k) {
    T v = values.Get(k);
    std::memcpy(bytes.data() + k * unit, &v, unit);
  }
  return bytes;
}

template <typename T>
void widen(const Bytes& bytes, size_t unit, bool sign_extend, google::protobuf::RepeatedField<T>* out) {
  const size_t n = bytes.size() / unit;
  out->Reserve(static_cast<int>(n));
  for (size_t k = 0; k < n; ++k) {
    uint64_t u = 0;
    std::memcpy(&u, bytes.data() + k * unit, unit);
    if (sign_extend && unit < 8 && (u >> (unit * 8 - 1)) & 1) u |= ~uint64_t{0} << (unit * 8);
    T v;
    if constexpr (sizeof(T) == 8) {
      std::memcpy(&v, &u, 8);
    } else {
      auto low = static_cast<uint32_t>(u);
      std::memcpy(&v, &low, 4);
    }
    out->Add(v);
  }
}

size_t typed_count(const onnx::TensorProto& tp, TypedField field) {
  switch (field) {
    case TypedField::kFloat: return tp.float_data_size();
    case TypedField::kDouble: return tp.double_data_size();
    case TypedField::kInt32: return tp.int32_data_size();
    case TypedField::kInt64: return tp.int64_data_size();
    case TypedField::kUint64: return tp.uint64_data_size();
    case TypedField::kString: return tp.string_data_size();
  }
  return 0;
}

std::string shape_text(const TensorData& d) {
  std::string s = dtype_name(d.dtype) + "[";
  for (size_t k = 0; k < d.dims.size(); ++k) s += (k ? ", " : "") + std::to_string(d.dims[k]);
  return s + "]";
}

}  // namespace

uint64_t expected_bytes(const TensorData& data, const std::string& what) {
  std::optional<int64_t> n = data.num_elements();
  if (!n) throw Error(what + " has invalid dims " + shape_text(data) + " (negative or overflowing)");
  std::optional<uint64_t> bytes = dtype_storage_bytes(data.dtype, static_cast<uint64_t>(*n));
  if (!bytes) throw Error(what + " has data type " + dtype_name(data.dtype) + ", whose size graft does not know");
  return *bytes;
}

void decode_tensor_values(onnx::TensorProto& tp, TensorData& out, const std::string& what) {
  if (out.dtype == DataType::kString) {
    out.storage = Storage::kTyped;
    out.strings.assign(tp.string_data().begin(), tp.string_data().end());
    std::optional<int64_t> n = out.num_elements();
    if (!n || static_cast<uint64_t>(*n) != out.strings.size()) {
      throw Error(what + " holds " + std::to_string(out.strings.size()) + " strings but its shape " +
                  shape_text(out) + " needs " + (n ? std::to_string(*n) : std::string("?")));
    }
    return;
  }
  if (!is_known(out.dtype)) {
    // A type newer than graft: keep raw bytes as they are, unchecked.
    if (!tp.has_raw_data()) throw Error(what + " has unknown data type " + dtype_name(out.dtype) + " in typed fields");
    out.storage = Storage::kRaw;
    out.bytes = Bytes::adopt(std::move(*tp.mutable_raw_data()));
    return;
  }
  const uint64_t want = expected_bytes(out, what);
  const TypedField field = typed_field_of(out.dtype);
  const size_t unit = unit_bytes(out.dtype);
  if (tp.has_raw_data() || typed_count(tp, field) == 0) {
    out.storage = Storage::kRaw;
    out.bytes = Bytes::adopt(std::move(*tp.mutable_raw_data()));
    if (!tp.has_raw_data() && want > 0 && out.bytes.empty()) {
      throw Error(what + " (" + shape_text(out) + ") has no data");
    }
    if (out.bytes.size() != want) {
      throw Error(what + " has " + std::to_string(out.bytes.size()) + " bytes of raw_data but " + shape_text(out) +
                  " needs " + std::to_string(want));
    }
    return;
  }
  out.storage = Storage::kTyped;
  std::string bytes;
  switch (field) {
    case TypedField::kFloat: bytes = narrow(tp.float_data(), unit); break;
    case TypedField::kDouble: bytes = narrow(tp.double_data(), unit); break;
    case TypedField::kInt32:
      bytes = is_unpacked_in_int32(out.dtype) ? pack6(tp.int32_data()) : narrow(tp.int32_data(), unit);
      break;
    case TypedField::kInt64: bytes = narrow(tp.int64_data(), unit); break;
    case TypedField::kUint64: bytes = narrow(tp.uint64_data(), unit); break;
    case TypedField::kString: break;
  }
  if (bytes.size() != want || (is_unpacked_in_int32(out.dtype) && tp.int32_data_size() != *out.num_elements())) {
    throw Error(what + " holds " + std::to_string(typed_count(tp, field)) + " values but " + shape_text(out) +
                " needs " + std::to_string(is_unpacked_in_int32(out.dtype) ? *out.num_elements() : int64_t(want / unit)));
  }
  out.bytes = Bytes::adopt(std::move(bytes));
}

void encode_tensor_values(const TensorData& data, Storage storage, onnx::TensorProto* tp) {
  if (data.dtype == DataType::kString) {
    for (const std::string& s : data.strings) tp->add_string_data(s);
    return;
  }
  if (storage != Storage::kTyped || !is_known(data.dtype)) {
    // assign() copies once; set_raw_data(ptr, n) builds a temporary string first.
    tp->mutable_raw_data()->assign(reinterpret_cast<const char*>(data.bytes.data()), data.bytes.size());
    return;
  }
  const size_t unit = unit_bytes(data.dtype);
  switch (typed_field_of(data.dtype)) {
    case TypedField::kFloat: widen(data.bytes, unit, false, tp->mutable_float_data()); break;
    case TypedField::kDouble: widen(data.bytes, unit, false, tp->mutable_double_data()); break;
    case TypedField::kInt32:
      if (is_unpacked_in_int32(data.dtype)) {
        unpack6(data.bytes, *data.num_elements(), tp->mutable_int32_data());
      } else {
        widen(data.bytes, unit, sign_extends(data.dtype), tp->mutable_int32_data());
      }
      break;
    case TypedField::kInt64: widen(data.bytes, unit, false, tp->mutable_int64_data()); break;
    case TypedField::kUint64: widen(data.bytes, unit, false, tp->mutable_uint64_data()); break;
    case TypedField::kString: break;
  }
}

}  // namespace graft::importer
