#include "surgeon/rule_text.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <unordered_set>

#include "surgeon/attribute_text.h"
#include "surgeon/edit.h"
#include "surgeon/error.h"
#include "surgeon/find.h"

namespace graft {

// Per rule: the roots of matches left alone, and why the first one was.
struct RuleStats {
  std::vector<std::set<std::string>> declined;
  std::vector<std::string> first_decline;
};

namespace {

// ---------------------------------------------------------------------------------------
// Tokens

enum class Tok { kIdent, kNumber, kString, kPunct, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  size_t line = 0;
  size_t begin = 0, end = 0;  // offsets in the source
};

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'; }
bool digit(char c) { return c >= '0' && c <= '9'; }

std::vector<Token> lex(const std::string& src, const std::string& source) {
  std::vector<Token> tokens;
  size_t i = 0, line = 1;
  auto fail = [&](const std::string& msg) { throw Error(source + " line " + std::to_string(line) + ": " + msg); };
  while (i < src.size()) {
    char c = src[i];
    if (c == '\n') {
      ++line;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < src.size() && src[i] != '\n') ++i;
      continue;
    }
    Token t{.line = line, .begin = i};
    if (ident_start(c)) {
      while (i < src.size() && ident_char(src[i])) ++i;
      t.kind = Tok::kIdent;
    } else if (digit(c) || ((c == '-' || c == '.') && i + 1 < src.size() && (digit(src[i + 1]) || src[i + 1] == '.'))) {
      ++i;
      while (i < src.size() && (digit(src[i]) || src[i] == '.' || src[i] == 'e' || src[i] == 'E' ||
                                ((src[i] == '-' || src[i] == '+') && (src[i - 1] == 'e' || src[i - 1] == 'E')))) {
        ++i;
      }
      t.kind = Tok::kNumber;
    } else if (c == '"') {
      for (++i; i < src.size() && src[i] != '"'; ++i) {
        if (src[i] == '\\') ++i;
        if (i < src.size() && src[i] == '\n') fail("a quoted string runs past the end of the line");
      }
      if (i >= src.size()) fail("a quoted string is not closed");
      ++i;
      t.kind = Tok::kString;
    } else if ((c == '-' || c == '=') && i + 1 < src.size() && src[i + 1] == '>') {
      i += 2;
      t.kind = Tok::kPunct;
    } else if (std::strchr("()[],;:=?*", c)) {
      ++i;
      t.kind = Tok::kPunct;
    } else {
      fail(std::string("unexpected character '") + c + "'");
    }
    t.end = i;
    t.text = src.substr(t.begin, t.end - t.begin);
    tokens.push_back(std::move(t));
  }
  tokens.push_back({.kind = Tok::kEnd, .text = "the end", .line = line, .begin = src.size(), .end = src.size()});
  return tokens;
}

// ---------------------------------------------------------------------------------------
// Syntax tree

struct Call;

struct Arg {
  enum class Kind { kName, kAny, kLiteral, kCall } kind = Kind::kName;
  std::string name;
  bool constant = false;  // const w
  bool optional = false;  // b?  _?
  std::string literal;    // 0.5, [1, -1]
  std::shared_ptr<Call> call;
  size_t line = 0;
};

struct AttrSpec {
  enum class Kind { kEquals, kEqualsOrAbsent, kAbsent, kCopy, kCopyAll } kind = Kind::kEquals;
  std::string name;  // the attribute (kCopyAll: none)
  Attribute value;
  std::string from_op, from_attr;
};

struct Call {
  std::string op_type, domain;
  std::vector<Arg> args;
  std::vector<AttrSpec> attrs;
  std::vector<std::string> as_names;  // `as a` / `as (a, b)`: output names
  std::vector<std::string> to_names;  // `-> y`: matched tensors this op makes again
  size_t line = 0;
  std::string shown() const { return (domain.empty() ? "" : domain + ".") + op_type + "(...)"; }
};

using CallPtr = std::shared_ptr<Call>;

struct Decl {
  std::string name;
  bool constant = false, optional = false;
};

bool is_keyword(const std::string& s) {
  return s == "rule" || s == "as" || s == "const" || s == "or" || s == "absent" || s == "_";
}

bool commutative_op(const Call& c) {
  static const std::set<std::string> kOps = {"Add", "Mul", "Max",   "Min",        "Sum",       "Mean",      "And",
                                             "Or",  "Xor", "Equal", "BitwiseAnd", "BitwiseOr", "BitwiseXor"};
  return is_default_domain(c.domain) && kOps.count(c.op_type) && c.args.size() == 2;
}

// ---------------------------------------------------------------------------------------
// Parser: one rule at a time.

class RuleParser {
 public:
  RuleParser(const std::string& src, const std::vector<Token>& tokens, const std::string& source)
      : src_(src), toks_(tokens), source_(source) {}

