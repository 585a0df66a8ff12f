#!/usr/bin/env python3
"""Writes ResNet-50- and MobileNetV2-shaped ONNX models with random weights (opset 17,
batch 1, 3x224x224) for the CPU engine benchmark. Same topology and tensor shapes as
torchvision's models: Conv (+ BatchNormalization folded or not, see --keep-bn), Relu /
Clip(0, 6), residual Add, pooling, Gemm.

usage: make_cnn_models.py OUT_DIR [--keep-bn]
Needs PyPI onnx and numpy."""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, name, seed, keep_bn):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0
        self.name = name
        self.keep_bn = keep_bn

    def fresh(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def weight(self, prefix, shape, scale):
        name = self.fresh(prefix)
        self.inits.append(numpy_helper.from_array((self.rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def conv(self, x, cin, cout, k, stride=1, groups=1, act="relu"):
        fan_in = cin // groups * k * k
        w = self.weight("w", (cout, cin // groups, k, k), np.sqrt(2.0 / fan_in))
        y = self.fresh("conv")
        inputs = [x, w] if self.keep_bn else [x, w, self.weight("b", (cout,), 0.01)]
        self.nodes.append(helper.make_node("Conv", inputs, [y], kernel_shape=[k, k], strides=[stride, stride],
                                           pads=[k // 2] * 4, group=groups))
        if self.keep_bn:
            params = [self.weight(p, (cout,), 0.1) for p in ("scale", "bias", "mean")]
            var = self.fresh("var")
            self.inits.append(numpy_helper.from_array(self.rng.uniform(0.5, 1.5, cout).astype(np.float32), var))
            z = self.fresh("bn")
            self.nodes.append(helper.make_node("BatchNormalization", [y] + params + [var], [z]))
            y = z
        return self.act(y, act)

    def act(self, x, act):
        if act is None:
            return x
        y = self.fresh(act)
        if act == "relu":
            self.nodes.append(helper.make_node("Relu", [x], [y]))
        else:  # relu6
            lo, hi = self.fresh("lo"), self.fresh("hi")
            self.inits += [numpy_helper.from_array(np.array(0, np.float32), lo),
                           numpy_helper.from_array(np.array(6, np.float32), hi)]
            self.nodes.append(helper.make_node("Clip", [x, lo, hi], [y]))
        return y

    def add(self, a, b, act=None):
        y = self.fresh("add")
        self.nodes.append(helper.make_node("Add", [a, b], [y]))
        return self.act(y, act)

    def head(self, x, channels, classes=1000):
        pooled, flat, logits = self.fresh("gap"), self.fresh("flat"), "logits"
        self.nodes += [helper.make_node("GlobalAveragePool", [x], [pooled]),
                       helper.make_node("Flatten", [pooled], [flat])]
        w = self.weight("fc_w", (classes, channels), 0.01)
        b = self.weight("fc_b", (classes,), 0.01)
        self.nodes.append(helper.make_node("Gemm", [flat, w, b], [logits], transB=1))
        return logits

    def model(self, out):
        graph = helper.make_graph(self.nodes, self.name,
                                  [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
                                  [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, 1000])], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="graft-bench")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def resnet50(keep_bn):
    b = Builder("resnet50", 50, keep_bn)
    x = b.conv("input", 3, 64, 7, stride=2)
    y = b.fresh("maxpool")
    b.nodes.append(helper.make_node("MaxPool", [x], [y], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, cin = y, 64
    for width, blocks, stride in [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]:
        for i in range(blocks):
            s = stride if i == 0 else 1
            t = b.conv(x, cin, width, 1)
            t = b.conv(t, width, width, 3, stride=s)
            t = b.conv(t, width, width * 4, 1, act=None)
            short = b.conv(x, cin, width * 4, 1, stride=s, act=None) if i == 0 else x
            x, cin = b.add(t, short, act="relu"), width * 4
    return b.model(b.head(x, 2048))


def mobilenet_v2(keep_bn):
    b = Builder("mobilenet_v2", 2, keep_bn)
    x, cin = b.conv("input", 3, 32, 3, stride=2, act="relu6"), 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = b.conv(x, cin, hidden, 1, act="relu6") if t != 1 else x
            y = b.conv(y, hidden, hidden, 3, stride=stride, groups=hidden, act="relu6")
            y = b.conv(y, hidden, c, 1, act=None)
            x = b.add(x, y) if stride == 1 and cin == c else y
            cin = c
    x = b.conv(x, cin, 1280, 1, act="relu6")
    return b.model(b.head(x, 1280))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir")
    p.add_argument("--keep-bn", action="store_true", help="separate BatchNormalization nodes (as exported)")
    a = p.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    for name, make in [("resnet50", resnet50), ("mobilenet_v2", mobilenet_v2)]:
        path = os.path.join(a.out_dir, f"{name}.onnx")
        onnx.save(make(a.keep_bn), path)
        print(f"wrote {path} ({os.path.getsize(path) / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
