#pragma once
// Helpers for the surgeon tests: building small graphs, printing a graph as text to compare
// whole results at once, checking producer/consumer links, catching graft::Error messages.
#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"

namespace graft::testing {

using Names = std::vector<std::string>;

inline TensorPtr tensor(const std::string& name) { return std::make_shared<Tensor>(name); }

inline TensorPtr graph_input(Graph& g, const std::string& name) {
  TensorPtr t = tensor(name);
  g.inputs.push_back(t);
  return t;
}

inline TensorDataPtr float_data(std::vector<float> values, std::vector<int64_t> dims = {}) {
  auto data = std::make_shared<TensorData>();
  data->dtype = DataType::kFloat;
  data->dims = dims.empty() && values.size() != 1 ? std::vector<int64_t>{int64_t(values.size())} : dims;
  data->bytes = Bytes::copy_of(values.data(), values.size() * sizeof(float));
  return data;
}

inline TensorPtr initializer(Graph& g, const std::string& name, std::vector<float> values = {1.0f}) {
  TensorPtr t = Tensor::constant(name, float_data(std::move(values)));
  g.initializers.push_back(t);
  return t;
}

// A node `name` reading `ins` and writing one fresh tensor named `name`; returns that tensor.
inline TensorPtr op(Graph& g, const std::string& name, std::vector<TensorPtr> ins,
                    const std::string& op_type = "Op") {
  TensorPtr out = tensor(name);
  g.add_node(op_type, std::move(ins), {out}, name);
  return out;
}

// A new subgraph held as graph attribute `attr` of `owner`.
inline Graph& add_subgraph(Node* owner, const std::string& attr) {
  auto sub = std::make_shared<Graph>(attr, owner->graph());
  owner->set_attr(Attribute::of_graph(attr, sub));
  return *sub;
}

inline std::string joined(const std::vector<TensorPtr>& ts) {
  std::string s;
  for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + (ts[i] ? ts[i]->name : std::string());
  return s;
}

// One line per node, "name: Op(in, in) -> out", between the graph inputs and outputs:
//   in: x
//   init: w
//   a: Relu(x) -> a
//   out: a
// Subgraphs follow their node, indented.
inline std::string text(const Graph& g, const std::string& indent = "") {
  std::string s = indent + "in: " + joined(g.inputs) + "\n";
  if (!g.initializers.empty()) s += indent + "init: " + joined(g.initializers) + "\n";
  for (const auto& n : g.nodes()) {
    std::string op = n->domain.empty() ? n->op_type : n->domain + "::" + n->op_type;
    s += indent + n->name + ": " + op + "(" + joined(n->inputs()) + ") -> " + joined(n->outputs()) + "\n";
    for (const Graph* sub : n->subgraphs()) s += text(*sub, indent + "  ");
  }
  return s + indent + "out: " + joined(g.outputs) + "\n";
}

// Every input link has its consumer entry and every output its producer, and no more.
inline ::testing::AssertionResult links_consistent(const Graph& g) {
  for (const auto& n : g.nodes()) {
    for (const TensorPtr& t : n->inputs()) {
      if (!t) continue;
      size_t uses = std::count(n->inputs().begin(), n->inputs().end(), t);
      size_t links = std::count(t->consumers().begin(), t->consumers().end(), n.get());
      if (uses != links) return ::testing::AssertionFailure() << n->describe() << " / " << t->name;
    }
    for (const TensorPtr& t : n->outputs()) {
      if (t && t->producer() != n.get()) return ::testing::AssertionFailure() << t->name << " producer";
    }
    for (const Graph* sub : n->subgraphs()) {
      if (auto r = links_consistent(*sub); !r) return r;
    }
  }
  return ::testing::AssertionSuccess();
}

// The message of the graft::Error that `f` throws; a test failure if it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a graft::Error";
  return "";
}

inline ::testing::AssertionResult contains(const char* text_expr, const char* part_expr, const std::string& text,
                                           const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << text_expr << " does not contain " << part_expr << "\n  text: " << text;
}

#define EXPECT_CONTAINS(text, part) EXPECT_PRED_FORMAT2(::graft::testing::contains, text, part)

// Expects `edit` to throw an Error containing `reason` and to leave `g` as it was.
#define EXPECT_REFUSED(g, edit, reason)                                                  \
  do {                                                                                   \
    const std::string before_ = ::graft::testing::text(g);                               \
    EXPECT_CONTAINS(::graft::testing::error_of([&] { edit; }), reason);                  \
    EXPECT_EQ(::graft::testing::text(g), before_);                                       \
    EXPECT_TRUE(::graft::testing::links_consistent(g));                                  \
  } while (0)

}  // namespace graft::testing
