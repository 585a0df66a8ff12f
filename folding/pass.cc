#include "folding/pass.h"

#include <algorithm>

#include "surgeon/error.h"

namespace graft::folding {
namespace {

std::map<std::string, PassFactory>& registry() {
  static std::map<std::string, PassFactory> r;
  return r;
}

}  // namespace

bool register_pass(const std::string& name, PassFactory factory) {
  registry()[name] = std::move(factory);
  return true;
}

std::vector<std::string> default_pipeline() {
  static const std::vector<std::string> order = {
      "fold-constants",   "inline-constant-if", "remove-identity", "remove-noop",
      "collapse-reshape", "collapse-transpose", "squeeze-unsqueeze", "fold-batchnorm",
      "fold-scale-into-conv", "merge-constants", "eliminate-common-subexpressions", "eliminate-dead-nodes"};
  std::vector<std::string> present;
  for (const std::string& name : order) {
    auto it = registry().find(name);
    if (it != registry().end() && !it->second()->opt_in()) present.push_back(name);
  }
  return present;
}

std::unique_ptr<Pass> make_pass(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    std::string names;
    for (const auto& [n, f] : registry()) names += (names.empty() ? "" : ", ") + n;
    throw Error("unknown pass '" + name + "' (passes: " + names + ")");
  }
  return it->second();
}

std::vector<std::unique_ptr<Pass>> all_passes() {
  std::vector<std::string> order = default_pipeline();
  for (const auto& [name, f] : registry()) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  std::vector<std::unique_ptr<Pass>> passes;
  for (const std::string& name : order) {
    if (registry().count(name)) passes.push_back(make_pass(name));
  }
  return passes;
}

PassManagerReport PassManager::run(Model& model, size_t max_rounds) {
  PassManagerReport report;
  for (const auto& p : passes_) report.passes.push_back({p->name()});
  report.shapes = infer_shapes(model, options_.shapes);
  while (report.rounds < max_rounds) {
    ++report.rounds;
    size_t round_changes = 0;
    for (size_t i = 0; i < passes_.size(); ++i) {
      PassResult r = passes_[i]->run(model, options_);
      PassTotal& total = report.passes[i];
      ++total.runs;
      total.changes += r.changes;
      for (std::string& note : r.notes) {  // a refusal repeats every round: say it once
        if (std::find(total.notes.begin(), total.notes.end(), note) == total.notes.end()) {
          total.notes.push_back(std::move(note));
        }
      }
      if (r.changes) report.shapes = infer_shapes(model, options_.shapes);
      round_changes += r.changes;
    }
    if (!round_changes) {
      report.reached_fixpoint = true;
      break;
    }
  }
  return report;
}

}  // namespace graft::folding
