#!/usr/bin/python3
"""Writes a tiny ONNX "re-ID network" for the tests of reid.embed's ONNX option.

Usage: make_tiny_embedder.py OUTPUT_DIR

No weights are downloaded: the network is a small graph OpenCV 4.6's DNN module loads (opset
12: GlobalAveragePool, Reshape, Gemm). Its input "images" is 1x3x256x128; the output
"embedding" [1, 4] is WEIGHTS x (the mean of each input channel) + BIAS, so for a uniform crop
onnx_embed_test.cpp works the embedding out by hand. Keep WEIGHTS and BIAS in step with it.

Files written:
  tiny_embedder.onnx   the network
  truncated.onnx       its first half (a corrupt download)
  not_onnx.onnx        a text file
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

WEIGHTS = np.array([[1.0, 0.0, 0.0],
                    [0.0, 2.0, 0.0],
                    [0.5, 0.5, -1.0],
                    [0.0, 0.0, 0.25]], np.float32)  # 4 outputs x 3 channels
BIAS = np.array([0.1, -0.2, 0.3, 1.0], np.float32)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_tiny_embedder.py OUTPUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 256, 128])
    output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 4])
    initializers = [
        numpy_helper.from_array(np.array([1, 3], np.int64), "flat_shape"),
        numpy_helper.from_array(WEIGHTS, "weights"),
        numpy_helper.from_array(BIAS, "bias"),
    ]
    nodes = [
        helper.make_node("GlobalAveragePool", ["images"], ["pooled"]),
        helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "weights", "bias"], ["embedding"], transB=1),
    ]
    graph = helper.make_graph(nodes, "tiny_reid_embedder", [images], [output], initializers)
    model = helper.make_model(graph, producer_name="OpenInspect make_tiny_embedder.py",
                              opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 7  # what onnx 1.8-1.12 write for opset 12; OpenCV 4.6 reads it
    onnx.checker.check_model(model)
    path = os.path.join(out_dir, "tiny_embedder.onnx")
    onnx.save(model, path)
    with open(path, "rb") as f:
        data = f.read()
    with open(os.path.join(out_dir, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(out_dir, "not_onnx.onnx"), "w") as f:
        f.write("<html><body>404 Not Found</body></html>\n")


if __name__ == "__main__":
    main()
