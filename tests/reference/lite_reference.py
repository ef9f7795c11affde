#!/usr/bin/env python3
"""An independent forward pass of EfficientNet-Lite0 and -Lite2, to check Glimpse's Burn port against.

It shares no code and no converted file with the Rust side: it parses the original PyTorch
checkpoint itself (legacy pickle format, strides applied with NumPy), keeps every BatchNorm as
its own node instead of folding it, builds an ONNX graph with the `onnx` package and runs it
with onnxruntime on the CPU.

    lite_reference.py onnx CHECKPOINT OUT.onnx
    lite_reference.py run CHECKPOINT OUT.onnx INPUTS.f32 N FEATURES.f32 LOGITS.f32

The network (Lite0 or Lite2) is told by the checkpoint's block count. INPUTS.f32 holds N
preprocessed images, float32 little-endian, N x 3 x S x S (S: 224 for Lite0, 260 for Lite2).
The outputs are N x 1280 pooled features and N x 1000 ImageNet logits in the same encoding.
"""
import collections
import math
import pickle
import struct
import sys

import numpy as np

BN_EPS = 1e-3
# (repeats, kernel, stride, expand, in, out), from efficientnet_lite_builder.py: r1_k3_s11_e1_i32_o16 ...
BASE_STAGES = [
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
]
# efficientnet_lite_builder.py's (width, depth, resolution) per model.
SCALING = {"lite0": (1.0, 1.0, 224), "lite2": (1.1, 1.2, 260)}


def round_filters(filters, width):
    """efficientnet_model.round_filters with depth_divisor 8."""
    if width == 1.0:
        return filters
    filters *= width
    new = max(8, int(filters + 4) // 8 * 8)
    return new + 8 if new < 0.9 * filters else new


def stages(name):
    """The block table of `name`: Lite keeps the first and last stages' repeats and the stem's
    width (fix_head_stem), scales the rest."""
    width, depth, size = SCALING[name]
    out = []
    for i, (repeats, kernel, stride, expand, cin, cout) in enumerate(BASE_STAGES):
        if 0 < i < len(BASE_STAGES) - 1:
            repeats = int(math.ceil(depth * repeats))
        out.append((repeats, kernel, stride, expand, cin if i == 0 else round_filters(cin, width), round_filters(cout, width)))
    return out, size


def network_of(weights):
    blocks = 1 + max(int(k.split(".")[1]) for k in weights if k.startswith("_blocks."))
    for name in SCALING:
        if sum(r for r, *_ in stages(name)[0]) == blocks:
            return name
    raise ValueError(f"a checkpoint of {blocks} blocks is neither Lite0 nor Lite2")
STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64}


def read_checkpoint(path):
    """Reads a pre-1.6 torch.save file into {name: ndarray} without torch."""
    storages, pending = {}, []

    def rebuild(storage, offset, size, stride, *_):
        pending.append(None)
        return ("tensor", storage, offset, tuple(size), tuple(stride))

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
                return rebuild
            if module == "torch" and name in STORAGE_DTYPES:
                return name
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

        def persistent_load(self, pid):
            _, storage_type, key, _location, numel, _view = pid
            storages[key] = (storage_type, numel)
            return key

    with open(path, "rb") as f:
        if pickle.load(f) != 0x1950A86A20F9469CFC6C:
            raise ValueError(f"{path}: not a legacy torch.save file")
        pickle.load(f)  # protocol version
        pickle.load(f)  # system info
        state = Unpickler(f).load()
        data = {}
        for key in pickle.load(f):
            dtype = np.dtype(STORAGE_DTYPES[storages[key][0]]).newbyteorder("<")
            (numel,) = struct.unpack("<q", f.read(8))
            data[key] = np.frombuffer(f.read(numel * dtype.itemsize), dtype)

    tensors = {}
    for name, (_, key, offset, size, stride) in state.items():
        base = data[key][offset:]
        strides = tuple(s * base.itemsize for s in stride)
        tensors[name] = np.lib.stride_tricks.as_strided(base, size, strides).copy()
    return tensors


