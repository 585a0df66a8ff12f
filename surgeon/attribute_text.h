#pragma once
// Attribute values written as text, as edit scripts, `graft edit --set-attr` and rewrite
// rules write them:
//
//   3   -1                  int
//   0.5   1e-5   2.0   inf  float (a '.', an exponent, inf or nan makes it a float)
//   "same upper"   linear   string: quoted (C escapes \" \\ \n \t), or a bare word that is not a number
//   [1, 2]                  ints
//   [0.5, 1]                floats (one float element makes every element a float)
//   ["a", "b"]   [a, b]     strings
//   int:3  float:2  string:3  ints:[]  floats:[1]  strings:[]   an explicit type
//
// When the attribute already exists, its type settles what the text leaves open: 2 for a
// float attribute is 2.0, [1, 2] for a floats attribute is floats, [] takes its list type,
// and any unquoted text for a string attribute is that string. Other type changes need the
// explicit form (ints:[2] for an int attribute), so a slip does not change a type silently.
#include <string>

#include "surgeon/attribute.h"

namespace graft {

// Throws an Error naming `text` and what is wrong with it.
Attribute parse_attribute_value(const std::string& name, const std::string& text, const Attribute* existing = nullptr);

// The text that parse_attribute_value reads back as `a` (ints, floats, strings and their
// lists; floats keep enough digits to come back bit-exact). Other types get value_str().
std::string attribute_value_text(const Attribute& a);

// Whether an attribute value equals `a`: same type and value, and an int value also
// equals a float attribute of that value (so [alpha=1] matches alpha = 1.0).
bool attribute_value_matches(const Attribute& wanted, const Attribute& a);

// "text" with quotes and backslashes escaped, in double quotes.
std::string quoted_text(const std::string& s);
// Whether `s` must be quoted to read back as one word of an edit script or a bare string.
bool needs_quotes(const std::string& s);

}  // namespace graft
