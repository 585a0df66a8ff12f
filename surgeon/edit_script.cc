#include "surgeon/edit_script.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <optional>

#include "surgeon/attribute_text.h"
#include "surgeon/clone.h"
#include "surgeon/edit.h"
#include "surgeon/error.h"
#include "surgeon/find.h"
#include "surgeon/shape_text.h"

namespace graft {
namespace {

// ---------------------------------------------------------------------------------------
// Words

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Index after the closing quote of the quoted string that starts at s[pos].
size_t skip_quoted(const std::string& s, size_t pos) {
  for (size_t i = pos + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  throw Error("a quoted word is not closed");
}

// The words of one line, up to a '#' that starts a word.
std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (true) {
    while (i < line.size() && is_blank(line[i])) ++i;
    if (i >= line.size() || line[i] == '#') break;
    size_t start = i;
    int depth = 0;
    while (i < line.size() && (depth > 0 || !is_blank(line[i]))) {
      if (line[i] == '"') {
        i = skip_quoted(line, i);
        continue;
      }
      if (line[i] == '[') ++depth;
      if (line[i] == ']' && --depth < 0) throw Error("a ']' without its '['");
      ++i;
    }
    if (depth > 0) throw Error("a '[' without its ']'");
    words.push_back(line.substr(start, i - start));
  }
  return words;
}

// The word's text: quotes removed and escapes read.
std::string unquote(const std::string& word) {
  if (word.empty() || word[0] != '"') return word;
  std::string out;
  for (size_t i = 1; i < word.size(); ++i) {
    char c = word[i];
    if (c == '"') {
      if (i + 1 != word.size()) throw Error("text after the closing quote of " + word);
      return out;
    }
    if (c == '\\' && i + 1 < word.size()) {
      char n = word[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      out += c;
    }
  }
  throw Error("a quoted word is not closed: " + word);
}

std::string word_of(const std::string& name) { return needs_quotes(name) ? quoted_text(name) : name; }

// Unquoted words split at commas outside quotes: "a,b" -> a, b.
std::vector<std::string> comma_list(const std::vector<std::string>& words) {
  std::vector<std::string> names;
  for (const std::string& w : words) {
    if (!w.empty() && w[0] == '"') {
      names.push_back(unquote(w));
      continue;
    }
    size_t start = 0;
    for (size_t i = 0; i <= w.size(); ++i) {
      if (i == w.size() || w[i] == ',') {
        if (i > start) names.push_back(w.substr(start, i - start));
        start = i + 1;
      }
    }
  }
  return names;
}

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// ---------------------------------------------------------------------------------------
// Value checks shared by parsing and applying

std::optional<int64_t> parse_int(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string> known_dtype_names() {
  std::vector<std::string> names;
  for (int code = 1; code < 64; ++code) {
    if (is_known(DataType(code))) names.push_back(dtype_name(DataType(code)));
  }
  return names;
}

DataType dtype_of(const std::string& text) {
  if (std::optional<DataType> t = dtype_from_name(text); t && is_known(*t) && *t != DataType::kUndefined) return *t;
  throw Error("unknown element type '" + text + "'" + closest_names_hint(text, known_dtype_names()));
}

int64_t opset_version(const std::string& text) {
  std::optional<int64_t> v = parse_int(text);
  if (!v || *v <= 0) throw Error("opset version '" + text + "' is not a positive integer");
  return *v;
}

bool is_symbol(const std::string& s) {
  return !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_') &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
         });
}

Dim batch_dim(const std::string& text) {
  if (text == "?") return Dim::unknown();
  if (std::optional<int64_t> n = parse_int(text)) {
    if (*n <= 0) throw Error("batch size " + text + " is not positive");
    return Dim::fixed(*n);
  }
  if (!is_symbol(text)) throw Error("batch '" + text + "' is neither a positive number nor a symbol name like 'batch'");
  return Dim::symbolic(text);
}

// NAME SHAPE, or one word NAME:SHAPE.
std::pair<std::string, Shape> named_shape(const std::vector<std::string>& a) {
  if (a.size() == 2) return {unquote(a[0]), parse_shape_text(unquote(a[1]))};
  std::vector<std::pair<std::string, Shape>> named = parse_named_shapes(unquote(a[0]));
  if (named.size() != 1) throw Error("write one NAME SHAPE (or NAME:SHAPE) per edit");
  return named.front();
}

// NAME DTYPE, or one word NAME:DTYPE.
std::pair<std::string, DataType> named_dtype(const std::vector<std::string>& a) {
  if (a.size() == 2) return {unquote(a[0]), dtype_of(unquote(a[1]))};
  std::string w = unquote(a[0]);
  size_t colon = w.rfind(':');
  if (colon == std::string::npos || colon == 0) throw Error("write NAME DTYPE or NAME:DTYPE, like x float16");
  return {w.substr(0, colon), dtype_of(w.substr(colon + 1))};
}

size_t input_index(const std::string& text) {
  std::optional<int64_t> v = parse_int(text);
  if (!v || *v < 0) throw Error("input index '" + text + "' is not a number from 0");
  return static_cast<size_t>(*v);
}

// set-opset's words: VERSION, DOMAIN VERSION or DOMAIN:VERSION.
std::pair<std::string, int64_t> opset_of(const std::vector<std::string>& args) {
  if (args.size() == 2) return {unquote(args[0]), opset_version(args[1])};
  std::string a = unquote(args[0]);
  size_t colon = a.rfind(':');
  if (colon == std::string::npos) return {"", opset_version(a)};
  return {a.substr(0, colon), opset_version(a.substr(colon + 1))};
}

// ---------------------------------------------------------------------------------------
// Finding what to edit: the main graph first, then subgraphs.

std::vector<std::string> all_node_names(const Graph& main) {
  std::vector<std::string> names;
  for_each_graph(main, [&](const Graph& g) {
    for (const auto& n : g.nodes()) names.push_back(n->name);
  });
  return names;
}

Node& find_node_anywhere(const Graph& main, const std::string& name) {
  if (name.empty()) throw Error("an empty node name");
  if (Node* n = main.find_node(name)) return *n;
  std::vector<Node*> found = find_nodes(main, {.name = name, .recurse_into_subgraphs = true});
  if (found.size() == 1) return *found.front();
  if (found.size() > 1) {
    throw Error(std::to_string(found.size()) + " nodes are named '" + name + "' (in " + found[0]->graph()->describe() +
                " and " + found[1]->graph()->describe() + "); an edit needs a unique node name");
  }
  throw Error(main.describe() + " has no node named '" + name + "'" + closest_names_hint(name, all_node_names(main)));
}

struct Found {
  Graph* graph;
  TensorPtr tensor;
};

Found find_tensor_anywhere(Graph& main, const std::string& name) {
  if (TensorPtr t = main.find_tensor(name)) return {&main, t};
  std::vector<Found> found;
  std::vector<std::string> names;
  for_each_graph(main, [&](Graph& g) {
    for (const TensorPtr& t : defined_tensors(g)) {
      if (t->name == name && &g != &main) found.push_back({&g, t});
      names.push_back(t->name);
    }
  });
  if (found.size() == 1) return found.front();
  if (found.size() > 1) {
    throw Error(std::to_string(found.size()) + " tensors are named '" + name + "' (in " + found[0].graph->describe() +
                " and " + found[1].graph->describe() + "); an edit needs a unique tensor name");
  }
  throw Error(main.describe() + " has no tensor named '" + name + "'" + closest_names_hint(name, names));
}

bool is_initializer(const Graph& g, const Tensor* t) {
  return holds(g.initializers, t) || holds(g.sparse_initializers, t);
}

TensorPtr graph_input_named(const Graph& main, const std::string& name) {
  std::vector<std::string> names;
  for (const TensorPtr& t : main.inputs) {
    if (is_initializer(main, t.get())) continue;
    if (t->name == name) return t;
    names.push_back(t->name);
  }
  std::string why =
      main.find_tensor(name) ? "'" + name + "' is not a graph input" : "no graph input is named '" + name + "'";
  std::string hint = closest_names_hint(name, names);
  if (hint.empty()) {
    hint = "; inputs:";
    for (size_t i = 0; i < names.size(); ++i) hint += (i ? ", '" : " '") + names[i] + "'";
  }
  throw Error(why + hint + " (set-shape / set-dtype change other tensors)");
}

TensorPtr graph_output_named(const Graph& main, const std::string& name) {
  std::vector<std::string> names;
  for (const TensorPtr& t : main.outputs) {
    if (t->name == name) return t;
    names.push_back(t->name);
  }
  throw Error("'" + name + "' is not an output of " + main.describe() + closest_names_hint(name, names));
}

std::string names_text(const std::vector<TensorPtr>& ts) {
  std::string s;
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + quoted(ts[i]->name);
  return s.empty() ? "none" : s;
}

// Declared shapes of intermediates derive from the inputs: after an input shape changes
// they are cleared (shape inference derives them again), as set_batch does.
size_t clear_intermediate_shapes(Graph& g) {
  size_t cleared = 0;
  for (const TensorPtr& t : g.value_info) {
    if (t->type.is_tensor() && t->type.shape.has_rank() && !holds(g.inputs, t.get()) && !holds(g.outputs, t.get())) {
      t->type.shape = Shape();
      ++cleared;
    }
  }
  return cleared;
}

std::string cleared_note(size_t n) {
  return n ? " (cleared " + std::to_string(n) + " intermediate shape" + (n == 1 ? "" : "s") +
                 " derived from the old one; graft sanitize infers them again)"
           : "";
}

// ---------------------------------------------------------------------------------------
// Verbs

using Apply = std::function<std::string(Model&, const std::vector<std::string>&)>;
using Check = std::function<void(const std::vector<std::string>&)>;

struct VerbDef {
  EditVerb doc;
  size_t min_args, max_args;  // max SIZE_MAX: any number
  Check check;                // parse-time checks of the words
  Apply apply;
};

std::string remove_node_edit(Model& m, const std::vector<std::string>& a) {
  Node& n = find_node_anywhere(*m.graph, unquote(a[0]));
  Graph& g = *n.graph();
  const std::string what = n.describe();
  std::vector<size_t> used;
  for (size_t k = 0; k < n.outputs().size(); ++k) {
    const TensorPtr& t = n.output(k);
    if (t && (!t->consumers().empty() || holds(g.outputs, t.get()))) used.push_back(k);
  }
  if (used.empty()) {
    remove_node(g, n);
    return "removed " + what + " (nothing read its outputs)";
  }
  const TensorPtr out = n.output(used.front());
  if (used.size() > 1) {
    throw Error("cannot remove " + what + ": outputs '" + out->name + "' and '" + n.output(used[1])->name +
                "' are both read, and only one can be reconnected to its input");
  }
  const TensorPtr in = n.input(0);
  if (!in) {
    throw Error("cannot remove " + what + ": its output '" + out->name +
                "' is read and it has no input to reconnect the readers to");
  }
  bypass_node(g, n, 0, used.front());
  return "removed " + what + "; readers of '" + out->name + "' now read '" + in->name + "'";
}

std::string set_attr_edit(Model& m, const std::vector<std::string>& a) {
  Node& n = find_node_anywhere(*m.graph, unquote(a[0]));
  const std::string name = unquote(a[1]);
  const Attribute* old = n.attr(name);
  std::string before = old ? attribute_value_text(*old) : "";
  Attribute value = parse_attribute_value(name, a[2], old);
  std::string after = attribute_value_text(value);
  set_attribute(n, std::move(value));
  return "set attribute '" + name + "' of " + n.describe() + " to " + after +
         (old ? " (was " + before + ")" : " (new)");
}

std::string remove_attr_edit(Model& m, const std::vector<std::string>& a) {
  Node& n = find_node_anywhere(*m.graph, unquote(a[0]));
  const std::string name = unquote(a[1]);
  std::string before = n.attr(name) ? attribute_value_text(*n.attr(name)) : "";
  remove_attribute(n, name);
  return "removed attribute '" + name + "' = " + before + " of " + n.describe();
}

std::string set_shape_of(Graph& g, Tensor& t, const Shape& shape, bool clear_derived) {
  std::string before = t.type.is_tensor() ? t.type.shape.str() : "unknown";
  set_shape(g, t, shape);
  size_t cleared = clear_derived && before != shape.str() ? clear_intermediate_shapes(g) : 0;
  return "set the shape of '" + t.name + "' to " + shape.str() + " (was " + before + ")" + cleared_note(cleared);
}

std::string set_dtype_of(Graph& g, Tensor& t, DataType dtype) {
  std::string before = t.type.is_tensor() ? dtype_name(t.type.elem) : "unknown";
  set_dtype(g, t, dtype);
  return "set the element type of '" + t.name + "' to " + dtype_name(dtype) + " (was " + before + ")";
}

const std::vector<VerbDef>& verbs() {
  auto none = [](const std::vector<std::string>&) {};
  auto check_shape = [](const std::vector<std::string>& a) { named_shape(a); };
  auto check_dtype = [](const std::vector<std::string>& a) { named_dtype(a); };
  static const std::vector<VerbDef> kVerbs = {
      {{"rename-node", "NODE NEW_NAME", "Renames a node (refused if the name is taken anywhere in the model)",
        "OLD=NEW"},
       2,
       2,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         Node& n = find_node_anywhere(*m.graph, unquote(a[0]));
         const std::string what = n.describe(), name = unquote(a[1]);
         if (name.empty()) throw Error("a node cannot be renamed to an empty name");
         rename_node(*n.graph(), n, name);
         return "renamed " + what + " to '" + name + "'";
       }},
      {{"rename-tensor", "TENSOR NEW_NAME", "Renames a tensor everywhere it is used (graph inputs and outputs too)",
        "OLD=NEW"},
       2,
       2,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         Found f = find_tensor_anywhere(*m.graph, unquote(a[0]));
         const std::string old = f.tensor->name, name = unquote(a[1]);
         rename_tensor(*f.graph, f.tensor, name);
         return "renamed tensor '" + old + "' to '" + name + "'";
       }},
      {{"remove-node", "NODE",
        "Removes a node; readers of its output read its first input instead (Identity, Dropout, a no-op Cast)", "NODE"},
       1,
       1,
       none,
       remove_node_edit},
      {{"set-node-input", "NODE INDEX TENSOR",
        "Makes input INDEX (from 0) of a node read another tensor (\"\" omits an optional input)", "NODE.INDEX=TENSOR"},
       3,
       3,
       [](const std::vector<std::string>& a) { input_index(a[1]); },
       [](Model& m, const std::vector<std::string>& a) {
         Node& n = find_node_anywhere(*m.graph, unquote(a[0]));
         Graph& g = *n.graph();
         size_t index = input_index(a[1]);
         const std::string name = unquote(a[2]);
         TensorPtr t;
         if (!name.empty()) t = tensor_named(g, name);  // throws naming the closest tensors
         if (index > n.inputs().size()) {
           throw Error(n.describe() + " has " + std::to_string(n.inputs().size()) + " inputs; input " +
                       std::to_string(index) + " would leave a gap (the next one is " +
                       std::to_string(n.inputs().size()) + ")");
         }
         TensorPtr before = n.input(index);
         apply_change(g, Change{.node_inputs = {{&n, index, t}}});
         return "input " + std::to_string(index) + " of " + n.describe() + " now reads " +
                (t ? "'" + t->name + "'" : std::string("nothing (omitted)")) + " (was " +
                (before ? "'" + before->name + "'" : std::string("nothing")) + ")";
       }},
      {{"set-attr", "NODE ATTR VALUE", "Sets or adds an attribute: 3, 0.5, \"text\", [1, 2], [0.5, 1.0], ints:[]",
        "NODE.ATTR=VALUE"},
       3,
       3,
       [](const std::vector<std::string>& a) {
         try {
           parse_attribute_value(unquote(a[1]), a[2]);
         } catch (const Error& e) {
           // An empty list takes the type of the attribute it replaces, known only when applied.
           if (std::string(e.what()).find("does not say its type") == std::string::npos) throw;
         }
       },
       set_attr_edit},
      {{"remove-attr", "NODE ATTR", "Removes an attribute", "NODE.ATTR"}, 2, 2, none, remove_attr_edit},
      {{"set-input-shape", "INPUT SHAPE",
        "Sets a graph input's shape: 1x3x224x224, batchx3xHxW, [batch, 3, ?, ?] (or x:1x3x224x224)",
        "NAME:SHAPE[,NAME:SHAPE]"},
       1,
       2,
       check_shape,
       [](Model& m, const std::vector<std::string>& a) {
         auto [name, shape] = named_shape(a);
         TensorPtr t = graph_input_named(*m.graph, name);
         return set_shape_of(*m.graph, *t, shape, true);
       }},
      {{"set-input-dtype", "INPUT DTYPE", "Sets a graph input's element type: float16, int64, ... (or x:float16)",
        "NAME:DTYPE[,NAME:DTYPE]"},
       1,
       2,
       check_dtype,
       [](Model& m, const std::vector<std::string>& a) {
         auto [name, dtype] = named_dtype(a);
         TensorPtr t = graph_input_named(*m.graph, name);
         return set_dtype_of(*m.graph, *t, dtype);
       }},
      {{"set-shape", "TENSOR SHAPE", "Sets the declared shape of any tensor that is not a constant",
        "NAME:SHAPE[,NAME:SHAPE]"},
       1,
       2,
       check_shape,
       [](Model& m, const std::vector<std::string>& a) {
         auto [name, shape] = named_shape(a);
         Found f = find_tensor_anywhere(*m.graph, name);
         return set_shape_of(*f.graph, *f.tensor, shape, false);
       }},
      {{"set-dtype", "TENSOR DTYPE", "Sets the declared element type of any tensor that is not a constant",
        "NAME:DTYPE[,NAME:DTYPE]"},
       1,
       2,
       check_dtype,
       [](Model& m, const std::vector<std::string>& a) {
         auto [name, dtype] = named_dtype(a);
         Found f = find_tensor_anywhere(*m.graph, name);
         return set_dtype_of(*f.graph, *f.tensor, dtype);
       }},
      {{"set-batch", "N|NAME", "Sets dim 0 of every graph input and output: a size (8) or a symbol (batch)", "N|NAME"},
       1,
       1,
       [](const std::vector<std::string>& a) { batch_dim(unquote(a[0])); },
       [](Model& m, const std::vector<std::string>& a) {
         Dim d = batch_dim(unquote(a[0]));
         size_t cleared = 0;
         for (const TensorPtr& t : m.graph->value_info) {
           cleared += t->type.is_tensor() && t->type.shape.has_rank() && !holds(m.graph->inputs, t.get()) &&
                      !holds(m.graph->outputs, t.get());
         }
         size_t changed = set_batch(*m.graph, d);
         return "set dim 0 of " + std::to_string(changed) + " graph input" + (changed == 1 ? "" : "s") + " and output" +
                (changed == 1 ? "" : "s") + " to " + d.str() + cleared_note(cleared);
       }},
      {{"set-outputs", "TENSOR...", "Makes these tensors the graph outputs, in this order (names or a,b,c)",
        "T1,T2,..."},
       1,
       SIZE_MAX,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         std::vector<TensorPtr> outs;
         for (const std::string& name : comma_list(a)) outs.push_back(tensor_named(*m.graph, name));
         std::string before = names_text(m.graph->outputs);
         set_outputs(*m.graph, outs);
         return "graph outputs are now " + names_text(outs) + " (were " + before + ")";
       }},
      {{"add-output", "TENSOR", "Adds a tensor (an intermediate, an input...) to the graph outputs", "T[,T]"},
       1,
       1,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         TensorPtr t = tensor_named(*m.graph, unquote(a[0]));
         add_output(*m.graph, t);
         return "added graph output '" + t->name + "'";
       }},
      {{"remove-output", "TENSOR", "Removes a graph output (its nodes stay until cleanup)", "T[,T]"},
       1,
       1,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         TensorPtr t = graph_output_named(*m.graph, unquote(a[0]));
         remove_output(*m.graph, t);
         return "removed graph output '" + t->name + "'";
       }},
      {{"set-opset", "[DOMAIN] VERSION",
        "Sets an opset import: 17, com.example 1 or com.example:1 (ops are not converted)", "[DOMAIN:]VERSION"},
       1,
       2,
       [](const std::vector<std::string>& a) { opset_of(a); },
       [](Model& m, const std::vector<std::string>& a) {
         auto [domain, version] = opset_of(a);
         int64_t before = m.opset(domain);
         bool imported = std::any_of(m.opset_imports.begin(), m.opset_imports.end(),
                                     [&](const OpsetImport& o) { return same_domain(o.domain, domain); });
         set_opset(m, domain, version);
         std::string name = is_default_domain(domain) ? "ai.onnx" : domain;
         return "set the opset of " + name + " to " + std::to_string(version) +
                (imported ? " (was " + std::to_string(before) + ")" : " (new import)");
       }},
      {{"remove-opset", "DOMAIN", "Removes an opset import that no node uses", "DOMAIN"},
       1,
       1,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         std::string domain = unquote(a[0]);
         remove_opset(m, domain);
         return "removed the opset import of " + domain;
       }},
      {{"set-metadata", "KEY VALUE", "Sets a model metadata entry (metadata_props)", "KEY=VALUE"},
       2,
       2,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         std::string key = unquote(a[0]), value = unquote(a[1]);
         for (auto& [k, v] : m.metadata_props) {
           if (k == key) {
             std::string before = v;
             v = value;
             return "set metadata '" + key + "' to '" + value + "' (was '" + before + "')";
           }
         }
         m.metadata_props.emplace_back(key, value);
         return "added metadata '" + key + "' = '" + value + "'";
       }},
      {{"remove-metadata", "KEY", "Removes a model metadata entry", "KEY"},
       1,
       1,
       none,
       [](Model& m, const std::vector<std::string>& a) {
         std::string key = unquote(a[0]);
         auto& props = m.metadata_props;
         auto it = std::find_if(props.begin(), props.end(), [&](const auto& kv) { return kv.first == key; });
         if (it == props.end()) {
           std::vector<std::string> keys;
           for (const auto& kv : props) keys.push_back(kv.first);
           throw Error("the model has no metadata entry '" + key + "'" + closest_names_hint(key, keys));
         }
         props.erase(it);
         return "removed metadata '" + key + "'";
       }},
      {{"cleanup", "", "Removes nodes whose outputs nothing uses, and unused initializers", ""},
       0,
       0,
       none,
       [](Model& m, const std::vector<std::string>&) {
         CleanupReport r = m.graph->cleanup();
         return "cleanup removed " + std::to_string(r.nodes) + " node" + (r.nodes == 1 ? "" : "s") + ", " +
                std::to_string(r.initializers) + " initializer" + (r.initializers == 1 ? "" : "s") + " and " +
                std::to_string(r.value_infos) + " value_info entr" + (r.value_infos == 1 ? "y" : "ies");
       }},
  };
  return kVerbs;
}

