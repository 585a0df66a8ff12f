#pragma once
// Loads plugin libraries (dlopen) and registers their creators. A library stays loaded
// for the process's life (its creators live in it).
#include <string>
#include <vector>

#include "plugins/registry.h"

namespace graft::plugins {

// Registers every plugin of the library at `path`; returns how many. Loading a path a
// second time does nothing and returns 0. Errors name the library (and the plugin): a file
// that dlopen refuses, no graft_plugin_entry symbol, another ABI version, an identity
// already registered. On an error nothing of the library stays registered.
size_t load_plugin_library(const std::string& path, Registry& registry = Registry::global());

// `--plugins a.so,b.so` (repeatable) and `--plugin-map Op=ns::Name` (repeatable), as the
// subcommands take them.
void load_plugins_and_mappings(const std::vector<std::string>& libraries, const std::vector<std::string>& mappings,
                               Registry& registry = Registry::global());

}  // namespace graft::plugins
