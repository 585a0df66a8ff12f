#include "surgeon/rewriter.h"

#include <unordered_set>

namespace graft {
namespace {

std::unordered_set<const Node*> current_nodes(const Graph& graph) {
  std::unordered_set<const Node*> nodes;
  for (const auto& node : graph.nodes()) nodes.insert(node.get());
  return nodes;
}

// One rule fires at `node` at most; returns whether one did.
bool rewrite_at(Graph& graph, Node& node, const std::vector<RewriteRule>& rules, RewriteReport& report) {
  for (const RewriteRule& rule : rules) {
    std::optional<Match> match = rule.pattern.match(node);
    if (match && rule.rewrite(graph, *match)) {
      ++report.fired[rule.name];
      return true;
    }
  }
  return false;
}

// Returns whether anything changed.
bool sweep(Graph& graph, const std::vector<RewriteRule>& rules, RewriteReport& report) {
  std::vector<Node*> snapshot;
  for (const auto& node : graph.nodes()) snapshot.push_back(node.get());
  std::unordered_set<const Node*> alive = current_nodes(graph);
  bool changed = false;
  for (Node* node : snapshot) {
    // Earlier rewrites in this sweep may have removed it.
    if (!alive.count(node) || !rewrite_at(graph, *node, rules, report)) continue;
    changed = true;
    alive = current_nodes(graph);
  }
  return changed;
}

void rewrite_graph(Graph& graph, const std::vector<RewriteRule>& rules, const RewriteOptions& options,
                   RewriteReport& report) {
  bool changed = true;
  for (size_t i = 0; i < options.max_iterations && changed; ++i) {
    changed = sweep(graph, rules, report);
    ++report.iterations;
  }
  if (changed) report.reached_fixpoint = false;
  if (!options.recurse_into_subgraphs) return;
  for (const auto& node : graph.nodes()) {
    for (Graph* sub : node->subgraphs()) rewrite_graph(*sub, rules, options, report);
  }
}

}  // namespace

size_t RewriteReport::total() const {
  size_t n = 0;
  for (const auto& [name, count] : fired) n += count;
  return n;
}

RewriteReport apply_rules(Graph& graph, const std::vector<RewriteRule>& rules, const RewriteOptions& options) {
  RewriteReport report;
  rewrite_graph(graph, rules, options, report);
  return report;
}

}  // namespace graft
