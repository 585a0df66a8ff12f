#include "surgeon/model.h"

namespace graft {
namespace {
bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }
}  // namespace

int64_t Model::opset(const std::string& domain) const {
  for (const OpsetImport& o : opset_imports) {
    if (o.domain == domain || (is_default_domain(o.domain) && is_default_domain(domain))) return o.version;
  }
  return 0;
}

}  // namespace graft
