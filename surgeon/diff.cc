#include "surgeon/diff.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "surgeon/attribute_text.h"
#include "surgeon/find.h"
#include "surgeon/pattern.h"

namespace graft {
namespace {

const std::string kNone = "(none)";

std::string quoted(const std::string& s) { return "'" + s + "'"; }
std::string name_or_none(const TensorPtr& t) { return t ? quoted(t->name) : kNone; }

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string dims_text(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

std::string data_text(const TensorData& d) { return dtype_name(d.dtype) + dims_text(d.dims); }

std::string tensor_type_text(const Tensor& t) {
  if (t.data) return data_text(*t.data);
  return t.type.kind == ValueType::Kind::kNone ? "untyped" : t.type.str();
}

std::string op_text(const Node& n) { return n.domain.empty() ? n.op_type : n.domain + "::" + n.op_type; }

// "x, w -> y"
std::string io_text(const Node& n) {
  auto names = [](const std::vector<TensorPtr>& ts) {
    std::string s;
    for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + (ts[i] ? ts[i]->name : std::string());
    return s;
  };
  return names(n.inputs()) + " -> " + names(n.outputs());
}

// The node's name as messages show it, without the leading "node ".
std::string node_label(const Node& n) { return n.describe().substr(5); }

// Compares two constants' values; adds fields (dtype, dims or values) that differ.
void compare_data(const TensorData& a, const TensorData& b, const std::string& prefix, double tolerance,
                  std::vector<FieldChange>& fields, std::optional<double>& max_abs) {
  const std::string p = prefix.empty() ? "" : prefix + " ";
  if (a.dtype != b.dtype) fields.push_back({p + "dtype", dtype_name(a.dtype), dtype_name(b.dtype)});
  if (a.dims != b.dims) fields.push_back({p + "dims", dims_text(a.dims), dims_text(b.dims)});
  if (a.dtype != b.dtype || a.dims != b.dims) return;
  if (a.dtype == DataType::kString) {
    if (a.strings != b.strings) fields.push_back({p + "values", "", "strings differ"});
    return;
  }
  if (a.bytes == b.bytes) return;
  const int64_t n = a.num_elements().value_or(0);
  double worst = 0;
  int64_t differ = 0;
  for (int64_t i = 0; i < n; ++i) {
    std::optional<double> va = value_at(a, static_cast<size_t>(i)), vb = value_at(b, static_cast<size_t>(i));
    if (!va || !vb) {
      fields.push_back({p + "values", "", "bytes differ"});
      return;
    }
    if (*va == *vb || (std::isnan(*va) && std::isnan(*vb))) continue;
    double d = std::fabs(*va - *vb);
    if (std::isnan(d)) d = INFINITY;
    worst = std::max(worst, d);
    ++differ;
  }
  if (differ == 0 || worst <= tolerance) return;
  max_abs = worst;
  fields.push_back(
      {p + "values", "",
       std::to_string(differ) + " of " + std::to_string(n) + " differ, max abs diff " + number_text(worst)});
}

bool same_attribute_value(const Attribute& a, const Attribute& b) {
  if (a.type != b.type || a.ref_attr_name != b.ref_attr_name) return false;
  switch (a.type) {
    case AttrType::kInt:
    case AttrType::kFloat:
    case AttrType::kString:
    case AttrType::kInts:
    case AttrType::kFloats:
    case AttrType::kStrings:
      return attribute_value_matches(a, b) || (a.type == AttrType::kFloat && std::isnan(a.f) && std::isnan(b.f));
    default:
      return a.value_str(1u << 20) == b.value_str(1u << 20);
  }
}

std::string attribute_text(const Attribute* a) {
  if (!a) return kNone;
  if (!a->ref_attr_name.empty()) return "@" + a->ref_attr_name;
  return attribute_value_text(*a);
}

// What differs when an item of that kind keeps its key.
std::string field_for(const std::string& kind) {
  if (kind == "opset") return "version";
  if (kind == "input" || kind == "output" || kind == "value_info") return "type";
  if (kind == "sparse initializer") return "dims";
  return "value";
}

template <typename T, typename Key>
std::vector<std::pair<std::string, T>> keyed(const std::vector<T>& items, Key key) {
  std::vector<std::pair<std::string, T>> out;
  for (const T& item : items) out.emplace_back(key(item), item);
  return out;
}

class Differ {
 public:
  Differ(const DiffOptions& options, ModelDiff& out) : options_(options), out_(out) {}

  void models(const Model& a, const Model& b) {
    Difference model{.kind = "model"};
    auto field = [&](const char* name, const std::string& x, const std::string& y) {
      if (x != y) model.fields.push_back({name, x, y});
    };
    field("ir_version", std::to_string(a.ir_version), std::to_string(b.ir_version));
    field("producer_name", quoted(a.producer_name), quoted(b.producer_name));
    field("producer_version", quoted(a.producer_version), quoted(b.producer_version));
    field("domain", quoted(a.domain), quoted(b.domain));
    field("model_version", std::to_string(a.model_version), std::to_string(b.model_version));
    if (options_.compare_doc_strings) field("doc_string", quoted(a.doc_string), quoted(b.doc_string));
    if (!model.fields.empty()) out_.differences.push_back(std::move(model));

    auto domain_key = [](const OpsetImport& o) {
      return is_default_domain(o.domain) ? std::string("ai.onnx") : o.domain;
    };
    compare_keyed(
        "opset", keyed(a.opset_imports, domain_key), keyed(b.opset_imports, domain_key),
        [](const OpsetImport& o) { return std::to_string(o.version); }, "", false);
    auto kv_key = [](const std::pair<std::string, std::string>& kv) { return kv.first; };
    compare_keyed(
        "metadata", keyed(a.metadata_props, kv_key), keyed(b.metadata_props, kv_key),
        [](const std::pair<std::string, std::string>& kv) { return quoted(kv.second); }, "", true);

    graphs(*a.graph, *b.graph, "");

    auto fn_key = [](const Function& f) { return f.domain.empty() ? f.name : f.domain + "." + f.name; };
    auto fa = keyed(a.functions, fn_key), fb = keyed(b.functions, fn_key);
    for (const auto& [key, f] : fa) {
      auto it = std::find_if(fb.begin(), fb.end(), [&](const auto& p) { return p.first == key; });
      if (it == fb.end()) {
        out_.differences.push_back({.kind = "function", .change = Difference::Change::kRemoved, .name = quoted(key)});
      } else {
        graphs(*f.body, *it->second.body, "function '" + key + "'");
      }
    }
    for (const auto& [key, f] : fb) {
      if (std::none_of(fa.begin(), fa.end(), [&](const auto& p) { return p.first == key; })) {
        out_.differences.push_back({.kind = "function", .change = Difference::Change::kAdded, .name = quoted(key)});
      }
    }
  }

 private:
  // Items keyed by name: added, removed, and changed values (one field "version"/"value").
  template <typename T, typename Text>
  void compare_keyed(const std::string& kind, const std::vector<std::pair<std::string, T>>& a,
                     const std::vector<std::pair<std::string, T>>& b, Text text, const std::string& where,
                     bool quote_name) {
    auto find = [](const auto& list, const std::string& key) {
      return std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.first == key; });
    };
    for (const auto& [key, item] : a) {
      std::string name = quote_name ? quoted(key) : key;
      auto it = find(b, key);
      if (it == b.end()) {
        out_.differences.push_back(
            {.kind = kind, .change = Difference::Change::kRemoved, .name = name, .where = where, .detail = text(item)});
      } else if (text(item) != text(it->second)) {
        out_.differences.push_back(
            {.kind = kind, .name = name, .where = where, .fields = {{field_for(kind), text(item), text(it->second)}}});
      }
    }
    for (const auto& [key, item] : b) {
      if (find(a, key) == a.end()) {
        out_.differences.push_back({.kind = kind,
                                    .change = Difference::Change::kAdded,
                                    .name = quote_name ? quoted(key) : key,
                                    .where = where,
                                    .detail = text(item)});
      }
    }
  }

