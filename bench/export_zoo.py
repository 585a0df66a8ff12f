#!/usr/bin/env python3
"""Exports a small zoo of torchvision and timm models (random weights, opset 17) for
`graft zoo --device cuda` on the GPU machine.

usage: bench/export_zoo.py OUTDIR [--batch N]"""
import argparse
import os

import torch


def models():
    import timm
    import torchvision.models as tv
    yield "resnet18", tv.resnet18(weights=None)
    yield "mobilenet_v3_small", tv.mobilenet_v3_small(weights=None)
    yield "efficientnet_b0", tv.efficientnet_b0(weights=None)
    yield "densenet121", tv.densenet121(weights=None)
    yield "regnet_y_400mf", tv.regnet_y_400mf(weights=None)
    yield "squeezenet1_1", tv.squeezenet1_1(weights=None)
    yield "shufflenet_v2_x1_0", tv.shufflenet_v2_x1_0(weights=None)
    yield "convnext_tiny", timm.create_model("convnext_tiny", pretrained=False)
    yield "deit_small", timm.create_model("deit_small_patch16_224", pretrained=False)
    yield "swin_tiny", timm.create_model("swin_tiny_patch4_window7_224", pretrained=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--batch", type=int, default=2)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    x = torch.randn(args.batch, 3, 224, 224)
    for name, m in models():
        try:
            torch.onnx.export(m.eval(), (x,), os.path.join(args.out, name + ".onnx"), input_names=["x"],
                              output_names=["y"], opset_version=17, dynamo=False)
            print("exported", name, flush=True)
        except Exception as e:  # noqa: BLE001 - a model that does not export is left out
            print("not exported", name, str(e)[:200], flush=True)


if __name__ == "__main__":
    main()
