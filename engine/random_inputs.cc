#include "engine/random_inputs.h"

#include <set>

#include <Eigen/Core>

#include "surgeon/error.h"
#include "surgeon/shape_text.h"

namespace graft::engine {
namespace {

// splitmix64: tiny, fast, well mixed, and the same everywhere (unlike std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

template <typename T>
void fill_ints(cpu::HostTensor& t, Rng& rng, uint64_t count) {
  T* p = t.mutable_data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<T>(rng.below(count));
}

}  // namespace

ShapeOverrides parse_input_shapes(const std::string& spec) {
  ShapeOverrides out;
  for (const auto& [name, shape] : parse_named_shapes(spec)) {
    if (!shape.is_static()) {
      throw Error("bad input shape '" + name + ":" + shape.str() + "': give every dimension as a number here");
    }
    cpu::Dims& dims = out[name];
    for (const Dim& d : shape.dims()) dims.push_back(d.value);
  }
  return out;
}

std::vector<cpu::Dims> resolve_input_dims(const std::vector<TensorPtr>& inputs, const ShapeOverrides& overrides) {
  std::map<std::string, int64_t> symbols;
  for (const auto& [name, dims] : overrides) {
    const Tensor* t = nullptr;
    for (const TensorPtr& in : inputs) {
      if (in->name == name) t = in.get();
    }
    if (!t) {
      std::string names;
      for (const TensorPtr& in : inputs) names += (names.empty() ? "" : ", ") + in->name;
      throw Error("shape given for '" + name + "', which is not an input of the model (inputs: " + names + ")");
    }
    const Shape& shape = t->type.shape;
    if (!shape.has_rank()) continue;
    const std::string given = "shape " + cpu::dims_str(dims) + " for input '" + name + "'";
    if (shape.rank() != dims.size()) {
      throw Error(given + " has rank " + std::to_string(dims.size()) + ", the model declares " + t->type.str());
    }
    for (size_t d = 0; d < dims.size(); ++d) {
      if (shape[d].is_fixed() && shape[d].value != dims[d]) {
        throw Error(given + ": dim " + std::to_string(d) + " is fixed at " + std::to_string(shape[d].value) +
                    " by the model (" + t->type.str() + ")");
      }
      if (shape[d].is_symbolic()) {
        auto [it, fresh] = symbols.emplace(shape[d].param, dims[d]);
        if (!fresh && it->second != dims[d]) {
          throw Error(given + ": dim '" + shape[d].param + "' is " + std::to_string(dims[d]) + " here but " +
                      std::to_string(it->second) + " in another given shape");
        }
      }
    }
  }
  std::vector<cpu::Dims> out;
  for (const TensorPtr& t : inputs) {
    auto it = overrides.find(t->name);
    if (it != overrides.end()) {
      out.push_back(it->second);
      continue;
    }
    const Shape& shape = t->type.shape;
    if (t->type.kind != ValueType::Kind::kTensor || !shape.has_rank()) {
      throw Error("input '" + t->name + "' (" + t->type.str() + ") has no known rank: give its shape, like " +
                  t->name + ":1x3");
    }
    cpu::Dims dims;
    for (const Dim& d : shape.dims()) {
      if (d.is_fixed()) {
        dims.push_back(d.value);
      } else if (d.is_symbolic() && symbols.count(d.param)) {
        dims.push_back(symbols.at(d.param));
      } else {
        dims.push_back(1);
      }
    }
    out.push_back(std::move(dims));
  }
  return out;
}

cpu::HostTensor random_tensor(DataType dtype, const cpu::Dims& dims, uint64_t seed) {
  cpu::HostTensor t(dtype, dims);
  Rng rng(seed);
  const int64_t n = t.numel();
  switch (dtype) {
    case DataType::kFloat: {
      float* p = t.mutable_data<float>();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<float>(rng.next() >> 40) * 0x1p-23f - 1.0f;
      break;
    }
    case DataType::kDouble: {
      double* p = t.mutable_data<double>();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<double>(rng.next() >> 11) * 0x1p-52 - 1.0;
      break;
    }
    case DataType::kFloat16: {  // multiples of 2^-10: exact in float16
      auto* p = t.mutable_data<Eigen::half>();
      for (int64_t i = 0; i < n; ++i) p[i] = Eigen::half(static_cast<float>(rng.below(2048)) * 0x1p-10f - 1.0f);
      break;
    }
    case DataType::kBfloat16: {  // multiples of 2^-7: exact in bfloat16
      auto* p = t.mutable_data<Eigen::bfloat16>();
      for (int64_t i = 0; i < n; ++i) p[i] = Eigen::bfloat16(static_cast<float>(rng.below(256)) * 0x1p-7f - 1.0f);
      break;
    }
    case DataType::kBool: {
      bool* p = t.mutable_data<bool>();
      for (int64_t i = 0; i < n; ++i) p[i] = (rng.next() >> 63) != 0;
      break;
    }
    case DataType::kUint8: fill_ints<uint8_t>(t, rng, 256); break;
    case DataType::kInt8: fill_ints<int8_t>(t, rng, 10); break;
    case DataType::kInt16: fill_ints<int16_t>(t, rng, 10); break;
    case DataType::kInt32: fill_ints<int32_t>(t, rng, 10); break;
    case DataType::kInt64: fill_ints<int64_t>(t, rng, 10); break;
    case DataType::kUint16: fill_ints<uint16_t>(t, rng, 10); break;
    case DataType::kUint32: fill_ints<uint32_t>(t, rng, 10); break;
    case DataType::kUint64: fill_ints<uint64_t>(t, rng, 10); break;
    default:
      throw Error("cannot make random values of type " + dtype_name(dtype) + " (bool, integers and floats only)");
  }
  return t;
}

std::vector<std::pair<std::string, cpu::HostTensor>> random_inputs(const std::vector<TensorPtr>& inputs, uint64_t seed,
                                                                   const ShapeOverrides& overrides) {
  const std::vector<cpu::Dims> dims = resolve_input_dims(inputs, overrides);
  std::vector<std::pair<std::string, cpu::HostTensor>> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = *inputs[i];
    if (t.type.kind != ValueType::Kind::kTensor) {
      throw Error("input '" + t.name + "' is a " + t.type.str() + ", not a tensor: give its value in a file");
    }
    if (t.type.elem == DataType::kUndefined) {
      throw Error("input '" + t.name + "' has no declared element type: give its value in a file");
    }
    try {
      out.emplace_back(t.name, random_tensor(t.type.elem, dims[i], seed ^ fnv1a(t.name)));
    } catch (const Error& e) {
      throw Error("input '" + t.name + "': " + e.what());
    }
  }
  return out;
}

std::string inputs_with_default_dims(const std::vector<TensorPtr>& inputs, const ShapeOverrides& overrides) {
  std::set<std::string> bound;  // symbols that a given shape sets
  for (const TensorPtr& t : inputs) {
    if (!overrides.count(t->name) || !t->type.shape.has_rank()) continue;
    for (const Dim& d : t->type.shape.dims()) {
      if (d.is_symbolic()) bound.insert(d.param);
    }
  }
  std::string names;
  for (const TensorPtr& t : inputs) {
    if (overrides.count(t->name) || !t->type.shape.has_rank()) continue;
    for (const Dim& d : t->type.shape.dims()) {
      if (!d.is_fixed() && !(d.is_symbolic() && bound.count(d.param))) {
        names += (names.empty() ? "" : ", ") + t->name;
        break;
      }
    }
  }
  return names;
}

}  // namespace graft::engine