const VerbDef& verb_named(const std::string& verb) {
  std::vector<std::string> names;
  for (const VerbDef& v : verbs()) {
    if (v.doc.verb == verb) return v;
    names.push_back(v.doc.verb);
  }
  std::string hint = closest_names_hint(verb, names);
  throw Error("unknown edit '" + verb + "'" + (hint.empty() ? " (graft edit --help lists the edits)" : hint));
}

void check_words(const Edit& e) {
  const VerbDef& v = verb_named(e.verb);
  if (e.args.size() < v.min_args || e.args.size() > v.max_args) {
    std::string want = v.max_args == 0 ? "no words" : "'" + v.doc.usage + "'";
    throw Error(e.verb + " takes " + want + " after it, got " + std::to_string(e.args.size()) + " word" +
                (e.args.size() == 1 ? "" : "s"));
  }
  v.check(e.args);
}

// "a=b" -> {a, b}; refused without the separator.
std::pair<std::string, std::string> split_at(const std::string& value, char sep, bool last, const std::string& flag,
                                             const std::string& form) {
  size_t at = last ? value.rfind(sep) : value.find(sep);
  if (at == std::string::npos || at == 0) throw Error("--" + flag + " wants " + form + ", got '" + value + "'");
  return {value.substr(0, at), value.substr(at + 1)};
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      if (i > start) parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

std::string Edit::where() const {
  if (origin.rfind("--", 0) == 0) return origin + (flag_value.empty() ? "" : " " + flag_value);
  return origin + ": " + text();
}

std::string Edit::text() const {
  std::string s = verb;
  for (const std::string& a : args) s += " " + a;
  return s;
}

const std::vector<EditVerb>& edit_verbs() {
  static const std::vector<EditVerb> kDocs = [] {
    std::vector<EditVerb> docs;
    for (const VerbDef& v : verbs()) docs.push_back(v.doc);
    return docs;
  }();
  return kDocs;
}

std::vector<Edit> parse_edit_script(const std::string& text, const std::string& source) {
  std::vector<Edit> edits;
  size_t line_no = 0, start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    const std::string origin = source + " line " + std::to_string(line_no);
    try {
      std::vector<std::string> words = split_words(line);
      if (words.empty()) continue;
      Edit e{.verb = words[0], .args = {words.begin() + 1, words.end()}, .origin = origin};
      check_words(e);
      edits.push_back(std::move(e));
    } catch (const Error& err) {
      size_t b = line.find_first_not_of(" \t"), e = line.find_last_not_of(" \t\r");
      std::string shown = b == std::string::npos ? line : line.substr(b, e - b + 1);
      throw Error(origin + ": " + shown + ": " + err.what());
    }
    if (end == text.size()) break;
  }
  return edits;
}

