#include "surgeon/shape_text.h"

#include <algorithm>
#include <set>

#include "surgeon/error.h"

namespace graft {
namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(' '), e = s.find_last_not_of(' ');
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

Dim parse_dim_text(const std::string& raw, const std::string& whole) {
  std::string s = trim(raw);
  if (s.empty()) throw Error("bad shape '" + whole + "': empty dimension (write dims like 1x3x224x224)");
  if (s == "?") return Dim::unknown();
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (s.size() > 18) throw Error("bad shape '" + whole + "': dimension " + s + " is too large");
    return Dim::fixed(std::stoll(s));
  }
  if (s[0] == '-') throw Error("bad shape '" + whole + "': dimension " + s + " is negative");
  return Dim::symbolic(s);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] == '[') ++depth;
    if (i < s.size() && s[i] == ']') --depth;
    if (i == s.size() || (s[i] == sep && depth == 0)) {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

Shape parse_shape_text(const std::string& text) {
  std::string s = trim(text);
  if (s.empty() || s == "[]") return Shape::scalar();
  bool bracketed = s.front() == '[';
  if (bracketed && s.back() != ']') throw Error("bad shape '" + text + "': missing ']'");
  std::vector<Dim> dims;
  for (const std::string& d : split(bracketed ? s.substr(1, s.size() - 2) : s, bracketed ? ',' : 'x')) {
    dims.push_back(parse_dim_text(d, text));
  }
  return Shape(std::move(dims));
}

std::vector<std::pair<std::string, Shape>> parse_named_shapes(const std::string& spec) {
  std::vector<std::pair<std::string, Shape>> out;
  std::set<std::string> seen;
  for (const std::string& raw : split(spec, ',')) {
    std::string item = trim(raw);
    if (item.empty()) continue;
    size_t bracket = item.find('[');
    size_t colon = item.rfind(':', bracket == std::string::npos ? std::string::npos : bracket);
    if (colon == std::string::npos || colon == 0) {
      throw Error("bad shape '" + item + "': write NAME:DIMS, like x:1x3x224x224 (a scalar is x:)");
    }
    std::string name = item.substr(0, colon);
    if (!seen.insert(name).second) throw Error("'" + name + "' is given two shapes");
    out.emplace_back(name, parse_shape_text(item.substr(colon + 1)));
  }
  return out;
}

}  // namespace graft
