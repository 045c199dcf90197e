"""Quantisation inputs: calibration images and quantisation-aware training (TFMOT).

- Calibration images come from `fld_tf.pipeline` on the run's own training list, augmented by
  default so that the ranges the converter measures cover the crops inference will see.
- QAT wraps the float model with TFMOT, starts every quantisation range from the float model, and
  fine-tunes on the augmented training pipeline with the run's landmark loss.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Tuple

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras as keras

from export.variants import Representative
from fld_tf import losses, pipeline
from fld_tf.config import AugmentConfig, Config, ConfigError
from fld_tf.inputs import build_inputs
from fld_tf.schemes import PointScheme

qkeras = tfmot.quantization.keras
EAGER_MAX_STEPS = 8  # QAT runs this short train eagerly (see fine_tune)


def training_inputs(cfg: Config, scheme: PointScheme, root: Optional[str]):
    """The run's training pipeline (`fld_tf.inputs.Inputs`: the same split, crops, augmentation
    and loss weights as training), from its list or its TFRecord shards."""
    return build_inputs(cfg, scheme, root, cfg.data.batch_size)


def representative_images(cfg: Config, scheme: PointScheme, root: str) -> np.ndarray:
    """`cfg.export.representative_samples` crops from the training pipeline, seeded.

    With `export.representative_augment` (the default) they are augmented as in training: int8
    ranges are the calibration set's min and max, and plain crops of the training list span a
    narrower range of point positions than real test crops. Measured here on the AFLW test:
    calibrated on plain crops, the soft-argmax output range clipped and int8 lost 0.29 pp NME to
    float; calibrated on augmented crops, 0.09 pp. Without it, every augmentation is switched off.

    Returns:
      float32 array `(N, S, S, 3)`, pixel values 0..255 (integers, as the camera gives).

    Raises:
      ConfigError: `export.representative_samples` is not positive.
    """
    count = cfg.export.representative_samples
    if count <= 0:
        raise ConfigError(f"export.representative_samples is {count}: int8 calibration needs at least "
                          "1 representative image (200 is a good default)")
    augment = cfg.data.augment if cfg.export.representative_augment else AugmentConfig(
        **{f.name: 0.0 for f in dataclasses.fields(AugmentConfig)})
    data = dataclasses.replace(cfg.data, augment=augment, deterministic=True, cache=False, batch_size=1)
    inputs = training_inputs(dataclasses.replace(cfg, data=data), scheme, root)
    images = [x[0] for x, *_ in inputs.train.take(min(count, inputs.train_count)).as_numpy_iterator()]
    return np.round(np.stack(images)).astype(np.float32)


def representative_fn(images: np.ndarray) -> Representative:
    """The converter's `representative_dataset`: one `[image (1, S, S, 3)]` per calibration image."""
    return lambda: ([image[None]] for image in images)


class NoOpQuantizeConfig(qkeras.QuantizeConfig):
    """Leaves a layer unquantised in the QAT graph (TFMOT has no rule for `Rescaling`).

    The converter still calibrates its output from the representative images, so the exported
    model stays integer-only.
    """

    def get_weights_and_quantizers(self, layer):
        return []

    def get_activations_and_quantizers(self, layer):
        return []

    def set_quantize_weights(self, layer, quantize_weights):
        pass

    def set_quantize_activations(self, layer, quantize_activations):
        pass

    def get_output_quantizers(self, layer):
        return []

    def get_config(self):
        return {}


def _annotate(layer):
    if isinstance(layer, keras.layers.Rescaling):
        return qkeras.quantize_annotate_layer(layer, quantize_config=NoOpQuantizeConfig())
    return layer