  void graphs(const Graph& a, const Graph& b, const std::string& where) {
    if (a.name != b.name) {
      out_.differences.push_back({.kind = "graph",
                                  .name = quoted(a.name),
                                  .where = where,
                                  .fields = {{"name", quoted(a.name), quoted(b.name)}}});
    }
    io("input", a.inputs, b.inputs, where);
    io("output", a.outputs, b.outputs, where);
    nodes(a, b, where);
    initializers(a, b, where);
    if (options_.value_info) value_infos(a, b, where);
  }

  void io(const std::string& kind, const std::vector<TensorPtr>& a, const std::vector<TensorPtr>& b,
          const std::string& where) {
    auto name_of = [](const TensorPtr& t) { return t->name; };
    compare_keyed(
        kind, keyed(a, name_of), keyed(b, name_of), [](const TensorPtr& t) { return tensor_type_text(*t); }, where,
        true);
    // The same names in another order.
    std::vector<std::string> order_a, order_b;
    for (const TensorPtr& t : a) {
      if (std::any_of(b.begin(), b.end(), [&](const TensorPtr& u) { return u->name == t->name; }))
        order_a.push_back(t->name);
    }
    for (const TensorPtr& t : b) {
      if (std::any_of(a.begin(), a.end(), [&](const TensorPtr& u) { return u->name == t->name; }))
        order_b.push_back(t->name);
    }
    if (order_a != order_b) {
      auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
        return s;
      };
      out_.differences.push_back(
          {.kind = "graph", .name = "", .where = where, .fields = {{kind + " order", join(order_a), join(order_b)}}});
    }
  }

