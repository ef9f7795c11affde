"""Runs an exported Glimpse model with onnxruntime on raw inputs, after onnx's checker: what the
ONNX agreement test (crate/tests/onnx.rs) compares with `glimpse predict`.

    onnx_run.py MODEL.onnx INPUTS.f32 N  →  JSON {"outputs": {name: rows}, "metadata": {…}, "inputs": …}"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort

path, inputs, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = onnx.load(path)
onnx.checker.check_model(model, full_check=True)
metadata = {p.key: p.value for p in model.metadata_props}
side = int(metadata["input_size"])
x = np.fromfile(inputs, dtype="<f4").reshape(n, 3, side, side)
session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
outputs = session.run(None, {"image": x})
print(json.dumps({
    "outputs": {o.name: v.tolist() for o, v in zip(session.get_outputs(), outputs)},
    "metadata": metadata,
    "inputs": [(i.name, i.shape) for i in session.get_inputs()],
    "opset": [o.version for o in model.opset_import],
}))
