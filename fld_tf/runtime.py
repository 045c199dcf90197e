"""LiteRT helpers: run a `.tflite` over images, time it, list its float ops, ask the GPU analyzer.

Everything runs in `ai_edge_litert.interpreter.Interpreter` (the deprecated `tf.lite.Interpreter`
is never used). The default op resolver applies XNNPACK; `reference=True` selects the reference
kernels (`OpResolverType.BUILTIN_REF`), the slow but plain implementation to compare against.
"""
from __future__ import annotations

import contextlib
import io
import statistics
import time
from typing import Dict, List, Optional, Tuple

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from fld_tf import logs, tflite_graph


def interpreter(model: bytes, threads: Optional[int] = None, reference: bool = False,
                delegates: bool = True) -> Interpreter:
    """An allocated interpreter; `reference` picks the reference kernels, `delegates=False` no XNNPACK."""
    resolver = OpResolverType.AUTO
    if reference:
        resolver = OpResolverType.BUILTIN_REF
    elif not delegates:
        resolver = OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with logs.native_stderr_filtered():  # LiteRT's C++ "Created ... XNNPACK delegate" INFO line
        interp = Interpreter(model_content=model, num_threads=threads, experimental_op_resolver_type=resolver)
        interp.allocate_tensors()
    return interp


def io_details(model: bytes) -> Dict:
    """What the converted model really takes and gives, in the card's terms."""
    interp = interpreter(model, delegates=False)
    inputs, outputs = interp.get_input_details(), interp.get_output_details()
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(f"expected one input and one output, got {len(inputs)} and {len(outputs)}")
    result = {}
    for key, detail in (("input", inputs[0]), ("output", outputs[0])):
        result[key] = {"shape": [int(v) for v in detail["shape"]], "dtype": np.dtype(detail["dtype"]).name}
        scale, zero_point = detail["quantization"]
        if scale:
            result[key]["quantization"] = {"scale": float(scale), "zero_point": int(zero_point)}
    return result


def as_input(images: np.ndarray, dtype: str, quantization=None) -> np.ndarray:
    """uint8 pixels `(N, S, S, 3)` -> the model's input dtype (0..255 either way: no normalising).

    `quantization` (the card's `Quantization`, uint8 only) other than scale 1, zero point 0 maps each
    pixel value `p` to the byte the model reads as `p`: `round(p / scale) + zero_point`, clipped.
    """
    if dtype not in ("uint8", "float32"):
        raise ValueError(f"input dtype {dtype!r} is not part of the contract (uint8 or float32)")
    images = np.asarray(images)
    if quantization is not None and (quantization.scale != 1.0 or quantization.zero_point != 0):
        q = np.round(images.astype(np.float64) / quantization.scale) + quantization.zero_point
        return np.clip(q, 0, 255).astype(np.uint8)
    return images.astype(dtype)


def predict(model: bytes, images: np.ndarray, threads: Optional[int] = None,
            reference: bool = False, dtype: Optional[str] = None, quantization=None) -> np.ndarray:
    """Runs the model image by image.

    Args:
      model: `.tflite` bytes with a batch-1 input.
      images: uint8 `(N, S, S, 3)` RGB crops.
      dtype: input dtype to feed (the card's); default the model's own.
      quantization: the card's input quantisation (see `as_input`).

    Returns:
      float32 `(N, 2K)` model outputs.
    """
    interp = interpreter(model, threads, reference)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    x = as_input(images, dtype or np.dtype(inp["dtype"]).name, quantization)
    result = np.empty((len(x), int(np.prod(out["shape"]))), np.float32)
    for i in range(len(x)):
        interp.set_tensor(inp["index"], x[i:i + 1])
        interp.invoke()
        result[i] = interp.get_tensor(out["index"]).reshape(-1)
    return result


def latency_ms(models: Dict[str, Tuple[bytes, np.ndarray]], threads: int, runs: int,
               warmup: int) -> Dict[str, float]:
    """Median wall time of one `invoke` in ms per model, after `warmup` untimed invokes.

    The models take turns invoke by invoke, so a busy host slows them all alike instead of
    whichever happened to run while it was busy.

    Args:
      models: name -> (`.tflite` bytes, one uint8 input image `(S, S, 3)`).
    """
    interps = {}
    for name, (model, image) in models.items():
        interp = interpreter(model, threads)
        inp = interp.get_input_details()[0]
        interp.set_tensor(inp["index"], as_input(image[None], np.dtype(inp["dtype"]).name))
        for _ in range(warmup):
            interp.invoke()
        interps[name] = interp
    times = {name: [] for name in models}
    for _ in range(max(1, runs)):
        for name, interp in interps.items():
            start = time.perf_counter()
            interp.invoke()
            times[name].append(time.perf_counter() - start)
    return {name: 1000.0 * statistics.median(t) for name, t in times.items()}


def float_ops(model: bytes) -> List[str]:
    """Ops that read or write float tensors, other than the boundary (de)quantisation.

    The QUANTIZE of the model input and the DEQUANTIZE to the float32 output are the I/O contract;
    anything else with a float tensor is float compute that slipped into an integer model. Read
    from the flatbuffer (`fld_tf.tflite_graph`): every op as converted, none fused by a delegate.

    Returns:
      `"OP_NAME #index (tensor name)"` per offending op, in graph order.
    """
    graph = tflite_graph.read_graph(model)
    found = []
    for op in graph.ops:
        if op.name == "QUANTIZE" and set(op.inputs) <= set(graph.inputs):
            continue
        if op.name == "DEQUANTIZE" and set(op.outputs) <= set(graph.outputs):
            continue
        if any(graph.tensors[i].dtype in tflite_graph.FLOAT_TYPES for i in op.inputs + op.outputs):
            name = graph.tensors[op.outputs[0]].name if op.outputs else ""
            found.append(f"{op.name} #{op.index} ({name})")
    return found


def output_step(model: bytes) -> float:
    """The quantisation step of the values the model's float output is dequantised from (0: float).

    An integer model's points lie on this grid, so two runs that agree up to rounding differ by
    at most one step.
    """
    graph = tflite_graph.read_graph(model)
    op = graph.producer(graph.outputs[0]) if graph.outputs else None
    if op is None or op.name != "DEQUANTIZE":
        return 0.0
    return float(graph.tensors[op.inputs[0]].scale or 0.0)


def gpu_compatibility(model: bytes) -> Tuple[bool, str]:
    """`tf.lite.experimental.Analyzer` with `gpu_compatibility=True`: (compatible, its printed report)."""
    import tensorflow as tf  # only this check needs TensorFlow

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        tf.lite.experimental.Analyzer.analyze(model_content=model, gpu_compatibility=True)
    report = text.getvalue()
    ok = "looks compatible with GPU delegate" in report and "GPU COMPATIBILITY WARNING" not in report
    return ok, report
