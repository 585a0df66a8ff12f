#include "surgeon/find.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <unordered_set>

#include "surgeon/error.h"

namespace graft {
namespace {

std::optional<std::regex> compile(const std::string& pattern) {
  if (pattern.empty()) return std::nullopt;
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw Error("invalid name regex '" + pattern + "': " + e.what());
  }
}

bool name_matches(const std::string& name, const std::string& wanted, const std::optional<std::regex>& re) {
  return (wanted.empty() || name == wanted) && (!re || std::regex_match(name, *re));
}

// Tensor names a graph writes: its definitions, node inputs and outputs.
void add_tensor_names(const Graph& g, std::unordered_set<std::string>& names) {
  for (const TensorPtr& t : defined_tensors(g)) names.insert(t->name);
  for (const auto& node : g.nodes()) {
    for (const TensorPtr& t : node->inputs()) {
      if (t) names.insert(t->name);
    }
  }
  for (const TensorPtr& t : g.outputs) names.insert(t->name);
}

std::unordered_set<std::string> tensor_names_in_tree(const Graph& graph) {
  std::unordered_set<std::string> names;
  for_each_graph(root_of(graph), [&](const Graph& g) { add_tensor_names(g, names); });
  return names;
}

std::unordered_set<std::string> node_names_in_tree(const Graph& graph) {
  std::unordered_set<std::string> names;
  for_each_graph(root_of(graph), [&](const Graph& g) {
    for (const auto& node : g.nodes()) names.insert(node->name);
  });
  return names;
}

std::string unique_name(const std::unordered_set<std::string>& taken, const std::string& base) {
  if (!base.empty() && !taken.count(base)) return base;
  for (size_t k = 1;; ++k) {
    std::string candidate = base + "_" + std::to_string(k);
    if (!taken.count(candidate)) return candidate;
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The subgraph of `graph` that holds a node named `name`, if any.
const Graph* subgraph_holding_node(const Graph& graph, std::string_view name) {
  const Graph* found = nullptr;
  for_each_graph(graph, [&](const Graph& g) {
    if (!found && &g != &graph && g.find_node(name)) found = &g;
  });
  return found;
}

TensorDataPtr scalar_or_list(DataType dtype, const void* values, size_t count, size_t elem_size, bool scalar) {
  auto data = std::make_shared<TensorData>();
  data->dtype = dtype;
  if (!scalar) data->dims = {static_cast<int64_t>(count)};
  data->bytes = Bytes::copy_of(values, count * elem_size);
  return data;
}

TensorDataPtr constant_node_value(const Node& node) {
  if (node.op_type != "Constant" || !is_default_domain(node.domain)) return nullptr;
  if (const Attribute* a = node.attr("value"); a && a->t) return a->t;
  if (const Attribute* a = node.attr("value_float")) return scalar_or_list(DataType::kFloat, &a->f, 1, 4, true);
  if (const Attribute* a = node.attr("value_int")) return scalar_or_list(DataType::kInt64, &a->i, 1, 8, true);
  if (const Attribute* a = node.attr("value_floats")) {
    return scalar_or_list(DataType::kFloat, a->floats.data(), a->floats.size(), 4, false);
  }
  if (const Attribute* a = node.attr("value_ints")) {
    return scalar_or_list(DataType::kInt64, a->ints.data(), a->ints.size(), 8, false);
  }
  return nullptr;
}

}  // namespace

std::string closest_names_hint(std::string_view name, const std::vector<std::string>& candidates) {
  std::vector<std::string> near = closest_names(name, candidates);
  if (near.empty()) return "";
  std::string s = "; closest: ";
  for (size_t i = 0; i < near.size(); ++i) s += (i ? ", '" : "'") + near[i] + "'";
  return s;
}

const Graph& root_of(const Graph& graph) {
  const Graph* g = &graph;
  while (g->parent()) g = g->parent();
  return *g;
}

bool is_default_domain(std::string_view domain) { return domain.empty() || domain == "ai.onnx"; }

bool same_domain(std::string_view a, std::string_view b) {
  return a == b || (is_default_domain(a) && is_default_domain(b));
}

bool holds(const std::vector<TensorPtr>& list, const Tensor* t) {
  return std::any_of(list.begin(), list.end(), [&](const TensorPtr& p) { return p.get() == t; });
}

std::vector<Node*> find_nodes(const Graph& graph, const NodeFilter& filter) {
  const std::optional<std::regex> re = compile(filter.name_regex);
  std::vector<Node*> found;
  std::function<void(const Graph&)> search = [&](const Graph& g) {
    for (const auto& node : g.nodes()) {
      bool hit = name_matches(node->name, filter.name, re) &&
                 (filter.op_type.empty() || node->op_type == filter.op_type) &&
                 (!filter.domain || same_domain(node->domain, *filter.domain)) &&
                 (!filter.predicate || filter.predicate(*node));
      if (hit) found.push_back(node.get());
      if (!filter.recurse_into_subgraphs) continue;
      for (const Graph* sub : node->subgraphs()) search(*sub);
    }
  };
  search(graph);
  return found;
}

std::vector<TensorPtr> find_tensors(const Graph& graph, const TensorFilter& filter) {
  const std::optional<std::regex> re = compile(filter.name_regex);
  std::vector<TensorPtr> found;
  auto search = [&](const Graph& g) {
    for (const TensorPtr& t : defined_tensors(g)) {
      if (name_matches(t->name, filter.name, re) && (!filter.predicate || filter.predicate(*t))) found.push_back(t);
    }
  };
  if (filter.recurse_into_subgraphs) {
    for_each_graph(graph, search);
  } else {
    search(graph);
  }
  return found;
}

std::vector<TensorPtr> defined_tensors(const Graph& graph) {
  std::vector<TensorPtr> result;
  std::unordered_set<const Tensor*> seen;
  auto add = [&](const TensorPtr& t) {
    if (t && seen.insert(t.get()).second) result.push_back(t);
  };
  for (const auto* list : {&graph.inputs, &graph.initializers, &graph.sparse_initializers}) {
    for (const TensorPtr& t : *list) add(t);
  }
  for (const auto& node : graph.nodes()) {
    for (const TensorPtr& t : node->outputs()) add(t);
  }
  return result;
}

Node& node_named(const Graph& graph, std::string_view name) {
  if (Node* node = graph.find_node(name)) return *node;
  std::string msg = graph.describe() + " has no node named '" + std::string(name) + "'";
  if (const Graph* holder = subgraph_holding_node(graph, name)) {
    throw Error(msg + "; a node of that name is in " + holder->describe());
  }
  std::vector<std::string> names;
  for (const auto& node : graph.nodes()) names.push_back(node->name);
  throw Error(msg + closest_names_hint(name, names));
}

TensorPtr tensor_named(const Graph& graph, std::string_view name) {
  if (TensorPtr t = graph.find_tensor(name)) return t;
  std::vector<std::string> names;
  for (const Graph* g = &graph; g; g = g->parent()) {
    for (const TensorPtr& t : defined_tensors(*g)) names.push_back(t->name);
  }
  throw Error(graph.describe() + " has no tensor named '" + std::string(name) + "'" + closest_names_hint(name, names));
}

Attribute& attribute_named(Node& node, std::string_view name) {
  if (Attribute* a = node.attr(name)) return *a;
  std::vector<std::string> names;
  for (const Attribute& a : node.attributes) names.push_back(a.name);
  throw Error(node.describe() + " has no attribute '" + std::string(name) + "'" + closest_names_hint(name, names));
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      diagonal = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, substitute});
    }
  }
  return row[b.size()];
}

