#pragma once
// Maps ONNX element types to C++ types and calls a generic lambda with a value of that
// type, so one kernel body serves every dtype it supports:
//
//   dispatch_float(x.dtype(), "Relu", [&](auto tag) {
//     using T = decltype(tag);
//     ...
//   });
//
// float16 and bfloat16 are Eigen::half and Eigen::bfloat16 (arithmetic in float).
#include <Eigen/Core>
#include <complex>
#include <cstdint>
#include <string>

#include "surgeon/dtype.h"
#include "surgeon/error.h"

namespace graft::cpu {

using half = Eigen::half;
using bfloat16 = Eigen::bfloat16;

template <typename T>
constexpr DataType dtype_of();
template <> constexpr DataType dtype_of<float>() { return DataType::kFloat; }
template <> constexpr DataType dtype_of<double>() { return DataType::kDouble; }
template <> constexpr DataType dtype_of<half>() { return DataType::kFloat16; }
template <> constexpr DataType dtype_of<bfloat16>() { return DataType::kBfloat16; }
template <> constexpr DataType dtype_of<int8_t>() { return DataType::kInt8; }
template <> constexpr DataType dtype_of<int16_t>() { return DataType::kInt16; }
template <> constexpr DataType dtype_of<int32_t>() { return DataType::kInt32; }
template <> constexpr DataType dtype_of<int64_t>() { return DataType::kInt64; }
template <> constexpr DataType dtype_of<uint8_t>() { return DataType::kUint8; }
template <> constexpr DataType dtype_of<uint16_t>() { return DataType::kUint16; }
template <> constexpr DataType dtype_of<uint32_t>() { return DataType::kUint32; }
template <> constexpr DataType dtype_of<uint64_t>() { return DataType::kUint64; }
template <> constexpr DataType dtype_of<bool>() { return DataType::kBool; }

[[noreturn]] inline void unsupported_dtype(DataType t, const char* what) {
  throw Error(std::string(what) + " does not support element type " + dtype_name(t));
}

template <typename F>
bool try_dispatch_float(DataType t, F&& f) {
  switch (t) {
    case DataType::kFloat: f(float{}); return true;
    case DataType::kDouble: f(double{}); return true;
    case DataType::kFloat16: f(half{}); return true;
    case DataType::kBfloat16: f(bfloat16{}); return true;
    default: return false;
  }
}

template <typename F>
bool try_dispatch_integer(DataType t, F&& f) {
  switch (t) {
    case DataType::kInt8: f(int8_t{}); return true;
    case DataType::kInt16: f(int16_t{}); return true;
    case DataType::kInt32: f(int32_t{}); return true;
    case DataType::kInt64: f(int64_t{}); return true;
    case DataType::kUint8: f(uint8_t{}); return true;
    case DataType::kUint16: f(uint16_t{}); return true;
    case DataType::kUint32: f(uint32_t{}); return true;
    case DataType::kUint64: f(uint64_t{}); return true;
    default: return false;
  }
}

// float32/64, float16, bfloat16.
template <typename F>
void dispatch_float(DataType t, const char* what, F&& f) {
  if (!try_dispatch_float(t, f)) unsupported_dtype(t, what);
}

// Signed and unsigned integers of 8 to 64 bits.
template <typename F>
void dispatch_integer(DataType t, const char* what, F&& f) {
  if (!try_dispatch_integer(t, f)) unsupported_dtype(t, what);
}

// Floats and integers.
template <typename F>
void dispatch_numeric(DataType t, const char* what, F&& f) {
  if (!try_dispatch_float(t, f) && !try_dispatch_integer(t, f)) unsupported_dtype(t, what);
}

// Floats, integers and bool.
template <typename F>
void dispatch_numeric_or_bool(DataType t, const char* what, F&& f) {
  if (t == DataType::kBool) {
    f(bool{});
    return;
  }
  dispatch_numeric(t, what, f);
}

// An unsigned type of the element's byte size, for kernels that only move elements
// (Transpose, Gather, Concat, ...). Works for every fixed-size type of 1, 2, 4, 8 or
// 16 bytes (float8, complex included); strings and sub-byte types are the caller's.
struct Bytes16 {
  uint64_t lo, hi;
};
template <typename F>
void dispatch_by_size(DataType t, const char* what, F&& f) {
  const int bits = dtype_bits(t);
  switch (bits) {
    case 8: f(uint8_t{}); return;
    case 16: f(uint16_t{}); return;
    case 32: f(uint32_t{}); return;
    case 64: f(uint64_t{}); return;
    case 128: f(Bytes16{}); return;
    default: unsupported_dtype(t, what);
  }
}

}  // namespace graft::cpu