def same_pads(size, kernel, stride):
    """TensorFlow 'SAME' padding: (before, after, output size)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def build_onnx(weights):
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = [0]

    def fresh(prefix):
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def init(name, array):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    def conv_bn(x, size, conv, bn, stride, groups, relu6):
        w = weights[f"{conv}.weight"]
        k = w.shape[-1]
        top, bottom, out = same_pads(size, k, stride)
        y = fresh("conv")
        nodes.append(helper.make_node(
            "Conv", [x, init(f"{conv}.weight", w)], [y],
            kernel_shape=[k, k], strides=[stride, stride], pads=[top, top, bottom, bottom], group=groups))
        z = fresh("bn")
        nodes.append(helper.make_node(
            "BatchNormalization",
            [y] + [init(f"{bn}.{p}", weights[f"{bn}.{p}"]) for p in ("weight", "bias", "running_mean", "running_var")],
            [z], epsilon=BN_EPS))
        if relu6:
            r = fresh("relu6")
            lo, hi = init(fresh("zero"), np.array(0.0)), init(fresh("six"), np.array(6.0))
            nodes.append(helper.make_node("Clip", [z, lo, hi], [r]))
            z = r
        return z, out

    table, input_size = stages(network_of(weights))
    x, size = conv_bn("input", input_size, "_conv_stem", "_bn0", 2, 1, True)
    block = 0
    for repeats, kernel, stride, expand, cin, cout in table:
        for r in range(repeats):
            inp, s, c = x, (stride if r == 0 else 1), (cin if r == 0 else cout)
            p = f"_blocks.{block}"
            h = x
            if expand != 1:
                h, _ = conv_bn(h, size, f"{p}._expand_conv", f"{p}._bn0", 1, 1, True)
            h, out = conv_bn(h, size, f"{p}._depthwise_conv", f"{p}._bn1", s, c * expand, True)
            h, _ = conv_bn(h, out, f"{p}._project_conv", f"{p}._bn2", 1, 1, False)
            if s == 1 and c == cout:
                y = fresh("add")
                nodes.append(helper.make_node("Add", [h, inp], [y]))
                h = y
            x, size, block = h, out, block + 1
    x, _ = conv_bn(x, size, "_conv_head", "_bn1", 1, 1, True)
    pooled = fresh("pool")
    nodes.append(helper.make_node("GlobalAveragePool", [x], [pooled]))
    nodes.append(helper.make_node("Flatten", [pooled], ["features"], axis=1))
    nodes.append(helper.make_node(
        "Gemm", ["features", init("_fc.weight", weights["_fc.weight"]), init("_fc.bias", weights["_fc.bias"])],
        ["logits"], transB=1))
    graph = helper.make_graph(
        nodes, f"efficientnet_{network_of(weights)}",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, input_size, input_size])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 1280]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 1000])],
        inits)
    used = {i.name for i in inits}
    unused = [k for k in weights if k not in used and not k.endswith("num_batches_tracked")]
    if unused or block != sum(r for r, *_ in table):
        raise ValueError(f"graph does not use the whole checkpoint: {unused}, {block} blocks")
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="glimpse", ir_version=8)


def main(argv):
    import onnx

    if len(argv) == 4 and argv[1] == "onnx":
        onnx.save(build_onnx(read_checkpoint(argv[2])), argv[3])
    elif len(argv) == 8 and argv[1] == "run":
        _, _, checkpoint, model_path, inputs, n, features_out, logits_out = argv
        import onnxruntime as ort

        model = build_onnx(read_checkpoint(checkpoint))
        onnx.checker.check_model(model)
        onnx.save(model, model_path)
        side = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
        x = np.fromfile(inputs, "<f4").reshape(int(n), 3, side, side)
        session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
        features, logits = session.run(["features", "logits"], {"input": x})
        features.astype("<f4").tofile(features_out)
        logits.astype("<f4").tofile(logits_out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
