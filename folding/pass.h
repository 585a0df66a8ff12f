#pragma once
// Graph passes and the pass manager. A pass is one named transformation of a model with a
// clear precondition, run by the manager until no pass changes anything (or a round limit),
// and it reports what it changed:
//
//   class RemoveIdentity : public Pass { ... };
//   GRAFT_PASS(RemoveIdentity);      // registers it under its name()
//
//   PassManager pm(options);
//   pm.add("fold-constants"); pm.add("eliminate-dead-nodes");
//   PassManagerReport r = pm.run(model);
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "folding/infer_shapes.h"
#include "surgeon/model.h"

namespace graft::folding {

// Settings shared by the passes of one run.
struct PassOptions {
  ShapeInferenceOptions shapes;
  // Constant folding does not create a constant larger than this many bytes when it is
  // also larger than the node's constant inputs (an Expand or Tile to a huge tensor stays).
  uint64_t fold_size_limit = 16ull << 20;
};

// What one run of a pass did.
struct PassResult {
  size_t changes = 0;               // nodes (or tensors) changed, added or removed
  std::vector<std::string> notes;   // one line per change worth telling, and per refusal
};

class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string name() const = 0;         // "fold-constants"
  virtual std::string description() const = 0;  // one line for --list-passes
  // Opt-in passes run only when named (--passes); the default pipeline leaves them out.
  virtual bool opt_in() const { return false; }
  virtual PassResult run(Model& model, const PassOptions& options) = 0;
};

using PassFactory = std::function<std::unique_ptr<Pass>()>;
bool register_pass(const std::string& name, PassFactory factory);
// Every registered pass, in the default pipeline's order (registration order across files
// is not fixed, so the order comes from default_pipeline()).
std::vector<std::unique_ptr<Pass>> all_passes();
std::unique_ptr<Pass> make_pass(const std::string& name);  // throws, listing the names, if unknown
// Names of the passes `graft sanitize` runs by default, in order.
std::vector<std::string> default_pipeline();

#define GRAFT_PASS_CONCAT2(a, b) a##b
#define GRAFT_PASS_CONCAT(a, b) GRAFT_PASS_CONCAT2(a, b)
#define GRAFT_PASS(Class)                                                          \
  static const bool GRAFT_PASS_CONCAT(graft_pass_registered_, __COUNTER__) =     \
      ::graft::folding::register_pass(Class().name(), [] { return std::make_unique<Class>(); })

// Totals of one pass over the whole run.
struct PassTotal {
  std::string name;
  size_t runs = 0, changes = 0;
  std::vector<std::string> notes;  // each distinct note once, in first-seen order
};

struct PassManagerReport {
  size_t rounds = 0;
  bool reached_fixpoint = false;
  std::vector<PassTotal> passes;  // in pipeline order
  ShapeInferenceReport shapes;    // the last inference, after the final round
};

class PassManager {
 public:
  explicit PassManager(PassOptions options = {}) : options_(std::move(options)) {}
  void add(const std::string& pass_name) { passes_.push_back(make_pass(pass_name)); }
  void add(std::unique_ptr<Pass> pass) { passes_.push_back(std::move(pass)); }
  // Runs shape inference, then every pass in order, in rounds until a round changes
  // nothing or `max_rounds` is reached; shape inference runs again after each change.
  PassManagerReport run(Model& model, size_t max_rounds = 8);

 private:
  PassOptions options_;
  std::vector<std::unique_ptr<Pass>> passes_;
};

}  // namespace graft::folding