def quantization_aware(model: keras.Model, images: np.ndarray) -> keras.Model:
    """TFMOT's `quantize_model` of the float model, its ranges started from calibration images.

    The input range is pinned to 0..255, so the exported uint8 input is exactly scale 1, zero
    point 0; every activation range starts at the float model's (`init_activation_ranges`).
    """
    annotated = qkeras.quantize_annotate_model(keras.models.clone_model(model, clone_function=_annotate))
    annotated.set_weights(model.get_weights())
    with qkeras.quantize_scope({"NoOpQuantizeConfig": NoOpQuantizeConfig}):
        qat = qkeras.quantize_apply(annotated)
    for layer in qat.layers:
        if isinstance(getattr(layer, "layer", None), keras.layers.BatchNormalization):
            # Frozen BatchNorm runs on its moving statistics, as inference will (the usual QAT
            # practice). Training on batch statistics would learn ranges for other activations:
            # in a short from-scratch run they are up to 10x wider than at inference, so the
            # inference-time ranges clip them and the fine-tune degrades the model.
            layer.trainable = False
    init_weight_ranges(qat, images)
    init_activation_ranges(qat, model, images)
    input_layer = next(layer for layer in qat.layers if type(layer).__name__ == "QuantizeLayer")
    for weight in input_layer.weights:  # the name is made unique per model: find it by type
        if weight.name.endswith("_min:0"):
            weight.assign(0.0)
        elif weight.name.endswith("_max:0"):
            weight.assign(255.0)
    return qat


def init_weight_ranges(qat: keras.Model, images: np.ndarray, batch: int = 32) -> None:
    """Sets the weight quantisers' ranges to the weights' own (TFMOT starts them at [-6, 6]).

    TFMOT's `LastValueQuantizer` records a kernel's range only in a training-mode call, so one is
    made here (BatchNorm is frozen by then: its statistics do not move).
    """
    qat(images[:batch], training=True)


def range_variables(qat: keras.Model) -> List[Tuple[str, object, object]]:
    """`(float layer name, min variable, max variable)` of every activation quantiser."""
    found = []
    for layer in qat.layers:
        inner = getattr(layer, "layer", None)
        weights = {w.name.rsplit("/", 1)[-1]: w for w in layer.weights}
        for kind in ("output", "post_activation"):  # QuantizeWrapper's names for the two kinds
            if inner is not None and f"{kind}_min:0" in weights:
                found.append((inner.name, weights[f"{kind}_min:0"], weights[f"{kind}_max:0"]))
    return found


def init_activation_ranges(qat: keras.Model, model: keras.Model, images: np.ndarray, batch: int = 32) -> int:
    """Sets each activation quantiser's range to the float model's on `images`; returns how many.

    TFMOT starts every range at [-6, 6] and moves it by an EMA with decay 0.999, so a fine-tune of a
    few hundred steps leaves it near +-6: on landmark outputs in [0, 1] that is a quantisation step
    of ~0.047 (about 15% of the inter-ocular distance), and wider activations are clipped at 6.
    """
    targets = range_variables(qat)
    probe = keras.Model(model.input, [model.get_layer(name).output for name, _, _ in targets])
    lo = np.full(len(targets), np.inf)
    hi = np.full(len(targets), -np.inf)
    for start in range(0, len(images), batch):
        outputs = probe(images[start:start + batch], training=False)
        lo = np.minimum(lo, [float(tf.reduce_min(o)) for o in outputs])
        hi = np.maximum(hi, [float(tf.reduce_max(o)) for o in outputs])
    for (_, min_var, max_var), low, high in zip(targets, lo, hi):
        min_var.assign(min(low, 0.0))  # TFLite needs 0 inside every range
        max_var.assign(max(high, 0.0))
    return len(targets)


def fine_tune(qat: keras.Model, cfg: Config, scheme: PointScheme, root: str) -> Dict:
    """Trains the QAT model for `export.qat_epochs` on the augmented training pipeline.

    Uses the run's training split from its list or shards (the validation hold-out stays unseen),
    its landmark loss and its loss weights.
    Returns the Keras history.
    """
    inputs = training_inputs(cfg, scheme, root)
    dataset = inputs.train.map(lambda x, y, *weight: (x, y["landmarks"], *weight))
    size = cfg.model.input_size
    steps = cfg.train.steps_per_epoch or pipeline.steps_for(inputs.train_count, cfg.data.batch_size)
    # Tracing the fake-quant graph costs ~20 s of CPU: more than a smoke run's few eager steps.
    eager = cfg.export.qat_epochs * steps <= EAGER_MAX_STEPS
    qat.compile(optimizer=keras.optimizers.Adam(cfg.export.qat_learning_rate),
                loss=losses.build_loss(cfg.train, size), run_eagerly=eager)
    history = qat.fit(dataset, epochs=cfg.export.qat_epochs, steps_per_epoch=steps, verbose=cfg.train.verbose)
    return history.history
