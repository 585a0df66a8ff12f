#pragma once
// NumPy's file formats for runtime values: .npy (one array; format versions 1.0, 2.0 and
// 3.0) and .npz (a zip of .npy files, as np.savez writes them uncompressed and
// np.savez_compressed writes them with deflate).
//
//   cpu::HostTensor x = engine::read_npy("x.npy");
//   engine::write_npy("y.npy", y);
//   for (auto& [name, t] : engine::read_npz("inputs.npz")) { ... }   // np.savez(x=..., y=...)
//
// Element types: bool, int8..int64, uint8..uint64, float16/32/64, complex64/128, and
// strings (numpy 'U' (UTF-32, read and written as UTF-8) and 'S' (bytes)). Big-endian
// and Fortran-order arrays are read (converted to little-endian, C order); files are
// written little-endian, C order. numpy has no bfloat16, float8 or 4-bit types: those
// are an error naming the type (use .pb files for them).
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernels/cpu/host_tensor.h"

namespace graft::engine {

// Parses the bytes of a .npy file; `source` names it in error messages.
cpu::HostTensor parse_npy(std::string_view bytes, const std::string& source);
cpu::HostTensor read_npy(const std::string& path);
// The .npy file for `t` (version 1.0, or 2.0 for a header over 64 KiB).
std::string encode_npy(const cpu::HostTensor& t);
// Written to a temporary name and renamed into place.
void write_npy(const std::string& path, const cpu::HostTensor& t);
// Whether `dtype` has a numpy equivalent that write_npy can store.
bool npy_supports(DataType dtype);

// The arrays in a .npz file, in archive order, named as np.load names them (the entry
// name without ".npy"). Entries stored or deflated, zip64 included; CRCs are checked.
using NpzEntry = std::pair<std::string, cpu::HostTensor>;
std::vector<NpzEntry> read_npz(const std::string& path);
// Writes an uncompressed .npz (what np.savez writes), atomically.
void write_npz(const std::string& path, const std::vector<NpzEntry>& arrays);

}  // namespace graft::engine
