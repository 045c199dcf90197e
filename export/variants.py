"""The TFLite variants we export, and the one converter that makes each of them.

Every variant takes RGB pixels 0..255 (normalisation is inside the model) and outputs `landmarks`
`(1, 2K)` float32 in normalised crop coordinates. Full-integer variants take uint8 pixels straight
from the camera (`inference_input_type=tf.uint8`); the others take the same values as float32.
The table imports without TensorFlow (CLIs print it in `--help`); the converter loads it.
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import fld_tf  # noqa: F401
import numpy as np

from fld_tf import logs

# A factory of calibration batches: each call returns an iterable of `[image]`, image `(1, S, S, 3)`
# float32 0..255, as `TFLiteConverter.representative_dataset` wants.
Representative = Callable[[], Iterable[List[np.ndarray]]]


@dataclasses.dataclass(frozen=True)
class Variant:
    """One export format (ultralytics `export_formats()` style).

    Attributes:
      name: the `--variants` key and the middle of the file name (`<name>.<variant>.tflite`).
      suffix: file suffix.
      description: one line for `--help` and reports.
      input_dtype: dtype of the model input tensor.
      calibrated: needs representative images (activation ranges).
      integer: every op between the input and output (de)quantisation should be integer.
    """

    name: str
    suffix: str
    description: str
    input_dtype: str
    calibrated: bool
    integer: bool


VARIANTS: Dict[str, Variant] = {v.name: v for v in (
    Variant("float32", ".float32.tflite", "float32 weights and activations (the reference)", "float32", False, False),
    Variant("float16", ".float16.tflite", "float16 weights, float32 compute; for the GPU delegate", "float32", False, False),
    Variant("dynamic", ".dynamic.tflite", "dynamic-range: int8 weights, float activations", "float32", False, False),
    Variant("int8", ".int8.tflite", "full-integer post-training quantisation, uint8 input", "uint8", True, True),
    Variant("qat", ".qat.tflite", "full-integer from quantisation-aware training (TFMOT)", "uint8", True, True),
    Variant("int16x8", ".int16x8.tflite", "int16 activations, int8 weights (float32 I/O)", "float32", True, True),
)}


def format_table() -> str:
    """The variants as a text table, for `--help` and reports."""
    rows = [f"  {v.name:<8} {v.suffix:<16} {v.input_dtype:<8} {v.description}" for v in VARIANTS.values()]
    return "\n".join([f"  {'variant':<8} {'suffix':<16} {'input':<8} description"] + rows)


def parse_variants(text: str) -> Tuple[str, ...]:
    """`"float32,int8"` or `"all"` -> variant names in table order.

    Raises:
      ValueError: an unknown name, named with the known ones.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return tuple(VARIANTS)
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise ValueError(f"--variants: unknown variant {', '.join(unknown) or repr(text)}; "
                         f"known: {', '.join(VARIANTS)}, or all")
    return tuple(n for n in VARIANTS if n in names)


def serving_function(model: "keras.Model") -> "tf.types.experimental.ConcreteFunction":
    """Batch-1 concrete function `image (1, S, S, 3) float32 -> {"landmarks": (1, 2K)}`.

    A fixed batch of 1 gives the converted model static shapes, which the GPU delegate and the
    Android core (`input.shape` in the card) both want.
    """
    import tensorflow as tf

    size = model.input_shape[1]
    spec = tf.TensorSpec([1, size, size, 3], tf.float32, name="image")
    fn = tf.function(lambda image: {"landmarks": model(image, training=False)}, input_signature=[spec])
    return fn.get_concrete_function()


def tflite_converter(model: "keras.Model") -> "tf.lite.TFLiteConverter":
    """A plain `TFLiteConverter` of `serving_function(model)`.

    The converter saves its trackable object as a SavedModel first; handing it the Keras model
    makes that save serialise every layer's traced calls (45 of the 65 s per variant of a trained
    tiny model here). A `tf.Module` holding only the variables gives the same `.tflite` bytes.
    """
    import tensorflow as tf

    weights = tf.Module()
    weights.variables_ = list(model.variables)
    return tf.lite.TFLiteConverter.from_concrete_functions([serving_function(model)], weights)


def build_converter(model: "keras.Model", variant: str,
                    representative: Optional[Representative] = None) -> "tf.lite.TFLiteConverter":
    """A `TFLiteConverter` set up for `variant` (one branch per variant).

    Args:
      model: the float Keras model; for `qat`, the TFMOT quantisation-aware model.
      variant: a key of `VARIANTS`.
      representative: calibration data, required by calibrated variants.

    Raises:
      ValueError: unknown variant, or a calibrated variant without representative data.
    """
    import tensorflow as tf

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}")
    if VARIANTS[variant].calibrated and representative is None:
        raise ValueError(f"variant {variant!r} needs representative images (activation ranges)")
    converter = tflite_converter(model)
    if variant == "float32":
        return converter
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if variant == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif variant == "dynamic":
        pass  # DEFAULT without calibration data quantises the weights only
    elif variant in ("int8", "qat"):
        # QAT models carry their own fake-quant ranges; calibration still fills the ranges TFMOT
        # left out (the `normalize` Rescaling), so no float op remains.
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.float32
    elif variant == "int16x8":
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    return converter


def convert(model: "keras.Model", variant: str, representative: Optional[Representative] = None) -> bytes:
    """Converts `model` to the `.tflite` bytes of `variant` (see `build_converter`)."""
    converter = build_converter(model, variant, representative)
    with logs.native_stderr_filtered():  # the quantizer's C++ "fully_quantize: 0, ..." line
        return bytes(converter.convert())
