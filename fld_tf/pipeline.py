"""tf.data input pipeline: read -> decode -> face crop -> augment -> batch.

Training decodes each image once into a cached *context* window (the face square enlarged by
`CONTEXT_FACTOR`, so rotation, zoom and shift have real pixels to draw from), then augments from
the cache every epoch. Evaluation samples the face square straight from the image with the crop
rule of `fld_tf.geometry`, exactly as the exported model's users must.
"""
from __future__ import annotations

import math
import os
import sys
from typing import Dict, Optional, Sequence

import fld_tf  # noqa: F401
import numpy as np
import tensorflow as tf

from fld_tf import augment, geometry
from fld_tf.warp import round_pixels, sampling_matrix, to_crop, warp
from fld_tf.data.readers import image_size, read_list, samples_to_arrays
from fld_tf.data.sample import Sample
from fld_tf.schemes import PointScheme

AUTOTUNE = tf.data.AUTOTUNE
CONTEXT_FACTOR = 2.0     # context window side / face square side
CONTEXT_RESOLUTION = 1.5  # context pixels per model-input pixel (keeps augmented crops sharp)


def crop_squares(samples: Sequence[Sample], crop_cfg, source: str) -> np.ndarray:
    """The crop square `(cx, cy, side)` of each sample, shape `(N, 3)`."""
    squares = np.empty((len(samples), 3), np.float32)
    for i, s in enumerate(samples):
        size = image_size(s.image_path) if source == "image" else None
        squares[i] = geometry.crop_square(source, crop_cfg, s.points, s.box, size)
    return squares


def sample_arrays(samples: Sequence[Sample], crop_cfg, source: str, num_attributes: int = 0) -> Dict:
    """Column arrays for `tf.data`: path, points `(N, K, 2)`, square `(N, 3)`, attributes `(N, A)`."""
    columns = samples_to_arrays(samples)
    attributes = np.full((len(samples), num_attributes), -1, np.int32)
    width = min(num_attributes, columns["attributes"].shape[1])
    attributes[:, :width] = columns["attributes"][:, :width]
    return {"path": columns["paths"], "points": columns["points"],
            "square": crop_squares(samples, crop_cfg, source), "attributes": attributes}


def _decode(path):
    data = tf.io.read_file(path)
    return tf.io.decode_image(data, channels=3, expand_animations=False)


def _context_square(square):
    return tf.concat([square[:2], square[2:] * CONTEXT_FACTOR], axis=0)


def build_dataset(data_cfg, scheme: PointScheme, input_size: int, arrays: Dict, training: bool,
                  batch_size: Optional[int] = None, repeat: bool = False) -> tf.data.Dataset:
    """Batches of `(image, targets)`: images `(B, S, S, 3)` float32 pixels 0..255, targets a dict
    with `landmarks` `(B, 2K)` in normalised crop coordinates and `attributes` `(B, A)`.

    Args:
      data_cfg: a `DataConfig` (batch size, augmentation, cache, seed, determinism).
      scheme: the point scheme (flip permutation).
      input_size: model input side `S`.
      arrays: output of `sample_arrays`.
      training: random augmentation and shuffling when True; the plain crop rule otherwise.
    """
    batch_size = batch_size or data_cfg.batch_size
    ds = tf.data.Dataset.from_tensor_slices(arrays)
    options = tf.data.Options()
    options.deterministic = bool(data_cfg.deterministic or not training)
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.with_options(options)
    if training:
        ds = _training(ds, data_cfg, scheme, input_size)
    else:
        ds = ds.map(lambda e: _eval_element(e, input_size), num_parallel_calls=AUTOTUNE)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=training).prefetch(AUTOTUNE)


def _eval_element(e, size):
    matrix = sampling_matrix(e["square"], size)
    image = round_pixels(warp(_decode(e["path"]), matrix, size))
    points = to_crop(e["points"], matrix, size)
    return image, {"landmarks": tf.reshape(points, [-1]), "attributes": e["attributes"]}


def _training(ds, data_cfg, scheme, size):
    context = int(round(size * CONTEXT_FACTOR * CONTEXT_RESOLUTION))

    def load_context(e):
        matrix = sampling_matrix(_context_square(e["square"]), context)
        image = tf.cast(round_pixels(warp(_decode(e["path"]), matrix, context)), tf.uint8)
        points = to_crop(e["points"], matrix, context) * context - 0.5  # context pixel coords
        return {"image": image, "points": points, "attributes": e["attributes"]}

    ds = ds.map(load_context, num_parallel_calls=AUTOTUNE)
    if data_cfg.cache:
        ds = ds.cache()
    seed = data_cfg.seed if data_cfg.deterministic else None
    ds = ds.shuffle(data_cfg.shuffle_buffer, seed=seed, reshuffle_each_iteration=True).repeat()
    # One independent stateless seed per element keeps augmentation reproducible in
    # deterministic mode and free of shared RNG state across parallel map calls.
    seeds = tf.data.Dataset.random(seed=seed).batch(2)
    flip_indices = tf.constant(scheme.flip_indices, tf.int32)
    aug = data_cfg.augment
    face_side = context / CONTEXT_FACTOR

    def augment_element(e, seed):
        image, points = augment.random_crop(
            e["image"], e["points"], seed, aug, size, face_side, flip_indices)
        image = augment.random_photometric(image, seed, aug)
        return image, {"landmarks": tf.reshape(points, [-1]), "attributes": e["attributes"]}

    return tf.data.Dataset.zip((ds, seeds)).map(augment_element, num_parallel_calls=AUTOTUNE)


def steps_for(count: int, batch_size: int) -> int:
    return max(1, math.ceil(count / batch_size))


def read_samples(data_cfg, root: str, list_path: str, fmt: str, scheme: PointScheme,
                 image_root: Optional[str] = None):
    """Reads a list (a relative path is under `root`); skipped bad records are reported on stderr."""
    path = list_path if os.path.isabs(list_path) else os.path.join(root, list_path)
    result = read_list(path, fmt, image_root=image_root, on_bad=data_cfg.on_bad, scheme=scheme)
    if result.skipped:
        print(f"{path}: skipped {len(result.skipped)} bad records, first: "
              f"{result.skipped[0][0]}: {result.skipped[0][1]}", file=sys.stderr)
    return result.samples


def read_split(data_cfg, root: str, list_path: str, fmt: str, crop_source: str,
               scheme: PointScheme, image_root: Optional[str] = None):
    """`read_samples`, then `(samples, arrays)` ready for `build_dataset`."""
    samples = read_samples(data_cfg, root, list_path, fmt, scheme, image_root)
    arrays = sample_arrays(samples, data_cfg.crop, crop_source, len(scheme.attribute_names))
    return samples, arrays
