#include "plugins/registry.h"

#include <algorithm>

#include "surgeon/error.h"

namespace graft::plugins {

Registry& Registry::global() {
  static Registry* r = new Registry();  // never destroyed: built-ins register during static init
  return *r;
}

void Registry::add(const PluginCreator* creator, const std::string& library) {
  if (!creator) throw Error("plugin library " + library + " gave a null plugin creator");
  PluginId id = creator->id();
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_) {
    if (e->id == id) {
      throw Error("plugin " + id.str() + " from " + library + " is already registered (from " + e->library + ")");
    }
  }
  entries_.push_back(std::make_unique<Registered>(Registered{creator, std::move(id), library}));
}

void Registry::add_mapping(const std::string& text) {
  const size_t eq = text.find('=');
  const size_t sep = text.find("::", eq == std::string::npos ? 0 : eq);
  if (eq == std::string::npos || eq == 0 || sep == std::string::npos) {
    throw Error("--plugin-map '" + text + "': expected Op=namespace::Name (or Op=namespace::Name:version)");
  }
  const std::string op = text.substr(0, eq);
  const std::string ns = text.substr(eq + 1, sep - eq - 1);
  std::string name = text.substr(sep + 2);
  int64_t version = 0;
  if (const size_t colon = name.find(':'); colon != std::string::npos) {
    try {
      version = std::stoll(name.substr(colon + 1));
    } catch (const std::exception&) {
      throw Error("--plugin-map '" + text + "': the version after ':' is not a number");
    }
    name.resize(colon);
  }
  std::lock_guard<std::mutex> lock(mu_);
  const Registered* target = newest(ns, name, version > 0 ? version : INT64_MAX);
  if (!target || (version > 0 && target->id.version != version)) {
    throw Error("--plugin-map '" + text + "': no plugin " + ns + "::" + name +
                (version > 0 ? " v" + std::to_string(version) : "") + " is registered (see `graft plugins list`)");
  }
  mappings_[op] = target;
}

void Registry::clear_mappings() {
  std::lock_guard<std::mutex> lock(mu_);
  mappings_.clear();
}

const Registered* Registry::newest(const std::string& ns, const std::string& name, int64_t max_version) const {
  const Registered* best = nullptr;
  for (const auto& e : entries_) {
    if (e->id.ns != ns || e->id.name != name || e->id.version > max_version) continue;
    if (!best || e->id.version > best->id.version) best = e.get();
  }
  return best;
}

const Registered* Registry::find(const std::string& ns, const std::string& name, int64_t version) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Registered* r = newest(ns, name, version);
  return r && r->id.version == version ? r : nullptr;
}

const Registered* Registry::mapped(const Node& node) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = mappings_.find(node.op_type);
  return it == mappings_.end() ? nullptr : it->second;
}

const Registered* Registry::resolve(const Node& node, int64_t opset) const {
  if (const Registered* r = mapped(node)) return r;
  if (node.domain.empty() || node.domain == "ai.onnx") return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  return newest(node.domain, node.op_type, opset > 0 ? opset : INT64_MAX);
}

std::vector<Registered> Registry::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Registered> out;
  for (const auto& e : entries_) out.push_back(*e);
  std::sort(out.begin(), out.end(), [](const Registered& a, const Registered& b) {
    return std::tie(a.id.ns, a.id.name, a.id.version) < std::tie(b.id.ns, b.id.name, b.id.version);
  });
  return out;
}

void Registry::remove_library(const std::string& library) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    it = it->second->library == library ? mappings_.erase(it) : std::next(it);
  }
  std::erase_if(entries_, [&](const auto& e) { return e->library == library; });
}

}  // namespace graft::plugins