  void initializers(const Graph& a, const Graph& b, const std::string& where) {
    std::unordered_map<std::string, const Tensor*> in_b;
    for (const TensorPtr& t : b.initializers) in_b.emplace(t->name, t.get());
    std::unordered_set<std::string> in_a;
    for (const TensorPtr& t : a.initializers) {
      in_a.insert(t->name);
      auto it = in_b.find(t->name);
      if (it == in_b.end()) {
        out_.differences.push_back({.kind = "initializer",
                                    .change = Difference::Change::kRemoved,
                                    .name = quoted(t->name),
                                    .where = where,
                                    .detail = data_text(*t->data)});
        continue;
      }
      Difference d{.kind = "initializer", .name = quoted(t->name), .where = where};
      compare_data(*t->data, *it->second->data, "", options_.tolerance, d.fields, d.max_abs_diff);
      if (!d.fields.empty()) out_.differences.push_back(std::move(d));
    }
    for (const TensorPtr& t : b.initializers) {
      if (!in_a.count(t->name)) {
        out_.differences.push_back({.kind = "initializer",
                                    .change = Difference::Change::kAdded,
                                    .name = quoted(t->name),
                                    .where = where,
                                    .detail = data_text(*t->data)});
      }
    }
    auto sparse_name = [](const TensorPtr& t) { return t->name; };
    compare_keyed(
        "sparse initializer", keyed(a.sparse_initializers, sparse_name), keyed(b.sparse_initializers, sparse_name),
        [](const TensorPtr& t) { return t->sparse ? dims_text(t->sparse->dims) : std::string(); }, where, true);
  }

  void value_infos(const Graph& a, const Graph& b, const std::string& where) {
    auto declared = [](const Graph& g) {
      std::vector<std::pair<std::string, TensorPtr>> out;
      for (const TensorPtr& t : g.value_info) {
        if (!holds(g.inputs, t.get()) && !holds(g.outputs, t.get())) out.emplace_back(t->name, t);
      }
      return out;
    };
    compare_keyed(
        "value_info", declared(a), declared(b), [](const TensorPtr& t) { return tensor_type_text(*t); }, where, true);
  }

  static bool unique_name(const Graph& g, const Node& n) {
    if (n.name.empty()) return false;
    return std::count_if(g.nodes().begin(), g.nodes().end(), [&](const auto& m) { return m->name == n.name; }) == 1;
  }

  static std::string first_output(const Node& n) {
    for (const TensorPtr& t : n.outputs()) {
      if (t) return t->name;
    }
    return "";
  }

  void nodes(const Graph& a, const Graph& b, const std::string& where) {
    std::unordered_map<std::string, const Node*> b_by_name, b_by_output;
    std::unordered_map<std::string, size_t> output_count;
    for (const auto& n : b.nodes()) {
      if (unique_name(b, *n)) b_by_name.emplace(n->name, n.get());
      ++output_count[first_output(*n)];
    }
    std::unordered_map<const Node*, const Node*> pair_of;  // a -> b
    std::unordered_set<const Node*> matched_b;
    for (const auto& n : a.nodes()) {
      if (!unique_name(a, *n)) continue;
      auto it = b_by_name.find(n->name);
      if (it != b_by_name.end()) {
        pair_of[n.get()] = it->second;
        matched_b.insert(it->second);
      }
    }
    for (const auto& n : b.nodes()) {
      std::string out = first_output(*n);
      if (!matched_b.count(n.get()) && !out.empty() && output_count[out] == 1) b_by_output.emplace(out, n.get());
    }
    for (const auto& n : a.nodes()) {
      if (pair_of.count(n.get())) continue;
      auto it = b_by_output.find(first_output(*n));
      if (it != b_by_output.end() && !matched_b.count(it->second)) {
        pair_of[n.get()] = it->second;
        matched_b.insert(it->second);
      }
    }
    for (const auto& n : a.nodes()) {
      auto it = pair_of.find(n.get());
      if (it == pair_of.end()) {
        out_.differences.push_back({.kind = "node",
                                    .change = Difference::Change::kRemoved,
                                    .name = node_label(*n),
                                    .where = where,
                                    .detail = io_text(*n)});
      } else {
        ++out_.nodes_matched;
        compare_nodes(*n, *it->second, where);
      }
    }
    for (const auto& n : b.nodes()) {
      if (!matched_b.count(n.get())) {
        out_.differences.push_back({.kind = "node",
                                    .change = Difference::Change::kAdded,
                                    .name = node_label(*n),
                                    .where = where,
                                    .detail = io_text(*n)});
      }
    }
  }

