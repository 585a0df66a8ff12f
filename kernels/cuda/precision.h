#pragma once
// The precisions a GPU layer runs at. Header-only: plans and tools name precisions in
// builds without CUDA too.
#include <cstdint>
#include <optional>
#include <string>

namespace graft::cuda {

enum class Precision : uint8_t { kFP32, kTF32, kFP16 };

inline const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFP32: return "fp32";
    case Precision::kTF32: return "tf32";
    case Precision::kFP16: return "fp16";
  }
  return "?";
}

inline std::optional<Precision> precision_from_name(const std::string& name) {
  for (Precision p : {Precision::kFP32, Precision::kTF32, Precision::kFP16}) {
    if (name == precision_name(p)) return p;
  }
  return std::nullopt;
}

}  // namespace graft::cuda
