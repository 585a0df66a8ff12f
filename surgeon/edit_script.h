#pragma once
// The edit language of `graft edit`: one edit per line, applied in order, all or nothing.
//
//   # comments start with '#'
//   rename-node conv1 stem_conv
//   set-attr Conv_3 strides [2,2]
//   remove-node Identity_7
//   set-input-shape x [batch, 3, 224, 224]
//
// Words are separated by blanks; a word in double quotes may hold blanks, '#' or ','
// ("my node"), and a [...] group is one word. docs/edit-language.md lists the verbs.
// The same edits come from `graft edit` flags (--rename-node a=b ...): edits_from_flag.
#include <string>
#include <vector>

#include "surgeon/model.h"

namespace graft {

struct Edit {
  std::string verb;               // "rename-node"
  std::vector<std::string> args;  // words as written: quoted words keep their quotes
  std::string origin;             // where it came from: "edits.txt line 3", "--rename-node"
  std::string flag_value;         // for an edit from a flag: the value as given ("conv1=stem_conv")

  std::string text() const;  // "rename-node conv1 stem_conv"
  // How messages name it: "edits.txt line 3: rename-node conv1 stem_conv" or
  // "--rename-node conv1=stem_conv".
  std::string where() const;
};

struct EditVerb {
  std::string verb;
  std::string usage;        // in a script: "NODE NEW_NAME"
  std::string description;  // one line
  std::string flag_usage;   // as a `graft edit` flag: "OLD=NEW"; "" for a flag without a value
};
// Every verb, in documentation order.
const std::vector<EditVerb>& edit_verbs();

// Parses a script; `source` names it in messages ("edits.txt"). Checks each line's verb,
// word count and value syntax (attribute values, shapes, dtypes, numbers) and throws an
// Error "edits.txt line 3: set-attr c strides [2,: ..." on the first bad line.
std::vector<Edit> parse_edit_script(const std::string& text, const std::string& source);

// The edits one `graft edit` flag stands for; `flag` is the verb ("rename-node"), `value`
// the flag's value ("a=b"). Lists make several edits (--add-output a,b; --set-input-shape
// x:1x3,y:2). Throws an Error naming the flag and the form it wants.
std::vector<Edit> edits_from_flag(const std::string& flag, const std::string& value);

// What one applied edit did, for reports.
struct EditResult {
  std::string origin;
  std::string edit;  // Edit::text()
  std::string done;  // "renamed node 'conv1' (Conv) to 'stem_conv'"
};

// Applies `edits` in order to a copy of `model` and returns the copy; `model` is never
// changed. The first edit that fails throws an Error "<where()>: <why>" (a node or
// tensor that does not exist names the closest existing names; an edit that would leave a
// dangling input, a cycle or a duplicate name says so). Nodes and tensors are looked up in
// the main graph first, then in subgraphs. The result passes Graph::check().
Model apply_edits(const Model& model, const std::vector<Edit>& edits, std::vector<EditResult>* results = nullptr);

// One edit, in place; returns what it did. Throws an Error without the origin prefix, and
// then leaves `model` as it was.
std::string apply_edit(Model& model, const Edit& edit);

}  // namespace graft
