#pragma once
// The plugin registry: built-in plugins register at start-up, libraries through the
// loader. A node resolves to a plugin by an explicit mapping of its op type
// (--plugin-map DeformConv=graft::DeformConv2d), else by its (domain, op type, opset of
// the domain): the plugin of greatest version not above that opset (the newest when the
// model imports no such domain).
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/plugin.h"
#include "surgeon/node.h"

namespace graft::plugins {

inline constexpr const char* kBuiltIn = "built-in";

struct Registered {
  const PluginCreator* creator = nullptr;
  PluginId id;
  std::string library;  // the .so path, or kBuiltIn
};

class Registry {
 public:
  static Registry& global();

  // Throws an Error naming both libraries when the identity is already registered.
  void add(const PluginCreator* creator, const std::string& library);
  // Maps an op type to a registered plugin, "Op=ns::Name" or "Op=ns::Name:version"
  // (newest version when none). Throws when the plugin is unknown or the text malformed.
  void add_mapping(const std::string& text);
  void clear_mappings();

  const Registered* find(const std::string& ns, const std::string& name, int64_t version) const;
  // Nodes: explicitly mapped ones, then by domain / op / opset. Null when none.
  const Registered* mapped(const Node& node) const;
  const Registered* resolve(const Node& node, int64_t opset) const;
  std::vector<Registered> list() const;  // sorted by identity

  // Test support: forgets the entries a test added from this library.
  void remove_library(const std::string& library);

 private:
  const Registered* newest(const std::string& ns, const std::string& name, int64_t max_version) const;

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Registered>> entries_;
  std::map<std::string, const Registered*> mappings_;  // op type -> plugin
};

// Registers a built-in creator at start-up (owned for the process's life).
#define GRAFT_BUILTIN_PLUGIN_CONCAT2(a, b) a##b
#define GRAFT_BUILTIN_PLUGIN_CONCAT(a, b) GRAFT_BUILTIN_PLUGIN_CONCAT2(a, b)
#define GRAFT_BUILTIN_PLUGIN(Creator)                                                         \
  static const bool GRAFT_BUILTIN_PLUGIN_CONCAT(graft_builtin_plugin_, __COUNTER__) = [] {   \
    ::graft::plugins::Registry::global().add(new Creator, ::graft::plugins::kBuiltIn);      \
    return true;                                                                               \
  }()

}  // namespace graft::plugins
