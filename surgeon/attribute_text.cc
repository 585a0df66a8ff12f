#include "surgeon/attribute_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <vector>

#include "surgeon/error.h"

namespace graft {
namespace {

struct Item {
  std::string text;  // unquoted
  bool quoted = false;
};

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Reads a quoted string starting at s[pos] == '"'; returns the index after the closing quote.
size_t read_quoted(const std::string& s, size_t pos, std::string& out, const std::string& whole) {
  for (size_t i = pos + 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\\' && i + 1 < s.size()) {
      char n = s[++i];
      out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
    } else {
      out += c;
    }
  }
  throw Error("bad value " + whole + ": a quoted string is not closed");
}

Item scalar_item(const std::string& raw, const std::string& whole) {
  std::string s = trim(raw);
  if (s.empty()) throw Error("bad value '" + whole + "': an empty element");
  if (s[0] != '"') return {s, false};
  Item item{"", true};
  size_t end = read_quoted(s, 0, item.text, "'" + whole + "'");
  if (end != s.size()) throw Error("bad value '" + whole + "': text after a quoted string");
  return item;
}

std::vector<Item> list_items(const std::string& inner, const std::string& whole) {
  std::vector<Item> items;
  if (trim(inner).empty()) return items;
  size_t start = 0;
  for (size_t i = 0; i <= inner.size(); ++i) {
    if (i < inner.size() && inner[i] == '"') {
      std::string ignored;
      i = read_quoted(inner, i, ignored, "'" + whole + "'") - 1;
      continue;
    }
    if (i < inner.size() && (inner[i] == '[' || inner[i] == ']')) {
      throw Error("bad value '" + whole + "': lists of lists are not attribute values");
    }
    if (i == inner.size() || inner[i] == ',') {
      items.push_back(scalar_item(inner.substr(start, i - start), whole));
      start = i + 1;
    }
  }
  return items;
}

std::optional<int64_t> as_int(const Item& item) {
  if (item.quoted || item.text.empty()) return std::nullopt;
  const char* b = item.text.data() + (item.text[0] == '+');
  int64_t v = 0;
  auto [end, ec] = std::from_chars(b, item.text.data() + item.text.size(), v);
  if (ec != std::errc() || end != item.text.data() + item.text.size()) return std::nullopt;
  return v;
}

std::optional<float> as_float(const Item& item) {
  if (item.quoted || item.text.empty()) return std::nullopt;
  if (std::optional<int64_t> i = as_int(item)) return static_cast<float>(*i);
  char* end = nullptr;
  double v = std::strtod(item.text.c_str(), &end);
  if (end != item.text.c_str() + item.text.size()) return std::nullopt;
  return static_cast<float>(v);
}

enum class Kind { kInt, kFloat, kString, kInts, kFloats, kStrings, kOpenList };

Kind natural_kind(const std::vector<Item>& items, bool list) {
  if (list && items.empty()) return Kind::kOpenList;
  bool all_int = true, all_number = true;
  for (const Item& item : items) {
    if (item.quoted) return list ? Kind::kStrings : Kind::kString;
    all_int = all_int && as_int(item).has_value();
    all_number = all_number && as_float(item).has_value();
  }
  if (all_int) return list ? Kind::kInts : Kind::kInt;
  if (all_number) return list ? Kind::kFloats : Kind::kFloat;
  return list ? Kind::kStrings : Kind::kString;
}

std::optional<Kind> kind_of(AttrType t) {
  switch (t) {
    case AttrType::kInt:
      return Kind::kInt;
    case AttrType::kFloat:
      return Kind::kFloat;
    case AttrType::kString:
      return Kind::kString;
    case AttrType::kInts:
      return Kind::kInts;
    case AttrType::kFloats:
      return Kind::kFloats;
    case AttrType::kStrings:
      return Kind::kStrings;
    default:
      return std::nullopt;
  }
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kInts:
      return "ints";
    case Kind::kFloats:
      return "floats";
    case Kind::kStrings:
      return "strings";
    case Kind::kOpenList:
      return "empty list";
  }
  return "?";
}

std::optional<Kind> kind_from_prefix(const std::string& p) {
  for (Kind k : {Kind::kInt, Kind::kFloat, Kind::kString, Kind::kInts, Kind::kFloats, Kind::kStrings}) {
    if (p == kind_name(k)) return k;
  }
  return std::nullopt;
}

bool is_list(Kind k) { return k == Kind::kInts || k == Kind::kFloats || k == Kind::kStrings || k == Kind::kOpenList; }

// The kind to build, given the text's own kind and the existing attribute's.
Kind settle(Kind natural, const Attribute* existing, const std::string& name, const std::string& text) {
  std::optional<Kind> old = existing ? kind_of(existing->type) : std::nullopt;
  if (existing && !old) {
    throw Error("attribute '" + name + "' is a " + attr_type_name(existing->type) +
                "; only int, float, string and their lists can be written as text");
  }
  if (!old) {
    if (natural == Kind::kOpenList) {
      throw Error("'" + text + "' does not say its type: write ints:[], floats:[] or strings:[]");
    }
    return natural;
  }
  if (natural == *old) return natural;
  if (natural == Kind::kOpenList && is_list(*old)) return *old;
  if (*old == Kind::kFloat && natural == Kind::kInt) return Kind::kFloat;
  if (*old == Kind::kFloats && natural == Kind::kInts) return Kind::kFloats;
  if (*old == Kind::kString && !is_list(natural)) return Kind::kString;
  if (*old == Kind::kStrings && is_list(natural)) return Kind::kStrings;
  throw Error("'" + text + "' is " + (natural == Kind::kOpenList ? "an" : "a") + " " + kind_name(natural) +
              " value but attribute '" + name + "' is " + kind_name(*old) + " (write " + kind_name(*old) +
              " or change the type explicitly: " + kind_name(natural) + ":" + text + ")");
}

