#pragma once
// Seeded random values for a model's inputs, for running a model without real data
// (`graft run` without --inputs, benchmarks, comparisons between backends).
//
//   ShapeOverrides shapes = parse_input_shapes("x:1x3x224x224");
//   for (auto& [name, t] : random_inputs(executor.required_inputs(), /*seed=*/0, shapes)) ...
//
// Values, uniform:  floats (float16/32/64, bfloat16) in [-1, 1);  int8/16/32/64 and
// uint16/32/64 in [0, 9] (small and non-negative, so they work as indices and counts);
// uint8 in [0, 255] (image bytes);  bool true or false with even odds.
// The same seed gives the same values on every machine: the generator is graft's own
// (splitmix64), and each input's stream depends only on the seed and the input's name.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/host_tensor.h"
#include "surgeon/tensor.h"

namespace graft::engine {

// Input name -> dims.
using ShapeOverrides = std::map<std::string, cpu::Dims>;

// Parses "x:1x3x224x224,mask:1x128"; a scalar is "name:" (no dims). Input names may
// contain ':' (the last ':' separates the dims). Throws an Error naming the bad part.
ShapeOverrides parse_input_shapes(const std::string& spec);

// The dims to use for each of `inputs`: the override where one is given; otherwise the
// declared fixed dims, with a symbolic dim taking the value that an override gave the same
// symbol ("batch" in x:4x3 makes every other "batch" 4) and 1 if none did, and an unknown
// dim 1. Throws an Error for an override naming no input, an input of unknown rank with
// no override, and an override whose rank or fixed dims disagree with the model.
std::vector<cpu::Dims> resolve_input_dims(const std::vector<TensorPtr>& inputs, const ShapeOverrides& overrides);

// A tensor of uniform random values (see above) from `seed`. Throws an Error for element
// types it cannot generate (strings, complex, float8 and smaller).
cpu::HostTensor random_tensor(DataType dtype, const cpu::Dims& dims, uint64_t seed);

// Random tensors for the given (tensor-typed) graph inputs, named as the inputs.
std::vector<std::pair<std::string, cpu::HostTensor>> random_inputs(const std::vector<TensorPtr>& inputs, uint64_t seed,
                                                                   const ShapeOverrides& overrides = {});

// "x, mask": the inputs whose random values took 1 for a symbolic or unknown dim, because
// `overrides` neither gives their shape nor binds that dim's symbol through another input.
std::string inputs_with_default_dims(const std::vector<TensorPtr>& inputs, const ShapeOverrides& overrides);

}  // namespace graft::engine
