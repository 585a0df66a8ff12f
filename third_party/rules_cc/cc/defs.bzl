"""Offline stand-in for @rules_cc: Debian's rules_cc 0.0.4 does not load in Bazel 4.2."""

cc_library = native.cc_library
cc_binary = native.cc_binary
cc_test = native.cc_test
cc_import = native.cc_import
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
