#include "kernels/cpu/kernel.h"

#include <map>
#include <mutex>

#include "surgeon/error.h"
#include "surgeon/graph.h"

namespace graft::cpu {
namespace {

std::string normal_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

std::map<std::pair<std::string, std::string>, std::vector<KernelDef>>& registry() {
  static std::map<std::pair<std::string, std::string>, std::vector<KernelDef>> r;
  return r;
}

}  // namespace

bool register_kernel(KernelDef def) {
  def.domain = normal_domain(def.domain);
  registry()[{def.domain, def.op_type}].push_back(std::move(def));
  return true;
}

const KernelDef* find_kernel(const std::string& domain, const std::string& op_type, int64_t opset) {
  auto it = registry().find({normal_domain(domain), op_type});
  if (it == registry().end()) return nullptr;
  const KernelDef* best = nullptr;
  for (const KernelDef& k : it->second) {
    if (k.since_version <= opset && (!best || k.since_version > best->since_version)) best = &k;
  }
  return best;
}

std::vector<KernelDef> registered_kernels() {
  std::vector<KernelDef> all;
  for (const auto& [key, defs] : registry()) all.insert(all.end(), defs.begin(), defs.end());
  return all;
}

KernelContext::KernelContext(const Node& node, int64_t opset, std::vector<const Value*> inputs,
                             SubgraphRunner runner)
    : node_(node), opset_(opset), inputs_(std::move(inputs)), outputs_(node.outputs().size()),
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

const Attribute* KernelContext::typed_attr(std::string_view name, AttrType type) const {
  const Attribute* a = node_.attr(name);
  if (a && a->type != type) {
    fail("attribute '" + std::string(name) + "' must be " + attr_type_name(type) + ", not " + attr_type_name(a->type));
  }
  return a;
}

int64_t KernelContext::attr_int(std::string_view name, int64_t def) const {
  const Attribute* a = typed_attr(name, AttrType::kInt);
  return a ? a->i : def;
}

int64_t KernelContext::required_attr_int(std::string_view name) const {
  const Attribute* a = typed_attr(name, AttrType::kInt);
  if (!a) fail("attribute '" + std::string(name) + "' is required");
  return a->i;
}

float KernelContext::attr_float(std::string_view name, float def) const {
  const Attribute* a = typed_attr(name, AttrType::kFloat);
  return a ? a->f : def;
}

std::string KernelContext::attr_string(std::string_view name, const std::string& def) const {
  const Attribute* a = typed_attr(name, AttrType::kString);
  return a ? a->s : def;
}

std::vector<int64_t> KernelContext::attr_ints(std::string_view name, const std::vector<int64_t>& def) const {
  const Attribute* a = typed_attr(name, AttrType::kInts);
  return a ? a->ints : def;
}

std::vector<float> KernelContext::attr_floats(std::string_view name, const std::vector<float>& def) const {
  const Attribute* a = typed_attr(name, AttrType::kFloats);
  return a ? a->floats : def;
}

std::vector<std::string> KernelContext::attr_strings(std::string_view name) const {
  const Attribute* a = typed_attr(name, AttrType::kStrings);
  return a ? a->strings : std::vector<std::string>{};
}

std::optional<HostTensor> KernelContext::attr_tensor(std::string_view name) const {
  const Attribute* a = typed_attr(name, AttrType::kTensor);
  if (!a || !a->t) return std::nullopt;
  return HostTensor::from_data(*a->t);
}

const Graph& KernelContext::attr_graph(std::string_view name) const {
  const Attribute* a = typed_attr(name, AttrType::kGraph);
  if (!a || !a->g) fail("graph attribute '" + std::string(name) + "' is required");
  return *a->g;
}

std::vector<Value> KernelContext::run_subgraph(const Graph& g, std::vector<Value> inputs) const {
  if (!runner_) fail("cannot run subgraphs here");
  return runner_(g, std::move(inputs));
}

void KernelContext::fail(const std::string& message) const { throw Error(message); }

}  // namespace graft::cpu