std::vector<std::string> closest_names(std::string_view name, const std::vector<std::string>& candidates,
                                       size_t max_count) {
  // Case-insensitive, and a name containing the other counts as near: "relu" finds "model/Relu_1".
  const std::string wanted = lower(name);
  const size_t limit = (name.size() + 1) / 3;
  std::vector<std::pair<size_t, std::string>> near;
  std::unordered_set<std::string> seen;
  for (const std::string& c : candidates) {
    if (c.empty() || !seen.insert(c).second) continue;
    const std::string cand = lower(c);
    size_t d = edit_distance(wanted, cand);
    bool contains = !wanted.empty() && (cand.find(wanted) != std::string::npos || wanted.find(cand) != std::string::npos);
    if (d <= limit || contains) near.emplace_back(d, c);
  }
  std::sort(near.begin(), near.end());
  std::vector<std::string> result;
  for (size_t i = 0; i < near.size() && i < max_count; ++i) result.push_back(near[i].second);
  return result;
}

const Graph* graph_using_tensor_name(const Graph& graph, const std::string& name) {
  const Graph* user = nullptr;
  for_each_graph(root_of(graph), [&](const Graph& g) {
    std::unordered_set<std::string> names;
    add_tensor_names(g, names);
    if (!user && names.count(name)) user = &g;
  });
  return user;
}

std::string unique_tensor_name(const Graph& graph, const std::string& base) {
  return unique_name(tensor_names_in_tree(graph), base);
}

std::string unique_node_name(const Graph& graph, const std::string& base) {
  return unique_name(node_names_in_tree(graph), base);
}

TensorDataPtr constant_value(const Graph& graph, const Tensor& t) {
  if (const Node* producer = t.producer()) return constant_node_value(*producer);
  if (!t.data) return nullptr;
  for (const Graph* g = &graph; g; g = g->parent()) {
    if (!g->defines(&t)) continue;
    return holds(g->inputs, &t) ? nullptr : t.data;  // a graph input may override it
  }
  return nullptr;
}

}  // namespace graft
