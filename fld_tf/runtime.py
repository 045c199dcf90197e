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

from fld_tf import logs

FLOAT_TYPES = (np.float32, np.float16, np.float64)


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


def as_input(images: np.ndarray, dtype: str) -> np.ndarray:
    """uint8 pixels `(N, S, S, 3)` -> the model's input dtype (0..255 either way: no normalising)."""
    if dtype not in ("uint8", "float32"):
        raise ValueError(f"input dtype {dtype!r} is not part of the contract (uint8 or float32)")
    return np.asarray(images).astype(dtype)


def predict(model: bytes, images: np.ndarray, threads: Optional[int] = None,
            reference: bool = False, dtype: Optional[str] = None) -> np.ndarray:
    """Runs the model image by image.

    Args:
      model: `.tflite` bytes with a batch-1 input.
      images: uint8 `(N, S, S, 3)` RGB crops.
      dtype: input dtype to feed (the card's); default the model's own.

    Returns:
      float32 `(N, 2K)` model outputs.
    """
    interp = interpreter(model, threads, reference)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    x = as_input(images, dtype or np.dtype(inp["dtype"]).name)
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
    anything else with a float tensor is float compute that slipped into an integer model.

    Returns:
      `"OP_NAME #index (tensor name)"` per offending op, in graph order.
    """
    interp = interpreter(model, delegates=False)  # without delegates every op is listed, not fused
    tensors = {t["index"]: t for t in interp.get_tensor_details()}
    model_inputs = {d["index"] for d in interp.get_input_details()}
    model_outputs = {d["index"] for d in interp.get_output_details()}
    found = []
    for op in interp._get_ops_details():  # pylint: disable=protected-access
        ins = [i for i in op["inputs"] if i >= 0]
        outs = [i for i in op["outputs"] if i >= 0]
        if op["op_name"] == "QUANTIZE" and set(ins) <= model_inputs:
            continue
        if op["op_name"] == "DEQUANTIZE" and set(outs) <= model_outputs:
            continue
        if any(tensors[i]["dtype"] in FLOAT_TYPES for i in ins + outs):
            name = tensors[outs[0]]["name"] if outs else ""
            found.append(f"{op['op_name']} #{op['index']} ({name})")
    return found


def gpu_compatibility(model: bytes) -> Tuple[bool, str]:
    """`tf.lite.experimental.Analyzer` with `gpu_compatibility=True`: (compatible, its printed report)."""
    import tensorflow as tf  # only this check needs TensorFlow

    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        tf.lite.experimental.Analyzer.analyze(model_content=model, gpu_compatibility=True)
    report = text.getvalue()
    ok = "looks compatible with GPU delegate" in report and "GPU COMPATIBILITY WARNING" not in report
    return ok, report