std::vector<Edit> edits_from_flag(const std::string& flag, const std::string& value) {
  const std::string origin = "--" + flag;
  auto one = [&](std::vector<std::string> args) { return std::vector<Edit>{{flag, std::move(args), origin}}; };
  std::vector<Edit> edits;
  try {
    verb_named(flag);
    if (flag == "rename-node" || flag == "rename-tensor") {
      auto [a, b] = split_at(value, '=', false, flag, "OLD=NEW");
      edits = one({word_of(a), word_of(b)});
    } else if (flag == "set-attr") {
      auto [lhs, v] = split_at(value, '=', false, flag, "NODE.ATTR=VALUE");
      auto [node, attr] = split_at(lhs, '.', true, flag, "NODE.ATTR=VALUE");
      edits = one({word_of(node), word_of(attr), v.empty() ? "\"\"" : v});
    } else if (flag == "set-node-input") {
      auto [lhs, t] = split_at(value, '=', false, flag, "NODE.INDEX=TENSOR");
      auto [node, index] = split_at(lhs, '.', true, flag, "NODE.INDEX=TENSOR");
      edits = one({word_of(node), index, word_of(t)});
    } else if (flag == "remove-attr") {
      auto [node, attr] = split_at(value, '.', true, flag, "NODE.ATTR");
      edits = one({word_of(node), word_of(attr)});
    } else if (flag == "set-input-shape" || flag == "set-shape") {
      for (auto& [name, shape] : parse_named_shapes(value))
        edits.push_back({flag, {word_of(name), shape.str()}, origin});
    } else if (flag == "set-input-dtype" || flag == "set-dtype") {
      for (const std::string& item : split_commas(value)) {
        auto [name, dtype] = split_at(item, ':', true, flag, "NAME:DTYPE (x:float16)");
        edits.push_back({flag, {word_of(name), dtype}, origin});
      }
    } else if (flag == "set-outputs") {
      std::vector<std::string> names;
      for (const std::string& n : split_commas(value)) names.push_back(word_of(n));
      edits = one(std::move(names));
    } else if (flag == "add-output" || flag == "remove-output") {
      for (const std::string& n : split_commas(value)) edits.push_back({flag, {word_of(n)}, origin});
    } else if (flag == "set-metadata") {
      auto [k, v] = split_at(value, '=', false, flag, "KEY=VALUE");
      edits = one({word_of(k), word_of(v)});
    } else if (flag == "cleanup") {
      edits = one({});
    } else {  // remove-node, set-batch, set-opset, remove-opset, remove-metadata
      edits = one({word_of(value)});
    }
    if (edits.empty()) throw Error("--" + flag + " needs a value");
    for (Edit& e : edits) {
      e.origin = origin;
      e.flag_value = value;
      check_words(e);
    }
  } catch (const Error& err) {
    std::string msg = err.what();
    if (msg.rfind("--" + flag, 0) == 0) throw;
    throw Error("--" + flag + " " + value + ": " + msg);
  }
  return edits;
}

std::string apply_edit(Model& model, const Edit& edit) {
  check_words(edit);
  return verb_named(edit.verb).apply(model, edit.args);
}

Model apply_edits(const Model& model, const std::vector<Edit>& edits, std::vector<EditResult>* results) {
  Model copy = clone(model);
  for (const Edit& e : edits) {
    std::string done;
    try {
      done = apply_edit(copy, e);
    } catch (const Error& err) {
      throw Error(e.where() + ": " + err.what());
    }
    if (results) results->push_back({e.origin, e.text(), done});
  }
  try {
    copy.graph->check();
  } catch (const Error& err) {
    throw Error(std::string("after the edits: ") + err.what());
  }
  return copy;
}

}  // namespace graft
