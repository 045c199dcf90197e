"""Selective int8: keep the layers that quantise worst in float, found by TensorFlow's debugger.

`tf.lite.experimental.QuantizationDebugger` runs the calibrated model with NumericVerify ops and
measures, per layer output, the error of int8 against float in units of that tensor's
quantisation step (RMSE / scale: ~0.29 is plain rounding noise). The worst `count` layers are
denylisted (`QuantizationDebugOptions.denylisted_nodes`) and the model is re-quantised with
`get_nondebug_quantized_model()`, then given the int8 variant's I/O contract (uint8 in, float32 out).

A layer is kept in float together with the weightless ops that feed it (reshape, transpose,
softmax, ...): the debugger charges an error to the layer that reads a tensor, but the precision
may already be gone in what fed it. A heatmap head is the case in point: its int8 softmax output
has a fixed step of 1/256, so a soft-argmax over a hundred cells reads probabilities of one or two
steps; the soft-argmax ranks worst, and only keeping the softmax in float as well restores it.

Ops that read the model input stay integer: the int8 variant's uint8 input feeds them directly
once `modify_model_io_type` drops the input QUANTIZE, and a float op there fails to prepare in
LiteRT (`pack.cc: input0->type != input->type (UINT8 != FLOAT32)`, the flip-averaged model's
mirror PACK, seen on a 68-point model). A candidate that still fails to prepare raises
`SelectiveError` (one line) so the caller can try the next.
"""
from __future__ import annotations

import csv
import io
from typing import Dict, List, Set, Tuple

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf
import tf_keras as keras
from tensorflow.lite.python.util import modify_model_io_type

from fld_tf import logs, runtime, tflite_graph
from export.quantize import representative_fn
from export.variants import tflite_converter

DEBUG_IMAGES = 64  # calibration images the debugger runs; the ranking settles well before
WEIGHTED_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "QUANTIZE", "DEQUANTIZE")


class SelectiveError(RuntimeError):
    """This choice of float layers gives a model LiteRT cannot prepare (one line)."""


def build_debugger(model: keras.Model, images: np.ndarray):
    """A `QuantizationDebugger` over the float model, calibrated on the first `DEBUG_IMAGES` images."""
    converter = tflite_converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative_fn(images[:DEBUG_IMAGES])
    return tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=representative_fn(images[:DEBUG_IMAGES]))


def rank_layers(debugger) -> List[Dict]:
    """Runs the debugger; layer output tensors, worst RMSE / scale first."""
    debugger.run()
    text = io.StringIO()
    debugger.layer_statistics_dump(text)
    text.seek(0)
    ranked = []
    for row in csv.DictReader(text):
        scale = float(row["scale"])
        rmse = float(np.sqrt(float(row["mean_squared_error"])))
        ranked.append({"tensor_name": row["tensor_name"], "op_name": row["op_name"], "rmse": rmse,
                       "scale": scale, "rmse_per_scale": rmse / scale if scale else float("inf")})
    return sorted(ranked, key=lambda r: -r["rmse_per_scale"])


def input_readers(calibrated: bytes) -> Set[str]:
    """Output tensor names of the ops that read a model input (they must stay integer)."""
    graph = tflite_graph.read_graph(calibrated)
    return {graph.tensors[op.outputs[0]].name for op in graph.ops
            if op.outputs and set(op.inputs) & set(graph.inputs)}


def feeding_ops(calibrated: bytes, names: List[str]) -> List[str]:
    """Output tensors of the weightless ops that feed each named tensor's op, walking upstream to
    the nearest op with weights (or a (de)quantisation), and short of any op reading the model input."""
    graph = tflite_graph.read_graph(calibrated)
    producer = {out: op for op in graph.ops for out in op.outputs}
    index = {t.name: t.index for t in graph.tensors}
    found = []
    for name in names:
        op = producer.get(index.get(name))
        while op is not None and op.inputs and op.inputs[0] in producer:
            op = producer[op.inputs[0]]
            if op.name in WEIGHTED_OPS or set(op.inputs) & set(graph.inputs):
                break
            out = graph.tensors[op.outputs[0]].name
            if out not in names and out not in found:
                found.append(out)
    return found


class SelectiveInt8:
    """The debugger's ranking, computed once; `quantize(n)` keeps the worst `n` layers in float."""

    def __init__(self, model: keras.Model, images: np.ndarray):
        with logs.native_stderr_filtered():  # the debugger's conversions print the quantizer's C++ lines
            self.debugger = build_debugger(model, images)
            ranking = rank_layers(self.debugger)
        readers = input_readers(self.debugger.calibrated_model)
        self.ranking = [r for r in ranking if r["tensor_name"] not in readers]

    def quantize(self, count: int) -> Tuple[bytes, Dict]:
        """Full-integer int8 with the `count` worst layers (and their weightless feeders) in float.

        Returns:
          `(model bytes, report)`; the report names the layers, their RMSE / scale and the feeders.

        Raises:
          SelectiveError: LiteRT cannot prepare the model this gives.
        """
        if count <= 0:
            raise ValueError(f"--selective must be positive to keep layers in float, got {count}")
        worst = self.ranking[:count]
        names = [w["tensor_name"] for w in worst]
        feeders = feeding_ops(self.debugger.calibrated_model, names)
        self.debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=names + feeders)
        with logs.native_stderr_filtered():
            quantized = bytes(modify_model_io_type(self.debugger.get_nondebug_quantized_model(), tf.uint8,
                                                   tf.float32))
        try:
            runtime.interpreter(quantized, delegates=False)
        except (RuntimeError, ValueError) as e:
            reason = " ".join(str(e).split())[:200]
            raise SelectiveError(f"keeping {count} layer(s) in float gives a model LiteRT cannot prepare "
                                 f"({reason})") from None
        report = {"method": "tf.lite.experimental.QuantizationDebugger: worst RMSE/scale kept in float",
                  "float_layers": names, "rmse_per_scale": [round(w["rmse_per_scale"], 4) for w in worst],
                  "float_inputs": feeders}
        return quantized, report
