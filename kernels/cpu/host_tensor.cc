#include "kernels/cpu/host_tensor.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "kernels/cpu/dtype_dispatch.h"
#include "surgeon/error.h"

namespace graft::cpu {

int64_t num_elements(const Dims& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n)) throw Error("invalid tensor dims " + dims_str(dims));
  }
  return n;
}

std::string dims_str(const Dims& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

namespace {

// Freed tensor buffers of 64 KiB and more, kept by exact size for the next tensor of that
// size (a model's activations repeat run after run): spares the page faults and zeroing
// of fresh memory from the kernel. At most kMaxCached bytes are kept; never freed.
class BufferPool {
 public:
  static BufferPool& instance() {
    static BufferPool* pool = new BufferPool;  // outlives every tensor
    return *pool;
  }
  void* take(size_t size) {
    if (size >= kMinSize) {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= size;
        return p;
      }
    }
    return std::aligned_alloc(64, size);
  }
  void give(void* p, size_t size) {
    if (size >= kMinSize) {
      std::lock_guard<std::mutex> lock(mu_);
      if (cached_ + size <= kMaxCached) {
        free_[size].push_back(p);
        cached_ += size;
        return;
      }
    }
    std::free(p);
  }

 private:
  static constexpr size_t kMinSize = 64 << 10;
  static constexpr size_t kMaxCached = 256 << 20;
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t cached_ = 0;
};

}  // namespace

HostTensor::HostTensor(DataType dtype, Dims dims) : HostTensor(dtype, std::move(dims), true) {}

HostTensor HostTensor::uninitialized(DataType dtype, Dims dims) { return HostTensor(dtype, std::move(dims), false); }

HostTensor::HostTensor(DataType dtype, Dims dims, bool zero) : dtype_(dtype), dims_(std::move(dims)) {
  numel_ = num_elements(dims_);
  if (dtype_ == DataType::kString) {
    strings_ = std::make_shared<std::vector<std::string>>(numel_);
    return;
  }
  std::optional<uint64_t> bytes = dtype_storage_bytes(dtype_, numel_);
  if (!bytes) throw Error("cannot allocate a tensor of type " + dtype_name(dtype_));
  nbytes_ = *bytes;
  // 64-byte aligned, never null (zero-size tensors still get a valid pointer).
  const size_t size = (nbytes_ + 63) / 64 * 64 + 64;
  auto* p = static_cast<uint8_t*>(BufferPool::instance().take(size));
  if (!p) throw Error("out of memory allocating " + describe());
  if (zero) std::memset(p, 0, nbytes_);
  owner_ = std::shared_ptr<void>(p, [size](void* q) { BufferPool::instance().give(q, size); });
  data_ = p;
}

HostTensor HostTensor::view(DataType dtype, Dims dims, const Bytes& bytes) {
  HostTensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = num_elements(t.dims_);
  t.nbytes_ = bytes.size();
  const size_t align = std::max(1, std::min(8, dtype_bits(dtype) / 8));
  if (reinterpret_cast<uintptr_t>(bytes.data()) % align != 0 || bytes.data() == nullptr) {
    HostTensor copy(dtype, t.dims_);
    if (bytes.size()) std::memcpy(copy.data_, bytes.data(), std::min(bytes.size(), copy.nbytes_));
    return copy;
  }
  // Const data shared read-only: kernels never write to inputs.
  t.owner_ = std::make_shared<Bytes>(bytes);
  t.data_ = const_cast<uint8_t*>(bytes.data());
  return t;
}

HostTensor HostTensor::from_data(const TensorData& data) {
  Dims dims(data.dims.begin(), data.dims.end());
  if (data.dtype == DataType::kString) {
    HostTensor t(DataType::kString, dims);
    t.mutable_strings() = data.strings;
    return t;
  }
  return view(data.dtype, std::move(dims), data.bytes);
}

HostTensor HostTensor::reshaped(Dims dims) const {
  if (num_elements(dims) != numel_) {
    throw Error("cannot reshape " + describe() + " to " + dims_str(dims));
  }
  HostTensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

HostTensor HostTensor::clone() const {
  HostTensor t(dtype_, dims_);
  if (dtype_ == DataType::kString) {
    *t.strings_ = *strings_;
  } else if (nbytes_) {
    std::memcpy(t.data_, data_, nbytes_);
  }
  return t;
}

std::vector<int64_t> HostTensor::to_int64s() const {
  std::vector<int64_t> out(numel_);
  dispatch_integer(dtype_, "integer values", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < numel_; ++i) out[i] = static_cast<int64_t>(data<T>()[i]);
  });
  return out;
}

std::vector<double> HostTensor::to_doubles() const {
  std::vector<double> out(numel_);
  dispatch_numeric(dtype_, "numeric values", [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < numel_; ++i) out[i] = static_cast<double>(data<T>()[i]);
  });
  return out;
}

TensorData HostTensor::to_data() const {
  TensorData d;
  d.dtype = dtype_;
  d.dims = dims_;
  if (dtype_ == DataType::kString) {
    d.strings = *strings_;
  } else {
    d.bytes = Bytes(owner_, data_, nbytes_);
  }
  return d;
}

std::string HostTensor::describe() const { return dtype_name(dtype_) + dims_str(dims_); }

std::string Value::describe() const {
  switch (kind) {
    case Kind::kTensor: return tensor.describe();
    case Kind::kSequence: return "seq(" + std::to_string(sequence.size()) + " x " + dtype_name(sequence_elem) + ")";
    case Kind::kNone: break;
  }
  return "none";
}

}  // namespace graft::cpu