  bool at_end() const { return peek().kind == Tok::kEnd; }

  struct Parsed {
    std::string name;
    size_t line = 0;
    size_t begin = 0, end = 0;
    std::vector<Decl> decls;
    std::vector<CallPtr> pattern, replacement;
  };

  Parsed rule() {
    Parsed r;
    const Token& kw = next();
    if (kw.text != "rule") fail(kw, "expected 'rule NAME:' to start a rule, got '" + kw.text + "'");
    r.line = kw.line;
    r.begin = kw.begin;
    const Token& name = next();
    if (name.kind != Tok::kIdent || is_keyword(name.text) || name.text.find('.') != std::string::npos) {
      fail(name, "expected a rule name after 'rule', got '" + name.text + "'");
    }
    r.name = rule_name_ = name.text;
    expect(":", "after the rule name");
    if (peek().kind == Tok::kIdent && peek(1).text != "(") {
      while (true) {
        Decl d;
        if (peek().text == "const") {
          next();
          d.constant = true;
        }
        d.name = name_token("a pattern input").text;
        if (accept("?")) d.optional = true;
        r.decls.push_back(d);
        if (accept(",")) continue;
        expect("->", "after the pattern's inputs (x, const w -> ...)");
        break;
      }
    }
    pattern_ = true;
    while (true) {
      r.pattern.push_back(call_with_names());
      if (accept(";") && peek().text != "=>") continue;
      break;
    }
    expect("=>", "between the pattern and its replacement");
    pattern_ = false;
    while (true) {
      r.replacement.push_back(call_with_names());
      if (accept(";") && !(peek().kind == Tok::kIdent && peek().text == "rule") && !at_end()) continue;
      break;
    }
    if (!at_end() && peek().text != "rule") fail(peek(), "expected ';' or the next rule, got '" + peek().text + "'");
    r.end = toks_[pos_ - 1].end;
    return r;
  }

  [[noreturn]] void fail(const Token& at, const std::string& msg) const {
    throw Error(source_ + " line " + std::to_string(at.line) + ": " +
                (rule_name_.empty() ? "" : "rule " + rule_name_ + ": ") + msg);
  }

