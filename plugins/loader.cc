#include "plugins/loader.h"

#include <dlfcn.h>

#include <mutex>
#include <set>

#include "surgeon/error.h"

namespace graft::plugins {
namespace {

const GraftPluginTable* entry_table(const std::string& path) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw Error("cannot load plugin library " + path + ": " + dlerror());
  auto entry = reinterpret_cast<GraftPluginEntry>(dlsym(handle, GRAFT_PLUGIN_ENTRY_SYMBOL));
  if (!entry) {
    dlclose(handle);
    throw Error("plugin library " + path + " has no " GRAFT_PLUGIN_ENTRY_SYMBOL
                " entry point (is it a graft plugin? see docs/plugins.md)");
  }
  const GraftPluginTable* table = nullptr;
  try {
    table = entry();
  } catch (const std::exception& e) {
    throw Error("plugin library " + path + ": " GRAFT_PLUGIN_ENTRY_SYMBOL " failed: " + e.what());
  }
  if (!table) {
    dlclose(handle);
    throw Error("plugin library " + path + ": " GRAFT_PLUGIN_ENTRY_SYMBOL " returned no table");
  }
  if (const uint32_t built_for = table->abi_version; built_for != kAbiVersion) {
    dlclose(handle);  // nothing of it was used
    throw Error("plugin library " + path + " was built for plugin ABI version " + std::to_string(built_for) +
                ", this graft has version " + std::to_string(kAbiVersion) +
                ": rebuild the library against this graft's plugins/plugin.h");
  }
  return table;
}

}  // namespace

size_t load_plugin_library(const std::string& path, Registry& registry) {
  static std::mutex mu;
  static std::set<std::pair<const Registry*, std::string>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  if (loaded.count({&registry, path})) return 0;
  const GraftPluginTable* table = entry_table(path);
  try {
    for (uint32_t i = 0; i < table->num_creators; ++i) registry.add(table->creators[i], path);
  } catch (const std::exception& e) {
    registry.remove_library(path);
    throw Error(e.what());
  }
  loaded.insert({&registry, path});
  return table->num_creators;
}

void load_plugins_and_mappings(const std::vector<std::string>& libraries, const std::vector<std::string>& mappings,
                               Registry& registry) {
  for (const std::string& lib : libraries) load_plugin_library(lib, registry);
  for (const std::string& m : mappings) registry.add_mapping(m);
}

}  // namespace graft::plugins
