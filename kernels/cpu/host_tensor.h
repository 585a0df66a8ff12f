#pragma once
// A dense tensor in host memory, as the CPU kernels see it. Copies share the buffer;
// kernels write only to tensors they allocated. Strings live in their own vector.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "surgeon/bytes.h"
#include "surgeon/dtype.h"
#include "surgeon/tensor_data.h"

namespace graft::cpu {

using Dims = std::vector<int64_t>;

// Product of dims; throws graft::Error on negative dims or overflow.
int64_t num_elements(const Dims& dims);
std::string dims_str(const Dims& dims);  // "[2, 3]"

class HostTensor {
 public:
  HostTensor() = default;
  // Allocates zero-filled storage (or empty strings for kString).
  HostTensor(DataType dtype, Dims dims);
  // As the constructor, but numeric storage is left undefined (for outputs a kernel
  // writes in full; spares the page-touching memset).
  static HostTensor uninitialized(DataType dtype, Dims dims);
  // Shares `bytes` without copying when they are suitably aligned (copies otherwise).
  static HostTensor view(DataType dtype, Dims dims, const Bytes& bytes);
  // The values of a constant: views its bytes, copies its strings.
  static HostTensor from_data(const TensorData& data);
  template <typename T>
  static HostTensor scalar(DataType dtype, T value);

  bool defined() const { return dtype_ != DataType::kUndefined; }
  DataType dtype() const { return dtype_; }
  const Dims& dims() const { return dims_; }
  size_t rank() const { return dims_.size(); }
  int64_t dim(size_t i) const { return dims_[i]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return nbytes_; }
  std::string describe() const;  // "float32[2, 3]"

  template <typename T>
  const T* data() const { return reinterpret_cast<const T*>(data_); }
  template <typename T>
  T* mutable_data() { return reinterpret_cast<T*>(data_); }
  const uint8_t* raw() const { return data_; }
  uint8_t* mutable_raw() { return data_; }
  const std::vector<std::string>& strings() const { return *strings_; }
  std::vector<std::string>& mutable_strings() { return *strings_; }

  // Same values, other dims (same element count); shares the buffer.
  HostTensor reshaped(Dims dims) const;
  // A deep copy that the caller may write to.
  HostTensor clone() const;
  // Values as int64 (any integer dtype), for shape-like inputs.
  std::vector<int64_t> to_int64s() const;
  // Values as double (any numeric dtype).
  std::vector<double> to_doubles() const;
  TensorData to_data() const;  // raw storage, for writing .pb files and constant folding

 private:
  HostTensor(DataType dtype, Dims dims, bool zero);

  DataType dtype_ = DataType::kUndefined;
  Dims dims_;
  int64_t numel_ = 0;
  size_t nbytes_ = 0;
  std::shared_ptr<const void> owner_;
  uint8_t* data_ = nullptr;
  std::shared_ptr<std::vector<std::string>> strings_;
};

// A runtime value: absent (an omitted optional input, or an empty Optional), a tensor,
// or a sequence of tensors.
struct Value {
  enum class Kind : uint8_t { kNone, kTensor, kSequence };
  Kind kind = Kind::kNone;
  HostTensor tensor;
  std::vector<HostTensor> sequence;
  DataType sequence_elem = DataType::kUndefined;  // element type of an empty sequence

  static Value of(HostTensor t) { return Value{Kind::kTensor, std::move(t), {}, DataType::kUndefined}; }
  static Value of_sequence(std::vector<HostTensor> s, DataType elem) {
    return Value{Kind::kSequence, {}, std::move(s), elem};
  }
  bool is_tensor() const { return kind == Kind::kTensor; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_none() const { return kind == Kind::kNone; }
  std::string describe() const;  // "float32[2, 3]", "seq(3 x float32)", "none"
};

}  // namespace graft::cpu

namespace graft::cpu {

template <typename T>
HostTensor HostTensor::scalar(DataType dtype, T value) {
  HostTensor t(dtype, {});
  *t.mutable_data<T>() = value;
  return t;
}

}  // namespace graft::cpu