 private:
  const Token& peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& next() {
    const Token& t = peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  bool accept(const std::string& punct) {
    if (peek().kind != Tok::kPunct || peek().text != punct) return false;
    next();
    return true;
  }
  void expect(const std::string& punct, const std::string& where) {
    if (!accept(punct)) fail(peek(), "expected '" + punct + "' " + where + ", got '" + peek().text + "'");
  }
  const Token& name_token(const std::string& what) {
    const Token& t = next();
    if (t.kind != Tok::kIdent || is_keyword(t.text) || t.text.find('.') != std::string::npos) {
      fail(t, "expected " + what + " (a name), got '" + t.text + "'");
    }
    return t;
  }

  std::vector<std::string> names_after(const std::string& what) {
    std::vector<std::string> names;
    if (accept("(")) {
      do names.push_back(name_token(what).text);
      while (accept(","));
      expect(")", "after the names");
    } else {
      names.push_back(name_token(what).text);
    }
    return names;
  }

  CallPtr call_with_names() {
    CallPtr c = call();
    if (peek().text == "as" && peek().kind == Tok::kIdent) {
      next();
      c->as_names = names_after("a name for the op's output");
    } else if (!pattern_ && accept("->")) {
      c->to_names = names_after("a matched tensor");
    }
    return c;
  }

  CallPtr call() {
    const Token& op = next();
    if (op.kind != Tok::kIdent || is_keyword(op.text)) fail(op, "expected an op like Mul(x, y), got '" + op.text + "'");
    auto c = std::make_shared<Call>();
    c->line = op.line;
    size_t dot = op.text.rfind('.');
    c->op_type = dot == std::string::npos ? op.text : op.text.substr(dot + 1);
    c->domain = dot == std::string::npos ? "" : op.text.substr(0, dot);
    if (c->op_type.empty()) fail(op, "'" + op.text + "' has no op name after the domain");
    expect("(", "after the op name " + op.text);
    if (!accept(")")) {
      do c->args.push_back(arg());
      while (accept(","));
      expect(")", "after the inputs of " + op.text);
    }
    if (accept("[")) {
      if (!accept("]")) {
        do c->attrs.push_back(attr());
        while (accept(","));
        expect("]", "after the attributes of " + op.text);
      }
    }
    return c;
  }

  Arg arg() {
    const Token& t = peek();
    Arg a{.line = t.line};
    if (t.kind == Tok::kNumber || (t.kind == Tok::kPunct && t.text == "[")) {
      a.kind = Arg::Kind::kLiteral;
      a.literal = value_text();
      return a;
    }
    if (t.kind != Tok::kIdent)
      fail(t, "expected an input (a name, _, const NAME, a number or an op), got '" + t.text + "'");
    if (t.text == "const") {
      next();
      a.constant = true;
      a.name = name_token("a name after 'const'").text;
      return a;
    }
    if (t.text == "_") {
      next();
      a.kind = Arg::Kind::kAny;
      a.optional = accept("?");
      return a;
    }
    if (peek(1).text == "(" && peek(1).kind == Tok::kPunct) {
      a.kind = Arg::Kind::kCall;
      a.call = call_with_names();
      return a;
    }
    a.name = name_token("an input").text;
    a.optional = accept("?");
    return a;
  }

  // The source text of one attribute value: a token, a [list], or TYPE:value.
  std::string value_text() {
    const Token& first = next();
    size_t end = first.end;
    if (first.kind == Tok::kIdent && peek().text == ":" && peek().kind == Tok::kPunct) {
      next();
      return first.text + ":" + value_text();
    }
    if (first.kind == Tok::kPunct && first.text == "[") {
      int depth = 1;
      while (depth > 0) {
        const Token& t = next();
        if (t.kind == Tok::kEnd) fail(first, "a '[' without its ']'");
        if (t.kind == Tok::kPunct && t.text == "[") ++depth;
        if (t.kind == Tok::kPunct && t.text == "]") --depth;
        end = t.end;
      }
    } else if (first.kind == Tok::kPunct) {
      fail(first, "expected a value, got '" + first.text + "'");
    }
    return src_.substr(first.begin, end - first.begin);
  }

  AttrSpec attr() {
    const Token& t = next();
    if (t.kind != Tok::kIdent) fail(t, "expected an attribute like group=1, got '" + t.text + "'");
    AttrSpec a;
    const std::string& w = t.text;
    if (!pattern_ && w.size() > 1 && w.back() == '.' && peek().text == "*") {
      next();
      a.kind = AttrSpec::Kind::kCopyAll;
      a.from_op = w.substr(0, w.size() - 1);
      return a;
    }
    if (pattern_ && peek().text == "absent") {
      next();
      a.kind = AttrSpec::Kind::kAbsent;
      a.name = w;
      return a;
    }
    if (!pattern_ && w.find('.') != std::string::npos && peek().text != "=") {
      a.kind = AttrSpec::Kind::kCopy;
      a.from_op = w.substr(0, w.rfind('.'));
      a.name = a.from_attr = w.substr(w.rfind('.') + 1);
      return a;
    }
    a.name = w;
    if (w.find('.') != std::string::npos) fail(t, "'" + w + "' is not an attribute name");
    expect("=", "after attribute '" + w + "'" + (pattern_ ? " (or '" + w + " absent')" : ""));
    const Token& vt = peek();
    std::string text = value_text();
    if (!pattern_ && vt.kind == Tok::kIdent && text.find('.') != std::string::npos &&
        text.find(':') == std::string::npos) {
      a.kind = AttrSpec::Kind::kCopy;
      a.from_op = text.substr(0, text.rfind('.'));
      a.from_attr = text.substr(text.rfind('.') + 1);
      return a;
    }
    try {
      a.value = parse_attribute_value(w, text);
    } catch (const Error& e) {
      fail(vt, e.what());
    }
    if (pattern_ && peek().text == "or") {
      next();
      if (next().text != "absent") fail(peek(), "expected 'or absent'");
      a.kind = AttrSpec::Kind::kEqualsOrAbsent;
    }
    return a;
  }

  const std::string& src_;
  const std::vector<Token>& toks_;
  std::string source_;
  size_t pos_ = 0;
  bool pattern_ = true;
  std::string rule_name_;
};

// ---------------------------------------------------------------------------------------
// Literals as constants

std::optional<Attribute> literal_value(const std::string& text) {
  try {
    Attribute a = parse_attribute_value("literal", text);
    if (a.type == AttrType::kInt || a.type == AttrType::kFloat || a.type == AttrType::kInts ||
        a.type == AttrType::kFloats) {
      return a;
    }
  } catch (const Error&) {
  }
  return std::nullopt;
}

TensorDataPtr literal_data(const Attribute& a) {
  auto d = std::make_shared<TensorData>();
  switch (a.type) {
    case AttrType::kInt:
      d->dtype = DataType::kInt64;
      d->bytes = Bytes::copy_of(&a.i, sizeof a.i);
      break;
    case AttrType::kFloat:
      d->dtype = DataType::kFloat;
      d->bytes = Bytes::copy_of(&a.f, sizeof a.f);
      break;
    case AttrType::kInts:
      d->dtype = DataType::kInt64;
      d->dims = {static_cast<int64_t>(a.ints.size())};
      d->bytes = Bytes::copy_of(a.ints.data(), a.ints.size() * sizeof(int64_t));
      break;
    default:
      d->dtype = DataType::kFloat;
      d->dims = {static_cast<int64_t>(a.floats.size())};
      d->bytes = Bytes::copy_of(a.floats.data(), a.floats.size() * sizeof(float));
      break;
  }
  return d;
}

// A constant whose values equal the literal's (a scalar literal: every element equals it).
ValuesCheck literal_check(const Attribute& a) {
  if (a.type == AttrType::kInt) return all_values(static_cast<double>(a.i));
  if (a.type == AttrType::kFloat) return all_values(a.f);
  std::vector<double> want;
  for (int64_t v : a.ints) want.push_back(static_cast<double>(v));
  for (float v : a.floats) want.push_back(v);
  return [want](const TensorData& d) {
    if (d.num_elements() != static_cast<int64_t>(want.size())) return false;
    for (size_t i = 0; i < want.size(); ++i) {
      if (value_at(d, i) != want[i]) return false;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------------
// Building a rule

struct Compiled {
  // Names the pattern binds: its inputs and op outputs.
  std::map<std::string, PatternValue> values;
  std::set<std::string> op_outputs;     // names bound to op outputs
  std::vector<std::string> root_names;  // the root op's `as` names
  std::vector<CallPtr> replacement;
  std::set<std::string> reproduced;  // `-> name` targets
  bool implicit_root = false;        // the last replacement op makes the root's outputs
};

class RuleBuilder {
 public:
  RuleBuilder(const RuleParser::Parsed& parsed, const RuleParser& parser) : r_(parsed), parser_(parser) {}

  [[noreturn]] void fail(size_t line, const std::string& msg) const {
    Token at{.line = line};
    parser_.fail(at, msg);
  }

  // Fills `pattern` and returns what the rewrite needs.
  std::shared_ptr<Compiled> build(Pattern& p) {
    auto c = std::make_shared<Compiled>();
    c_ = c.get();
    p_ = &p;
    for (const Decl& d : r_.decls) {
      if (c->values.count(d.name)) fail(r_.line, "input '" + d.name + "' is declared twice");
      c->values.emplace(d.name, d.constant ? p.constant() : d.optional ? p.optional() : p.any());
    }
    for (size_t i = 0; i < r_.pattern.size(); ++i) pattern_call(*r_.pattern[i], true);
    check_pattern_connected();
    c->root_names = r_.pattern.back()->as_names;
    c->replacement = r_.replacement;
    check_replacement();
    for (const auto& [value, name] : op_values_) {
      if (!c->reproduced.count(name) || name.empty()) value.single_use();
    }
    return c;
  }

 private:
  PatternValue pattern_call(const Call& call, bool top) {
    std::vector<PatternValue> inputs;
    for (const Arg& a : call.args) inputs.push_back(pattern_arg(a));
    PatternValue out = p_->op(call.op_type, inputs, call.domain);
    if (commutative_op(call)) out.commutative();
    for (const AttrSpec& a : call.attrs) {
      switch (a.kind) {
        case AttrSpec::Kind::kAbsent:
          out.attr(a.name, attr_absent());
          break;
        case AttrSpec::Kind::kEquals:
        case AttrSpec::Kind::kEqualsOrAbsent: {
          bool or_absent = a.kind == AttrSpec::Kind::kEqualsOrAbsent;
          Attribute want = a.value;
          out.attr(a.name, [want, or_absent](const Attribute* got) {
            return got ? attribute_value_matches(want, *got) : or_absent;
          });
          break;
        }
        default:
          fail(call.line, "attribute copies belong in the replacement");
      }
    }
    const bool is_root = top && &call == r_.pattern.back().get();
    for (size_t k = 0; k < call.as_names.size(); ++k) {
      const std::string& name = call.as_names[k];
      if (c_->values.count(name)) fail(call.line, "'" + name + "' is bound twice in the pattern");
      PatternValue v = k == 0 ? out : out.output(k);
      c_->values.emplace(name, v);
      c_->op_outputs.insert(name);
      op_names_[name] = &call;
      if (!(is_root && k == 0)) op_values_.push_back({v, name});
    }
    if (call.as_names.empty() && !is_root) op_values_.push_back({out, ""});
    return out;
  }

  PatternValue pattern_arg(const Arg& a) {
    switch (a.kind) {
      case Arg::Kind::kAny:
        return a.optional ? p_->optional() : p_->any();
      case Arg::Kind::kLiteral: {
        std::optional<Attribute> v = literal_value(a.literal);
        if (!v) fail(a.line, "'" + a.literal + "' is not a number or a list of numbers");
        return p_->constant().values(literal_check(*v));
      }
      case Arg::Kind::kCall:
        return pattern_call(*a.call, false);
      case Arg::Kind::kName:
        break;
    }
    auto it = c_->values.find(a.name);
    if (it != c_->values.end()) {
      if ((a.constant || a.optional) && c_->op_outputs.count(a.name)) {
        fail(a.line, "'" + a.name + "' is an op's output; 'const' and '?' apply to pattern inputs");
      }
      if (a.constant) it->second.values([](const TensorData&) { return true; });
      return it->second;
    }
    PatternValue v = a.constant ? p_->constant() : a.optional ? p_->optional() : p_->any();
    c_->values.emplace(a.name, v);
    return v;
  }

  // Every op but the last must feed a later one (the matcher starts from the last).
  void check_pattern_connected() {
    std::set<std::string> read_later;
    for (size_t i = r_.pattern.size(); i-- > 0;) {
      const Call& call = *r_.pattern[i];
      if (i + 1 < r_.pattern.size()) {
        bool feeds = std::any_of(call.as_names.begin(), call.as_names.end(),
                                 [&](const std::string& n) { return read_later.count(n); });
        if (!feeds) {
          fail(call.line, call.shown() + (call.as_names.empty() ? "" : " as " + call.as_names[0]) +
                              " feeds no later op of the pattern; every op must lead to the last one (the root)");
        }
      }
      collect_reads(call, read_later);
    }
  }

  static void collect_reads(const Call& call, std::set<std::string>& names) {
    for (const Arg& a : call.args) {
      if (a.kind == Arg::Kind::kName) names.insert(a.name);
      if (a.kind == Arg::Kind::kCall) collect_reads(*a.call, names);
    }
  }

  std::vector<std::string> known_names() const {
    std::vector<std::string> names;
    for (const auto& [n, v] : c_->values) names.push_back(n);
    for (const std::string& n : fresh_) names.push_back(n);
    return names;
  }

  void replacement_call(const Call& call, bool top, bool last) {
    for (const Arg& a : call.args) {
      if (a.kind == Arg::Kind::kCall) replacement_call(*a.call, false, false);
      if (a.kind == Arg::Kind::kLiteral && !literal_value(a.literal)) {
        fail(a.line, "'" + a.literal + "' is not a number or a list of numbers");
      }
      if (a.kind != Arg::Kind::kName) continue;
      if (a.constant || a.optional) fail(a.line, "'const' and '?' belong in the pattern");
      if (fresh_.count(a.name)) continue;
      if (!c_->values.count(a.name)) {
        fail(a.line, "the replacement reads '" + a.name +
                         "', which neither the pattern nor an earlier op of the "
                         "replacement names" +
                         closest_names_hint(a.name, known_names()));
      }
      if (c_->op_outputs.count(a.name) && !c_->reproduced.count(a.name)) {
        fail(a.line, "the replacement reads '" + a.name +
                         "', which the match removes; make it again first "
                         "(Op(...) -> " +
                         a.name + ") or read the pattern's inputs");
      }
    }
    for (const AttrSpec& a : call.attrs) {
      if (a.kind != AttrSpec::Kind::kCopy && a.kind != AttrSpec::Kind::kCopyAll) continue;
      if (!op_names_.count(a.from_op)) {
        std::vector<std::string> ops;
        for (const auto& [n, c] : op_names_) ops.push_back(n);
        fail(call.line, "'" + a.from_op + "' names no op of the pattern (name one with 'as " + a.from_op +
                            "' to copy its attributes)" + closest_names_hint(a.from_op, ops));
      }
    }
    for (const std::string& n : call.to_names) {
      if (!c_->op_outputs.count(n)) {
        fail(call.line,
             "'-> " + n + "': only tensors that pattern ops produce can be made again" +
                 closest_names_hint(n, std::vector<std::string>(c_->op_outputs.begin(), c_->op_outputs.end())));
      }
      if (!c_->reproduced.insert(n).second) fail(call.line, "'" + n + "' is made twice by the replacement");
    }
    for (const std::string& n : call.as_names) {
      if (c_->values.count(n) || !fresh_.insert(n).second) {
        fail(call.line, "'" + n + "' is already a name of this rule; pick another name for the new tensor");
      }
    }
    if (top && last && call.to_names.empty() && call.as_names.empty()) c_->implicit_root = true;
  }

  void check_replacement() {
    for (size_t i = 0; i < c_->replacement.size(); ++i) {
      replacement_call(*c_->replacement[i], true, i + 1 == c_->replacement.size());
    }
    const std::vector<std::string>& root = c_->root_names;
    if (c_->implicit_root) {
      for (const std::string& n : root) {
        if (c_->reproduced.count(n)) fail(r_.line, "'" + n + "' is made twice by the replacement");
        c_->reproduced.insert(n);
      }
      return;
    }
    if (root.empty() || !c_->reproduced.count(root[0])) {
      std::string name = root.empty() ? "y" : root[0];
      fail(r_.line, "the replacement does not make the pattern's result" +
                        (root.empty() ? std::string() : " '" + root[0] + "'") + ": end it with '-> " + name + "'" +
                        (root.empty() ? " after naming the last pattern op 'as " + name + "'" : "") +
                        ", or leave the last replacement op without 'as'/'->'");
    }
  }

  const RuleParser::Parsed& r_;
  const RuleParser& parser_;
  Compiled* c_ = nullptr;
  Pattern* p_ = nullptr;
  std::set<std::string> fresh_;
  std::map<std::string, const Call*> op_names_;
  std::vector<std::pair<PatternValue, std::string>> op_values_;  // non-root op outputs
};

// ---------------------------------------------------------------------------------------
// Rewriting one match

class Rewrite {
 public:
  Rewrite(const Compiled& c, Graph& g, const Match& m) : c_(c), g_(g), m_(m), root_(*m.root()) {
    base_ = root_.output(0) ? root_.output(0)->name : root_.name;
  }

  // Fills `specs` and `constants`; throws an Error saying why not.
  void plan() {
    for (size_t i = 0; i < c_.replacement.size(); ++i) {
      spec_of(*c_.replacement[i], c_.implicit_root && i + 1 == c_.replacement.size());
    }
  }

  std::vector<NodeSpec> specs;
  std::vector<TensorPtr> constants;

  // The first output of a matched node that is still needed and that the replacement does
  // not make again; empty if none.
  std::string lost_output() const {
    std::unordered_set<const Tensor*> made;
    for (const NodeSpec& s : specs) {
      for (const TensorPtr& t : s.outputs) made.insert(t.get());
    }
    std::unordered_set<const Node*> matched(m_.nodes().begin(), m_.nodes().end());
    for (const Node* n : m_.nodes()) {
      for (const TensorPtr& t : n->outputs()) {
        if (!t || made.count(t.get())) continue;
        bool needed = holds(g_.outputs, t.get()) || std::any_of(t->consumers().begin(), t->consumers().end(),
                                                                [&](const Node* r) { return !matched.count(r); });
        if (needed) return "'" + t->name + "' (made by " + n->describe() + ") is still read outside the match";
      }
    }
    return "";
  }

 private:
  std::string fresh_tensor_name(const std::string& hint) {
    std::string name = unique_tensor_name(g_, base_ + "_" + hint);
    for (size_t k = 1; taken_tensors_.count(name); ++k)
      name = unique_tensor_name(g_, base_ + "_" + hint + "_" + std::to_string(k));
    taken_tensors_.insert(name);
    return name;
  }

  std::string fresh_node_name(const std::string& op_type) {
    std::string stem = (root_.name.empty() ? base_ : root_.name) + "/" + op_type;
    std::string name = unique_node_name(g_, stem);
    for (size_t k = 1; taken_nodes_.count(name); ++k) name = unique_node_name(g_, stem + "_" + std::to_string(k));
    taken_nodes_.insert(name);
    return name;
  }

  TensorPtr input_of(const Arg& a) {
    switch (a.kind) {
      case Arg::Kind::kAny:
        return nullptr;
      case Arg::Kind::kLiteral: {
        TensorPtr t = Tensor::constant(fresh_tensor_name("const"), literal_data(*literal_value(a.literal)));
        constants.push_back(t);
        return t;
      }
      case Arg::Kind::kCall:
        return spec_of(*a.call, false);
      case Arg::Kind::kName:
        break;
    }
    auto f = fresh_.find(a.name);
    if (f != fresh_.end()) return f->second;
    return m_.tensor(c_.values.at(a.name));
  }

  // Adds the spec of `call` (after those of its nested calls); returns its first output.
  TensorPtr spec_of(const Call& call, bool makes_root) {
    NodeSpec s{.op_type = call.op_type, .domain = call.domain};
    for (const Arg& a : call.args) s.inputs.push_back(input_of(a));
    while (!s.inputs.empty() && !s.inputs.back()) s.inputs.pop_back();  // omitted trailing inputs
    for (const AttrSpec& a : call.attrs) {
      auto put = [&](Attribute attr) {
        auto same = std::find_if(s.attributes.begin(), s.attributes.end(),
                                 [&](const Attribute& x) { return x.name == attr.name; });
        if (same != s.attributes.end()) {
          *same = std::move(attr);
        } else {
          s.attributes.push_back(std::move(attr));
        }
      };
      if (a.kind == AttrSpec::Kind::kEquals) {
        put(a.value);
      } else if (a.kind == AttrSpec::Kind::kCopy) {
        if (const Attribute* from = m_.node(c_.values.at(a.from_op))->attr(a.from_attr)) {
          Attribute copy = *from;
          copy.name = a.name;
          put(std::move(copy));
        }
      } else if (a.kind == AttrSpec::Kind::kCopyAll) {
        for (const Attribute& from : m_.node(c_.values.at(a.from_op))->attributes) put(from);
      }
    }
    if (!call.to_names.empty()) {
      for (const std::string& n : call.to_names) s.outputs.push_back(m_.tensor(c_.values.at(n)));
    } else if (!call.as_names.empty()) {
      for (const std::string& n : call.as_names) {
        TensorPtr t = std::make_shared<Tensor>(fresh_tensor_name(n));
        fresh_[n] = t;
        s.outputs.push_back(t);
      }
    } else if (makes_root) {
      s.outputs = root_.outputs();
      while (!s.outputs.empty() && !s.outputs.back()) s.outputs.pop_back();
    } else {
      s.outputs.push_back(std::make_shared<Tensor>(fresh_tensor_name(call.op_type)));
    }
    const bool takes_root_name = !s.outputs.empty() && s.outputs[0] && s.outputs[0] == root_.output(0);
    s.name = takes_root_name ? root_.name : fresh_node_name(call.op_type);
    TensorPtr first = s.outputs.empty() ? nullptr : s.outputs[0];
    specs.push_back(std::move(s));
    return first;
  }

  const Compiled& c_;
  Graph& g_;
  const Match& m_;
  Node& root_;
  std::string base_;
  std::map<std::string, TensorPtr> fresh_;
  std::set<std::string> taken_tensors_, taken_nodes_;
};

std::string compact(const std::string& text) {
  std::string out;
  bool blank = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      blank = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += c;
  }
  return out;
}

void note_decline(RuleStats& stats, size_t rule, const Node& root, const std::string& why) {
  if (stats.declined.size() <= rule) return;
  if (stats.declined[rule].insert(root.name + "\n" + (root.output(0) ? root.output(0)->name : "")).second &&
      stats.first_decline[rule].empty()) {
    stats.first_decline[rule] = root.describe() + ": " + why;
  }
}

bool uses_domain(const Graph& graph, const std::string& domain) {
  return !find_nodes(graph, {.domain = domain, .recurse_into_subgraphs = true}).empty();
}

}  // namespace

RuleSet parse_rules(const std::string& text, const std::string& source) {
  std::vector<Token> tokens = lex(text, source);
  RuleSet set;
  set.stats = std::make_shared<RuleStats>();
  RuleParser parser(text, tokens, source);
  std::set<std::string> names, domains;
  while (!parser.at_end()) {
    RuleParser::Parsed parsed = parser.rule();
    if (!names.insert(parsed.name).second) {
      parser.fail(Token{.line = parsed.line}, "a rule of this name comes earlier in " + source);
    }
    Pattern pattern;
    std::shared_ptr<Compiled> compiled = RuleBuilder(parsed, parser).build(pattern);
    std::function<void(const Call&)> note_domains = [&](const Call& c) {
      if (!is_default_domain(c.domain)) domains.insert(c.domain);
      for (const Arg& a : c.args) {
        if (a.call) note_domains(*a.call);
      }
    };
    for (const CallPtr& c : compiled->replacement) note_domains(*c);
    const size_t index = set.rules.size();
    std::weak_ptr<RuleStats> stats = set.stats;
    RewriteRule rule{parsed.name, std::move(pattern), [compiled, index, stats](Graph& g, const Match& m) {
                       Rewrite rw(*compiled, g, m);
                       auto decline = [&](const std::string& why) {
                         if (auto s = stats.lock()) note_decline(*s, index, *m.root(), why);
                         return false;
                       };
                       try {
                         rw.plan();
                       } catch (const Error& e) {
                         return decline(e.what());
                       }
                       if (std::string lost = rw.lost_output(); !lost.empty()) return decline(lost);
                       for (const TensorPtr& t : rw.constants) g.initializers.push_back(t);
                       try {
                         replace_subgraph(g, m.nodes(), rw.specs);
                       } catch (const Error& e) {
                         auto& inits = g.initializers;
                         inits.resize(inits.size() - rw.constants.size());
                         return decline(e.what());
                       }
                       return true;
                     }};
    set.rules.push_back({parsed.name, source + " line " + std::to_string(parsed.line),
                         compact(text.substr(parsed.begin, parsed.end - parsed.begin)), std::move(rule)});
  }
  if (set.rules.empty()) throw Error(source + ": no rules (write 'rule NAME: PATTERN => REPLACEMENT')");
  set.replacement_domains.assign(domains.begin(), domains.end());
  return set;
}

size_t RuleSetReport::total() const {
  size_t n = 0;
  for (const RuleCount& r : rules) n += r.fired;
  return n;
}

RuleSetReport apply_rule_set(Model& model, const RuleSet& set, const RuleSetOptions& options) {
  RuleStats& stats = *set.stats;
  stats.declined.assign(set.rules.size(), {});
  stats.first_decline.assign(set.rules.size(), "");
  std::vector<RewriteRule> rules;
  for (const TextRule& r : set.rules) rules.push_back(r.rule);
  RewriteReport r =
      apply_rules(*model.graph, rules,
                  {.max_iterations = options.max_iterations, .recurse_into_subgraphs = options.recurse_into_subgraphs});
  RuleSetReport report;
  report.iterations = r.iterations;
  report.reached_fixpoint = r.reached_fixpoint;
  for (size_t i = 0; i < set.rules.size(); ++i) {
    const std::string& name = set.rules[i].name;
    report.rules.push_back(
        {name, r.fired.count(name) ? r.fired.at(name) : 0, stats.declined[i].size(), stats.first_decline[i]});
  }
  for (const std::string& domain : set.replacement_domains) {
    if (model.opset(domain) == 0 && uses_domain(*model.graph, domain)) {
      set_opset(model, domain, 1);
      report.opsets_added.push_back(domain);
    }
  }
  if (options.cleanup && report.total() > 0) report.cleanup = model.graph->cleanup();
  return report;
}

}  // namespace graft