  void compare_nodes(const Node& a, const Node& b, const std::string& where) {
    Difference d{.kind = "node", .name = node_label(a), .where = where};
    if (a.name != b.name) d.fields.push_back({"name", quoted(a.name), quoted(b.name)});
    if (op_text(a) != op_text(b)) d.fields.push_back({"op", op_text(a), op_text(b)});
    for (size_t i = 0; i < std::max(a.inputs().size(), b.inputs().size()); ++i) {
      std::string x = name_or_none(a.input(i)), y = name_or_none(b.input(i));
      if (x != y) d.fields.push_back({"input " + std::to_string(i), x, y});
    }
    for (size_t i = 0; i < std::max(a.outputs().size(), b.outputs().size()); ++i) {
      std::string x = name_or_none(a.output(i)), y = name_or_none(b.output(i));
      if (x != y) d.fields.push_back({"output " + std::to_string(i), x, y});
    }
    if (options_.compare_doc_strings && a.doc_string != b.doc_string) {
      d.fields.push_back({"doc_string", quoted(a.doc_string), quoted(b.doc_string)});
    }
    std::vector<std::pair<const Graph*, const Graph*>> subgraphs;
    std::vector<std::string> subgraph_names;
    auto attr_names = [](const Node& n) {
      std::vector<std::string> names;
      for (const Attribute& x : n.attributes) names.push_back(x.name);
      return names;
    };
    std::vector<std::string> names = attr_names(a);
    for (const std::string& n : attr_names(b)) {
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    for (const std::string& name : names) {
      const Attribute *x = a.attr(name), *y = b.attr(name);
      const std::string field = "attribute '" + name + "'";
      if (!x || !y || x->type != y->type) {
        d.fields.push_back({field, attribute_text(x), attribute_text(y)});
        continue;
      }
      if (x->type == AttrType::kGraph && x->g && y->g) {
        subgraphs.emplace_back(x->g.get(), y->g.get());
      } else if (x->type == AttrType::kGraphs && x->graphs.size() == y->graphs.size()) {
        for (size_t k = 0; k < x->graphs.size(); ++k) subgraphs.emplace_back(x->graphs[k].get(), y->graphs[k].get());
      } else if (x->type == AttrType::kTensor && x->t && y->t) {
        compare_data(*x->t, *y->t, field, 0, d.fields, d.max_abs_diff);
      } else if (!same_attribute_value(*x, *y)) {
        d.fields.push_back({field, attribute_text(x), attribute_text(y)});
      }
    }
    if (!d.fields.empty()) out_.differences.push_back(std::move(d));
    for (const auto& [x, y] : subgraphs) graphs(*x, *y, x->describe());
  }

  const DiffOptions& options_;
  ModelDiff& out_;
};

}  // namespace

std::string change_name(Difference::Change c) {
  switch (c) {
    case Difference::Change::kAdded:
      return "added";
    case Difference::Change::kRemoved:
      return "removed";
    case Difference::Change::kChanged:
      break;
  }
  return "changed";
}

std::string describe(const Difference& d) {
  std::string s = d.change == Difference::Change::kAdded     ? "+ "
                  : d.change == Difference::Change::kRemoved ? "- "
                                                             : "~ ";
  s += d.kind + (d.name.empty() ? "" : " " + d.name) + (d.where.empty() ? "" : " in " + d.where);
  if (d.change != Difference::Change::kChanged) return d.detail.empty() ? s : s + ": " + d.detail;
  for (size_t i = 0; i < d.fields.size(); ++i) {
    const FieldChange& f = d.fields[i];
    s += (i ? "; " : ": ") + f.field + ": " + (f.before.empty() ? f.after : f.before + " -> " + f.after);
  }
  return s;
}

ModelDiff diff_models(const Model& a, const Model& b, const DiffOptions& options) {
  ModelDiff diff;
  diff.nodes_a = a.graph->node_count_recursive();
  diff.nodes_b = b.graph->node_count_recursive();
  Differ(options, diff).models(a, b);
  return diff;
}

}  // namespace graft
