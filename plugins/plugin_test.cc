// The interface's fields and their serialization, and the registry's identities,
// mappings and resolution.
#include <gtest/gtest.h>

#include "plugins/registry.h"
#include "surgeon/error.h"
#include "surgeon/graph.h"

namespace graft::plugins {
namespace {

class NullCreator : public PluginCreator {
 public:
  NullCreator(std::string ns, std::string name, int64_t version) : id_{std::move(ns), std::move(name), version} {}
  PluginId id() const override { return id_; }
  std::string description() const override { return "test"; }
  std::vector<FieldSpec> field_specs() const override { return {}; }
  std::unique_ptr<Plugin> create(const Fields&) const override { return nullptr; }

 private:
  PluginId id_;
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(PluginFields, RoundTripThroughBytes) {
  Attribute strings;
  strings.name = "names";
  strings.type = AttrType::kStrings;
  strings.strings = {"a", "", "ccc"};
  const Fields f({Attribute::of_int("group", -3), Attribute::of_float("scale", 0.25f), Attribute::of_string("mode", "bilinear"),
                  Attribute::of_ints("pads", {1, 2, 3, 4}), Attribute::of_floats("w", {1.5f, -2.f}), strings});
  const Fields back = deserialize_fields(serialize_fields(f));
  ASSERT_EQ(back.items().size(), 6u);
  EXPECT_EQ(back.get_int("group"), -3);
  EXPECT_EQ(back.get_float("scale"), 0.25f);
  EXPECT_EQ(back.get_string("mode"), "bilinear");
  EXPECT_EQ(back.get_ints("pads"), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(back.get_floats("w"), (std::vector<float>{1.5f, -2.f}));
  EXPECT_EQ(back.find("names")->strings, (std::vector<std::string>{"a", "", "ccc"}));
  EXPECT_EQ(serialize_fields(back), serialize_fields(f));
}

TEST(PluginFields, BadBytesAreRefused) {
  const std::string bytes = serialize_fields(Fields({Attribute::of_ints("pads", {1, 2})}));
  EXPECT_EQ(error_of([&] { deserialize_fields(bytes.substr(0, bytes.size() - 3)); }),
            "plugin fields: a length runs past the end of the bytes");
  EXPECT_EQ(error_of([&] { deserialize_fields(bytes + "x"); }), "plugin fields: trailing bytes after the last field");
  EXPECT_EQ(error_of([&] { deserialize_fields("nope"); }), "plugin fields: not serialized plugin fields (bad magic)");
  EXPECT_EQ(error_of([&] { deserialize_fields(""); }), "plugin fields: the bytes end early");
}

TEST(PluginFields, ReadFromAttributesWithDefaultsAndTypes) {
  const std::vector<FieldSpec> specs{{"group", AttrType::kInt, Attribute::of_int("group", 1)},
                                     {"pads", AttrType::kInts, std::nullopt}};
  const Fields f = fields_from_attributes(specs, {Attribute::of_ints("pads", {0, 1})});
  EXPECT_EQ(f.get_int("group"), 1);
  EXPECT_EQ(f.get_ints("pads"), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(error_of([&] { fields_from_attributes(specs, {}); }), "required attribute 'pads' is missing");
  EXPECT_EQ(error_of([&] { fields_from_attributes(specs, {Attribute::of_float("group", 1), Attribute::of_ints("pads", {})}); }),
            "attribute 'group' is float, the plugin expects int");
  EXPECT_EQ(error_of([&] { f.get_float("group"); }), "plugin field 'group' is int, read as float");
}

TEST(PluginRegistry, SameIdentityTwiceNamesBothLibraries) {
  Registry r;
  NullCreator a("acme", "Swish", 1), b("acme", "Swish", 1), c("acme", "Swish", 2);
  r.add(&a, "liba.so");
  r.add(&c, "liba.so");
  EXPECT_EQ(error_of([&] { r.add(&b, "libb.so"); }),
            "plugin acme::Swish v1 from libb.so is already registered (from liba.so)");
  EXPECT_EQ(r.list().size(), 2u);
}

TEST(PluginRegistry, ResolvesByDomainOpAndOpsetOrByMapping) {
  Registry r;
  NullCreator v1("acme", "Swish", 1), v3("acme", "Swish", 3), deform("graft", "DeformConv2d", 1);
  r.add(&v1, "lib.so");
  r.add(&v3, "lib.so");
  r.add(&deform, kBuiltIn);
  Graph g;
  Node& swish = *g.add_node("Swish", {}, {}, "s");
  swish.domain = "acme";
  EXPECT_EQ(r.resolve(swish, 2)->id.version, 1);
  EXPECT_EQ(r.resolve(swish, 3)->id.version, 3);
  EXPECT_EQ(r.resolve(swish, 0)->id.version, 3);  // domain not imported: the newest
  EXPECT_EQ(r.resolve(swish, 0)->library, "lib.so");
  Node& dc = *g.add_node("DeformConv", {}, {}, "d");
  EXPECT_EQ(r.resolve(dc, 19), nullptr);  // an ONNX op stays ONNX unless mapped
  r.add_mapping("DeformConv=graft::DeformConv2d");
  EXPECT_EQ(r.resolve(dc, 19)->id.str(), "graft::DeformConv2d v1");
  r.add_mapping("Swish=acme::Swish:1");
  EXPECT_EQ(r.resolve(swish, 3)->id.version, 1);
  EXPECT_EQ(error_of([&] { r.add_mapping("Foo=graft::Nope"); }),
            "--plugin-map 'Foo=graft::Nope': no plugin graft::Nope is registered (see `graft plugins list`)");
  EXPECT_EQ(error_of([&] { r.add_mapping("Foo"); }),
            "--plugin-map 'Foo': expected Op=namespace::Name (or Op=namespace::Name:version)");
  EXPECT_EQ(error_of([&] { r.add_mapping("Swish=acme::Swish:2"); }),
            "--plugin-map 'Swish=acme::Swish:2': no plugin acme::Swish v2 is registered (see `graft plugins list`)");
}

}  // namespace
}  // namespace graft::plugins
