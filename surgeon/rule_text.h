#pragma once
// Rewrite rules written as text (`graft rewrite --rules`, docs/rewrite-rules.md): a pattern
// of ops, `=>`, and what replaces each match.
//
//   # Sigmoid and Mul into one custom op, and back
//   rule fuse_swish: x -> Sigmoid(x) as s; Mul(x, s) as y => com.example.Swish(x) -> y
//   rule expand_swish: com.example.Swish(x) as y => Sigmoid(x) as s; Mul(x, s) -> y
//
//   # attributes matched ([group=1]) and copied (c.*: all of c's; c.alpha: one)
//   rule conv_relu: Relu(Conv(x, const w, b?) [group=1] as c) => com.example.ConvRelu(x, w, b) [c.*]
//
// Pattern: ops `Op(inputs) [attribute checks] as name`, separated by ';' or nested; the last
// one is the root. An input is a name (any tensor; the same name is the same tensor), `_`
// (any tensor), `const w` (a constant), `b?` (may be omitted), a number or [list] (a
// constant with those values), or another op. Add, Mul, Max, Min, And, Or, Xor, Equal,
// Sum... match their two inputs in either order. Intermediate results must have no reader
// outside the match unless the replacement makes them again.
// Replacement: ops reading pattern names, earlier replacement results (`as s`), `_` (an
// omitted input) or literals (new initializers: 0.5 is float32, 2 is int64, [1, -1] 1-D);
// `-> y` makes an op produce the matched tensor y (keeping its name and readers). Without
// one, the last op produces the root's outputs.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "surgeon/graph.h"
#include "surgeon/model.h"
#include "surgeon/rewriter.h"

namespace graft {

struct RuleStats;

struct TextRule {
  std::string name;
  std::string origin;  // "rules.txt line 3"
  std::string text;    // the rule as written, comments and extra blanks left out
  RewriteRule rule;
};

struct RuleSet {
  std::vector<TextRule> rules;
  std::vector<std::string> replacement_domains;  // custom domains the replacements create ops in
  std::shared_ptr<RuleStats> stats;              // shared with the rules' rewrite functions
};

// Throws an Error "rules.txt line 3: rule fuse_swish: <what is wrong>" (unknown names, a
// pattern op that feeds nothing, a replacement reading a tensor the match removes, a
// tensor made twice, bad attribute values...).
RuleSet parse_rules(const std::string& text, const std::string& source);

struct RuleCount {
  std::string name;
  size_t fired = 0;
  size_t declined = 0;        // matches left alone because rewriting them would break the graph
  std::string first_decline;  // why, for the first of those
};

struct RuleSetReport {
  std::vector<RuleCount> rules;  // in file order, every rule
  size_t iterations = 0;
  bool reached_fixpoint = true;
  std::vector<std::string> opsets_added;  // custom domains imported at version 1 for new ops
  CleanupReport cleanup;
  size_t total() const;
};

struct RuleSetOptions {
  size_t max_iterations = 100;
  bool recurse_into_subgraphs = true;
  bool cleanup = true;  // remove what the rewrites left unused (constants a match read)
};

// Applies the rules to a fixpoint (rewriter.h), imports the custom domains the new ops use,
// and cleans up. A match whose rewrite would break the graph (an intermediate still read
// elsewhere, a cycle) is declined and counted, not applied. Not all-or-nothing: on an error
// `model` may be partly rewritten, so work on a copy when that matters.
RuleSetReport apply_rule_set(Model& model, const RuleSet& rules, const RuleSetOptions& options = {});

}  // namespace graft