Attribute build(const std::string& name, Kind kind, const std::vector<Item>& items, const std::string& text) {
  auto need_int = [&](const Item& item) {
    if (std::optional<int64_t> v = as_int(item)) return *v;
    throw Error("bad value '" + text + "': '" + item.text + "' is not an integer");
  };
  auto need_float = [&](const Item& item) {
    if (std::optional<float> v = as_float(item)) return *v;
    throw Error("bad value '" + text + "': '" + item.text + "' is not a number");
  };
  if (!is_list(kind) && items.size() != 1) {
    throw Error("bad value '" + text + "': " + kind_name(kind) + " wants one value, not a list");
  }
  Attribute a{.name = name};
  switch (kind) {
    case Kind::kInt:
      return Attribute::of_int(name, need_int(items[0]));
    case Kind::kFloat:
      return Attribute::of_float(name, need_float(items[0]));
    case Kind::kString:
      return Attribute::of_string(name, items[0].text);
    case Kind::kInts:
      a.type = AttrType::kInts;
      for (const Item& item : items) a.ints.push_back(need_int(item));
      return a;
    case Kind::kFloats:
      a.type = AttrType::kFloats;
      for (const Item& item : items) a.floats.push_back(need_float(item));
      return a;
    case Kind::kStrings:
      a.type = AttrType::kStrings;
      for (const Item& item : items) a.strings.push_back(item.text);
      return a;
    case Kind::kOpenList:
      break;
  }
  throw Error("bad value '" + text + "'");
}

std::string float_text(float f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(f));
  std::string s = buf;
  // The shortest of %.6g .. %.9g that reads back exactly.
  for (int digits = 6; digits < 9; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f) {
      s = buf;
      break;
    }
  }
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string quoted_text(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\t') {
      out += "\\t";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

bool needs_quotes(const std::string& s) {
  if (s.empty() || s[0] == '#' || s[0] == '"') return true;
  int depth = 0;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\\' || c == ',') return true;
    depth += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (depth < 0) return true;
  }
  return depth != 0;
}

Attribute parse_attribute_value(const std::string& name, const std::string& raw, const Attribute* existing) {
  std::string text = trim(raw);
  std::optional<Kind> forced;
  if (size_t colon = text.find(':'); colon != std::string::npos && text[0] != '"') {
    forced = kind_from_prefix(text.substr(0, colon));
    if (forced) text = trim(text.substr(colon + 1));
  }
  if (text.empty()) throw Error("no value for attribute '" + name + "' (an empty string is written \"\")");
  bool list = text[0] == '[';
  std::vector<Item> items;
  if (list) {
    if (text.back() != ']') throw Error("bad value '" + text + "': missing ']'");
    items = list_items(text.substr(1, text.size() - 2), text);
  } else {
    items.push_back(scalar_item(text, text));
  }
  Kind kind;
  if (forced) {
    if (is_list(*forced) != list) {
      throw Error("bad value '" + raw + "': " + kind_name(*forced) +
                  (list ? " wants one value, not a list" : " wants a list like [1, 2]"));
    }
    kind = *forced;
  } else {
    kind = settle(natural_kind(items, list), existing, name, text);
  }
  return build(name, kind, items, text);
}

std::string attribute_value_text(const Attribute& a) {
  auto join = [](const auto& values, auto fmt, const char* empty) {
    if (values.empty()) return std::string(empty);
    std::string s = "[";
    for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + fmt(values[i]);
    return s + "]";
  };
  switch (a.type) {
    case AttrType::kInt:
      return std::to_string(a.i);
    case AttrType::kFloat:
      return float_text(a.f);
    case AttrType::kString:
      return quoted_text(a.s);
    case AttrType::kInts:
      return join(
          a.ints, [](int64_t v) { return std::to_string(v); }, "ints:[]");
    case AttrType::kFloats:
      return join(a.floats, float_text, "floats:[]");
    case AttrType::kStrings:
      return join(a.strings, quoted_text, "strings:[]");
    default:
      return a.value_str();
  }
}

bool attribute_value_matches(const Attribute& wanted, const Attribute& a) {
  if (wanted.type == AttrType::kInt && a.type == AttrType::kFloat) return a.f == static_cast<float>(wanted.i);
  if (wanted.type == AttrType::kInts && a.type == AttrType::kFloats) {
    if (wanted.ints.size() != a.floats.size()) return false;
    for (size_t k = 0; k < a.floats.size(); ++k) {
      if (a.floats[k] != static_cast<float>(wanted.ints[k])) return false;
    }
    return true;
  }
  if (wanted.type != a.type) return false;
  switch (a.type) {
    case AttrType::kInt:
      return wanted.i == a.i;
    case AttrType::kFloat:
      return wanted.f == a.f;
    case AttrType::kString:
      return wanted.s == a.s;
    case AttrType::kInts:
      return wanted.ints == a.ints;
    case AttrType::kFloats:
      return wanted.floats == a.floats;
    case AttrType::kStrings:
      return wanted.strings == a.strings;
    default:
      return false;
  }
}

}  // namespace graft
