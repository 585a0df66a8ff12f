"""Models with custom-domain ops for the plugin tests, and golden outputs from a numpy
reference of torchvision.ops.deform_conv2d (torchvision is not installed here; this is
written from torchvision's deform_conv2d_kernel.cpp semantics, vectorized with numpy).

Run from the repo root: python3 testdata/plugins/generate.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def bilinear(img, y, x):
    """img [C, H, W]; y, x [...] sample positions -> [C, ...], torchvision's rules."""
    _, h, w = img.shape
    inside = (y > -1) & (y < h) & (x > -1) & (x < w)
    y0 = np.floor(y).astype(np.int64)
    x0 = np.floor(x).astype(np.int64)
    ly, lx = y - y0, x - x0
    out = np.zeros((img.shape[0],) + y.shape, np.float64)
    for dy, dx, wt in ((0, 0, (1 - ly) * (1 - lx)), (0, 1, (1 - ly) * lx), (1, 0, ly * (1 - lx)), (1, 1, ly * lx)):
        yy, xx = y0 + dy, x0 + dx
        ok = inside & (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        vals = img[:, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]
        out += np.where(ok, wt, 0.0) * vals
    return out


def deform_conv2d(x, weight, offset, bias, mask, stride, pad, dil, offset_groups):
    n, c, h, w = x.shape
    m, cg, kh, kw = weight.shape
    groups = c // cg
    _, _, ho, wo = offset.shape
    oy, ox = np.meshgrid(np.arange(ho), np.arange(wo), indexing="ij")
    y = np.zeros((n, m, ho, wo), np.float64)
    cpo = c // offset_groups
    for b in range(n):
        # cols[c, i, j, ho, wo]
        cols = np.zeros((c, kh, kw, ho, wo), np.float64)
        for og in range(offset_groups):
            for i in range(kh):
                for j in range(kw):
                    k = i * kw + j
                    dy = offset[b, 2 * (og * kh * kw + k)]
                    dx = offset[b, 2 * (og * kh * kw + k) + 1]
                    py = oy * stride[0] - pad[0] + i * dil[0] + dy
                    px = ox * stride[1] - pad[1] + j * dil[1] + dx
                    v = bilinear(x[b, og * cpo:(og + 1) * cpo].astype(np.float64), py, px)
                    if mask is not None:
                        v = v * mask[b, og * kh * kw + k]
                    cols[og * cpo:(og + 1) * cpo, i, j] = v
        mg = m // groups
        for g in range(groups):
            wg = weight[g * mg:(g + 1) * mg].reshape(mg, -1).astype(np.float64)
            cg_cols = cols[g * cg:(g + 1) * cg].reshape(cg * kh * kw, ho * wo)
            y[b, g * mg:(g + 1) * mg] = (wg @ cg_cols).reshape(mg, ho, wo)
        if bias is not None:
            y[b] += bias[:, None, None]
    return y.astype(np.float32)


def case(rng, n=2, c=4, h=9, w=9, m=6, k=3, stride=(2, 2), pad=(1, 1), dil=(1, 1), groups=2, offset_groups=2):
    ho = (h + 2 * pad[0] - dil[0] * (k - 1) - 1) // stride[0] + 1
    wo = (w + 2 * pad[1] - dil[1] * (k - 1) - 1) // stride[1] + 1
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    weight = rng.standard_normal((m, c // groups, k, k)).astype(np.float32)
    bias = rng.standard_normal((m,)).astype(np.float32)
    offset = (2.5 * rng.standard_normal((n, 2 * offset_groups * k * k, ho, wo))).astype(np.float32)
    mask = (1 / (1 + np.exp(-rng.standard_normal((n, offset_groups * k * k, ho, wo))))).astype(np.float32)
    attrs = dict(strides=list(stride), pads=[pad[0], pad[1], pad[0], pad[1]], dilations=list(dil), group=groups,
                 offset_group=offset_groups)
    y = deform_conv2d(x, weight, offset, bias, mask, stride, pad, dil, offset_groups)
    return x, weight, bias, offset, mask, attrs, y


def deform_model(path, domain, op, opset_imports, attrs, weight, bias, const_inputs=None):
    """y = op(x, W, offset, B, mask); x, offset and mask are inputs with a symbolic batch,
    or initializers when const_inputs gives them (for constant folding)."""
    c, k = weight.shape[1] * attrs["group"], weight.shape[2]
    og = attrs["offset_group"]
    inits = [numpy_helper.from_array(weight, "W"), numpy_helper.from_array(bias, "B")]
    inputs = []
    if const_inputs:
        inits += [numpy_helper.from_array(v, name) for name, v in const_inputs.items()]
    else:
        inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", c, "height", "width"]),
                  helper.make_tensor_value_info("offset", TensorProto.FLOAT, ["batch", 2 * og * k * k, "oh", "ow"]),
                  helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", og * k * k, "oh", "ow"])]
    node = helper.make_node(op, ["x", "W", "offset", "B", "mask"], ["dc"], name="dcn", domain=domain, **attrs)
    relu = helper.make_node("Relu", ["dc"], ["y"], name="relu")
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph([node, relu], "deform", inputs, [out], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opset_imports],
                              producer_name="graft testdata/plugins/generate.py")
    model.ir_version = 8
    onnx.save(model, os.path.join(HERE, path))


def main():
    rng = np.random.default_rng(6)
    x, weight, bias, offset, mask, attrs, y = case(rng)
    relu = np.maximum(y, 0)
    np.savez(os.path.join(HERE, "deform_conv2d_io.npz"), x=x, offset=offset, mask=mask, y=relu, W=weight, B=bias)
    deform_model("deform_conv2d.onnx", "graft", "DeformConv2d", [("", 17), ("graft", 1)], attrs, weight, bias)
    deform_model("deform_conv_onnx_domain.onnx", "", "DeformConv", [("", 19)], attrs, weight, bias)
    deform_model("deform_conv2d_const.onnx", "graft", "DeformConv2d", [("", 17), ("graft", 1)], attrs, weight, bias,
                 const_inputs={"x": x, "offset": offset, "mask": mask})
    # A second geometry without mask or bias, stride 1, dilation 2, one group, for the
    # plugin test (inputs and output only).
    rng2 = np.random.default_rng(7)
    x2, w2, _, off2, _, attrs2, _ = case(rng2, n=1, c=3, h=7, w=8, m=5, k=3, stride=(1, 1), pad=(2, 2), dil=(2, 2),
                                         groups=1, offset_groups=3)
    y2 = deform_conv2d(x2, w2, off2, None, None, (1, 1), (2, 2), (2, 2), 3)
    np.savez(os.path.join(HERE, "deform_conv2d_nomask_io.npz"), x=x2, W=w2, offset=off2, y=y2)


def scaled_swish_model():
    """y = acme::ScaledSwish(x, beta=1.5) + 1, for the example plugin library (examples/)."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    node = helper.make_node("ScaledSwish", ["x"], ["s"], name="swish", domain="acme", beta=1.5)
    add = helper.make_node("Add", ["s", "one"], ["y"], name="add")
    graph = helper.make_graph(
        [node, add], "scaled_swish", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.array(1, np.float32), "one")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("acme", 1)],
                              producer_name="graft testdata/plugins/generate.py")
    model.ir_version = 8
    onnx.save(model, os.path.join(HERE, "scaled_swish.onnx"))
    xd = x.astype(np.float64)
    y = xd / (1 + np.exp(-1.5 * xd)) + 1
    np.savez(os.path.join(HERE, "scaled_swish_io.npz"), x=x, y=y.astype(np.float32))


if __name__ == "__main__":
    scaled_swish_model()
    main()
