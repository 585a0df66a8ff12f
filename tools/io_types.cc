#include "tools/io_types.h"

#include "folding/infer_shapes.h"
#include "surgeon/clone.h"
#include "surgeon/error.h"

namespace graft::tools {
namespace {

bool typed(const Tensor& t) { return t.is_constant() || (t.type.is_tensor() && t.type.elem != DataType::kUndefined); }

}  // namespace

IoTyping type_missing_io(Model& target, const Model& source) {
  IoTyping result;
  struct Missing {
    TensorPtr tensor;
    std::string what;
  };
  std::vector<Missing> missing;
  for (const TensorPtr& t : target.graph->inputs) {
    if (!typed(*t)) missing.push_back({t, "input '" + t->name + "'"});
  }
  for (const TensorPtr& t : target.graph->outputs) {
    bool listed = false;
    for (const Missing& m : missing) listed = listed || m.tensor == t;
    if (!typed(*t) && !listed) missing.push_back({t, "output '" + t->name + "'"});
  }
  if (missing.empty()) return result;
  Model copy = clone(source);
  try {
    folding::infer_shapes(copy, {.write_value_info = false});
  } catch (const Error& e) {
    result.inference_error = e.what();  // what it learned before stopping still counts
  }
  for (const Missing& m : missing) {
    TensorPtr inferred = copy.graph->find_tensor(m.tensor->name);
    if (inferred && inferred->type.is_tensor() && inferred->type.elem != DataType::kUndefined) {
      m.tensor->type = inferred->type;
      result.typed.push_back(m.what + ": " + inferred->type.str());
    } else if (inferred && inferred->is_constant()) {
      m.tensor->type = ValueType::tensor(inferred->dtype(), inferred->shape());
      result.typed.push_back(m.what + ": " + m.tensor->type.str());
    } else {
      result.untyped.push_back(m.what);
    }
  }
  return result;
}

}  // namespace graft::tools
