#pragma once
// A table of per-op entries keyed by (domain, op type), each valid from an opset version
// on: the kernel registry and the shape-function registry are both one of these. Entries
// register from static initializers, so the table is built on first use.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace graft::ops {

// "ai.onnx" and "" both name the default domain.
inline std::string normal_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }

// Def has members domain, op_type and since_version.
template <typename Def>
class OpRegistry {
 public:
  static OpRegistry& instance() {
    static OpRegistry r;
    return r;
  }

  void add(Def def) {
    def.domain = normal_domain(def.domain);
    table_[{def.domain, def.op_type}].push_back(std::move(def));
  }

  // The entry with the greatest since_version not above `opset`; null when none.
  const Def* find(const std::string& domain, const std::string& op_type, int64_t opset) const {
    auto it = table_.find({normal_domain(domain), op_type});
    if (it == table_.end()) return nullptr;
    const Def* best = nullptr;
    for (const Def& d : it->second) {
      if (d.since_version <= opset && (!best || d.since_version > best->since_version)) best = &d;
    }
    return best;
  }

  std::vector<Def> all() const {
    std::vector<Def> out;
    for (const auto& [key, defs] : table_) out.insert(out.end(), defs.begin(), defs.end());
    return out;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::vector<Def>> table_;
};

}  // namespace graft::ops
