#include "kernels/cpu/kernel.h"

#include <mutex>

#include "ops/op_registry.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"

namespace graft::cpu {

bool register_kernel(KernelDef def) {
  ops::OpRegistry<KernelDef>::instance().add(std::move(def));
  return true;
}

const KernelDef* find_kernel(const std::string& domain, const std::string& op_type, int64_t opset) {
  return ops::OpRegistry<KernelDef>::instance().find(domain, op_type, opset);
}

std::vector<KernelDef> registered_kernels() { return ops::OpRegistry<KernelDef>::instance().all(); }

KernelContext::KernelContext(const Node& node, int64_t opset, std::vector<const Value*> inputs,
                             SubgraphRunner runner)
    : node_(node), attrs_(node), opset_(opset), inputs_(std::move(inputs)), outputs_(node.outputs().size()),
      runner_(std::move(runner)) {}

bool KernelContext::has_input(size_t i) const {
  return i < inputs_.size() && inputs_[i] && !inputs_[i]->is_none();
}

const Value& KernelContext::input_value(size_t i) const {
  if (i >= inputs_.size() || !inputs_[i]) fail("input " + std::to_string(i) + " is required but missing");
  return *inputs_[i];
}

const HostTensor& KernelContext::input(size_t i) const {
  const Value& v = input_value(i);
  if (!v.is_tensor()) fail("input " + std::to_string(i) + " must be a tensor, got " + v.describe());
  return v.tensor;
}

HostTensor& KernelContext::allocate_output(size_t i, DataType dtype, Dims dims) {
  set_output(i, HostTensor(dtype, std::move(dims)));
  return outputs_[i].tensor;
}

HostTensor& KernelContext::allocate_output_uninitialized(size_t i, DataType dtype, Dims dims) {
  set_output(i, HostTensor::uninitialized(dtype, std::move(dims)));
  return outputs_[i].tensor;
}

bool KernelContext::input_is_constant(size_t i) const {
  if (!has_input(i) || i >= node_.inputs().size() || !node_.inputs()[i]) return false;
  const Tensor& t = *node_.inputs()[i];
  const Value& v = *inputs_[i];
  return t.data && v.is_tensor() && t.data->dtype != DataType::kString && v.tensor.nbytes() > 0 &&
         v.tensor.raw() == t.data->bytes.data();
}

void KernelContext::set_output(size_t i, HostTensor t) { set_output_value(i, Value::of(std::move(t))); }

void KernelContext::set_output_value(size_t i, Value v) {
  if (i >= outputs_.size()) outputs_.resize(i + 1);
  outputs_[i] = std::move(v);
}

int64_t KernelContext::attr_int(std::string_view name, int64_t def) const { return attrs_.get_int(name, def); }

int64_t KernelContext::required_attr_int(std::string_view name) const { return attrs_.required_int(name); }

float KernelContext::attr_float(std::string_view name, float def) const { return attrs_.get_float(name, def); }

std::string KernelContext::attr_string(std::string_view name, const std::string& def) const {
  return attrs_.get_string(name, def);
}

std::vector<int64_t> KernelContext::attr_ints(std::string_view name, const std::vector<int64_t>& def) const {
  return attrs_.get_ints(name, def);
}

std::vector<float> KernelContext::attr_floats(std::string_view name, const std::vector<float>& def) const {
  return attrs_.get_floats(name, def);
}

std::vector<std::string> KernelContext::attr_strings(std::string_view name) const { return attrs_.get_strings(name); }

std::optional<HostTensor> KernelContext::attr_tensor(std::string_view name) const {
  const TensorData* t = attrs_.get_tensor(name);
  if (!t) return std::nullopt;
  return HostTensor::from_data(*t);
}

const Graph& KernelContext::attr_graph(std::string_view name) const {
  const Graph* g = attrs_.get_graph(name);
  if (!g) fail("graph attribute '" + std::string(name) + "' is required");
  return *g;
}

std::vector<Value> KernelContext::run_subgraph(const Graph& g, std::vector<Value> inputs) const {
  if (!runner_) fail("cannot run subgraphs here");
  return runner_(g, std::move(inputs));
}

void KernelContext::fail(const std::string& message) const { throw Error(message); }

}  // namespace graft::cpu
