#pragma once
// Rewrite rules (a pattern and what to do with each match) applied to a fixpoint.
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "surgeon/graph.h"
#include "surgeon/pattern.h"

namespace graft {

struct RewriteRule {
  std::string name;
  Pattern pattern;
  // Called with each match; returns whether it changed the graph. It edits through edit.h
  // (often replace_subgraph(graph, match.nodes(), ...)), so a refused edit throws and
  // leaves the graph as the earlier rewrites made it.
  std::function<bool(Graph& graph, const Match& match)> rewrite;
};

struct RewriteOptions {
  size_t max_iterations = 100;  // sweeps over one graph before giving up on a fixpoint
  bool recurse_into_subgraphs = true;
};

struct RewriteReport {
  std::map<std::string, size_t> fired;  // rule name -> rewrites it made, all graphs together
  size_t iterations = 0;                // sweeps, all graphs together
  bool reached_fixpoint = true;         // false if some graph still changed at max_iterations
  size_t total() const;
};

// Sweeps the graph's nodes in order, trying the rules in order at each node (the first
// rule whose pattern matches and whose rewrite changes the graph wins that node), until a
// sweep changes nothing. Then does the same in each subgraph, if asked.
RewriteReport apply_rules(Graph& graph, const std::vector<RewriteRule>& rules, const RewriteOptions& options = {});

}  // namespace graft
