#!/usr/bin/python3
"""Writes tiny ONNX "person detectors" for the tests of cctv.detect's ONNX path.

Usage: make_tiny_detector.py OUTPUT_DIR

No weights are downloaded: each model is a small graph that OpenCV 4.6's DNN module loads
(opset 12, operators AveragePool, Reshape, Gemm). The input "images" is 1x3x320x320 and, as in
a real export, fixed: 40x40 pooling gives 1x3x8x8, reshaped to the constant [1, 192], so any
other input size fails inside OpenCV like a real model does. The Gemm has zero weights and a
bias that holds a fixed YOLO output table, so the output uses the input but always encodes the
same known candidate boxes (in network-input pixels). onnx_detector_test.cpp checks the
decoded boxes against values worked out by hand from the table below; keep both in step.

Files written:
  yolov5_tiny.onnx   output0 [1, 16, 8]  (YOLOv5-style: cx, cy, w, h, objectness, 3 classes)
  yolov8_tiny.onnx   output0 [1, 7, 16]  (YOLOv8-style: cx, cy, w, h, 3 class scores; transposed)
  bad_shape.onnx     output0 [1, 3, 8, 8] (a raw feature map: not a decodable layout)
  truncated.onnx     the first half of yolov5_tiny.onnx (a corrupt download)
  not_onnx.onnx      a text file
  unknown_op.onnx    yolov5_tiny.onnx with an operator of a custom domain after the pooling (an
                     export with a custom or too new layer that OpenCV's DNN module cannot run)
  future_opset.onnx  yolov5_tiny.onnx declaring ai.onnx opset 99 and IR version 99 (a newer
                     exporter than OpenCV 4.6 knows)
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT_SIZE = 320
CLASSES = 3  # 0 person, 1 car, 2 dog
ROWS = 16    # candidates; rows after the table are all zero

# (cx, cy, w, h, objectness, [class scores]) in 320x320 network-input pixels.
# YOLOv5 score = objectness x best class score; the YOLOv8 model carries that product as
# its class score, so both layouts decode to the same detections.
TABLE = [
    (100, 160, 40, 120, 0.95, [0.95, 0.02, 0.03]),  # 0 person A, score 0.9025
    (104, 162, 40, 120, 0.88, [0.90, 0.05, 0.05]),  # 1 duplicate of A (IoU 0.79), 0.792: NMS drops it
    (220, 170, 50, 140, 0.80, [0.75, 0.10, 0.15]),  # 2 person B, 0.6
    (260, 60, 30, 80, 0.50, [0.40, 0.30, 0.30]),    # 3 person C, 0.2: below the default 0.4
    (160, 250, 80, 50, 0.95, [0.02, 0.96, 0.02]),   # 4 a car, 0.912: not a person
    (305, 160, 40, 100, 0.90, [0.90, 0.05, 0.05]),  # 5 person D at the right edge, 0.81
    (130, 160, 40, 120, 0.70, [0.70, 0.20, 0.10]),  # 6 person E next to A (IoU 0.14), 0.49
    (160, 20, 30, 30, 0.70, [0.90, 0.05, 0.05]),    # 7 person F in the top 35 rows, 0.63
]


def yolov5_table():
    out = np.zeros((1, ROWS, 5 + CLASSES), np.float32)
    for i, (cx, cy, w, h, obj, cls) in enumerate(TABLE):
        out[0, i, :] = [cx, cy, w, h, obj] + cls
    return out


def yolov8_table():
    out = np.zeros((1, 4 + CLASSES, ROWS), np.float32)
    for i, (cx, cy, w, h, obj, cls) in enumerate(TABLE):
        out[0, :, i] = [cx, cy, w, h] + [obj * c for c in cls]
    return out


POOL = 40  # 320 / 40 = 8 cells per side
FEATURES = 3 * (INPUT_SIZE // POOL) ** 2  # 192


def constant_output_model(table, path, unknown_op=False, opset=12, ir_version=7):
    """images -> AveragePool 40x40 -> Reshape [1, 192] -> Gemm(W = 0, bias = table) -> Reshape.

    unknown_op puts com.example.OiNoSuchLayer between the pooling and the first Reshape."""
    shape = list(table.shape)
    images = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, INPUT_SIZE, INPUT_SIZE])
    output = helper.make_tensor_value_info("output0", TensorProto.FLOAT, shape)
    initializers = [
        numpy_helper.from_array(np.array([1, FEATURES], np.int64), "flat_shape"),
        numpy_helper.from_array(np.zeros((table.size, FEATURES), np.float32), "weights"),
        numpy_helper.from_array(table.reshape(-1).astype(np.float32), "bias"),
        numpy_helper.from_array(np.array(shape, np.int64), "out_shape"),
    ]
    pool_out = "pool_raw" if unknown_op else "pooled"
    nodes = [
        helper.make_node("AveragePool", ["images"], [pool_out], kernel_shape=[POOL, POOL], strides=[POOL, POOL]),
        helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "weights", "bias"], ["table"], transB=1),
        helper.make_node("Reshape", ["table", "out_shape"], ["output0"]),
    ]
    if unknown_op:
        nodes.insert(1, helper.make_node("OiNoSuchLayer", [pool_out], ["pooled"], domain="com.example"))
    graph = helper.make_graph(nodes, "tiny_person_detector", [images], [output], initializers)
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("com.example", 1)] if unknown_op else [])
    model = helper.make_model(graph, producer_name="OpenInspect make_tiny_detector.py", opset_imports=opsets)
    model.ir_version = ir_version  # 7: what onnx 1.8-1.12 write for opset 12; OpenCV 4.6 reads it
    if not unknown_op and opset == 12:
        onnx.checker.check_model(model)
    onnx.save(model, path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_tiny_detector.py OUTPUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    constant_output_model(yolov5_table(), os.path.join(out_dir, "yolov5_tiny.onnx"))
    constant_output_model(yolov8_table(), os.path.join(out_dir, "yolov8_tiny.onnx"))
    feature_map = np.linspace(0, 1, 3 * 8 * 8, dtype=np.float32).reshape(1, 3, 8, 8)
    constant_output_model(feature_map, os.path.join(out_dir, "bad_shape.onnx"))
    with open(os.path.join(out_dir, "yolov5_tiny.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(out_dir, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(out_dir, "not_onnx.onnx"), "w") as f:
        f.write("<html><body>404 Not Found</body></html>\n")
    constant_output_model(yolov5_table(), os.path.join(out_dir, "unknown_op.onnx"), unknown_op=True)
    constant_output_model(yolov5_table(), os.path.join(out_dir, "future_opset.onnx"), opset=99, ir_version=99)


if __name__ == "__main__":
    main()
