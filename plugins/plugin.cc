#include "plugins/plugin.h"

#include <cstring>

#include "surgeon/error.h"

namespace graft::plugins {

void Plugin::enqueue_cuda(const CudaLaunch&) const { throw Error("this plugin has no CUDA implementation"); }

const Attribute* Fields::find(std::string_view name) const {
  for (const Attribute& a : items_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const Attribute& Fields::typed(std::string_view name, AttrType type) const {
  const Attribute* a = find(name);
  if (!a) throw Error("plugin field '" + std::string(name) + "' is not set");
  if (a->type != type) {
    throw Error("plugin field '" + std::string(name) + "' is " + attr_type_name(a->type) + ", read as " +
                attr_type_name(type));
  }
  return *a;
}

int64_t Fields::get_int(std::string_view name) const { return typed(name, AttrType::kInt).i; }
float Fields::get_float(std::string_view name) const { return typed(name, AttrType::kFloat).f; }
std::string Fields::get_string(std::string_view name) const { return typed(name, AttrType::kString).s; }
std::vector<int64_t> Fields::get_ints(std::string_view name) const { return typed(name, AttrType::kInts).ints; }
std::vector<float> Fields::get_floats(std::string_view name) const { return typed(name, AttrType::kFloats).floats; }

namespace {

bool is_field_type(AttrType t) {
  switch (t) {
    case AttrType::kInt: case AttrType::kFloat: case AttrType::kString:
    case AttrType::kInts: case AttrType::kFloats: case AttrType::kStrings:
      return true;
    default:
      return false;
  }
}

// Little-endian-as-stored fixed-width values and length-prefixed runs.
class Writer {
 public:
  template <typename T>
  void put(T v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    out_ += s;
  }
  template <typename T>
  void put_vector(const std::vector<T>& v) {
    put<uint64_t>(v.size());
    out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof v), sizeof v);
    return v;
  }
  std::string get_string() {
    const uint64_t n = count(1);
    return std::string(take(n), n);
  }
  template <typename T>
  std::vector<T> get_vector() {
    const uint64_t n = count(sizeof(T));
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), take(n * sizeof(T)), n * sizeof(T));
    return v;
  }
  bool done() const { return pos_ == in_.size(); }

 private:
  uint64_t count(size_t element_size) {
    const uint64_t n = get<uint64_t>();
    if (n > (in_.size() - pos_) / element_size) throw Error("plugin fields: a length runs past the end of the bytes");
    return n;
  }
  const char* take(size_t n) {
    if (n > in_.size() - pos_) throw Error("plugin fields: the bytes end early");
    const char* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::string_view in_;
  size_t pos_ = 0;
};

constexpr uint32_t kFieldsMagic = 0x31465047;  // "GPF1"

}  // namespace

std::string serialize_fields(const Fields& fields) {
  Writer w;
  w.put(kFieldsMagic);
  w.put<uint64_t>(fields.items().size());
  for (const Attribute& a : fields.items()) {
    if (!is_field_type(a.type)) throw Error("plugin field '" + a.name + "' of type " + attr_type_name(a.type) + " cannot be serialized");
    w.put_string(a.name);
    w.put<int32_t>(static_cast<int32_t>(a.type));
    switch (a.type) {
      case AttrType::kInt: w.put(a.i); break;
      case AttrType::kFloat: w.put(a.f); break;
      case AttrType::kString: w.put_string(a.s); break;
      case AttrType::kInts: w.put_vector(a.ints); break;
      case AttrType::kFloats: w.put_vector(a.floats); break;
      default:
        w.put<uint64_t>(a.strings.size());
        for (const std::string& s : a.strings) w.put_string(s);
    }
  }
  return w.take();
}

Fields deserialize_fields(std::string_view bytes) {
  Reader r(bytes);
  if (r.get<uint32_t>() != kFieldsMagic) throw Error("plugin fields: not serialized plugin fields (bad magic)");
  const uint64_t n = r.get<uint64_t>();
  std::vector<Attribute> items;
  for (uint64_t k = 0; k < n; ++k) {
    Attribute a;
    a.name = r.get_string();
    a.type = static_cast<AttrType>(r.get<int32_t>());
    switch (a.type) {
      case AttrType::kInt: a.i = r.get<int64_t>(); break;
      case AttrType::kFloat: a.f = r.get<float>(); break;
      case AttrType::kString: a.s = r.get_string(); break;
      case AttrType::kInts: a.ints = r.get_vector<int64_t>(); break;
      case AttrType::kFloats: a.floats = r.get_vector<float>(); break;
      case AttrType::kStrings: {
        const uint64_t m = r.get<uint64_t>();
        for (uint64_t j = 0; j < m; ++j) a.strings.push_back(r.get_string());
        break;
      }
      default:
        throw Error("plugin fields: field '" + a.name + "' has unknown type code " + std::to_string(static_cast<int>(a.type)));
    }
    items.push_back(std::move(a));
  }
  if (!r.done()) throw Error("plugin fields: trailing bytes after the last field");
  return Fields(std::move(items));
}

Fields fields_from_attributes(const std::vector<FieldSpec>& specs, const std::vector<Attribute>& attrs) {
  std::vector<Attribute> items;
  for (const FieldSpec& spec : specs) {
    const Attribute* found = nullptr;
    for (const Attribute& a : attrs) {
      if (a.name == spec.name) found = &a;
    }
    if (found && found->type != spec.type) {
      throw Error("attribute '" + spec.name + "' is " + attr_type_name(found->type) + ", the plugin expects " +
                  attr_type_name(spec.type));
    }
    if (!found && !spec.default_value) throw Error("required attribute '" + spec.name + "' is missing");
    Attribute a = found ? *found : *spec.default_value;
    a.name = spec.name;
    a.type = spec.type;
    items.push_back(std::move(a));
  }
  return Fields(std::move(items));
}

}  // namespace graft::plugins
