#include "surgeon/tensor_data.h"

namespace graft {

std::optional<int64_t> TensorData::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) return std::nullopt;
  }
  return n;
}

std::string TensorData::external_entry(const std::string& key) const {
  for (const auto& [k, v] : external) {
    if (k == key) return v;
  }
  return "";
}

}  // namespace graft
